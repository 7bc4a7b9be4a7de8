package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/report"
)

// The rule of DESIGN.md §3 is report.Violations, a property over a
// report; reportViolations adds the command line's part, its exit code,
// and assertReportProperty is its test wrapper.

// ranAs says how the command that made a report was run.
type ranAs struct {
	// Command is the command (ping, discover, ...).
	Command string
	// Primary is ping --primary: a writable primary is part of success.
	Primary bool
	// Interrupted says a signal stopped the command.
	Interrupted bool
	// ExitCode is the process's exit code, -1 when the report did not
	// come from a process (an engine call).
	ExitCode int
}

// reportViolations returns every way r breaks the rule, empty when it
// holds.
func reportViolations(run ranAs, r *report.Report) []string {
	out := report.Violations(report.Ran{Command: run.Command, Primary: run.Primary, Interrupted: run.Interrupted}, r)
	if run.ExitCode >= 0 {
		want := cmd.ExitProblem
		switch {
		case run.Interrupted:
			want = cmd.ExitInterrupted
		case r.OK:
			want = cmd.ExitOK
		case len(r.Checks) == 1 && r.Checks[0].Stage == report.StageURI && r.Checks[0].Status == report.StatusFail:
			// A string that cannot be parsed is a usage error.
			want = cmd.ExitUsage
		}
		if run.ExitCode != want && !(run.Interrupted && run.ExitCode == cmd.ExitTerminated) {
			out = append(out, fmt.Sprintf("exit code %d for a report with ok %v (interrupted %v), want %d", run.ExitCode, r.OK, run.Interrupted, want))
		}
	}
	return out
}

// assertReportProperty fails t for every violation of the rule by r.
func assertReportProperty(t testing.TB, run ranAs, r *report.Report) {
	t.Helper()
	for _, v := range reportViolations(run, r) {
		t.Errorf("report property (DESIGN.md §3): %s\nverdict: %s", v, r.Verdict)
	}
}

// assertOutputProperty checks the property on every JSON report a
// command line printed (one, or JSON Lines for several targets, whose
// exit code is the worst of all and so says nothing of one report). It
// does nothing for text output or a command that prints no report.
func assertOutputProperty(t testing.TB, args []string, code int, stdout []byte) {
	t.Helper()
	command, primary := commandOf(args)
	if command == "" || !jsonOutput(args) || len(bytes.TrimSpace(stdout)) == 0 {
		return
	}
	reports, err := jsonReports(stdout)
	if err != nil {
		t.Errorf("stdout is not JSON reports: %v\n%s", err, stdout)
		return
	}
	if len(reports) > 1 {
		code = -1
	}
	for i := range reports {
		assertReportProperty(t, ranAs{Command: command, Primary: primary, ExitCode: code}, &reports[i])
	}
}

// jsonOutput says whether a command line asks for JSON output.
func jsonOutput(args []string) bool {
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--output") && i+1 < len(args):
			if strings.EqualFold(args[i+1], "json") {
				return true
			}
		case a == "-o=json" || a == "--output=json" || a == "-ojson":
			return true
		}
	}
	return false
}

// commandOf returns the command and --primary of a command line (global
// flags first, then the command and its own flags), as ranAs wants
// them; "" when it names no command that makes a report.
func commandOf(args []string) (command string, primary bool) {
	for i, a := range args {
		switch a {
		case "explain", "version", "completion", "help":
			return "", false
		case "ping", "discover", "wire-check", "tunnel-check", "diagnose", "srv":
			for _, b := range args[i+1:] {
				if b == "--primary" {
					primary = true
				}
			}
			return a, primary
		}
	}
	return "", false
}

// TestReportProperty: the property flags each way a report can claim
// more than it saw, and accepts the reports that keep the rule.
func TestReportProperty(t *testing.T) {
	errF := report.Finding{ID: catalogue.IDTCPRefused, Severity: report.SeverityError}
	warnF := report.Finding{ID: catalogue.IDURIUnknownOption, Severity: report.SeverityWarning}
	pingPass := report.Check{Stage: report.StagePing, Status: report.StatusPass}
	pingSkip := report.Check{Stage: report.StagePing, Status: report.StatusSkip}
	primary := report.Server{Address: "a:1", Kind: "RSPrimary", Reachable: true}
	secondary := report.Server{Address: "b:1", Kind: "RSSecondary", Reachable: true}
	down := report.Server{Address: "c:1", Kind: "Unknown"}
	mkReport := func(command string, ok bool, checks []report.Check, servers []report.Server, fs ...report.Finding) *report.Report {
		r := report.NewReport(command, "mongodb://a:1/")
		r.OK, r.Checks, r.Servers, r.Findings = ok, checks, servers, fs
		r.Verdict = "FAIL something"
		if ok {
			r.Verdict = "OK all is well"
		}
		return r
	}
	for _, tc := range []struct {
		name string
		run  ranAs
		r    *report.Report
		want string // a piece of the violation, "" for none
	}{
		{"ping ok", ranAs{Command: "ping", ExitCode: 0}, mkReport("ping", true, []report.Check{pingPass}, nil, warnF), ""},
		{"ping failed", ranAs{Command: "ping", ExitCode: 1}, mkReport("ping", false, []report.Check{pingSkip}, nil, errF), ""},
		{"ok with an error finding", ranAs{Command: "ping", ExitCode: -1}, mkReport("ping", true, []report.Check{pingPass}, nil, errF), "error findings"},
		{"ping ok but skipped", ranAs{Command: "ping", ExitCode: -1}, mkReport("ping", true, []report.Check{pingSkip}, nil), "ping was not observed to answer"},
		{"ping --primary without one", ranAs{Command: "ping", Primary: true, ExitCode: -1}, mkReport("ping", true, []report.Check{pingPass}, []report.Server{secondary}), "writable primary"},
		{"ping --primary with one", ranAs{Command: "ping", Primary: true, ExitCode: -1}, mkReport("ping", true, []report.Check{pingPass}, []report.Server{secondary, primary}), ""},
		{"diagnose ok, ping skipped", ranAs{Command: "diagnose", ExitCode: -1}, mkReport("diagnose", true, []report.Check{pingSkip}, []report.Server{primary}), "ping stage"},
		{"discover ok, nobody answered", ranAs{Command: "discover", ExitCode: -1}, mkReport("discover", true, nil, []report.Server{down}), "answered hello"},
		{"wire-check ok, one answered", ranAs{Command: "wire-check", ExitCode: 0}, mkReport("wire-check", true, nil, []report.Server{down, secondary}), ""},
		{"tunnel-check ok, no servers", ranAs{Command: "tunnel-check", ExitCode: -1}, mkReport("tunnel-check", true, nil, nil), "answered hello"},
		{"interrupted and ok", ranAs{Command: "diagnose", Interrupted: true, ExitCode: 130}, func() *report.Report {
			r := mkReport("diagnose", true, []report.Check{pingPass}, []report.Server{primary})
			r.Interrupted = true
			return r
		}(), "interrupted report"},
		{"signal not reported", ranAs{Command: "ping", Interrupted: true, ExitCode: 130}, mkReport("ping", false, nil, nil, errF), "does not say interrupted"},
		{"failed without a reason", ranAs{Command: "ping", ExitCode: 1}, mkReport("ping", false, []report.Check{pingSkip}, nil, warnF), "without an error finding"},
		{"ok but exit 1", ranAs{Command: "ping", ExitCode: 1}, mkReport("ping", true, []report.Check{pingPass}, nil), "exit code 1"},
		{"failed but exit 0", ranAs{Command: "ping", ExitCode: 0}, mkReport("ping", false, nil, nil, errF), "exit code 0"},
		{"other command", ranAs{Command: "ping", ExitCode: -1}, mkReport("discover", false, nil, nil, errF), "command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reportViolations(tc.run, tc.r)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("violations %q, want none", got)
			case tc.want != "" && !strings.Contains(strings.Join(got, "\n"), tc.want):
				t.Errorf("violations %q, want one about %q", got, tc.want)
			}
		})
	}
}

func TestCommandOf(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		command string
		primary bool
	}{
		{[]string{"-o", "json", "--timeout", "1s", "ping", "--primary", "mongodb://x/"}, "ping", true},
		{[]string{"--timeout", "1s", "ping", "--wait", "1s", "mongodb://x/"}, "ping", false},
		{[]string{"-v", "diagnose"}, "diagnose", false},
		{[]string{"explain", "ping"}, "", false},
	} {
		if c, p := commandOf(tc.args); c != tc.command || p != tc.primary {
			t.Errorf("commandOf(%q) = %q, %v; want %q, %v", tc.args, c, p, tc.command, tc.primary)
		}
	}
}
