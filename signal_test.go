package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// hangGuard is how long a signalled process may take before the test calls
// it hung. The budget (200 ms) is measured by make bench, not here.
const hangGuard = 5 * time.Second

// startSelf runs this test binary as mongoconn with args.
func startSelf(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "MONGOCONN_RUN_MAIN=1", "MONGODB_URI=", "NO_COLOR=1")
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c, &out, &errOut
}

// TestSignalStopsCommand: SIGINT or SIGTERM during a probe of a silent
// host stops it with 130 or 143, printing the report learned so far.
func TestSignalStopsCommand(t *testing.T) {
	silent, err := mongotest.NewSilentListener()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(silent.Close)
	addr := silent.Addr()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		for _, command := range []string{"ping", "diagnose", "discover", "wire-check", "tunnel-check"} {
			t.Run(tc.sig.String()+"/"+command, func(t *testing.T) {
				before := settledMark(silent.Connections)
				c, out, errOut := startSelf(t, "--timeout", "30s", command, "mongodb://"+addr+"/")
				// Signal once the command is probing: it has connected.
				for deadline := time.Now().Add(hangGuard); silent.Connections() == before; {
					if time.Now().After(deadline) {
						_ = c.Process.Kill()
						t.Fatalf("the command never connected\nstderr:\n%s", errOut)
					}
					time.Sleep(5 * time.Millisecond)
				}
				if err := c.Process.Signal(tc.sig); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- c.Wait() }()
				select {
				case err := <-done:
					var ee *exec.ExitError
					if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
						t.Fatalf("exit = %v, want code %d\nstdout:\n%s\nstderr:\n%s", err, tc.code, out, errOut)
					}
				case <-time.After(hangGuard):
					_ = c.Process.Kill()
					t.Fatalf("still running %s after %s", tc.sig, hangGuard)
				}
				if !bytes.Contains(out.Bytes(), []byte("127.0.0.1")) {
					t.Errorf("no report of what was learned on stdout:\n%s", out)
				}
			})
		}
	}
}
