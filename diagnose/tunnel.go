package diagnose

import (
	"context"
	"fmt"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// TunnelCheck finds the SSH-tunnel trap: the seed answers (through a
// tunnel, port-forward, NAT or a Docker/Kubernetes network) but the members
// it advertises cannot be resolved or reached from here, so a driver that
// follows them times out. It reports each unreachable address and why, and
// the connection string that works: the reachable seed alone with
// directConnection=true. It also finds the reverse trap: directConnection=true
// to a member that is not the primary, where writes fail. A blocked network
// yields a Report, not an error. With a bastion (Engine.SSH), discovery
// runs through it, every member is also dialled from here, and the
// finding gives the strings that work from here through ssh -L and
// ssh -D, with the command of each.
func (e *Engine) TunnelCheck(ctx context.Context, t *connstr.Target) (*report.Report, error) {
	return e.topoCommand(ctx, "tunnel-check", t, func(ctx context.Context, x *run, v *sdam.View) string {
		x.topoReport(v)
		if v.Opts.Direct {
			x.tunnelDirectTrap(ctx, v)
		}
		x.wireFindings(v, false)
		if verdict, ok := x.bastionCompare(ctx, v); ok {
			return verdict
		}
		return topofind.TunnelVerdict(v)
	})
}

// tunnelDirectTrap looks behind a direct connection to a replica set
// member that is not the primary: it probes the members that member
// advertises, and reports that writes fail through this connection string,
// with the string that reaches the primary when one is reachable.
func (x *run) tunnelDirectTrap(ctx context.Context, v *sdam.View) {
	if len(v.Members) != 1 {
		return
	}
	m := v.Members[0]
	if !m.Reachable || m.Kind == report.KindRSPrimary || !sdam.IsRSMember(m.Kind) {
		return
	}
	seed := sdam.DisplayAddr(v, m.Address)
	var addrs []string
	for _, a := range append(sdam.MembersOf(m), sdam.Canonical(m.Primary)) {
		if a != "" && a != m.Address {
			addrs = report.AppendUnique(addrs, a)
		}
	}
	p := newTopoProber(x, nil, v.Opts)
	results := sdam.ProbeAll(ctx, addrs, nil, p.probe)
	p.report(addrs)

	var prim report.Server
	found := false
	x.mu.Lock()
	for i, r := range results {
		r.Address = addrs[i]
		x.r.Servers = append(x.r.Servers, r)
		if r.Reachable && r.Kind == report.KindRSPrimary && r.SetName == m.SetName && !found {
			prim, found = r, true
		}
	}
	x.mu.Unlock()

	trap := fmt.Sprintf("directConnection=true connects only to %s, a %s of replica set %q: reads work there, writes fail with NotWritablePrimary", seed, topofind.Role(m.Kind), m.SetName)
	x.addCheck(report.Check{Stage: report.StageTopology, Address: seed, Status: report.StatusFail, Summary: trap})
	switch {
	case found:
		x.addFinding(topofind.SecondaryFinding(x.t.Raw, seed, m, prim, trap))
	case m.Primary != "":
		why := "did not answer"
		for i, a := range addrs {
			if a == sdam.Canonical(m.Primary) && results[i].Error != "" {
				why = results[i].Error
			}
			if a == sdam.Canonical(m.Primary) && results[i].Local {
				return // not tried: local.resources says why
			}
		}
		f := catalogue.NewFinding(catalogue.IDTopologyAdvertisedUnreachable, trap,
			fmt.Sprintf("the primary %s that %s advertises is not reachable from here: %s", m.Primary, seed, why))
		f.Fixes = append([]string{
			fmt.Sprintf("Forward a port to the primary instead (for example ssh -L 27017:%s bastion) and connect to that port with directConnection=true", m.Primary),
			"Or make the members' advertised names resolvable and reachable from this machine, then connect with replicaSet= and without directConnection",
		}, f.Fixes...)
		x.addFinding(f)
	default:
		x.addFinding(catalogue.NewFinding(catalogue.IDTopologyNoPrimary, trap,
			fmt.Sprintf("no member of %q reports a primary: the set has none right now", m.SetName)))
	}
}
