package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildHello cross-compiles a program of a few lines for goos/goarch,
// without cgo, into dir/name.
func buildHello(t *testing.T, dir, name, goos, goarch string) string {
	t.Helper()
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	c := exec.Command("go", "build", "-o", out, src)
	c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=-buildvcs=false")
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build for %s/%s: %v\n%s", goos, goarch, err, b)
	}
	return out
}

func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs for three platforms")
	}
	dir := t.TempDir()
	tests := []struct {
		name, goos, goarch, want string
	}{
		{"mongoconn-linux-arm64", "linux", "arm64", "static linux/arm64 executable"},
		{"mongoconn-windows-amd64.exe", "windows", "amd64", "windows/amd64 executable"},
		{"anything", "linux", "amd64", "static linux/amd64 executable"},
	}
	for _, tc := range tests {
		path := buildHello(t, dir, tc.name, tc.goos, tc.goarch)
		got, err := Check(path)
		if err != nil || got != tc.want {
			t.Errorf("Check(%s) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}

	// A binary under another platform's name.
	wrong := filepath.Join(dir, "mongoconn-linux-amd64")
	if err := os.Rename(filepath.Join(dir, "mongoconn-linux-arm64"), wrong); err != nil {
		t.Fatal(err)
	}
	var perr *PlatformError
	if _, err := Check(wrong); !errors.As(err, &perr) || perr.Want != "linux/amd64" || perr.Got != "linux/arm64" {
		t.Errorf("Check(arm64 binary named amd64) = %v, want a PlatformError", err)
	}
	noExe := filepath.Join(dir, "mongoconn-windows-amd64")
	if err := os.Rename(filepath.Join(dir, "mongoconn-windows-amd64.exe"), noExe); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(noExe); !errors.As(err, &perr) {
		t.Errorf("Check(windows binary without .exe) = %v, want a PlatformError", err)
	}
}

func TestCheckRefusesADynamicBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs a dynamically linked ELF program of the system")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	sh, _ = filepath.EvalSymlinks(sh)
	_, err = Check(sh)
	var nse *NotStaticError
	if !errors.As(err, &nse) {
		t.Skipf("%s is not dynamically linked here (%v)", sh, err)
	}
	if nse.Interpreter == "" && len(nse.Libraries) == 0 {
		t.Errorf("NotStaticError names neither interpreter nor libraries: %v", nse)
	}
}

func TestCheckRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mongoconn-linux-amd64")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(path); err == nil {
		t.Error("a shell script passed as a binary")
	}
	if _, err := Check(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file passed")
	}
}
