package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Generate(dir, "v9.8.7", &date); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("page %s: %v", name, err)
		}
		return string(b)
	}
	for _, name := range []string{"ping", "discover", "srv", "wire-check", "tunnel-check", "diagnose", "explain", "version", "completion"} {
		page := read("mongoconn-" + name + ".1")
		for _, want := range []string{`.TH "MONGOCONN-` + strings.ToUpper(name) + `" "1" "Jan 2026" "mongoconn v9.8.7" "mongoconn manual"`, ".SH NAME", ".SH SYNOPSIS", "--timeout"} {
			if !strings.Contains(page, want) {
				t.Errorf("mongoconn-%s.1 lacks %q", name, want)
			}
		}
		if strings.Contains(page, "Auto generated") {
			t.Errorf("mongoconn-%s.1 carries cobra's generator tag", name)
		}
	}
	root := read("mongoconn.1")
	for _, want := range []string{"Exit codes", "mongoconn-ping(1)", "--version"} {
		if !strings.Contains(root, want) {
			t.Errorf("mongoconn.1 lacks %q", want)
		}
	}
	if ping := read("mongoconn-ping.1"); !strings.Contains(ping, "--wait") || !strings.Contains(ping, ".SH EXAMPLE") {
		t.Errorf("mongoconn-ping.1 lacks --wait or its examples:\n%s", ping)
	}
	if err := run(dir, "", "yesterday"); err == nil {
		t.Error("a date that is not RFC 3339 was accepted")
	}
}
