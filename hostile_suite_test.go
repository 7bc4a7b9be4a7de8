package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/report"
)

// What every case of the hostile suites asserts, whatever its fixture:
// the JSON report keeps the property of DESIGN.md §3, the command ends
// within its budget, its text output says FAIL when it failed, and no
// output carries a raw control character.

const (
	// deadlineMargin is how long a command may run past its --timeout
	// (or its --wait) before it is called late (issue 9: the command ends
	// within --timeout plus a small margin, whatever the number of seeds
	// or members).
	deadlineMargin = 500 * time.Millisecond

	// interruptMargin is how long a command may take from SIGINT to its
	// exit (issue 9: within 0.5 s in every stage).
	interruptMargin = 500 * time.Millisecond

	// overheadSamples is how many runs of `mongoconn version` each batch
	// carries to measure what starting and ending a process costs on this
	// machine at that moment (see processOverhead).
	overheadSamples = 8

	// overheadFactor scales that cost to a network command's fixed work
	// (starting, setting up the driver, rendering, exiting), which a
	// loaded machine stretches by a few times what it does to version's:
	// the allowance grows with the load, so a slow machine changes how
	// long a case may take, never whether a command that waits past its
	// deadline for nothing is caught.
	overheadFactor = 3
)

// commandLine is one way to run a network command.
type commandLine struct {
	// name names it in subtests: ping, ping--primary, ping--wait, ...
	name string
	// command is the command, extra its own flags.
	command string
	extra   []string
	primary bool
	wait    bool
}

// networkCommandLines are the network commands of issue 9, each way: ping
// plain, with --primary, with --wait (for as long as its --timeout) and
// with both, as CI readiness checks run it, and the other commands that
// talk to members.
func networkCommandLines(timeout time.Duration) []commandLine {
	wait := []string{"--wait", timeout.String()}
	return []commandLine{
		{name: "ping", command: "ping"},
		{name: "ping--primary", command: "ping", extra: []string{"--primary"}, primary: true},
		{name: "ping--wait", command: "ping", extra: wait, wait: true},
		{name: "ping--wait--primary", command: "ping", extra: append([]string{"--primary"}, wait...), primary: true, wait: true},
		{name: "discover", command: "discover"},
		{name: "wire-check", command: "wire-check"},
		{name: "tunnel-check", command: "tunnel-check"},
		{name: "diagnose", command: "diagnose"},
	}
}

// args is the whole command line: output, --timeout and global flags,
// then the command, its flags and the target.
func (c commandLine) args(output string, timeout time.Duration, global []string, uri string) []string {
	a := []string{"-o", output, "--timeout", timeout.String()}
	a = append(a, global...)
	a = append(a, c.command)
	a = append(a, c.extra...)
	return append(a, uri)
}

// budget is how long the command may take by its own flags: --timeout,
// or the whole --wait, which networkCommandLines sets to --timeout too
// (each attempt gets what is left of the wait).
func (c commandLine) budget(timeout time.Duration) time.Duration {
	return timeout
}

// verdictWant is what a fixture's deployment deserves.
type verdictWant int

const (
	// mustFail: the deployment does not work from here (exit 1, ok false).
	mustFail verdictWant = iota
	// mustPass: it works, however hostile it looks (exit 0, ok true).
	mustPass
	// anyVerdict: only the property and the fixture's own checks.
	anyVerdict
)

// expectation is what a fixture requires of every command's report.
type expectation struct {
	verdict verdictWant
	// ids are error-level finding ids the report must hold; notIDs ids of
	// any severity it must not.
	ids, notIDs []string
	// check adds the fixture's own assertions on the report and the raw
	// JSON.
	check func(t *testing.T, cl commandLine, r *report.Report, raw []byte)
	// rssLimit, when set, bounds the command's peak resident memory.
	rssLimit int64
}

// judgeJSON checks one JSON run of cl against want; budget is how long
// the command may run by its flags and overhead what a process costs
// here now.
func judgeJSON(t *testing.T, cl commandLine, res childResult, want expectation, budget, overhead time.Duration) *report.Report {
	t.Helper()
	res.checkNoCrash(t)
	checkNoControlBytes(t, res)
	checkDeadline(t, res, budget, overhead)
	if want.rssLimit > 0 {
		res.checkRSS(t, want.rssLimit)
	}
	var r report.Report
	if err := json.Unmarshal(res.stdout, &r); err != nil {
		t.Fatalf("stdout is not a JSON report (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, clip(res.stdout), clip(res.stderr))
	}
	assertReportProperty(t, ranAs{Command: cl.command, Primary: cl.primary, ExitCode: res.code}, &r)
	ids := errorFindingIDs(&r)
	switch want.verdict {
	case mustFail:
		if r.OK || res.code != cmd.ExitProblem {
			t.Errorf("FALSE OK: exit %d, ok %v, verdict %q; this deployment does not work from here", res.code, r.OK, r.Verdict)
		}
	case mustPass:
		if !r.OK || res.code != cmd.ExitOK {
			t.Errorf("FALSE FAIL: exit %d, ok %v, verdict %q, errors %v; this deployment works", res.code, r.OK, r.Verdict, ids)
		}
	}
	for _, id := range want.ids {
		if !slices.Contains(ids, id) {
			t.Errorf("WRONG FINDING: no %s among the error findings %v (verdict %q)", id, ids, r.Verdict)
		}
	}
	for _, id := range want.notIDs {
		if r.HasFinding(id) {
			t.Errorf("WRONG FINDING: %s is reported (errors %v; verdict %q)", id, ids, r.Verdict)
		}
	}
	if want.check != nil {
		want.check(t, cl, &r, res.stdout)
	}
	return &r
}

// judgeText checks one text run of cl: a failed command says FAIL on its
// first line, a passing one OK, and the exit code agrees.
func judgeText(t *testing.T, res childResult, want expectation, budget, overhead time.Duration) {
	t.Helper()
	res.checkNoCrash(t)
	checkNoControlBytes(t, res)
	checkDeadline(t, res, budget, overhead)
	first, _, _ := strings.Cut(string(res.stdout), "\n")
	ok := strings.HasPrefix(first, "OK")
	if ok != (res.code == cmd.ExitOK) {
		t.Errorf("first line %q with exit %d", first, res.code)
	}
	switch {
	case want.verdict == mustFail && (ok || res.code == cmd.ExitOK):
		t.Errorf("FALSE OK in text: exit %d, first line %q", res.code, first)
	case want.verdict == mustPass && (!ok || res.code != cmd.ExitOK):
		t.Errorf("FALSE FAIL in text: exit %d, first line %q", res.code, first)
	}
}

// checkDeadline fails when the command ran longer than its budget plus
// deadlineMargin plus overhead, what starting and ending any process
// costs on this machine now: a loaded machine stretches that part, never
// the command's own waits.
func checkDeadline(t *testing.T, res childResult, budget, overhead time.Duration) {
	t.Helper()
	if limit := budget + deadlineMargin + overheadFactor*overhead; res.elapsed > limit {
		t.Errorf("OVERTIME: ran %s, past its budget %s + %s margin + %d x %s process overhead", res.elapsed.Round(time.Millisecond), budget, deadlineMargin, overheadFactor, overhead.Round(time.Millisecond))
	}
}

// controlByte returns the first byte of out that is a C0 control
// character other than newline and tab (carriage return included: it
// rewrites a terminal line), or DEL, and its offset; -1 when none.
func controlByte(out []byte) (byte, int) {
	for i, b := range out {
		if (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f {
			return b, i
		}
	}
	return 0, -1
}

// checkNoControlBytes fails when stdout or stderr carries a raw control
// character: an ESC or BEL from a hostile peer or input would drive the
// reader's terminal.
func checkNoControlBytes(t *testing.T, res childResult) {
	t.Helper()
	for name, out := range map[string][]byte{"stdout": res.stdout, "stderr": res.stderr} {
		if b, at := controlByte(out); at >= 0 {
			lo, hi := max(at-40, 0), min(at+40, len(out))
			t.Errorf("RAW CONTROL CHARACTER %#02x in %s at byte %d: %q", b, name, at, out[lo:hi])
		}
	}
}

// clip shortens output for failure messages.
func clip(b []byte) string {
	const keep = 4000
	if len(b) <= keep {
		return string(b)
	}
	return fmt.Sprintf("%s\n... (%d bytes more)", b[:keep], len(b)-keep)
}

// versionSpec is the run that measures process overhead.
func versionSpec() childSpec {
	return childSpec{args: []string{"version"}, guard: hangGuard}
}

// processOverhead returns the longest of the version runs of a batch:
// what it costs to start and end a mongoconn process next to the cases,
// under the same load.
func processOverhead(t *testing.T, runs []childRun) time.Duration {
	t.Helper()
	var worst time.Duration
	for _, r := range runs {
		if r.err != nil {
			t.Fatalf("mongoconn version: %v", r.err)
		}
		if r.code != cmd.ExitOK {
			t.Fatalf("mongoconn version exit %d: %s", r.code, r.stderr)
		}
		worst = max(worst, r.elapsed)
	}
	return worst
}

// withOverheadRuns spreads overheadSamples version runs among specs and
// returns the batch and where the version runs are.
func withOverheadRuns(specs []childSpec) ([]childSpec, []int) {
	out := make([]childSpec, 0, len(specs)+overheadSamples)
	var at []int
	every := max(len(specs)/overheadSamples, 1)
	for i, s := range specs {
		if i%every == 0 && len(at) < overheadSamples {
			at = append(at, len(out))
			out = append(out, versionSpec())
		}
		out = append(out, s)
	}
	for len(at) < overheadSamples {
		at = append(at, len(out))
		out = append(out, versionSpec())
	}
	return out, at
}

// runBatch runs specs (with the overhead runs) concurrently and returns
// each spec's run, in order, and the process overhead measured.
func runBatch(t *testing.T, child *mongoconnChild, specs []childSpec, limit int) ([]childRun, time.Duration) {
	t.Helper()
	all, at := withOverheadRuns(specs)
	runs := runConcurrently(t, child, all, limit)
	var versions, cases []childRun
	for i, r := range runs {
		if slices.Contains(at, i) {
			versions = append(versions, r)
		} else {
			cases = append(cases, r)
		}
	}
	return cases, processOverhead(t, versions)
}

// jsonReports parses JSON Lines (one report per line, several targets)
// or one indented report.
func jsonReports(out []byte) ([]report.Report, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	var rs []report.Report
	for dec.More() {
		var r report.Report
		if err := dec.Decode(&r); err != nil {
			return rs, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}
