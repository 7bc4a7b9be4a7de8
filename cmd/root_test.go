package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
)

func TestExitCode(t *testing.T) {
	_, uerr := connstr.ParseTarget("mongo://localhost")
	if uerr == nil {
		t.Fatal("mongo:// parsed")
	}
	tests := []struct {
		name    string
		err     error
		sig     os.Signal
		want    int
		wantErr string // substring of stderr, "" for nothing printed
	}{
		{"nil", nil, nil, ExitOK, ""},
		{"problem", &ProblemError{Report: &report.Report{Verdict: "x"}}, nil, ExitProblem, ""},
		{"wrapped problem", fmt.Errorf("ctx: %w", &ProblemError{Report: &report.Report{}}), nil, ExitProblem, ""},
		{"usage", &UsageError{Msg: "bad flag", Hint: "try this"}, nil, ExitUsage, "mongoconn: error: bad flag\nmongoconn: hint: try this\n"},
		{"uri", uerr, nil, ExitUsage, "mongoconn: error: "},
		{"many worst", &ManyError{Code: ExitUsage}, nil, ExitUsage, ""},
		{"interrupt", &InterruptedError{Signal: os.Interrupt}, nil, ExitInterrupted, ""},
		{"sigterm wins over a report", &ProblemError{Report: &report.Report{}}, syscall.SIGTERM, ExitTerminated, ""},
		{"sigint", errors.New("context canceled"), os.Interrupt, ExitInterrupted, ""},
		{"other error is redacted", errors.New("dial mongodb://u:hunter22@h:1/"), nil, ExitProblem, "mongodb://u:****@h:1/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, errOut := Test()
			sig := func() os.Signal { return tc.sig }
			if got := exitCode(ios, tc.err, sig); got != tc.want {
				t.Errorf("exit code = %d, want %d", got, tc.want)
			}
			if tc.wantErr == "" && errOut.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
			if tc.wantErr != "" && !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tc.wantErr)
			}
			if strings.Contains(errOut.String(), "hunter22") {
				t.Errorf("password leaked: %q", errOut)
			}
		})
	}
}

func TestWorseExit(t *testing.T) {
	tests := []struct{ a, b, want int }{
		{ExitOK, ExitOK, ExitOK},
		{ExitOK, ExitProblem, ExitProblem},
		{ExitProblem, ExitOK, ExitProblem},
		{ExitProblem, ExitUsage, ExitUsage},
		{ExitUsage, ExitProblem, ExitUsage},
	}
	for _, tc := range tests {
		if got := worseExit(tc.a, tc.b); got != tc.want {
			t.Errorf("worseExit(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// run executes the root command with args on test streams.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := Test()
	f := NewFactory(ios, func(k string) string { return env[k] })
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return exitCode(ios, err, nil), out.String(), errOut.String()
}

func TestGlobalFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-o", "yaml", "version"}, "--output"},
		{[]string{"--timeout", "0s", "version"}, "--timeout"},
		{[]string{"--server-api", "2", "version"}, "--server-api"},
		{[]string{"--server-api-strict", "version"}, "--server-api-strict needs --server-api 1"},
		{[]string{"-q", "-v", "version"}, "--quiet and --verbose"},
		{[]string{"--no-such-flag", "version"}, "unknown flag"},
		{[]string{"no-such-command"}, "unknown command"},
		{[]string{"--dns-server", "[::1", "version"}, "--dns-server"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, nil, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr = %q, want %q", errOut, tc.want)
			}
		})
	}
}

func TestPersistentFlagsAfterCommand(t *testing.T) {
	var got *GlobalOptions
	ios, _, _, _ := Test()
	f := NewFactory(ios, func(string) string { return "" })
	root := NewCmdRoot(f)
	root.SetArgs([]string{"version", "-o", "json", "--timeout", "3s", "--no-color"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	got = f.Global
	if got.Output != "json" || got.Timeout.String() != "3s" || !got.NoColor {
		t.Errorf("global options = %+v", *got)
	}
}

func TestTargetURIDefault(t *testing.T) {
	ios, _, _, _ := Test()
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, connstr.DefaultURI},
		{map[string]string{"MONGODB_URI": "mongodb://env:1/"}, nil, "mongodb://env:1/"},
		{map[string]string{"MONGODB_URI": "mongodb://env:1/"}, []string{"mongodb://arg:2/"}, "mongodb://arg:2/"},
	}
	for _, tc := range tests {
		f := NewFactory(ios, func(k string) string { return tc.env[k] })
		if got := f.targetURI(tc.args); got != tc.want {
			t.Errorf("targetURI(%v) with %v = %q, want %q", tc.args, tc.env, got, tc.want)
		}
	}
}

func TestColourOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		tty     bool
		noColor bool
		env     string
		want    bool
	}{
		{false, false, "", false},
		{true, false, "", true},
		{true, true, "", false},
		{true, false, "1", false},
	}
	for _, tc := range tests {
		ios, _, _, _ := Test()
		ios.SetStdoutTTY(tc.tty)
		f := NewFactory(ios, func(k string) string {
			if k == "NO_COLOR" {
				return tc.env
			}
			return ""
		})
		f.Global.NoColor = tc.noColor
		if got := f.textOptions().Color; got != tc.want {
			t.Errorf("tty=%v --no-color=%v NO_COLOR=%q: colour %v, want %v", tc.tty, tc.noColor, tc.env, got, tc.want)
		}
	}
}

func TestReadTargets(t *testing.T) {
	ios, in, _, _ := Test()
	in.WriteString("# fleet\n\nmongodb://a:1/\n  mongodb://b:2/  \n#mongodb://c:3/\n")
	f := NewFactory(ios, func(string) string { return "" })
	got, err := f.targetURIs([]string{"mongodb://z:9/"}, &TargetsOptions{File: "-", Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mongodb://z:9/", "mongodb://a:1/", "mongodb://b:2/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("targets = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	buf.WriteString("# nothing\n")
	ios.In = &buf
	if _, err := f.targetURIs(nil, &TargetsOptions{File: "-", Concurrency: 1}); err == nil {
		t.Error("an empty targets file was accepted")
	}
}

func TestNormalizeDNSServer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"127.0.0.1", "127.0.0.1:53"},
		{"[::1]:53", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"::1", "[::1]:53"},
		{"localhost:5353", "127.0.0.1:5353"},
		{"nonsense", ""},
		{"dns.example.com:53", ""},
		{"127.0.0.1:99999", ""},
		{"127.0.0.1:0", ""},
		{"[::1", ""},
	}
	for _, tc := range tests {
		got, err := normalizeDNSServer(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("normalizeDNSServer(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normalizeDNSServer(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
