package topofind

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// URIs are the connection string as given, and for mongodb+srv its
// resolved mongodb:// equivalent (seeds, TXT options) once known. A fix
// that only changes options edits the string as given; one that names a
// host edits the resolved one, so that TXT options such as authSource
// survive.
type URIs struct {
	Given, Resolved string
}

func (u URIs) forHost() string {
	if u.Resolved != "" {
		return u.Resolved
	}
	return u.Given
}

// Findings explains what the discovered topology means for a
// client that uses the connection strings u: the findings (replica set
// name mismatch, set not initiated, members unreachable, no primary) and
// the topology-stage checks, including the warnings about seeds that are
// not members or are known to the set by another name.
func Findings(v *sdam.View, u URIs) ([]report.Finding, []report.Check) {
	var fs []report.Finding
	var cs []report.Check
	cs = append(cs, topoSeedNameChecks(v)...)
	cs = append(cs, topoLoadBalancerChecks(v)...)
	cs = append(cs, topoDuplicateChecks(v)...)

	reachableSeeds := v.ReachableSeeds()
	if len(reachableSeeds) == 0 {
		return nil, append(cs, report.Check{Stage: report.StageTopology, Status: report.StatusSkip, Summary: "no seed answered hello"})
	}

	if f, ok := topoLoadBalancerFinding(v, u.Given); ok {
		fs = append(fs, f)
	}
	if f, ok := topoNameMismatchFinding(v, u.Given); ok {
		fs = append(fs, f)
	}
	if f, ok := topoNotInitiatedFinding(v, u.forHost()); ok {
		fs = append(fs, f)
	}
	if v.IsReplicaSet() && len(fs) == 0 {
		if _, ok := v.Primary(); !ok {
			// A member whose address refuses connections is down (or not
			// listening there), not hidden behind a name or route this
			// machine lacks: that is a missing primary, not the tunnel trap.
			// A member this machine could not even try (local.resources)
			// is neither: nothing is known of it, the primary it may be
			// included.
			var trapped []report.Server
			untried := false
			for _, m := range v.UnreachableMembers() {
				switch {
				case m.Local:
					untried = true
				case !m.Refused:
					trapped = append(trapped, m)
				}
			}
			if len(trapped) > 0 {
				f := topoUnreachableFinding(v, u.forHost(), trapped)
				if line, ok := topoDirectClients(u.Given); ok {
					f.Evidence = append(f.Evidence, line)
				}
				fs = append(fs, f)
			} else if HasReachable(v) && !untried {
				fs = append(fs, topoNoPrimaryFinding(v))
			}
		}
	}

	c := report.Check{Stage: report.StageTopology, Status: report.StatusPass, Summary: topoSummary(v)}
	if len(fs) > 0 {
		c.Status = report.StatusFail
	} else if unreachable := v.UnreachableMembers(); len(unreachable) > 0 {
		c.Status = report.StatusWarn
		c.Summary += fmt.Sprintf("; %d member(s) not reachable from here: %s", len(unreachable), topoJoinAddrs(unreachable))
	}
	cs = append(cs, c)
	return fs, cs
}

// HasReachable reports whether a member answered hello.
func HasReachable(v *sdam.View) bool {
	for _, m := range v.Members {
		if m.Reachable {
			return true
		}
	}
	return false
}

func topoJoinAddrs(ss []report.Server) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Address)
	}
	return strings.Join(out, ", ")
}

// topoSummary is one line about the topology: kind, set, members,
// primary, latency window.
func topoSummary(v *sdam.View) string {
	var b strings.Builder
	b.WriteString(string(v.Kind))
	if v.SetName != "" {
		fmt.Fprintf(&b, " %q", v.SetName)
	}
	switch v.Kind {
	case sdam.TopologySharded:
		var routers []string
		for _, m := range v.Members {
			if m.Kind == report.KindMongos {
				routers = append(routers, sdam.DisplayAddr(v, m.Address))
			}
		}
		fmt.Fprintf(&b, ": %d mongos router(s)", len(routers))
		if len(routers) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(routers, ", "))
		}
	case sdam.TopologySingle, sdam.TopologyLoadBalanced:
		if len(v.Members) == 1 {
			m := v.Members[0]
			fmt.Fprintf(&b, ": %s", m.Address)
			if m.Reachable {
				fmt.Fprintf(&b, " (%s)", m.Kind)
			}
		}
	default:
		fmt.Fprintf(&b, ": %d member(s), %d reachable", len(v.Members), CountReachable(v.Members))
		if p, ok := v.Primary(); ok {
			fmt.Fprintf(&b, ", primary %s", p.Address)
		} else if v.IsReplicaSet() {
			b.WriteString(", no primary")
		}
	}
	if n := topoCountInWindow(v.Members); n > 0 {
		fmt.Fprintf(&b, "; %d in the %s latency window", n, topoThreshold(v))
	}
	return b.String()
}

func topoThreshold(v *sdam.View) string {
	return fmt.Sprintf("%g ms", float64(v.Opts.Threshold.Microseconds())/1000)
}

// CountReachable counts the servers that answered hello.
func CountReachable(ss []report.Server) int {
	n := 0
	for _, s := range ss {
		if s.Reachable {
			n++
		}
	}
	return n
}

func topoCountInWindow(ss []report.Server) int {
	n := 0
	for _, s := range ss {
		if s.InLatencyWindow {
			n++
		}
	}
	return n
}

// topoSeedNameChecks warns about seeds that answered but are not members of
// the set under the name used, and about members whose own name differs
// from the seed's spelling (IP address vs host name, letter case).
func topoSeedNameChecks(v *sdam.View) []report.Check {
	var out []report.Check
	for _, a := range v.Seeds {
		p, ok := v.Probed[a]
		if !ok || !p.Reachable {
			continue
		}
		written := v.Asked[a]
		if written == "" {
			written = a
		}
		if written != a && sdam.Canonical(written) == a && strings.ToLower(written) != written {
			out = append(out, report.Check{Stage: report.StageTopology, Address: written, Status: report.StatusPass,
				Summary: fmt.Sprintf("seed %s differs from the member name %s only in letter case; drivers compare names in lower case, so this is harmless", written, a)})
		}
		if p.Hidden && !v.Opts.Direct {
			out = append(out, report.Check{Stage: report.StageTopology, Address: written, Status: report.StatusWarn,
				Summary: fmt.Sprintf("seed %s is a hidden member of %q: hidden members are not in the set's host list, so drivers drop this seed after discovery and never send it operations (use directConnection=true to reach it)", written, p.SetName)})
			continue
		}
		me := sdam.Canonical(p.Me)
		if v.Opts.Direct || !sdam.IsRSMember(p.Kind) || me == "" || me == a {
			continue
		}
		inList := false
		for _, m := range sdam.MembersOf(p) {
			if m == a {
				inList = true
			}
		}
		if inList {
			continue
		}
		out = append(out, report.Check{Stage: report.StageTopology, Address: written, Status: report.StatusWarn,
			Summary: fmt.Sprintf("seed %s is not a member name of replica set %q: the server calls itself %s (%s); drivers drop the seed and connect to the advertised names instead", written, p.SetName, p.Me, topoNameDifference(HostOf(a), HostOf(me)))})
	}
	return out
}

// topoLoadBalancerChecks fails when loadBalanced=true reaches a server
// that is not behind a load balancer: its hello carries no serviceId, and
// the driver refuses every connection to it.
func topoLoadBalancerChecks(v *sdam.View) []report.Check {
	var out []report.Check
	for _, m := range topoNotBehindBalancer(v) {
		out = append(out, report.Check{Stage: report.StageTopology, Address: sdam.DisplayAddr(v, m.Address), Status: report.StatusFail,
			Summary: fmt.Sprintf("loadBalanced=true, but this %s answered hello without a serviceId: it is not behind a MongoDB load balancer, and drivers refuse it (%q); remove loadBalanced=true", sdam.KindPhrase(m.Kind), lbModeError)})
	}
	return out
}

// lbModeError is what drivers say (load-balancer specification) when a
// server reached with loadBalanced=true reports no serviceId.
const lbModeError = "driver attempted to initialize in load balancing mode, but the server does not support this mode"

// topoNotBehindBalancer lists the members of a load-balanced topology
// that answered hello without a serviceId.
func topoNotBehindBalancer(v *sdam.View) []report.Server {
	if v.Kind != sdam.TopologyLoadBalanced {
		return nil
	}
	var out []report.Server
	for _, m := range v.Members {
		if m.Reachable && m.ServiceID == "" {
			out = append(out, m)
		}
	}
	return out
}

// topoLoadBalancerFinding is the error of loadBalanced=true against a
// server that is not behind a load balancer. The driver's server
// selection succeeds in load-balanced mode (the one host is always
// selectable) and every connection then fails its handshake, so the
// catalogue's nearest entry is select.timeout ("no server matches"): it
// gets its own title, cause and fixes, and the string without
// loadBalanced=true.
func topoLoadBalancerFinding(v *sdam.View, raw string) (report.Finding, bool) {
	bad := topoNotBehindBalancer(v)
	if len(bad) == 0 {
		return report.Finding{}, false
	}
	m := bad[0]
	addr := sdam.DisplayAddr(v, m.Address)
	f := catalogue.NewFinding(catalogue.IDSelectTimeout,
		fmt.Sprintf("loadBalanced=true, but %s is a %s that answered hello without a serviceId: no MongoDB load balancer is in front of it", addr, sdam.KindPhrase(m.Kind)),
		fmt.Sprintf("drivers refuse every connection to it: %q", lbModeError))
	f.Title = "loadBalanced=true, but the server is not behind a load balancer"
	f.Cause = "With loadBalanced=true a driver takes the one host of the connection string for a load balancer in " +
		"front of mongos routers (Atlas serverless, a private endpoint, a layer-4 balancer configured for MongoDB) " +
		"and expects the hello reply that comes through it to carry a serviceId. A server reached directly (a mongos, " +
		"a replica set member, a standalone) sends none, so the driver refuses every connection it opens: operations " +
		"fail with the error above, or with a server selection timeout in drivers that report it so."
	fix := "Remove loadBalanced=true: the driver then discovers this " + sdam.KindPhrase(m.Kind) + " the usual way"
	if u, err := topoWithoutLoadBalanced(raw); err == nil {
		f.SuggestedURI = redact.Redact(u)
		fix += ": " + f.SuggestedURI
	}
	f.Fixes = []string{
		fix,
		"If a layer-4 load balancer really is in front of your mongos routers, it must connect to the routers' load-balancer port (mongos --loadBalancerPort, MongoDB 5.3+) and send the PROXY protocol header: only then do the routers report a serviceId",
	}
	f.Docs = []string{catalogue.DocConnOptions, catalogue.DocGoTargets}
	return f, true
}

// topoWithoutLoadBalanced is raw without loadBalanced=true: the option is
// removed, or, when it came from a TXT record (mongodb+srv), overridden
// with loadBalanced=false, as options of the string win over TXT ones.
func topoWithoutLoadBalanced(raw string) (string, error) {
	u, err := connstr.CutURI(raw)
	if err != nil {
		return "", err
	}
	if _, inURI := connstr.LastValue(u.Pairs(), "loadbalanced"); inURI || !u.SRV() {
		return connstr.Rewrite(raw, connstr.Edit{Drop: []string{"loadBalanced"}})
	}
	return connstr.Rewrite(raw, connstr.Edit{Set: []connstr.Setting{{Key: "loadBalanced", Value: "false"}}})
}

// topoNameDifference says how two host names differ, in words.
func topoNameDifference(seedHost, memberHost string) string {
	seedIP, memberIP := net.ParseIP(strings.Trim(seedHost, "[]")) != nil, net.ParseIP(strings.Trim(memberHost, "[]")) != nil
	switch {
	case seedIP && !memberIP:
		return "an IP address was used where the set uses a host name"
	case !seedIP && memberIP:
		return "a host name was used where the set uses an IP address"
	case strings.EqualFold(seedHost, memberHost):
		return "the same host on another port"
	}
	return "a different name"
}

// topoNameMismatchFinding reports servers dropped because their replica set
// name differs from the one the connection string names, when no server of
// the named set answered.
func topoNameMismatchFinding(v *sdam.View, raw string) (report.Finding, bool) {
	if v.Opts.SetName == "" {
		return report.Finding{}, false
	}
	var ev []string
	names := map[string]bool{}
	for _, g := range v.Gone {
		if !g.Mismatch {
			continue
		}
		names[g.Server.SetName] = true
		if g.Server.SetName == "" {
			ev = append(ev, fmt.Sprintf("%s is a %s, not a member of replica set %q", g.Addr, sdam.KindPhrase(g.Server.Kind), v.Opts.SetName))
			continue
		}
		ev = append(ev, fmt.Sprintf("%s reports replica set %q (%s); the connection string says replicaSet=%s", g.Addr, g.Server.SetName, g.Server.Kind, v.Opts.SetName))
	}
	if len(ev) == 0 {
		return report.Finding{}, false
	}
	for _, m := range v.Members {
		if m.Reachable && m.Kind != report.KindUnknown {
			return report.Finding{}, false // members of the named set answered: the others are only ignored
		}
	}
	f := catalogue.NewFinding(catalogue.IDTopologyReplSetNameMismatch, ev...)
	if len(names) == 1 {
		for n := range names {
			if n == "" {
				break
			}
			if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Set: []connstr.Setting{{Key: "replicaSet", Value: n}}}); err == nil {
				f.SuggestedURI = u
				f.Fixes = append([]string{fmt.Sprintf("Use the name the servers report: replicaSet=%s", n)}, f.Fixes...)
			}
		}
	}
	return f, true
}

// topoNotInitiatedFinding reports a deployment whose members run with
// --replSet but have no replica set configuration yet (RSGhost replies
// without a set name), and nothing else answered.
func topoNotInitiatedFinding(v *sdam.View, raw string) (report.Finding, bool) {
	var ghosts []report.Server
	for _, a := range topoSortedKeys(v.Probed) {
		p := v.Probed[a]
		if !p.Reachable {
			continue
		}
		if p.Kind != report.KindRSGhost || p.SetName != "" {
			return report.Finding{}, false
		}
		ghosts = append(ghosts, p)
	}
	if len(ghosts) == 0 {
		return report.Finding{}, false
	}
	seed := ghosts[0]
	for _, s := range v.ReachableSeeds() {
		if s.Kind == report.KindRSGhost {
			seed = s
			break
		}
	}
	dial := v.Asked[seed.Address]
	if dial == "" {
		dial = seed.Address
	}
	var ev []string
	for _, g := range ghosts {
		ev = append(ev, fmt.Sprintf("%s runs with --replSet but has no replica set configuration (hello: isreplicaset: true)", g.Address))
	}
	f := catalogue.NewFinding(catalogue.IDTopologyReplSetNotInitiated, ev...)
	setName := v.Opts.SetName
	if setName == "" {
		setName = "rs0"
	}
	if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Hosts: []string{dial}, Set: []connstr.Setting{{Key: "directConnection", Value: "true"}}, Drop: []string{"replicaSet"}}); err == nil {
		f.SuggestedURI = u
		f.Fixes = append([]string{
			fmt.Sprintf("Connect to the member alone and initiate the set: mongosh %q --eval 'rs.initiate({_id: %q, members: [{_id: 0, host: %q}]})'", f.SuggestedURI, setName, dial),
			"Use a host name in rs.initiate that every client can resolve and reach: the set advertises exactly that name to drivers",
		}, f.Fixes...)
	}
	return f, true
}

// topoNoPrimaryFinding reports a replica set whose reachable members all
// answered and none of them is primary.
func topoNoPrimaryFinding(v *sdam.View) report.Finding {
	var ev []string
	for _, m := range v.Members {
		state := m.Kind
		if m.Primary != "" {
			state += ", says the primary is " + m.Primary
		}
		ev = append(ev, fmt.Sprintf("%s is %s", m.Address, state))
	}
	f := catalogue.NewFinding(catalogue.IDTopologyNoPrimary, ev...)
	f.Fixes = append([]string{
		"Wait for the election to finish (seconds) and retry; a driver waits up to serverSelectionTimeoutMS for a primary",
		"If a majority of the voting members is down, bring them back: a set elects a primary only with a majority",
		"For reads that may go to a secondary meanwhile, use readPreference=primaryPreferred or secondaryPreferred",
	}, f.Fixes...)
	return f
}

// topoUnreachableFinding reports members a seed advertised that
// cannot be reached from here, with the connection string that works: the
// reachable seed alone, with directConnection=true.
func topoUnreachableFinding(v *sdam.View, raw string, unreachable []report.Server) report.Finding {
	var ev []string
	for _, s := range v.ReachableSeeds() {
		line := fmt.Sprintf("seed %s answers as %s of replica set %q", sdam.DisplayAddr(v, s.Address), s.Kind, s.SetName)
		if s.Me != "" && sdam.Canonical(s.Me) != s.Address {
			line += fmt.Sprintf(" and calls itself %s", s.Me)
		}
		ev = append(ev, line)
	}
	for _, u := range unreachable {
		why := u.Error
		if why == "" {
			why = "did not answer"
		}
		ev = append(ev, fmt.Sprintf("advertised member %s is not reachable from here: %s", u.Address, why))
	}
	f := catalogue.NewFinding(catalogue.IDTopologyAdvertisedUnreachable, ev...)
	seed, ok := topoDirectSeed(v)
	var fixes []string
	if ok {
		dial := sdam.DisplayAddr(v, seed.Address)
		if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Hosts: []string{dial}, Set: []connstr.Setting{{Key: "directConnection", Value: "true"}}, Drop: []string{"replicaSet"}}); err == nil {
			f.SuggestedURI = u
			fix := fmt.Sprintf("Connect to the reachable seed %s alone with directConnection=true (no replicaSet): the driver then uses that address and ignores the advertised names", dial)
			if seed.Kind != report.KindRSPrimary {
				fix += fmt.Sprintf("; it is a %s, so writes fail through it: forward a port to the primary instead", sdam.KindPhrase(seed.Kind))
			}
			fixes = append(fixes, fix)
		}
	}
	fixes = append(fixes,
		"Make the advertised names resolvable and reachable from this machine (DNS or hosts-file entries for "+topoJoinAddrs(unreachable)+", open ports), or reconfigure the members with rs.reconfig() to advertise addresses clients can reach",
		"Configure split horizon: give each member a horizons entry with its external name; clients that connect with TLS through that name are answered with the external names",
		"Reach the members through a SOCKS5 proxy (ssh -D 1080 bastion) with the connection-string options proxyHost=localhost&proxyPort=1080, in drivers that support them",
	)
	f.Fixes = fixes // they cover the catalogue's generic fixes, with this deployment's names
	return f
}

// topoDirectSeed picks the reachable seed to connect to directly: the
// primary if a seed is one, else the first data-bearing member.
func topoDirectSeed(v *sdam.View) (report.Server, bool) {
	seeds := v.ReachableSeeds()
	if len(seeds) == 0 {
		return report.Server{}, false
	}
	for _, s := range seeds {
		if s.Kind == report.KindRSPrimary {
			return s, true
		}
	}
	for _, s := range seeds {
		if s.Kind == report.KindRSSecondary {
			return s, true
		}
	}
	return seeds[0], true
}

func topoSortedKeys(m map[string]report.Server) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// topoDuplicateChecks warns, once per list, when a member's hello names
// one member under spellings the Go driver keeps apart (a trailing dot):
// the report lists it once (sdam.Canonical says why), and the check says
// what the driver does with such a list. It is no finding: the driver
// still finds a primary, under one name or the other.
func topoDuplicateChecks(v *sdam.View) []report.Check {
	var out []report.Check
	seen := map[string]bool{}
	for _, a := range v.Order {
		s := v.Probed[a]
		if !s.Reachable {
			continue
		}
		for _, spellings := range sdam.DuplicateSpellings(s) {
			key := strings.Join(spellings, ",")
			if seen[key] {
				continue
			}
			seen[key] = true
			var apart []string
			first := sdam.DriverCanonical(spellings[0])
			for _, sp := range spellings[1:] {
				if d := sdam.DriverCanonical(sp); d != first {
					apart = report.AppendUnique(apart, d)
				}
			}
			out = append(out, report.Check{Stage: report.StageTopology, Address: sdam.DisplayAddr(v, a), Status: report.StatusWarn,
				Summary: fmt.Sprintf("the member list names %s %d times (%s): one member, listed once here; the Go driver keeps %s apart (a trailing dot makes another name to it) and monitors the member twice, as servers that take turns at being the primary; give each member one name in the replica set configuration (rs.reconfig)",
					sdam.Canonical(spellings[0]), len(spellings), strings.Join(spellings, ", "), strings.Join(apart, ", "))})
		}
	}
	return out
}

// topoDirectClients says, for a connection string with one host and none
// of replicaSet, directConnection and loadBalanced, which clients connect
// to that host alone, and so work where a driver that discovers the set
// finds its advertised members unreachable: mongosh adds
// directConnection=true to such a string (@mongosh/arg-parser,
// uri-generator.js), and PyMongo 3 (pymongo/settings.py before 4.0) and the
// Java driver (ClusterSettings: SINGLE mode for one host without
// requiredReplicaSetName) connect directly to it. The Go driver, the
// Node.js driver and PyMongo 4 default to directConnection=false.
func topoDirectClients(given string) (string, bool) {
	t, err := connstr.ParseTarget(given)
	if err != nil || t.SRV || len(t.Hosts) != 1 || t.ReplicaSet != "" || t.DirectConnection != nil || t.LoadBalanced {
		return "", false
	}
	return fmt.Sprintf("the string names one host and no replicaSet, so some clients connect to %s alone and work from here: "+
		"mongosh (it adds directConnection=true to such a string), PyMongo 3 and the Java driver; "+
		"the Go driver this tool links, the Node.js driver and PyMongo 4 and later discover the set and fail as above", t.Hosts[0]), true
}

// HostOf is the host of a host:port address, or addr itself (without
// IPv6 brackets) when it has no port.
func HostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return h
}
