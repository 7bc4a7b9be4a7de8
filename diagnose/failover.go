package diagnose

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Failover: when a replica set has no primary (or has just changed it),
// say whether an election is under way, whether one can succeed, and what
// applications see meanwhile.

// Timeouts of the failover stage.
const (
	// failoverProbeCap bounds each hello of the second look: members that
	// answered a moment ago answer in milliseconds, and a silent one must
	// not hold the verdict for the rest of the budget.
	failoverProbeCap = 2 * time.Second

	// failoverMinLookTime is the least budget a second look needs after its
	// pause to be worth taking: a loopback or LAN hello and buildInfo.
	failoverMinLookTime = 200 * time.Millisecond
)

// failoverStage looks at a replica set's primary and elections. servers
// are the servers discovery saw (Report.Servers); members of other sets
// and non-members are ignored. When there is no primary, it asks the
// members again after topofind.SecondLookPause, within ctx, to see an election
// happen. It adds one topology check and, when warranted,
// topology.failover (replacing topology.no-primary: an election explains
// the missing primary) or topology.no-primary. It returns nil when the
// servers are not a replica set, no member answered, or the connection
// is direct (the other members, the primary among them, were not asked).
func (x *run) failoverStage(ctx context.Context, servers []report.Server) *topofind.Failover {
	if x.t.DirectConnection != nil && *x.t.DirectConnection {
		return nil
	}
	set := topofind.FailoverSet(x.t.ReplicaSet, servers)
	if set == "" {
		return nil
	}
	first := topofind.SetMembers(set, servers)
	answered := false
	for _, s := range first {
		if s.Reachable {
			answered = true
		}
	}
	if !answered {
		return nil
	}
	start := x.now()
	var second []topofind.Look
	tookSecond := false
	hasPrimary := false
	for _, s := range first {
		if s.Reachable && s.Kind == report.KindRSPrimary {
			hasPrimary = true
		}
	}
	noLook := ""
	if !hasPrimary {
		if ok, why := foCanLook(ctx); ok {
			if sleepCtx(ctx, topofind.SecondLookPause) == nil {
				second = x.rehello(ctx, topofind.Addrs(first))
				// A look the interrupt cut short saw nothing.
				tookSecond = !x.interrupted()
			}
		} else {
			noLook = why
		}
	}
	if !tookSecond {
		second = nil
	}
	a := topofind.AnalyzeFailover(set, first, second)
	x.failoverReport(a, x.since(start), noLook)
	return a
}

// foCanLook says whether ctx leaves time for a second look.
func foCanLook(ctx context.Context) (bool, string) {
	dl, ok := ctx.Deadline()
	if !ok {
		return true, ""
	}
	if time.Until(dl) < topofind.SecondLookPause+failoverMinLookTime {
		return false, "no time left in the budget to ask the members again"
	}
	return true, ""
}

// rehello asks each address for one more hello, in parallel, each within
// failoverProbeCap and ctx. The replies are kept raw.
func (x *run) rehello(ctx context.Context, addrs []string) []topofind.Look {
	out := make([]topofind.Look, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = x.helloOnce(ctx, addr)
		}()
	}
	wg.Wait()
	return out
}

// helloOnce is one bounded hello to addr, with the target's TLS settings.
func (x *run) helloOnce(ctx context.Context, addr string) topofind.Look {
	pctx, cancel := context.WithTimeout(ctx, failoverProbeCap)
	defer cancel()
	opts := wireprobe.HelloOptions{Samples: 1, Verbose: true}
	cfg, err := x.tlsConfig(hostOf(addr))
	if err != nil {
		_, local := netpath.LocalResourceError(err)
		return topofind.Look{Server: report.Server{Address: addr, Kind: report.KindUnknown, Error: redact.Redact(err.Error()), Local: local}}
	}
	opts.TLS = cfg
	res := x.e.ProbeHello(pctx, addr, opts)
	l := topofind.Look{Server: res.Server, Hello: res.Hello, At: x.now()}
	l.Address = addr
	var pe *wireprobe.ProbeError
	if res.Err != nil {
		l.Reachable = false
		l.Kind = report.KindUnknown
		_, l.Local = netpath.LocalResourceError(res.Err)
		if errors.As(res.Err, &pe) {
			l.Fail = pe.Kind
			l.Error = redact.Redact(pe.Detail)
		}
	}
	return l
}

// failoverReport adds the stage's check and finding.
func (x *run) failoverReport(a *topofind.Failover, ms float64, noLook string) {
	c := report.Check{Stage: report.StageTopology, DurationMs: ms}
	var states []string
	for _, m := range a.Members {
		states = append(states, m.State())
	}
	c.Detail = append(c.Detail, states...)
	if noLook != "" {
		c.Detail = append(c.Detail, noLook)
	}
	prefix := fmt.Sprintf("replica set %q: ", a.SetName)
	switch a.Outcome() {
	case topofind.OutcomeHealthy:
		c.Status = report.StatusPass
		c.Summary = prefix + fmt.Sprintf("primary %s%s, no election in progress; %s", a.Primary.Address, topofind.ElectionText(a.Primary.Server), a.ReachText())
		x.addCheck(c)
	case topofind.OutcomeFailover:
		primary := a.Primary != nil
		f := catalogue.NewFailoverFinding(primary, a.Evidence(x.t, true)...)
		f = a.Fixes(f, x.t)
		if primary {
			c.Status = report.StatusWarn
			c.Summary = prefix + fmt.Sprintf("a failover has just happened; %s is primary now", a.Primary.Address)
		} else {
			c.Status = report.StatusFail
			c.Summary = prefix + "no primary: an election is in progress (" + a.Signs[0] + ")"
		}
		x.addCheck(c)
		// An election explains the missing primary: one finding, not two.
		x.foDropFinding(catalogue.IDTopologyNoPrimary)
		x.addFinding(f)
	case topofind.OutcomeNoPrimary:
		if a.Untried > 0 {
			// A member this machine could not ask may be the primary:
			// local.resources says why it was not asked.
			c.Status = report.StatusSkip
			c.Summary = prefix + fmt.Sprintf("no primary among the members asked; %d member(s) could not be asked (this machine ran out of file descriptors, ports or memory), so whether the set has one is unknown", a.Untried)
			x.addCheck(c)
			return
		}
		c.Status = report.StatusFail
		c.Summary = prefix + "no primary, and no sign of an election; " + a.MajorityText()
		x.addCheck(c)
		if x.hasFinding(catalogue.IDTopologyAdvertisedUnreachable) && a.UnreachableDown == 0 {
			// The members are out of reach by the names the set
			// advertises (they do not resolve, or time out): that
			// finding explains what a client sees. Members that refuse
			// connections are down, and the set without a primary is
			// news.
			return
		}
		f := catalogue.NewFinding(catalogue.IDTopologyNoPrimary, a.Evidence(x.t, false)...)
		f.Fixes = append(a.NoPrimaryFixes(), f.Fixes...)
		x.addFinding(f)
	}
}

// foDropFinding removes the findings with id.
func (x *run) foDropFinding(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := x.r.Findings[:0]
	for _, f := range x.r.Findings {
		if f.ID != id {
			out = append(out, f)
		}
	}
	x.r.Findings = out
}
