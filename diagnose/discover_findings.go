package diagnose

import (
	"fmt"
	"net"
	"sort"
	"strings"
)

// topoURIs are the connection string as given, and for mongodb+srv its
// resolved mongodb:// equivalent (seeds, TXT options) once known. A fix
// that only changes options edits the string as given; one that names a
// host edits the resolved one, so that TXT options such as authSource
// survive.
type topoURIs struct {
	given, resolved string
}

func (u topoURIs) forHost() string {
	if u.resolved != "" {
		return u.resolved
	}
	return u.given
}

// topoFindings explains what the discovered topology means for a
// client that uses the connection strings u: the findings (replica set
// name mismatch, set not initiated, members unreachable, no primary) and
// the topology-stage checks, including the warnings about seeds that are
// not members or are known to the set by another name.
func topoFindings(v *topologyView, u topoURIs) ([]Finding, []Check) {
	var fs []Finding
	var cs []Check
	cs = append(cs, topoSeedNameChecks(v)...)
	cs = append(cs, topoLoadBalancerChecks(v)...)

	reachableSeeds := v.reachableSeeds()
	if len(reachableSeeds) == 0 {
		return nil, append(cs, Check{Stage: StageTopology, Status: StatusSkip, Summary: "no seed answered hello"})
	}

	if f, ok := topoLoadBalancerFinding(v, u.given); ok {
		fs = append(fs, f)
	}
	if f, ok := topoNameMismatchFinding(v, u.given); ok {
		fs = append(fs, f)
	}
	if f, ok := topoNotInitiatedFinding(v, u.forHost()); ok {
		fs = append(fs, f)
	}
	if v.isReplicaSet() && len(fs) == 0 {
		if _, ok := v.primary(); !ok {
			// A member whose address refuses connections is down (or not
			// listening there), not hidden behind a name or route this
			// machine lacks: that is a missing primary, not the tunnel trap.
			var trapped []Server
			for _, m := range v.unreachableMembers() {
				if !m.refused {
					trapped = append(trapped, m)
				}
			}
			if len(trapped) > 0 {
				fs = append(fs, topoUnreachableFinding(v, u.forHost(), trapped))
			} else if topoHasReachable(v) {
				fs = append(fs, topoNoPrimaryFinding(v))
			}
		}
	}

	c := Check{Stage: StageTopology, Status: StatusPass, Summary: topoSummary(v)}
	if len(fs) > 0 {
		c.Status = StatusFail
	} else if unreachable := v.unreachableMembers(); len(unreachable) > 0 {
		c.Status = StatusWarn
		c.Summary += fmt.Sprintf("; %d member(s) not reachable from here: %s", len(unreachable), topoJoinAddrs(unreachable))
	}
	cs = append(cs, c)
	return fs, cs
}

func topoHasReachable(v *topologyView) bool {
	for _, m := range v.members {
		if m.Reachable {
			return true
		}
	}
	return false
}

func topoJoinAddrs(ss []Server) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Address)
	}
	return strings.Join(out, ", ")
}

// topoSummary is one line about the topology: kind, set, members,
// primary, latency window.
func topoSummary(v *topologyView) string {
	var b strings.Builder
	b.WriteString(string(v.kind))
	if v.setName != "" {
		fmt.Fprintf(&b, " %q", v.setName)
	}
	switch v.kind {
	case TopologySharded:
		var routers []string
		for _, m := range v.members {
			if m.Kind == srvKindMongos {
				routers = append(routers, topoDisplayAddr(v, m.Address))
			}
		}
		fmt.Fprintf(&b, ": %d mongos router(s)", len(routers))
		if len(routers) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(routers, ", "))
		}
	case TopologySingle, TopologyLoadBalanced:
		if len(v.members) == 1 {
			m := v.members[0]
			fmt.Fprintf(&b, ": %s", m.Address)
			if m.Reachable {
				fmt.Fprintf(&b, " (%s)", m.Kind)
			}
		}
	default:
		fmt.Fprintf(&b, ": %d member(s), %d reachable", len(v.members), topoCountReachable(v.members))
		if p, ok := v.primary(); ok {
			fmt.Fprintf(&b, ", primary %s", p.Address)
		} else if v.isReplicaSet() {
			b.WriteString(", no primary")
		}
	}
	if n := topoCountInWindow(v.members); n > 0 {
		fmt.Fprintf(&b, "; %d in the %s latency window", n, topoThreshold(v))
	}
	return b.String()
}

func topoThreshold(v *topologyView) string {
	return fmt.Sprintf("%g ms", float64(v.opts.threshold.Microseconds())/1000)
}

func topoCountReachable(ss []Server) int {
	n := 0
	for _, s := range ss {
		if s.Reachable {
			n++
		}
	}
	return n
}

func topoCountInWindow(ss []Server) int {
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
func topoSeedNameChecks(v *topologyView) []Check {
	var out []Check
	for _, a := range v.seeds {
		p, ok := v.probed[a]
		if !ok || !p.Reachable {
			continue
		}
		written := v.asked[a]
		if written == "" {
			written = a
		}
		if written != a && topoCanonical(written) == a && strings.ToLower(written) != written {
			out = append(out, Check{Stage: StageTopology, Address: written, Status: StatusPass,
				Summary: fmt.Sprintf("seed %s differs from the member name %s only in letter case; drivers compare names in lower case, so this is harmless", written, a)})
		}
		if p.Hidden && !v.opts.direct {
			out = append(out, Check{Stage: StageTopology, Address: written, Status: StatusWarn,
				Summary: fmt.Sprintf("seed %s is a hidden member of %q: hidden members are not in the set's host list, so drivers drop this seed after discovery and never send it operations (use directConnection=true to reach it)", written, p.SetName)})
			continue
		}
		me := topoCanonical(p.Me)
		if v.opts.direct || !topoIsRSMember(p.Kind) || me == "" || me == a {
			continue
		}
		inList := false
		for _, m := range topoMembersOf(p) {
			if m == a {
				inList = true
			}
		}
		if inList {
			continue
		}
		out = append(out, Check{Stage: StageTopology, Address: written, Status: StatusWarn,
			Summary: fmt.Sprintf("seed %s is not a member name of replica set %q: the server calls itself %s (%s); drivers drop the seed and connect to the advertised names instead", written, p.SetName, p.Me, topoNameDifference(hostOf(a), hostOf(me)))})
	}
	return out
}

// topoLoadBalancerChecks fails when loadBalanced=true reaches a server
// that is not behind a load balancer: its hello carries no serviceId, and
// the driver refuses every connection to it.
func topoLoadBalancerChecks(v *topologyView) []Check {
	var out []Check
	for _, m := range topoNotBehindBalancer(v) {
		out = append(out, Check{Stage: StageTopology, Address: topoDisplayAddr(v, m.Address), Status: StatusFail,
			Summary: fmt.Sprintf("loadBalanced=true, but this %s answered hello without a serviceId: it is not behind a MongoDB load balancer, and drivers refuse it (%q); remove loadBalanced=true", topoKindPhrase(m.Kind), lbModeError)})
	}
	return out
}

// lbModeError is what drivers say (load-balancer specification) when a
// server reached with loadBalanced=true reports no serviceId.
const lbModeError = "driver attempted to initialize in load balancing mode, but the server does not support this mode"

// topoNotBehindBalancer lists the members of a load-balanced topology
// that answered hello without a serviceId.
func topoNotBehindBalancer(v *topologyView) []Server {
	if v.kind != TopologyLoadBalanced {
		return nil
	}
	var out []Server
	for _, m := range v.members {
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
func topoLoadBalancerFinding(v *topologyView, raw string) (Finding, bool) {
	bad := topoNotBehindBalancer(v)
	if len(bad) == 0 {
		return Finding{}, false
	}
	m := bad[0]
	addr := topoDisplayAddr(v, m.Address)
	f := NewFinding(IDSelectTimeout,
		fmt.Sprintf("loadBalanced=true, but %s is a %s that answered hello without a serviceId: no MongoDB load balancer is in front of it", addr, topoKindPhrase(m.Kind)),
		fmt.Sprintf("drivers refuse every connection to it: %q", lbModeError))
	f.Title = "loadBalanced=true, but the server is not behind a load balancer"
	f.Cause = "With loadBalanced=true a driver takes the one host of the connection string for a load balancer in " +
		"front of mongos routers (Atlas serverless, a private endpoint, a layer-4 balancer configured for MongoDB) " +
		"and expects the hello reply that comes through it to carry a serviceId. A server reached directly (a mongos, " +
		"a replica set member, a standalone) sends none, so the driver refuses every connection it opens: operations " +
		"fail with the error above, or with a server selection timeout in drivers that report it so."
	fix := "Remove loadBalanced=true: the driver then discovers this " + topoKindPhrase(m.Kind) + " the usual way"
	if u, err := topoWithoutLoadBalanced(raw); err == nil {
		f.SuggestedURI = Redact(u)
		fix += ": " + f.SuggestedURI
	}
	f.Fixes = []string{
		fix,
		"If a layer-4 load balancer really is in front of your mongos routers, it must connect to the routers' load-balancer port (mongos --loadBalancerPort, MongoDB 5.3+) and send the PROXY protocol header: only then do the routers report a serviceId",
	}
	f.Docs = []string{docConnOptions, docGoTargets}
	return f, true
}

// topoWithoutLoadBalanced is raw without loadBalanced=true: the option is
// removed, or, when it came from a TXT record (mongodb+srv), overridden
// with loadBalanced=false, as options of the string win over TXT ones.
func topoWithoutLoadBalanced(raw string) (string, error) {
	p, err := splitURI(raw)
	if err != nil {
		return "", err
	}
	if _, inURI := srvLastValue(p.pairs, "loadbalanced"); inURI || !strings.HasPrefix(raw, "mongodb+srv://") {
		return rewriteURI(raw, uriEdit{drop: []string{"loadBalanced"}})
	}
	return rewriteURI(raw, uriEdit{set: map[string]string{"loadBalanced": "false"}})
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
func topoNameMismatchFinding(v *topologyView, raw string) (Finding, bool) {
	if v.opts.setName == "" {
		return Finding{}, false
	}
	var ev []string
	names := map[string]bool{}
	for _, g := range v.gone {
		if !g.mismatch {
			continue
		}
		names[g.server.SetName] = true
		if g.server.SetName == "" {
			ev = append(ev, fmt.Sprintf("%s is a %s, not a member of replica set %q", g.addr, topoKindPhrase(g.server.Kind), v.opts.setName))
			continue
		}
		ev = append(ev, fmt.Sprintf("%s reports replica set %q (%s); the connection string says replicaSet=%s", g.addr, g.server.SetName, g.server.Kind, v.opts.setName))
	}
	if len(ev) == 0 {
		return Finding{}, false
	}
	for _, m := range v.members {
		if m.Reachable && m.Kind != srvKindUnknown {
			return Finding{}, false // members of the named set answered: the others are only ignored
		}
	}
	f := NewFinding(IDTopologyReplSetNameMismatch, ev...)
	if len(names) == 1 {
		for n := range names {
			if n == "" {
				break
			}
			if u, err := rewriteURI(raw, uriEdit{set: map[string]string{"replicaSet": n}}); err == nil {
				f.SuggestedURI = Redact(u)
				f.Fixes = append([]string{fmt.Sprintf("Use the name the servers report: replicaSet=%s", n)}, f.Fixes...)
			}
		}
	}
	return f, true
}

// topoNotInitiatedFinding reports a deployment whose members run with
// --replSet but have no replica set configuration yet (RSGhost replies
// without a set name), and nothing else answered.
func topoNotInitiatedFinding(v *topologyView, raw string) (Finding, bool) {
	var ghosts []Server
	for _, a := range topoSortedKeys(v.probed) {
		p := v.probed[a]
		if !p.Reachable {
			continue
		}
		if p.Kind != srvKindRSGhost || p.SetName != "" {
			return Finding{}, false
		}
		ghosts = append(ghosts, p)
	}
	if len(ghosts) == 0 {
		return Finding{}, false
	}
	seed := ghosts[0]
	for _, s := range v.reachableSeeds() {
		if s.Kind == srvKindRSGhost {
			seed = s
			break
		}
	}
	dial := v.asked[seed.Address]
	if dial == "" {
		dial = seed.Address
	}
	var ev []string
	for _, g := range ghosts {
		ev = append(ev, fmt.Sprintf("%s runs with --replSet but has no replica set configuration (hello: isreplicaset: true)", g.Address))
	}
	f := NewFinding(IDTopologyReplSetNotInitiated, ev...)
	setName := v.opts.setName
	if setName == "" {
		setName = "rs0"
	}
	if u, err := rewriteURI(raw, uriEdit{host: dial, set: map[string]string{"directConnection": "true"}, drop: []string{"replicaSet"}}); err == nil {
		f.SuggestedURI = Redact(u)
		f.Fixes = append([]string{
			fmt.Sprintf("Connect to the member alone and initiate the set: mongosh %q --eval 'rs.initiate({_id: %q, members: [{_id: 0, host: %q}]})'", f.SuggestedURI, setName, dial),
			"Use a host name in rs.initiate that every client can resolve and reach: the set advertises exactly that name to drivers",
		}, f.Fixes...)
	}
	return f, true
}

// topoNoPrimaryFinding reports a replica set whose reachable members all
// answered and none of them is primary.
func topoNoPrimaryFinding(v *topologyView) Finding {
	var ev []string
	for _, m := range v.members {
		state := m.Kind
		if m.Primary != "" {
			state += ", says the primary is " + m.Primary
		}
		ev = append(ev, fmt.Sprintf("%s is %s", m.Address, state))
	}
	f := NewFinding(IDTopologyNoPrimary, ev...)
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
func topoUnreachableFinding(v *topologyView, raw string, unreachable []Server) Finding {
	var ev []string
	for _, s := range v.reachableSeeds() {
		line := fmt.Sprintf("seed %s answers as %s of replica set %q", topoDisplayAddr(v, s.Address), s.Kind, s.SetName)
		if s.Me != "" && topoCanonical(s.Me) != s.Address {
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
	f := NewFinding(IDTopologyAdvertisedUnreachable, ev...)
	seed, ok := topoDirectSeed(v)
	var fixes []string
	if ok {
		dial := topoDisplayAddr(v, seed.Address)
		if u, err := rewriteURI(raw, uriEdit{host: dial, set: map[string]string{"directConnection": "true"}, drop: []string{"replicaSet"}}); err == nil {
			f.SuggestedURI = Redact(u)
			fix := fmt.Sprintf("Connect to the reachable seed %s alone with directConnection=true (no replicaSet): the driver then uses that address and ignores the advertised names", dial)
			if seed.Kind != srvKindRSPrimary {
				fix += fmt.Sprintf("; it is a %s, so writes fail through it: forward a port to the primary instead", topoKindPhrase(seed.Kind))
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
func topoDirectSeed(v *topologyView) (Server, bool) {
	seeds := v.reachableSeeds()
	if len(seeds) == 0 {
		return Server{}, false
	}
	for _, s := range seeds {
		if s.Kind == srvKindRSPrimary {
			return s, true
		}
	}
	for _, s := range seeds {
		if s.Kind == srvKindRSSecondary {
			return s, true
		}
	}
	return seeds[0], true
}

// topoDisplayAddr is an address as the user wrote it (seed) or as advertised.
func topoDisplayAddr(v *topologyView, canonical string) string {
	if o, ok := v.asked[canonical]; ok && o != "" {
		return o
	}
	return canonical
}

func topoSortedKeys(m map[string]Server) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
