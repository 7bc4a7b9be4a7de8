package cmd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runServe runs `mongoconn ARGS` with serve's run function replaced.
func runServe(t *testing.T, args ...string) (*ServeOptions, error) {
	t.Helper()
	ios, _, _, _ := Test()
	f := NewFactory(ios, func(string) string { return "" })
	root := NewCmdRoot(f)
	var got *ServeOptions
	for i, c := range root.Commands() {
		if c.Name() == "serve" {
			root.RemoveCommand(root.Commands()[i])
			break
		}
	}
	c := NewCmdServe(f, func(o *ServeOptions) error { got = o; return nil })
	usageArgs(c)
	root.AddCommand(c)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return got, err
}

func TestServeFlags(t *testing.T) {
	o, err := runServe(t, "serve", "--config", "probe.yml")
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != DefaultListen || o.MaxConcurrent != 32 || o.LogFormat != "logfmt" || o.timeoutSet {
		t.Errorf("defaults: %+v", o)
	}
	o, err = runServe(t, "--timeout", "3s", "serve", "--config", "probe.yml", "--listen", ":9999", "--log-format", "JSON", "--max-concurrent-probes", "4")
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != ":9999" || o.MaxConcurrent != 4 || o.LogFormat != "json" || !o.timeoutSet {
		t.Errorf("flags: %+v", o)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "serve needs --config FILE"},
		{[]string{"serve", "--config", "x", "--listen", "27917"}, "is not HOST:PORT"},
		{[]string{"serve", "--config", "x", "--max-concurrent-probes", "-1"}, "must be at least 1"},
		{[]string{"serve", "--config", "x", "--log-format", "yaml"}, "not logfmt or json"},
		{[]string{"serve", "--config", "x", "extra"}, "unknown command"},
	} {
		_, err := runServe(t, tc.args...)
		var uerr *UsageError
		if !errors.As(err, &uerr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error saying %q", tc.args, err, tc.want)
		}
	}
}

// TestServeDefaultListen: loopback only, on a port outside Prometheus's
// default port allocations (9090-9999, exporters upward from 10000) and
// MongoDB's own ports.
func TestServeDefaultListen(t *testing.T) {
	host, port, err := net.SplitHostPort(DefaultListen)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default host %q is not loopback", host)
	}
	p, _ := strconv.Atoi(port)
	if (p >= 9090 && p <= 10999) || (p >= 27017 && p <= 27020) || p == 28017 || p < 1024 || p >= 32768 {
		t.Errorf("default port %d is taken by a convention it should avoid", p)
	}
}

// configErrorGuard bounds a serve that should stop at its config: should
// it start serving instead, the test ends rather than hangs.
const configErrorGuard = time.Minute

// TestServeBadConfigIsUsageError: serve's real run function turns a
// config error into a usage error (exit 2) naming file and line.
func TestServeBadConfigIsUsageError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "probe.yml")
	if err := os.WriteFile(file, []byte("targets:\n  a:\n    url: mongodb://h/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := Test()
	root := NewCmdRoot(NewFactory(ios, func(string) string { return "" }))
	root.SetArgs([]string{"serve", "--config", file, "--listen", "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), configErrorGuard)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if code := exitCode(ios, err, nil); code != ExitUsage {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitUsage)
	}
	if !strings.Contains(errOut.String(), "probe.yml:3: target \"a\": unknown field \"url\"") {
		t.Errorf("stderr = %q", errOut)
	}
}
