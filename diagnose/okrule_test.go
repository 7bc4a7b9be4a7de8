package diagnose

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// okRuleEntryPoints are the engine's commands, as report.Ran names them.
var okRuleEntryPoints = []struct {
	ran  report.Ran
	call func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error)
}{
	{report.Ran{Command: "ping"}, func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error) {
		return e.Ping(ctx, t, PingRequest{})
	}},
	{report.Ran{Command: "ping", Primary: true}, func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error) {
		return e.Ping(ctx, t, PingRequest{RequirePrimary: true})
	}},
	{report.Ran{Command: "discover"}, (*Engine).Discover},
	{report.Ran{Command: "wire-check"}, (*Engine).WireCheck},
	{report.Ran{Command: "tunnel-check"}, (*Engine).TunnelCheck},
	{report.Ran{Command: "diagnose"}, (*Engine).Diagnose},
	{report.Ran{Command: "srv"}, (*Engine).SRV},
}

// TestInterruptIsNoVerdict: a command cancelled while a silent server
// keeps it waiting for hello is interrupted, not ok, says so with an
// error finding, and names nothing of the server it did not observe.
func TestInterruptIsNoVerdict(t *testing.T) {
	silent := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeSilent})
	tg, err := connstr.ParseTarget(silent.URI())
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range okRuleEntryPoints {
		if ep.ran.Command == "srv" {
			continue // srv asks no hello: it has finished by then
		}
		t.Run(fmt.Sprintf("%s-primary-%v", ep.ran.Command, ep.ran.Primary), func(t *testing.T) {
			before := silent.Count("hello", "isMaster", "ismaster")
			e := NewEngine()
			e.Timeout = time.Minute
			// ping's driver otherwise starts with the TCP verdict, and on
			// a loaded machine its monitor's hello can be the first one
			// counted, while the raw stages are still at tls.
			e.LateDriver = true
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for silent.Count("hello", "isMaster", "ismaster") == before {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			r, err := ep.call(e, ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Interrupted || r.OK {
				t.Errorf("interrupted %v, ok %v; want an interrupted report that is not ok", r.Interrupted, r.OK)
			}
			ran := ep.ran
			ran.Interrupted = true
			for _, v := range report.Violations(ran, r) {
				t.Errorf("rule: %s", v)
			}
			for _, id := range []string{catalogue.IDServerNotResponding, catalogue.IDServerNotMongoDB, catalogue.IDSelectTimeout} {
				if r.HasFinding(id) {
					t.Errorf("the interrupt is reported as %s (verdict %q)", id, r.Verdict)
				}
			}
			if !strings.HasPrefix(r.Verdict, "interrupted during the hello stage") {
				t.Errorf("verdict %q does not say the hello stage was interrupted", r.Verdict)
			}
		})
	}
}

// TestSuccessNotObservedIsAnError: a server whose hello is refused with
// a command error answers nothing a command can use; no stage explains it
// with a finding of its own, and still no command is ok.
func TestSuccessNotObservedIsAnError(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true, Hello: func() bson.D {
		return bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "not authorized"}, {Key: "code", Value: int32(13)}}
	}})
	tg, err := connstr.ParseTarget(m.URI())
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range okRuleEntryPoints {
		t.Run(fmt.Sprintf("%s-primary-%v", ep.ran.Command, ep.ran.Primary), func(t *testing.T) {
			e := NewEngine()
			e.Timeout = 5 * time.Second
			r, err := ep.call(e, context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range report.Violations(ep.ran, r) {
				t.Errorf("rule: %s", v)
			}
			if ep.ran.Command != "srv" && r.OK {
				t.Errorf("ok with a server that answers no hello: %s", r.Verdict)
			}
			if ep.ran.Command == "srv" && !r.OK {
				t.Errorf("srv, which stops at TCP, failed: %s", r.Verdict)
			}
		})
	}
}

// TestWaiterKeepsFullShareAttempt: the report of ping --wait is that of
// the last attempt that had all of --timeout, not that of one the end of
// the wait cut short; and an attempt too short to answer is not started.
func TestWaiterKeepsFullShareAttempt(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	e := NewEngine()
	e.Timeout = time.Second
	e.Now = func() time.Time { return clock }
	mk := func(id string) *report.Report {
		r := report.NewReport("ping", "mongodb://a:1/")
		r.AddFinding(catalogue.NewFinding(id, "attempt"))
		r.Verdict = id
		return r
	}
	var attempts int
	end := clock.Add(time.Second)
	var shortest time.Duration = time.Hour
	w := Waiter{
		Wait:  time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil },
	}
	r, err := w.Run(context.Background(), e, func(context.Context) (*report.Report, error) {
		attempts++
		shortest = min(shortest, end.Sub(clock))
		if attempts == 1 {
			clock = clock.Add(10 * time.Millisecond) // refused at once
			return mk(catalogue.IDTCPRefused), nil
		}
		clock = clock.Add(200 * time.Millisecond) // ran out of its short share
		return mk(catalogue.IDTCPTimeout), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasFinding(catalogue.IDTCPRefused) || r.HasFinding(catalogue.IDTCPTimeout) {
		t.Errorf("report %q, want the first attempt's (the only one with its full share)", r.Verdict)
	}
	if attempts < 2 {
		t.Errorf("%d attempts, want retries within the wait", attempts)
	}
	if shortest < waitMinAttempt {
		t.Errorf("an attempt was started with %s left, less than %s", shortest, waitMinAttempt)
	}
	// 10 ms, then pauses of 100 and 200 ms, each followed by an attempt
	// of 200 ms, then a pause cut to leave the fourth attempt exactly
	// waitMinAttempt; after it, too little is left for a fifth.
	if !strings.Contains(r.Verdict, fmt.Sprintf("still failing after %d attempts", attempts)) {
		t.Errorf("verdict %q does not count the attempts", r.Verdict)
	}
}

// TestSlowNotSilent: a driver that ran out of time against a member the
// raw probes saw answer is reported slow, with the RTT, never as a
// server that does not respond.
func TestSlowNotSilent(t *testing.T) {
	x := NewEngine().newRun("diagnose", &connstr.Target{Raw: "mongodb://127.0.0.1:1/"})
	v := &sdam.View{Members: []report.Server{{Address: "127.0.0.1:1", Kind: report.KindStandalone, Reachable: true, RTTMs: 201}}}
	out := driverOutcome{timedOut: true, findings: []report.Finding{catalogue.NewFinding(catalogue.IDServerNotResponding, "127.0.0.1:1: timed out")}}
	x.slowNotSilent(&out, v)
	if len(out.findings) != 1 || out.findings[0].ID != catalogue.IDSelectTimeout {
		t.Fatalf("findings %+v, want one select.timeout", out.findings)
	}
	if ev := strings.Join(out.findings[0].Evidence, " "); !strings.Contains(ev, "201 ms") || !strings.Contains(ev, "slow, not silent") {
		t.Errorf("evidence %q does not give the RTT seen", ev)
	}
	refused := driverOutcome{findings: []report.Finding{catalogue.NewFinding(catalogue.IDTCPRefused, "x")}}
	x.slowNotSilent(&refused, v)
	if refused.findings[0].ID != catalogue.IDTCPRefused {
		t.Errorf("a driver told no was rewritten: %+v", refused.findings)
	}
}
