package diagnose

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/dnsfind"
	"github.com/mongoconn/mongoconn/report"
)

// The rule of ok (DESIGN.md §3, report.Report.Unobserved) as the engine
// keeps it: every report is finished through enforceRule, which adds the
// error finding that says what a command did not observe, so that no
// report is ok on a skipped decisive stage, zero reachable members or an
// interrupt.

// interruptFindingID is the id of the finding of an interrupted report
// that observed no error before the signal.
const interruptFindingID = catalogue.IDRunInterrupted

// bind gives the run the context of its whole command (to tell an
// interrupt from the end of the budget) and whether ping --primary asked
// for a writable primary.
func (x *run) bind(ctx context.Context, primary bool) {
	x.ctx = ctx
	x.primary = primary
}

// ran is how the run's command was run, as the rule wants it.
func (x *run) ran() report.Ran {
	return report.Ran{Command: x.r.Command, Primary: x.primary}
}

// interruptedIn records that a probe of stage saw the interrupt; the
// first one names the stage of the verdict.
func (x *run) interruptedIn(stage report.Stage) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.stoppedIn == "" {
		x.stoppedIn = stage
	}
}

// skipInterrupted records a check of stage at addr that an interrupt cut
// short: no verdict on the peer.
func (x *run) skipInterrupted(stage report.Stage, addr string, ms float64) {
	x.interruptedIn(stage)
	x.addCheck(report.Check{Stage: stage, Address: addr, Status: report.StatusSkip, DurationMs: ms, Summary: "interrupted"})
}

// interrupted reports whether the run's command was interrupted: its
// context was cancelled from outside.
func (x *run) interrupted() bool {
	return x.ctx != nil && interrupted(x.ctx)
}

// interruptedPing is the driver's outcome when the interrupt cut its ping
// short: a skipped check, no finding (what the driver says of a cancelled
// context is no verdict on the deployment). The stage is marked when the
// outcome is applied: ping starts its driver while the raw stages run, and
// an interrupt that stops them is theirs, not the ping stage's.
func (x *run) interruptedPing(out driverOutcome, start time.Time) driverOutcome {
	out.interrupted = true
	out.check = report.Check{Stage: report.StagePing, Status: report.StatusSkip, DurationMs: x.since(start), Summary: "interrupted"}
	out.findings = nil
	return out
}

// enforceRule makes the report keep the rule; the caller holds x.mu and
// calls it before the report is redacted and finished. Only the run of a
// whole command (every entry point binds its run) has a success to
// observe: a stage run alone, as its tests do, has none.
func (x *run) enforceRule() {
	r := x.r
	if x.ctx == nil {
		return
	}
	if interrupted(x.ctx) {
		stage := x.stoppedIn
		if stage == "" {
			stage = stageAfterLastCheck(r)
		}
		markInterrupted(r, stage, r.Unobserved(report.Ran{Command: r.Command, Primary: x.primary}))
		return
	}
	if r.HasErrors() {
		return
	}
	missing := r.Unobserved(x.ran())
	if missing == "" {
		return
	}
	r.AddFinding(unobservedFinding(r, missing))
}

// MarkInterrupted makes r the report of a command a signal stopped: not
// ok, interrupted, with an error finding when none was observed before
// the signal, and a verdict that says so. The engine does it for the
// reports of runs whose context was cancelled; a command that learns of
// the signal only after the engine returned calls it itself.
func MarkInterrupted(r *report.Report) {
	if r == nil || r.Interrupted {
		return
	}
	markInterrupted(r, stageAfterLastCheck(r), "the command was interrupted before it finished")
	r.OK = false
}

// markInterrupted is MarkInterrupted in stage, for a command that did not
// observe missing. It sets the verdict (the report's own would describe a
// command that finished).
func markInterrupted(r *report.Report, stage report.Stage, missing string) {
	r.Interrupted = true
	if missing == "" {
		missing = "the command was interrupted before it finished"
	}
	where := "interrupted"
	if stage != "" {
		where = fmt.Sprintf("interrupted during the %s stage", stage)
	}
	if !r.HasErrors() {
		r.AddFinding(catalogue.NewFinding(interruptFindingID, fmt.Sprintf("%s of %s: %s", where, r.Command, missing)))
		r.Verdict = where + ": " + missing
	} else if first := firstErrorTitle(r); first != "" {
		r.Verdict = fmt.Sprintf("%s; found before: %s", where, lowerFirstWord(first))
	}
	r.OK = false
}

// unobservedFinding is the error finding of a report whose command did
// not observe its success and found no error that says why: the id of the
// stage that stopped it (its first failed check, else its last skipped
// one), with a title that says what was not observed.
func unobservedFinding(r *report.Report, missing string) report.Finding {
	stage, summary := stoppingCheck(r)
	id := stageFindingID(stage, r.Command)
	ev := fmt.Sprintf("%s: %s", r.Command, missing)
	if summary != "" {
		ev += fmt.Sprintf(" (%s stage: %s)", stage, summary)
	}
	f := catalogue.NewFinding(id, ev)
	f.Title = dnsfind.UpperFirst(missing)
	return f
}

// stoppingCheck is the check that stopped the command: the first failed
// one in pipeline order, else the last skipped one.
func stoppingCheck(r *report.Report) (report.Stage, string) {
	if c, ok := r.FirstFailure(); ok {
		return c.Stage, c.Summary
	}
	for i := len(r.Checks) - 1; i >= 0; i-- {
		if c := r.Checks[i]; c.Status == report.StatusSkip {
			return c.Stage, c.Summary
		}
	}
	return "", ""
}

// stageFindingID is the id that names a failure of stage when nothing
// more precise was observed.
func stageFindingID(stage report.Stage, command string) string {
	switch stage {
	case report.StageURI:
		return catalogue.IDURIInvalid
	case report.StageDNS:
		// No NXDOMAIN was seen, or it would have its finding: no answer.
		return catalogue.IDDNSNoAnswer
	case report.StageTCP:
		return catalogue.IDTCPTimeout
	case report.StageTLS:
		return catalogue.IDTLSUnknownAuthority
	case report.StageHello:
		// A server that did not answer has its own finding already: one
		// that answered with what the stage could not use is not MongoDB.
		return catalogue.IDServerNotMongoDB
	case report.StageWire:
		return catalogue.IDWireServerTooOld
	case report.StageAuth:
		return catalogue.IDAuthFailed
	case report.StageTopology:
		return catalogue.IDTopologyNoPrimary
	case report.StageSelection, report.StagePing:
		return catalogue.IDSelectTimeout
	}
	switch command {
	case "discover", "wire-check", "tunnel-check":
		return catalogue.IDServerNotMongoDB
	case "srv":
		return catalogue.IDTCPTimeout
	}
	return catalogue.IDSelectTimeout
}

// stageAfterLastCheck is the stage a command was in when it stopped: the
// one after the furthest stage with a check that ran (not skipped).
func stageAfterLastCheck(r *report.Report) report.Stage {
	last := -1
	for _, c := range r.Checks {
		if c.Status == report.StatusSkip {
			continue
		}
		for i, st := range report.Stages {
			if st == c.Stage && i > last {
				last = i
			}
		}
	}
	if last+1 < len(report.Stages) {
		return report.Stages[last+1]
	}
	return report.Stages[len(report.Stages)-1]
}

func firstErrorTitle(r *report.Report) string {
	for _, f := range r.Findings {
		if f.Severity == report.SeverityError {
			return f.Title
		}
	}
	return ""
}

// lowerFirstWord lowers the first letter of s unless it starts an
// acronym (TLS, DNS).
func lowerFirstWord(s string) string {
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}
