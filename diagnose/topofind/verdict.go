package topofind

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// DirectTrapCheck warns when directConnection=true reaches a replica
// set member that is not the primary: reads work, writes fail.
func DirectTrapCheck(v *sdam.View) (report.Check, bool) {
	if !v.Opts.Direct || len(v.Members) != 1 {
		return report.Check{}, false
	}
	m := v.Members[0]
	if !m.Reachable || m.Kind == report.KindRSPrimary || !sdam.IsRSMember(m.Kind) {
		return report.Check{}, false
	}
	s := fmt.Sprintf("directConnection=true pins every operation to this %s of replica set %q: reads work, writes fail with NotWritablePrimary", Role(m.Kind), m.SetName)
	if m.Primary != "" {
		s += "; the set's primary is " + m.Primary
	}
	return report.Check{Stage: report.StageTopology, Address: sdam.DisplayAddr(v, m.Address), Status: report.StatusWarn, Summary: s}, true
}

// Verdict is discover's sentence when nothing is wrong.
func Verdict(v *sdam.View) string {
	win := ""
	if n := topoCountInWindow(v.Members); n > 0 {
		win = fmt.Sprintf(", %d in the %s latency window", n, topoThreshold(v))
	}
	switch v.Kind {
	case sdam.TopologySingle:
		if len(v.Members) == 1 {
			m := v.Members[0]
			s := fmt.Sprintf("single server %s: %s", sdam.DisplayAddr(v, m.Address), sdam.KindPhrase(m.Kind))
			if m.SetName != "" {
				s += fmt.Sprintf(" of %q", m.SetName)
			}
			if m.Version != "" {
				s += ", MongoDB " + m.Version
			}
			return s
		}
	case sdam.TopologyReplicaSetWithPrimary:
		p, _ := v.Primary()
		return fmt.Sprintf("replica set %q with primary %s: %d of %d members reachable%s",
			v.SetName, p.Address, CountReachable(v.Members), len(v.Members), win)
	case sdam.TopologySharded:
		return fmt.Sprintf("sharded cluster: %d mongos router(s) reachable%s", CountReachable(v.Members), win)
	case sdam.TopologyLoadBalanced:
		if len(v.Members) == 1 {
			return fmt.Sprintf("load-balanced deployment behind %s", sdam.DisplayAddr(v, v.Members[0].Address))
		}
	}
	return topoSummary(v)
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
		return fmt.Sprintf("every member replica set %q advertises is reachable from here (%d of %d)", v.SetName, CountReachable(v.Members), len(v.Members))
	}
	return Verdict(v) + ": no other members advertised"
}

// Role names a replica set member's role in a few words.
func Role(kind string) string {
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

// SecondaryFinding is the reverse trap with a healthy set: the
// connection string reaches a member that is not the primary, and the
// primary is reachable from here. DESIGN.md §4 has no id of its own for
// it; topology.no-primary is the nearest (this connection string sees no
// primary), so the finding keeps that id with a title, cause and fixes
// that say what is wrong: not the set, the string.
func SecondaryFinding(raw, seed string, m, prim report.Server, trap string) report.Finding {
	role := Role(m.Kind)
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
