package diagnose

import (
	"context"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
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
		return TunnelVerdict(v)
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

	trap := fmt.Sprintf("directConnection=true connects only to %s, a %s of replica set %q: reads work there, writes fail with NotWritablePrimary", seed, topoRole(m.Kind), m.SetName)
	x.addCheck(report.Check{Stage: report.StageTopology, Address: seed, Status: report.StatusFail, Summary: trap})
	switch {
	case found:
		x.addFinding(tunnelSecondaryFinding(x.t.Raw, seed, m, prim, trap))
	case m.Primary != "":
		why := "did not answer"
		for i, a := range addrs {
			if a == sdam.Canonical(m.Primary) && results[i].Error != "" {
				why = results[i].Error
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

// TunnelVerdict is tunnel-check's sentence when nothing is wrong.
func TunnelVerdict(v *sdam.View) string {
	if v.Opts.Direct && len(v.Members) == 1 {
		m := v.Members[0]
		return fmt.Sprintf("directConnection=true reaches %s, a %s: nothing is hidden behind it", sdam.DisplayAddr(v, m.Address), sdam.KindPhrase(m.Kind))
	}
	if v.IsReplicaSet() {
		if u := v.UnreachableMembers(); len(u) > 0 {
			p, _ := v.Primary()
			return fmt.Sprintf("replica set %q works from here through primary %s, but %d advertised member(s) are not reachable: %s",
				v.SetName, p.Address, len(u), topoJoinAddrs(u))
		}
		return fmt.Sprintf("every member replica set %q advertises is reachable from here (%d of %d)", v.SetName, topoCountReachable(v.Members), len(v.Members))
	}
	return TopoVerdict(v) + ": no other members advertised"
}

// topoRole names a replica set member's role in a few words.
func topoRole(kind string) string {
	switch kind {
	case report.KindRSPrimary:
		return "primary"
	case report.KindRSSecondary:
		return "secondary"
	case report.KindRSArbiter:
		return "arbiter"
	case report.KindRSOther:
		return "hidden, starting or recovering member"
	case report.KindRSGhost:
		return "member without a configuration"
	}
	return sdam.KindPhrase(kind)
}

// tunnelSecondaryFinding is the reverse trap with a healthy set: the
// connection string reaches a member that is not the primary, and the
// primary is reachable from here. DESIGN.md §4 has no id of its own for
// it; topology.no-primary is the nearest (this connection string sees no
// primary), so the finding keeps that id with a title, cause and fixes
// that say what is wrong: not the set, the string.
func tunnelSecondaryFinding(raw, seed string, m, prim report.Server, trap string) report.Finding {
	role := topoRole(m.Kind)
	works := "reads work there, but every write fails with NotWritablePrimary (formerly \"not master\")"
	if m.Kind == report.KindRSArbiter {
		works = "an arbiter holds no data, so reads and writes both fail there"
	}
	f := catalogue.NewFinding(catalogue.IDTopologyNoPrimary,
		fmt.Sprintf("this connection string reaches %s, %s, never the primary: writes fail through it; the primary of %q is %s", seed, withArticle(role), m.SetName, prim.Address),
		trap,
		fmt.Sprintf("the primary of %q is %s, and it is reachable from here, but this connection string never uses it", m.SetName, prim.Address))
	f.Title = fmt.Sprintf("This connection reaches %s, not the primary %s: writes fail through it", withArticle(role), prim.Address)
	f.Cause = fmt.Sprintf("directConnection=true makes a driver use the one host of the connection string, whatever its "+
		"role, and never discover the other members. %s is %s of replica set %q: %s. The set has a primary, %s, "+
		"reachable from here: this connection string never uses it.", seed, withArticle(role), m.SetName, works, prim.Address)
	f.Fixes = nil
	if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Set: []connstr.Setting{{Key: "replicaSet", Value: m.SetName}}, Drop: []string{"directConnection"}}); err == nil {
		f.SuggestedURI = u
		f.Fixes = append(f.Fixes, fmt.Sprintf("Drop directConnection=true and name the set (replicaSet=%s): the driver then discovers the members and sends writes to the primary", m.SetName))
	}
	f.Fixes = append(f.Fixes,
		fmt.Sprintf("Or connect to the primary %s directly, knowing that after an election it is a secondary and writes fail again", prim.Address),
		"Keep the direct connection only for read-only work on this member",
	)
	f.Docs = []string{catalogue.DocGoTargets, catalogue.DocPyTargets, catalogue.DocReplSet}
	return f
}

// withArticle puts "a" or "an" before a noun phrase.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
