package report

import (
	"fmt"
	"strings"
)

// The rule of ok (DESIGN.md §3), in one place: ok is true exactly when no
// finding has severity error, and a command may call its target healthy
// only when it observed its own success condition. The engine enforces it
// when it finishes a report (it adds the error finding that says what was
// not observed); Violations checks it over any report, for tests and for
// anyone who reads reports.

// Ran says how the command that made a report was run: what its success
// condition is.
type Ran struct {
	// Command is the command (ping, discover, ...).
	Command string
	// Primary is ping --primary: a writable primary is part of success.
	Primary bool
	// Interrupted says a signal stopped the command.
	Interrupted bool
}

// WritableKind says whether a server of this kind takes writes: what
// ping --primary needs.
func WritableKind(kind string) bool {
	switch kind {
	case "RSPrimary", "Standalone", "Mongos", "LoadBalancer":
		return true
	}
	return false
}

// AnsweredHello says a member answered hello: reachable, with a kind its
// reply gave it, and kept by discovery (a seed that drivers drop, such as
// one that is not in the member list of its own replica set, is listed
// with the error that says why: it answered, but not as a member).
func AnsweredHello(s Server) bool {
	return s.Reachable && s.Kind != "" && s.Kind != "Unknown" && s.Error == ""
}

// Unobserved says which part of the success condition of the command run
// as ran the report does not show, "" when all of it is there:
//
//   - ping: a ping check passed (the driver's ping answered), and with
//     --primary a writable server answered;
//   - diagnose: its ping check passed;
//   - discover, wire-check, tunnel-check: a server answered hello;
//   - srv: a seed list came out of DNS and one of its hosts accepted TCP.
//
// An interrupted report never shows it: the command did not finish.
func (r *Report) Unobserved(ran Ran) string {
	if r.Interrupted || ran.Interrupted {
		return "the command was interrupted before it finished"
	}
	switch ran.Command {
	case "ping":
		if !r.hasCheck(StagePing, StatusPass) {
			return "the driver's ping was not observed to answer"
		}
		if ran.Primary && !r.hasServer(func(s Server) bool { return AnsweredHello(s) && WritableKind(s.Kind) }) {
			return "--primary asks for a writable primary, and no server that answered is one"
		}
	case "diagnose":
		if !r.hasCheck(StagePing, StatusPass) {
			return "its ping stage did not pass: the driver's ping was not observed to answer"
		}
	case "discover", "wire-check", "tunnel-check":
		if !r.hasServer(AnsweredHello) {
			return "no server answered hello"
		}
	case "srv":
		if !r.hasCheck(StageTCP, StatusPass) {
			return "no host of the seed list accepted a TCP connection"
		}
	}
	return ""
}

// Violations returns every way r breaks the rule for a command run as
// ran, empty when it holds. The exit code is the command line's part of
// the rule, checked where exit codes are decided.
func Violations(ran Ran, r *Report) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	if r.Command != ran.Command {
		bad("report of command %q, want %q", r.Command, ran.Command)
	}
	var errs []string
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			errs = append(errs, f.ID)
		}
	}
	if r.OK && len(errs) > 0 {
		bad("ok is true with error findings %v", errs)
	}
	if r.OK && r.Interrupted {
		bad("ok is true in an interrupted report")
	}
	if ran.Interrupted && !r.Interrupted {
		bad("a signal stopped the command but the report does not say interrupted")
	}
	if r.OK {
		if why := r.Unobserved(Ran{Command: ran.Command, Primary: ran.Primary}); why != "" {
			bad("ok is true but %s", why)
		}
	}
	if !r.OK && len(errs) == 0 {
		bad("ok is false without an error finding: the report does not say what is wrong (verdict %q)", r.Verdict)
	}
	if first, _, _ := strings.Cut(strings.TrimSpace(r.Verdict), " "); r.OK && strings.EqualFold(first, "FAIL") {
		bad("ok is true with the verdict %q", r.Verdict)
	}
	return out
}

func (r *Report) hasCheck(stage Stage, status Status) bool {
	for _, c := range r.Checks {
		if c.Stage == stage && c.Status == status {
			return true
		}
	}
	return false
}

func (r *Report) hasServer(ok func(Server) bool) bool {
	for _, s := range r.Servers {
		if ok(s) {
			return true
		}
	}
	return false
}
