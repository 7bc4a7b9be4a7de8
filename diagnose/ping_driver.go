package diagnose

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// Bounds on waiting for the driver: it is stopped, never waited for
// without end (a topology of thousands of servers keeps its Disconnect
// busy for seconds); the process exits without it.
const (
	// driverStopWait is how long a driver that was told to stop gets to
	// return before it is abandoned: closing connections it already has
	// takes microseconds, and an interrupt must end the command within
	// 200 ms.
	driverStopWait = 50 * time.Millisecond

	// driverDisconnectWait bounds the driver's Disconnect once the ping
	// has answered or failed: with a cancelled context it only closes the
	// connections, so longer means it is stuck behind its own topology.
	driverDisconnectWait = 100 * time.Millisecond

	// driverOverrunWait is how long past the budget the driver's ping may
	// take to return before the command stops waiting for it: its own
	// timeouts come from the same budget, so it is late only when stuck.
	driverOverrunWait = 100 * time.Millisecond

	// pingEarlyDriverSeeds is the most seeds for which ping starts the
	// driver while the raw probes run: past the 50 members a replica set
	// may have, a seed list is a mistake the probes judge before the
	// driver builds a server for every seed.
	pingEarlyDriverSeeds = sdam.MaxMembers
)

// pingDriver is the driver's ping of the ping command, run in its own
// goroutine: started as soon as a seed accepts TCP (or after every raw
// stage), its connections' replies held back until the seeds' hellos show
// a topology the driver can build (or every raw stage has run), stopped
// at once when a raw stage finds a problem, and never waited for past its
// budget.
type pingDriver struct {
	x   *run
	ctx context.Context
	req PingRequest

	once sync.Once
	// launched says start ran the driver (once may also have been spent
	// by started, which then keeps it from ever running).
	launched atomic.Bool
	// settled says the outcome was taken (result) or waited for (stop):
	// a later stop has nothing to wait for.
	settled atomic.Bool
	cancel  context.CancelFunc
	done    chan driverOutcome

	// replies gates what the driver's connections receive (gatedConn);
	// release closes it.
	replies  chan struct{}
	released sync.Once
}

func (x *run) newPingDriver(ctx context.Context, req PingRequest) *pingDriver {
	dctx, cancel := context.WithCancel(ctx)
	replies := make(chan struct{})
	req.replies = replies
	return &pingDriver{x: x, ctx: dctx, req: req, cancel: cancel, done: make(chan driverOutcome, 1), replies: replies}
}

// release lets the driver read what its connections received.
func (d *pingDriver) release() {
	d.released.Do(func() { close(d.replies) })
}

// start runs the driver's ping, once.
func (d *pingDriver) start() {
	d.once.Do(func() {
		d.launched.Store(true)
		go func() { d.done <- d.x.driverPing(d.ctx, d.req) }()
	})
}

// started reports whether start ran the driver; it makes sure start never
// runs after. Asked twice of a driver that never ran (ping stops it, then
// its deferred stop does again), it says no both times: the second stop
// must not wait for an outcome that will never come.
func (d *pingDriver) started() bool {
	d.once.Do(func() {})
	return d.launched.Load()
}

// stop cancels the driver and gives it driverStopWait to return, unless
// its outcome was already taken: ping's deferred stop after result would
// otherwise wait the whole driverStopWait for a second outcome.
func (d *pingDriver) stop() {
	d.cancel()
	if !d.started() || d.settled.Swap(true) {
		return
	}
	t := time.NewTimer(driverStopWait)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
	}
}

// result starts the driver if it has not started, and returns its
// outcome; a driver that has not returned driverOverrunWait after the
// budget or the interrupt is abandoned, and the outcome says so.
func (d *pingDriver) result(budget context.Context) driverOutcome {
	d.start()
	d.release()
	defer d.cancel()
	defer d.settled.Store(true)
	select {
	case out := <-d.done:
		return out
	case <-budget.Done():
	}
	t := time.NewTimer(driverOverrunWait)
	defer t.Stop()
	select {
	case out := <-d.done:
		return out
	case <-t.C:
	}
	start := d.x.started
	if d.x.interrupted() {
		return d.x.interruptedPing(driverOutcome{}, start)
	}
	var out driverOutcome
	out.check = report.Check{Stage: report.StagePing, Status: report.StatusFail, DurationMs: d.x.since(start),
		Summary: "the driver did not return within the budget"}
	out.findings = []report.Finding{catalogue.NewFinding(catalogue.IDSelectTimeout,
		"the Go driver's connect and ping did not return within --timeout")}
	return out
}

// seedsAnswered is the hook discovery calls once every seed has been
// probed: the driver reads its replies (and starts, if it has not) when a
// seed answered and none advertises more members than a deployment can
// have.
func (d *pingDriver) seedsAnswered(answered bool, mostMembers int) {
	if answered && mostMembers <= sdam.MaxMembers {
		d.start()
		d.release()
	}
}

// disconnectBounded runs disconnect and waits for it at most
// driverDisconnectWait.
func disconnectBounded(disconnect func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		disconnect()
	}()
	t := time.NewTimer(driverDisconnectWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// diagnosePingShare is the share of the budget kept for the driver's
// ping in diagnose (one part in diagnosePingShare): the raw stages run
// before it and must not spend all of the budget on a slow server, whose
// every reply comes, only late.
const diagnosePingShare = 3

// rawBudget is ctx with a deadline that leaves the driver's ping its
// share of the budget.
func rawBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(dl)
	return context.WithDeadline(ctx, dl.Add(-left/diagnosePingShare))
}

// slowNotSilent rewrites the outcome of a driver that ran out of time
// while the raw probes saw the deployment answer: the server is slow, not
// silent, so the finding is the budget's (select.timeout with the RTTs
// seen), never server.not-responding.
func (x *run) slowNotSilent(out *driverOutcome, v *sdam.View) {
	if !out.timedOut || v == nil {
		return
	}
	var slowest report.Server
	for _, m := range v.Members {
		if m.Reachable && m.RTTMs >= slowest.RTTMs {
			slowest = m
		}
	}
	if slowest.Address == "" {
		return
	}
	var kept []report.Finding
	for _, f := range out.findings {
		if f.ID != catalogue.IDServerNotResponding && f.ID != catalogue.IDSelectTimeout {
			kept = append(kept, f)
		}
	}
	f := catalogue.NewFinding(catalogue.IDSelectTimeout, fmt.Sprintf(
		"the Go driver's connect and ping did not finish within --timeout (%s since the start), but %s answered every raw request, in %s: it is slow, not silent; give the command a longer --timeout",
		report.FormatMs(x.since(x.started)), slowest.Address, report.FormatMs(slowest.RTTMs)))
	f.Title = "The server answers, but slower than the budget allows"
	out.findings = append(kept, f)
	out.check.Summary = fmt.Sprintf("ran out of time: %s answers in %s, too slow for what was left of --timeout", slowest.Address, report.FormatMs(slowest.RTTMs))
}
