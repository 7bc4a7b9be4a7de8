package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/demo/cmdline"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// asMongoconnEnv makes the test binary run as mongoconn: the scenarios then
// exec the real command (cmd.Main) without a separate go build.
const asMongoconnEnv = "MONGOCONN_DEMO_TEST_AS_MONGOCONN"

func TestMain(m *testing.M) {
	if os.Getenv(asMongoconnEnv) == "1" {
		os.Exit(cmd.Main())
	}
	os.Exit(m.Run())
}

// mongoconnBinary returns the test binary, set up to run as mongoconn in
// the processes the demo starts; it skips under -short.
func mongoconnBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts servers and runs mongoconn against each: skipped under -short")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asMongoconnEnv, "1")
	// Under -race every mongoconn process would sleep a second at exit,
	// waiting for late race reports (ThreadSanitizer's atexit_sleep_ms).
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	t.Setenv("NO_COLOR", "")
	t.Setenv("MONGODB_URI", "")
	return bin
}

func newTestDemo(t *testing.T, bin string, out, errOut io.Writer) *demo {
	return &demo{bin: bin, dir: t.TempDir(), out: out, errOut: errOut, notes: out}
}

// TestScenarios runs every scenario with the real command and checks the
// report for the finding each one exists to show.
func TestScenarios(t *testing.T) {
	bin := mongoconnBinary(t)
	tests := []struct {
		name      string
		exit      int
		ok        bool
		ids       []string
		suggested string
	}{
		{name: "healthy", exit: 0, ok: true},
		{name: "tunnel", exit: 1, ids: []string{catalogue.IDTopologyAdvertisedUnreachable}, suggested: "directConnection=true"},
		{name: "old-server", exit: 1, ids: []string{catalogue.IDWireServerTooOld}},
		{name: "wrong-password", exit: 1, ids: []string{catalogue.IDAuthFailed}},
		{name: "refused", exit: 1, ids: []string{catalogue.IDTCPRefused}},
		{name: "srv", exit: 0, ok: true},
		{name: "explain", exit: 0, ids: []string{catalogue.IDTopologyAdvertisedUnreachable}},
	}
	if len(tests) != len(scenarios()) {
		t.Fatalf("%d cases for %d scenarios", len(tests), len(scenarios()))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := selectScenarios([]string{tt.name})
			if len(sc) != 1 {
				t.Fatalf("no scenario %s", tt.name)
			}
			var out, errOut bytes.Buffer
			d := newTestDemo(t, bin, &out, &errOut)
			res := d.runScenario(context.Background(), sc[0], i+1, len(tests))
			if len(res.problems) > 0 {
				t.Errorf("problems: %q\n%s%s", res.problems, out.String(), errOut.String())
			}
			r := res.outcome.report
			if r == nil {
				t.Fatalf("no report: %v", res.outcome.reportErr)
			}
			if res.outcome.exit != tt.exit || r.OK != tt.ok {
				t.Errorf("exit %d ok %v, want exit %d ok %v (verdict %q)", res.outcome.exit, r.OK, tt.exit, tt.ok, r.Verdict)
			}
			for _, id := range tt.ids {
				if !r.HasFinding(id) {
					t.Errorf("no %s finding; found %s", id, foundIDs(r))
				}
			}
			if tt.suggested != "" && !hasSuggested(r, tt.ids, tt.suggested) {
				t.Errorf("no finding suggests a connection string with %s", tt.suggested)
			}
			if tt.ok && r.HasErrors() {
				t.Errorf("error findings in a healthy report: %s", foundIDs(r))
			}
			shown := out.String()
			if !strings.Contains(shown, headerLine(sc[0], i+1, len(tests))) || !strings.Contains(shown, "--- as expected: ") {
				t.Errorf("output lacks the header or the closing line:\n%s", shown)
			}
			// The text run's first line: OK or FAIL and the verdict, whose
			// first words do not hold timings.
			mark := "FAIL "
			if r.OK {
				mark = "OK "
			}
			words := strings.Fields(r.Verdict)
			first := "\n" + mark + strings.Join(words[:min(3, len(words))], " ")
			if !strings.Contains(shown, first) {
				t.Errorf("the text report (%q...) was not shown:\n%s", first[1:], shown)
			}
			for _, s := range []string{demoPassword, demoWrongPassword} {
				if strings.Contains(shown+errOut.String(), s) {
					t.Errorf("a password appears in the output")
				}
			}
		})
	}
}

// TestScenarioMismatch checks that a scenario whose report lacks the
// expected finding is reported as not as expected, and fails the demo.
func TestScenarioMismatch(t *testing.T) {
	bin := mongoconnBinary(t)
	sc := selectScenarios([]string{"refused"})[0]
	sc.want = expectation{exit: 1, ids: []string{catalogue.IDTCPTimeout}}
	var out bytes.Buffer
	d := newTestDemo(t, bin, &out, &out)
	res := d.runScenario(context.Background(), sc, 1, 1)
	if len(res.problems) != 1 || !strings.Contains(res.problems[0], "no tcp.timeout finding (found: tcp.refused)") {
		t.Errorf("problems %q, want the missing tcp.timeout", res.problems)
	}
	if !strings.Contains(out.String(), "--- NOT as expected: want tcp.timeout, exit 1") {
		t.Errorf("output does not say the scenario was not as expected:\n%s", out.String())
	}
	if code := d.summary([]result{res}); code != exitUnexpected {
		t.Errorf("summary exit %d, want %d", code, exitUnexpected)
	}
}

// TestSetupFailure checks that a scenario whose servers cannot start is a
// failed scenario, not a crash.
func TestSetupFailure(t *testing.T) {
	sc := scenario{name: "broken", title: "cannot start", about: "x",
		setup: func(*fixtures) (invocation, error) { return invocation{}, errors.New("port in use") }}
	var out bytes.Buffer
	d := newTestDemo(t, "/nonexistent/mongoconn", &out, &out)
	res := d.runScenario(context.Background(), sc, 1, 1)
	if len(res.problems) != 1 || !strings.Contains(res.problems[0], "set up: port in use") {
		t.Errorf("problems %q, want the setup error", res.problems)
	}
}

// TestProgram runs the demo program as `make demo` would, on the scenarios
// that need no FerretDB, in text and in JSON.
func TestProgram(t *testing.T) {
	bin := mongoconnBinary(t)
	noEnv := func(string) string { return "" }
	t.Run("text", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"-mongoconn", bin, "-scenario", "wrong-password,refused"}, &out, &errOut, noEnv)
		if code != exitOK {
			t.Fatalf("exit %d, want 0\n%s%s", code, out.String(), errOut.String())
		}
		text := out.String()
		for _, want := range []string{
			"=== 1/2 wrong-password: ", "=== 2/2 refused: ",
			"diagnose 'mongodb://alice:****@127.0.0.1:",
			"[auth.failed]", "[tcp.refused]",
			"demo: all 2 scenarios showed what they should",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text+errOut.String(), demoWrongPassword) || strings.Contains(text, "\x1b[") {
			t.Errorf("output shows the password or colour codes:\n%s", text)
		}
	})
	t.Run("json from ARGS", func(t *testing.T) {
		var out, errOut bytes.Buffer
		env := func(k string) string {
			if k == cmdline.ArgsEnv {
				return "-o json"
			}
			return ""
		}
		code := run(context.Background(), []string{"-mongoconn", bin, "-scenario", "refused,old-server"}, &out, &errOut, env)
		if code != exitOK {
			t.Fatalf("exit %d, want 0\n%s%s", code, out.String(), errOut.String())
		}
		dec := json.NewDecoder(&out)
		var reports []report.Report
		for dec.More() {
			var r report.Report
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("stdout is not a stream of JSON reports: %v", err)
			}
			reports = append(reports, r)
		}
		if len(reports) != 2 || !reports[0].HasFinding(catalogue.IDWireServerTooOld) || !reports[1].HasFinding(catalogue.IDTCPRefused) {
			t.Errorf("got %d reports, want wire.server-too-old then tcp.refused", len(reports))
		}
		if !strings.Contains(errOut.String(), "=== 1/2 old-server: ") || !strings.Contains(errOut.String(), "$ mongoconn -o json --dns-server 127.0.0.1:") {
			t.Errorf("headers are not on stderr:\n%s", errOut.String())
		}
	})
	t.Run("markdown", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"-mongoconn", bin, "-markdown", "-scenario", "refused"}, &out, &errOut, noEnv)
		if code != exitOK {
			t.Fatalf("exit %d, want 0\n%s%s", code, out.String(), errOut.String())
		}
		doc := out.String()
		for _, want := range []string{markdownIntro, "## 1. nothing listens on the port\n", "```text\n=== 1/1 refused: ",
			"--- as expected: tcp.refused, exit 1\n```\n", "## Summary\n\n```text\ndemo: all 1 scenarios showed what they should\n```\n"} {
			if !strings.Contains(doc, want) {
				t.Errorf("Markdown lacks %q:\n%s", want, doc)
			}
		}
		if n := strings.Count(doc, "```"); n%2 != 0 || strings.Contains(doc, "\x1b[") {
			t.Errorf("unbalanced code fences (%d) or colour codes:\n%s", n, doc)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out bytes.Buffer
		if code := run(ctx, []string{"-mongoconn", bin}, &out, &out, noEnv); code != exitInterrupted {
			t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, out.String())
		}
	})
	t.Run("usage", func(t *testing.T) {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"-scenario", "nope"}, &out, &out, noEnv); code != exitUsage {
			t.Errorf("exit %d, want %d\n%s", code, exitUsage, out.String())
		}
	})
}

// pollInterval is how often TestInterruptStopsMongoconn looks whether
// mongoconn has connected: fine enough not to slow the test, coarse enough
// not to busy a CI core.
const pollInterval = 5 * time.Millisecond

// TestInterruptStopsMongoconn interrupts the demo while mongoconn waits on
// a server that never answers: mongoconn gets SIGINT and exits 130, and the
// scenario's servers are closed.
func TestInterruptStopsMongoconn(t *testing.T) {
	bin := mongoconnBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var silent *mongotest.Silent
	sc := scenario{name: "silent", title: "a server that never answers", about: "x",
		setup: func(fx *fixtures) (invocation, error) {
			l, err := mongotest.NewSilentListener()
			if err != nil {
				return invocation{}, err
			}
			fx.onClose(l.Close)
			silent = l
			// Interrupt once mongoconn is connected and waiting.
			go func() {
				for l.Connections() == 0 && ctx.Err() == nil {
					time.Sleep(pollInterval)
				}
				cancel()
			}()
			return invocation{args: []string{"diagnose", "mongodb://" + l.Addr() + "/"}}, nil
		},
		want: expectation{exit: 1, ids: []string{catalogue.IDServerNotResponding}},
	}
	var out bytes.Buffer
	d := newTestDemo(t, bin, &out, &out)
	d.globals = []string{"--timeout", "10m"}
	res := d.runScenario(ctx, sc, 1, 1)
	if res.outcome.exit != 130 {
		t.Errorf("mongoconn exited %d, want 130 (SIGINT)\n%s", res.outcome.exit, out.String())
	}
	if strings.Contains(out.String(), "--- ") {
		t.Errorf("an interrupted scenario was judged:\n%s", out.String())
	}
	if c, err := net.Dial("tcp", silent.Addr()); err == nil {
		c.Close()
		t.Errorf("the scenario's server still listens after the interrupt")
	}
}
