package diagnose

import (
	"context"
	"fmt"
	"time"

	"github.com/mongoconn/mongoconn/report"
)

// Backoff between readiness attempts: start small so a server that comes
// up a moment later is seen at once, cap it so a long wait still polls
// every couple of seconds.
const (
	WaitFirstBackoff = 100 * time.Millisecond
	WaitMaxBackoff   = 2 * time.Second

	// waitMinAttempt is the least time worth a last attempt: enough for a
	// nearby server to be dialled, say hello and answer the driver's ping
	// on a loaded machine. An attempt given less is not started: it could
	// only fail for want of time.
	waitMinAttempt = 250 * time.Millisecond
)

// Attempt is one try of a Waiter.
type Attempt struct {
	N       int
	Elapsed time.Duration
	Report  *report.Report
	// Next is the pause before the next attempt (zero after the last).
	Next time.Duration
}

// Waiter repeats a check until it reports OK or Wait has passed. Each
// attempt gets the engine's Timeout or what is left of the wait, whichever
// is shorter.
type Waiter struct {
	Wait time.Duration
	// OnAttempt is told about every attempt, including the last.
	OnAttempt func(Attempt)
	// Sleep pauses between attempts; nil means a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run calls check until it reports OK, the wait ends, or ctx is cancelled.
// It returns the report of the attempt that succeeded, else the most
// informative failure: the last attempt that had its full share of time
// (--timeout, or the whole wait when that is shorter). An attempt cut
// short by the end of the wait fails for want of time, which says nothing
// of the deployment, so a loaded machine and an idle one give the same
// verdict.
func (w Waiter) Run(ctx context.Context, e *Engine, check func(context.Context) (*report.Report, error)) (*report.Report, error) {
	now := e.now
	start := now()
	deadline := start.Add(w.Wait)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	full := min(timeout, w.Wait)
	var (
		best  *report.Report
		bestA Attempt
	)
	backoff := WaitFirstBackoff
	for n := 1; ; n++ {
		share := min(timeout, deadline.Sub(now()))
		r, err := check(wctx)
		if err != nil {
			return nil, err
		}
		left := deadline.Sub(now())
		a := Attempt{N: n, Elapsed: now().Sub(start), Report: r}
		if n == 1 || share >= full {
			best, bestA = r, a
		}
		// Another attempt only when it can have waitMinAttempt after the
		// pause: one with less would only fail for that.
		if r.OK || left <= waitMinAttempt || ctx.Err() != nil {
			if w.OnAttempt != nil {
				w.OnAttempt(a)
			}
			if r.OK {
				return r, nil
			}
			bestA.N, bestA.Elapsed = a.N, a.Elapsed
			return gaveUp(best, bestA), nil
		}
		a.Next = min(backoff, left-waitMinAttempt)
		if w.OnAttempt != nil {
			w.OnAttempt(a)
		}
		if err := w.sleep(wctx, a.Next); err != nil {
			bestA.N, bestA.Elapsed = a.N, a.Elapsed
			return gaveUp(best, bestA), nil
		}
		backoff = min(backoff*2, WaitMaxBackoff)
	}
}

func (w Waiter) sleep(ctx context.Context, d time.Duration) error {
	if w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx pauses for d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// gaveUp says, in the verdict of a failed last attempt, how long the wait
// lasted: the report itself describes only that attempt.
func gaveUp(r *report.Report, a Attempt) *report.Report {
	if !r.OK && a.N > 1 && r.Verdict != "" {
		r.Verdict = fmt.Sprintf("%s (still failing after %d attempts in %s)", r.Verdict, a.N, a.Elapsed.Round(time.Millisecond))
	}
	return r
}
