package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// The input suite (issue 9): what a user types or a file holds. Control
// characters are escaped in every output, a rejected line is echoed as a
// short excerpt at most, a UTF-8 byte-order mark is accepted, a string the
// linked driver refuses is an error naming the driver's reason, an option
// the probes ignore is said so, and running out of file descriptors is a
// local finding, never a network one.

const (
	// longLineSize is the size of the overlong line of issue 9, in a file
	// or on stdin.
	longLineSize = 900 << 10

	// longArgSize is the size of an overlong argument: as long as Linux
	// lets one argument be (MAX_ARG_STRLEN is 128 KiB).
	longArgSize = 120 << 10

	// longGuard is how long an overlong-input case may run before it is
	// called hung: generous, so that a command slowed down by echoing
	// megabytes is reported for what it printed, not as a hang.
	longGuard = 60 * time.Second

	// longLineFill is the byte the overlong line repeats: no output has a
	// reason to hold a long run of it.
	longLineFill = 'q'

	// maxEcho is the longest run of longLineFill an output may hold: a
	// short excerpt of the rejected input.
	maxEcho = 200

	// maxOutput bounds all the output of a command about a rejected line.
	maxOutput = 64 << 10

	// inputTimeout is the --timeout of the input cases: most never reach
	// the network, the others meet loopback fixtures that answer at once.
	inputTimeout = 5 * time.Second

	// fdLimit is the open-file limit of the file-descriptor case: enough
	// for the runtime and a few connections, far fewer than the targets
	// checked at once need.
	fdLimit = 48

	// fdTargets is how many healthy targets that case checks at once.
	fdTargets = 40
)

// controlInputs are strings with terminal control sequences (ESC, BEL, a
// carriage return), raw and percent-encoded into an option value.
var controlInputs = []struct{ name, uri string }{
	{"host", "mongodb://db\x1b[2J\x07.example.test:27017/"},
	{"option", "mongodb://127.0.0.1:1/?appName=\x1b]0;owned\x07&replicaSet=rs\x1b[31m0"},
	{"encoded-option", "mongodb://127.0.0.1:1/?appName=%1B%5D0%3Bowned%07&replicaSet=rs%1B%5B31m0%0D"},
	{"scheme", "mongo\x1b[1mdb://127.0.0.1:1/"},
	{"c1-bidi-invalid-utf8", "mongodb://127.0.0.1:1/?appName=\u009b31m\u202e&replicaSet=rs\xff0"},
	{"c1-host", "mongodb://db\u009b2J\u0085.example.test:27017/"},
}

// inputCase is one command line and what it must show.
type inputCase struct {
	name  string
	spec  childSpec
	codes []int // accepted exit codes
	check func(t *testing.T, res childResult)
}

// TestHostileInput runs every input case as a real process and checks
// that no output carries a raw control character, whatever else the case
// asserts.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs some hundred processes")
	}
	child := newPlainChild(t, false)
	dns := mongotest.StartDNS(t)
	dnsFlag := []string{"--dns-server", dns.Addr}
	healthy := mongotest.StartFakeMongod(t, mongotest.Options{})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := func(output string) []string {
		return append([]string{"-o", output, "--timeout", inputTimeout.String()}, dnsFlag...)
	}
	var cases []inputCase
	usageOrProblem := []int{cmd.ExitProblem, cmd.ExitUsage}

	// Control characters in the connection string, for every command that
	// takes one, in text and JSON.
	for _, in := range controlInputs {
		for _, command := range []string{"ping", "discover", "wire-check", "tunnel-check", "diagnose", "srv"} {
			for _, output := range []string{"text", "json"} {
				cases = append(cases, inputCase{
					name:  fmt.Sprintf("control/%s/%s/%s", in.name, command, output),
					spec:  childSpec{args: append(base(output), command, in.uri)},
					codes: usageOrProblem,
				})
			}
		}
		cases = append(cases, inputCase{
			name:  "control/" + in.name + "/explain",
			spec:  childSpec{args: []string{"explain", "connection refused: " + in.uri}},
			codes: []int{cmd.ExitOK, cmd.ExitProblem},
		})
	}
	ctlTargets := write("control-targets.txt", strings.Join([]string{controlInputs[0].uri, controlInputs[3].uri}, "\n")+"\n")
	for _, args := range [][]string{
		{"pi\x1b[31mng\x07"},
		{"pi\u009bng\xff"},
		{"--output", "js\u0085on\u202e", "ping", healthy.URI()},
		{"ping", "--ti\x1bmeout=1s", healthy.URI()},
		{"--output", "js\x07on", "ping", healthy.URI()},
		{"--dns-server", "1.2.3.4\x1b[2J", "ping", healthy.URI()},
		{"ping", "--targets", ctlTargets},
		{"ping", "--targets", filepath.Join(dir, "no\x1b[31msuch\x07file")},
	} {
		cases = append(cases, inputCase{
			name:  "control/usage/" + strings.Map(printableOrDot, strings.Join(args, "_")),
			spec:  childSpec{args: args},
			codes: usageOrProblem,
		})
	}

	// A 900 KB line in a --targets file and on stdin, and as the text
	// explain reads; the longest argument Linux allows, as the target, a
	// command name and explain's text.
	long := strings.Repeat(string(longLineFill), longLineSize)
	longURI := "mongodb://" + long + ":27017/"
	longTargets := write("long-targets.txt", longURI+"\n"+healthy.URI()+"\n")
	arg := long[:longArgSize]
	argURI := "mongodb://" + arg + ":27017/"
	for _, c := range []struct {
		name  string
		spec  childSpec
		codes []int
	}{
		{"long/argument/ping", childSpec{args: append(base("text"), "ping", argURI)}, usageOrProblem},
		{"long/argument/diagnose-json", childSpec{args: append(base("json"), "diagnose", argURI)}, usageOrProblem},
		{"long/argument/srv", childSpec{args: append(base("text"), "srv", "mongodb+srv://"+arg+".test/")}, usageOrProblem},
		{"long/argument/explain", childSpec{args: []string{"explain", "connection refused " + arg}}, []int{cmd.ExitOK, cmd.ExitProblem}},
		{"long/argument/unknown-command", childSpec{args: []string{arg}}, []int{cmd.ExitUsage}},
		{"long/targets-file", childSpec{args: append(base("text"), "ping", "--targets", longTargets)}, usageOrProblem},
		{"long/targets-file-json", childSpec{args: append(base("json"), "wire-check", "--targets", longTargets)}, usageOrProblem},
		{"long/targets-stdin", childSpec{args: append(base("text"), "diagnose", "--targets", "-"), stdin: longURI + "\n"}, usageOrProblem},
		{"long/explain-stdin", childSpec{args: []string{"explain", "-"}, stdin: "connection refused " + long + "\n"}, []int{cmd.ExitOK, cmd.ExitProblem}},
	} {
		c.spec.guard = longGuard
		cases = append(cases, inputCase{name: c.name, spec: c.spec, codes: c.codes, check: shortEcho})
	}

	// A --targets file that starts with a UTF-8 byte-order mark, as some
	// editors save it: its first line is a target like the others.
	bom := "\ufeff"
	bomFile := write("bom-targets.txt", bom+healthy.URI()+"\n"+healthy.URI()+"?appName=second\n")
	bomComment := write("bom-comment.txt", bom+"# staging\n"+healthy.URI()+"\n")
	for _, c := range []struct {
		name string
		spec childSpec
		want int
	}{
		{"bom/targets-file", childSpec{args: append(base("json"), "ping", "--targets", bomFile)}, 2},
		{"bom/targets-comment", childSpec{args: append(base("json"), "ping", "--targets", bomComment)}, 1},
		{"bom/targets-stdin", childSpec{args: append(base("json"), "wire-check", "--targets", "-"), stdin: bom + healthy.URI() + "\n"}, 1},
	} {
		cases = append(cases, inputCase{name: c.name, spec: c.spec, codes: []int{cmd.ExitOK}, check: healthyReports(c.want)})
	}

	// Strings the linked driver refuses (issue 9): an application with
	// them does not start, so no command may say OK.
	for _, opt := range []string{"retryWrites=ture", "connectTimeoutMS=abc"} {
		for _, c := range []struct {
			command string
			extra   []string
		}{{"ping", []string{"--primary"}}, {"ping", nil}, {"diagnose", nil}} {
			cases = append(cases, inputCase{
				name:  "driver-refuses/" + opt + "/" + c.command + strings.Join(c.extra, ""),
				spec:  childSpec{args: append(append(append(base("json"), c.command), c.extra...), healthy.URI()+"?"+opt)},
				codes: []int{cmd.ExitProblem},
				check: jsonWants(c.command, slicesHas(c.extra, "--primary"), "driver.refused", ""),
			})
		}
	}

	// An option the probes do not honour yet: said so, never dropped.
	proxied := healthy.URI() + "?proxyHost=127.0.0.1&proxyPort=" + portOf(mongotest.ClosedPort(t))
	for _, command := range []string{"ping", "diagnose"} {
		cases = append(cases, inputCase{
			name:  "ignored-option/proxyHost/" + command,
			spec:  childSpec{args: append(base("json"), command, proxied)},
			codes: []int{cmd.ExitOK, cmd.ExitProblem},
			check: jsonWants(command, false, "", "proxyHost"),
		})
	}

	// Out of file descriptors: fdTargets healthy targets at once under
	// an open-file limit of fdLimit. A target the tool could not open a
	// socket for is a local finding, never the network's fault.
	fdFile := write("fd-targets.txt", strings.Repeat(healthy.URI()+"\n", fdTargets))
	cases = append(cases, inputCase{
		name: "fd-limit/ping",
		spec: childSpec{args: []string{"-c", fmt.Sprintf("ulimit -n %d && exec \"$0\" \"$@\"", fdLimit), child.bin,
			"-o", "json", "--timeout", inputTimeout.String(), "ping", "--concurrency", fmt.Sprint(fdTargets), "--targets", fdFile}},
		codes: []int{cmd.ExitOK, cmd.ExitProblem},
		check: noNetworkBlame,
	})

	specs := make([]childSpec, len(cases))
	for i, c := range cases {
		specs[i] = c.spec
		if specs[i].guard == 0 {
			specs[i].guard = inputTimeout + hangGuard
		}
	}
	shell := &mongoconnChild{bin: "/bin/sh", env: child.env, why: child.why}
	runs := make([]childRun, len(cases))
	var plain []int
	var plainSpecs []childSpec
	for i, c := range cases {
		if strings.HasPrefix(c.name, "fd-limit/") {
			res, err := shell.exec(specs[i], t.TempDir())
			runs[i] = childRun{childResult: res, err: err}
			continue
		}
		plain = append(plain, i)
		plainSpecs = append(plainSpecs, specs[i])
	}
	for k, r := range runConcurrently(t, child, plainSpecs, hostileConcurrency) {
		runs[plain[k]] = r
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runs[i]
			if res.err != nil {
				t.Fatalf("HUNG: %v", res.err)
			}
			res.checkNoCrash(t)
			checkNoControlBytes(t, res.childResult)
			checkNoTerminalRunes(t, res.childResult)
			if !slicesHas(c.codes, res.code) {
				t.Errorf("exit code %d, want one of %v\nstdout:\n%s\nstderr:\n%s", res.code, c.codes, clip(res.stdout), clip(res.stderr))
			}
			if c.check != nil {
				c.check(t, res.childResult)
			}
		})
	}
}

// checkNoTerminalRunes fails when stdout or stderr holds a character
// beyond ASCII that a terminal may act on, a C1 control (U+009B is a
// one-character CSI) or a bidirectional override, or invalid UTF-8: the
// input cases put each of them in every output.
func checkNoTerminalRunes(t *testing.T, res childResult) {
	t.Helper()
	for name, out := range map[string][]byte{"stdout": res.stdout, "stderr": res.stderr} {
		for i := 0; i < len(out); {
			r, size := utf8.DecodeRune(out[i:])
			bad := ""
			switch {
			case r == utf8.RuneError && size == 1:
				bad = "INVALID UTF-8"
			case r >= 0x80 && r < 0xa0:
				bad = "RAW C1 CONTROL"
			case unicode.Is(unicode.Bidi_Control, r):
				bad = "RAW BIDIRECTIONAL OVERRIDE"
			}
			if bad != "" {
				t.Errorf("%s %U in %s at byte %d: %q", bad, r, name, i, out[max(i-40, 0):min(i+40, len(out))])
				break
			}
			i += size
		}
	}
}

// printableOrDot keeps a subtest name readable.
func printableOrDot(r rune) rune {
	if r < 0x20 || r == 0x7f || r == '/' || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError || unicode.Is(unicode.Bidi_Control, r) {
		return '.'
	}
	return r
}

func slicesHas[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func portOf(addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	return port
}

// shortEcho checks that a rejected overlong line comes back as a short
// excerpt at most, and that the whole output stays small.
func shortEcho(t *testing.T, res childResult) {
	t.Helper()
	for name, out := range map[string][]byte{"stdout": res.stdout, "stderr": res.stderr} {
		if n := longestRun(out, longLineFill); n > maxEcho {
			t.Errorf("LONG ECHO: %s holds %d bytes of the rejected line, want an excerpt of at most %d", name, n, maxEcho)
		}
	}
	if n := len(res.stdout) + len(res.stderr); n > maxOutput {
		t.Errorf("LONG ECHO: %d bytes of output about one rejected line (in %s), want at most %d", n, res.elapsed.Round(time.Millisecond), maxOutput)
	}
}

// longestRun is the length of the longest run of b in out.
func longestRun(out []byte, b byte) int {
	best, run := 0, 0
	for _, c := range out {
		if c == b {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// healthyReports checks that the output holds n JSON reports, every one
// ok: the byte-order mark was not taken as part of a connection string.
func healthyReports(n int) func(*testing.T, childResult) {
	return func(t *testing.T, res childResult) {
		t.Helper()
		rs, err := jsonReports(res.stdout)
		if err != nil {
			t.Fatalf("stdout is not JSON reports: %v\n%s\nstderr:\n%s", err, clip(res.stdout), clip(res.stderr))
		}
		if len(rs) != n {
			t.Errorf("%d reports, want %d (one per target)\nstderr:\n%s", len(rs), n, clip(res.stderr))
		}
		for _, r := range rs {
			ranAs := ranAs{Command: r.Command, ExitCode: -1}
			assertReportProperty(t, ranAs, &r)
			if !r.OK || r.HasFinding(catalogue.IDURIInvalid) {
				t.Errorf("BOM: target %q: ok %v, errors %v, verdict %q", r.Target, r.OK, errorFindingIDs(&r), r.Verdict)
			}
		}
	}
}

// jsonWants checks the one JSON report: the property, an error finding
// id when wantID is set, and a finding whose text mentions mention when
// that is set.
func jsonWants(command string, primary bool, wantID, mention string) func(*testing.T, childResult) {
	return func(t *testing.T, res childResult) {
		t.Helper()
		rs, err := jsonReports(res.stdout)
		if err != nil || len(rs) != 1 {
			t.Fatalf("want one JSON report, got %d (%v)\nstdout:\n%s\nstderr:\n%s", len(rs), err, clip(res.stdout), clip(res.stderr))
		}
		r := rs[0]
		assertReportProperty(t, ranAs{Command: command, Primary: primary, ExitCode: res.code}, &r)
		if wantID != "" {
			if r.OK {
				t.Errorf("FALSE OK: verdict %q; the linked driver refuses this string", r.Verdict)
			}
			if !slicesHas(errorFindingIDs(&r), wantID) {
				t.Errorf("WRONG FINDING: no %s among the error findings %v (verdict %q)", wantID, errorFindingIDs(&r), r.Verdict)
			}
		}
		if mention != "" {
			found := false
			for _, f := range r.Findings {
				text := f.Title + " " + f.Cause + " " + strings.Join(f.Evidence, " ")
				if strings.Contains(text, mention) {
					found = true
				}
			}
			if !found {
				t.Errorf("SILENTLY DROPPED: no finding mentions %s (findings %v, verdict %q)", mention, findingIDs(&r), r.Verdict)
			}
		}
	}
}

// findingIDs lists every finding id with its severity.
func findingIDs(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Severity)+":"+f.ID)
	}
	return out
}

// networkIDs are findings that blame the network or the server.
var networkIDs = []string{catalogue.IDTCPTimeout, catalogue.IDTCPRefused, catalogue.IDServerNotResponding,
	catalogue.IDServerNotMongoDB, catalogue.IDSelectTimeout, catalogue.IDDNSNoSuchHost}

// noNetworkBlame checks the reports of healthy targets checked under a
// tight open-file limit: each one is ok, or says the machine ran out of
// resources (local.resources), never that the network or server failed.
func noNetworkBlame(t *testing.T, res childResult) {
	t.Helper()
	rs, err := jsonReports(res.stdout)
	if err != nil {
		t.Fatalf("stdout is not JSON reports: %v\n%s\nstderr:\n%s", err, clip(res.stdout), clip(res.stderr))
	}
	if len(rs) != fdTargets {
		t.Errorf("%d reports for %d targets\nstderr:\n%s", len(rs), fdTargets, clip(res.stderr))
	}
	blamed := 0
	for _, r := range rs {
		assertReportProperty(t, ranAs{Command: "ping", ExitCode: -1}, &r)
		for _, id := range networkIDs {
			if r.HasFinding(id) {
				blamed++
				if blamed <= 3 {
					t.Errorf("NETWORK BLAMED: a healthy target checked without file descriptors is %s: %s", id, r.Verdict)
				}
			}
		}
		if !r.OK && !r.HasFinding("local.resources") {
			t.Errorf("WRONG FINDING: a healthy target failed without local.resources: %v, %q", errorFindingIDs(&r), r.Verdict)
		}
	}
	if blamed > 3 {
		t.Errorf("... and %d more reports blame the network", blamed-3)
	}
	if bytes.Contains(res.stderr, []byte("too many open files")) {
		t.Logf("stderr mentions the open-file limit:\n%s", clip(res.stderr))
	}
}
