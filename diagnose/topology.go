package diagnose

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// TopologyKind names a deployment as the SDAM specification classifies it.
// The values are those of Report.Topology.
type TopologyKind string

// Topology kinds (server-discovery-and-monitoring.md, "TopologyType").
const (
	TopologyUnknown               TopologyKind = "Unknown"
	TopologySingle                TopologyKind = "Single"
	TopologyReplicaSetNoPrimary   TopologyKind = "ReplicaSetNoPrimary"
	TopologyReplicaSetWithPrimary TopologyKind = "ReplicaSetWithPrimary"
	TopologySharded               TopologyKind = "Sharded"
	TopologyLoadBalanced          TopologyKind = "LoadBalanced"
)

// Server kinds as Server.Kind spells them: the driver's ServerKind names.
const (
	srvKindUnknown      = "Unknown"
	srvKindStandalone   = "Standalone"
	srvKindMongos       = "Mongos"
	srvKindRSPrimary    = "RSPrimary"
	srvKindRSSecondary  = "RSSecondary"
	srvKindRSArbiter    = "RSArbiter"
	srvKindRSOther      = "RSOther"
	srvKindRSGhost      = "RSGhost"
	srvKindLoadBalancer = "LoadBalancer"
)

// topoDefaultThreshold is the latency window of server selection when the
// connection string does not set localThresholdMS (server-selection spec:
// "localThresholdMS ... default 15").
const topoDefaultThreshold = 15 * time.Millisecond

// maxTopologyMembers caps how many addresses discovery follows: a replica
// set has at most 50 members, so more means a hostile or broken reply.
const maxTopologyMembers = 64

// topoOptions are the connection-string options that steer discovery.
type topoOptions struct {
	direct       bool
	loadBalanced bool
	setName      string
	threshold    time.Duration
}

func topoOptionsFrom(cs *connstring.ConnString) topoOptions {
	o := topoOptions{threshold: topoDefaultThreshold}
	if cs == nil {
		return o
	}
	o.direct = cs.DirectConnectionSet && cs.DirectConnection || cs.ConnectSet && cs.Connect == connstring.SingleConnect
	o.loadBalanced = cs.LoadBalancedSet && cs.LoadBalanced
	o.setName = cs.ReplicaSet
	if cs.LocalThresholdSet {
		o.threshold = cs.LocalThreshold
	}
	return o
}

// topoCanonical is the driver's canonical form of a host:port: lower case,
// default port 27017 (mongo/address.Address.Canonicalize).
func topoCanonical(a string) string {
	s := strings.ToLower(strings.TrimSpace(a))
	if s == "" || strings.HasSuffix(s, ".sock") {
		return s
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") { // bare IPv6
			return "[" + s + "]:27017"
		}
		return s + ":27017"
	}
	return s
}

// topoMembersOf lists the hosts, passives and arbiters a server advertises, in
// canonical form, as SDAM does.
func topoMembersOf(s Server) []string {
	var out []string
	for _, l := range [][]string{s.Hosts, s.Passives, s.Arbiters} {
		for _, h := range l {
			out = appendUnique(out, topoCanonical(h))
		}
	}
	return out
}

func topoIsRSMember(k string) bool {
	switch k {
	case srvKindRSPrimary, srvKindRSSecondary, srvKindRSArbiter, srvKindRSOther:
		return true
	}
	return false
}

// topoDropped is a server SDAM removed from the topology, and why.
type topoDropped struct {
	addr   string
	server Server
	why    string
	// mismatch is set when the reason is a replica set name that differs
	// from the connection string's.
	mismatch bool
}

// sdam builds a topology description by the rules of the SDAM
// specification, from hello replies applied one at a time. It mirrors the
// Go driver's x/mongo/driver/topology/fsm.go and records why each server
// it drops was dropped, which the driver does not tell.
type sdam struct {
	opts    topoOptions
	kind    TopologyKind
	setName string
	order   []string          // member addresses in the topology, canonical
	desc    map[string]Server // latest description per member
	gone    []topoDropped

	maxSetVersion int64
	maxElectionID string
}

func newSDAM(opts topoOptions, seeds []string) *sdam {
	s := &sdam{opts: opts, setName: opts.setName, desc: map[string]Server{}}
	switch {
	case opts.loadBalanced:
		s.kind = TopologyLoadBalanced
	case opts.direct:
		s.kind = TopologySingle
	case opts.setName != "":
		s.kind = TopologyReplicaSetNoPrimary
	default:
		s.kind = TopologyUnknown
	}
	for _, a := range seeds {
		s.add(a)
		if opts.direct || opts.loadBalanced {
			break // one host only (the URI linter reports the rest)
		}
	}
	return s
}

// members returns the addresses currently in the topology.
func (s *sdam) members() []string { return append([]string(nil), s.order...) }

func (s *sdam) has(addr string) bool {
	_, ok := s.desc[topoCanonical(addr)]
	return ok
}

func (s *sdam) add(addr string) {
	a := topoCanonical(addr)
	if a == "" || len(s.order) >= maxTopologyMembers {
		return
	}
	if _, ok := s.desc[a]; ok {
		return
	}
	s.order = append(s.order, a)
	s.desc[a] = Server{Address: a, Kind: srvKindUnknown}
}

func (s *sdam) remove(addr string, srv Server, why string, mismatch bool) {
	a := topoCanonical(addr)
	if _, ok := s.desc[a]; !ok {
		return
	}
	delete(s.desc, a)
	for i, o := range s.order {
		if o == a {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.gone = append(s.gone, topoDropped{addr: a, server: srv, why: why, mismatch: mismatch})
}

func (s *sdam) replace(srv Server) {
	a := topoCanonical(srv.Address)
	if _, ok := s.desc[a]; ok {
		s.desc[a] = srv
	}
}

func (s *sdam) primary() (Server, bool) {
	for _, a := range s.order {
		if d := s.desc[a]; d.Kind == srvKindRSPrimary {
			return d, true
		}
	}
	return Server{}, false
}

func (s *sdam) checkIfHasPrimary() {
	if _, ok := s.primary(); ok {
		s.kind = TopologyReplicaSetWithPrimary
	} else {
		s.kind = TopologyReplicaSetNoPrimary
	}
}

// apply updates the topology with what srv (the reply of the server at
// srv.Address, or an Unknown description when it did not answer) says.
// Replies from servers no longer in the topology are ignored, as a driver
// stops monitoring them.
func (s *sdam) apply(srv Server) {
	a := topoCanonical(srv.Address)
	if _, ok := s.desc[a]; !ok {
		return
	}
	srv.Address = a
	if srv.Kind == "" {
		srv.Kind = srvKindUnknown
	}
	switch s.kind {
	case TopologyLoadBalanced:
		s.replace(srv)
	case TopologySingle:
		s.applySingle(srv)
	case TopologyUnknown:
		s.applyUnknown(srv)
	case TopologySharded:
		s.applySharded(srv)
	case TopologyReplicaSetNoPrimary, TopologyReplicaSetWithPrimary:
		s.applyReplicaSet(srv)
	}
}

func (s *sdam) applySingle(srv Server) {
	switch srv.Kind {
	case srvKindStandalone, srvKindMongos:
		if s.setName != "" {
			s.remove(srv.Address, srv, fmt.Sprintf("is a %s, but the connection string names replica set %q", topoKindPhrase(srv.Kind), s.setName), true)
			return
		}
		s.replace(srv)
	case srvKindRSPrimary, srvKindRSSecondary, srvKindRSArbiter, srvKindRSOther, srvKindRSGhost:
		if s.setName != "" && s.setName != srv.SetName {
			keep := Server{Address: srv.Address, Kind: srvKindUnknown, Reachable: srv.Reachable, RTTMs: srv.RTTMs,
				Error: fmt.Sprintf("reports replica set %q, but the connection string names %q", srv.SetName, s.setName)}
			s.replace(keep)
			s.gone = append(s.gone, topoDropped{addr: srv.Address, server: srv, why: keep.Error, mismatch: true})
			return
		}
		s.replace(srv)
	default:
		s.replace(srv)
	}
}

func (s *sdam) applyUnknown(srv Server) {
	switch srv.Kind {
	case srvKindMongos:
		s.kind = TopologySharded
		s.replace(srv)
	case srvKindRSPrimary:
		s.updateRSFromPrimary(srv)
	case srvKindRSSecondary, srvKindRSArbiter, srvKindRSOther:
		s.kind = TopologyReplicaSetNoPrimary
		s.updateRSWithoutPrimary(srv)
	case srvKindStandalone:
		if len(s.order) > 1 {
			s.remove(srv.Address, srv, "is a standalone server, and a connection string with several hosts expects a replica set or mongos routers", false)
			return
		}
		s.kind = TopologySingle
		s.replace(srv)
	default:
		s.replace(srv)
	}
}

func (s *sdam) applySharded(srv Server) {
	switch srv.Kind {
	case srvKindMongos, srvKindUnknown, srvKindLoadBalancer:
		s.replace(srv)
	default:
		s.remove(srv.Address, srv, fmt.Sprintf("is a %s, but the other seeds are mongos routers of a sharded cluster", topoKindPhrase(srv.Kind)), false)
	}
}

func (s *sdam) applyReplicaSet(srv Server) {
	switch srv.Kind {
	case srvKindStandalone, srvKindMongos:
		why := fmt.Sprintf("is a %s, not a replica set member", topoKindPhrase(srv.Kind))
		s.remove(srv.Address, srv, why, s.opts.setName != "")
		if s.kind == TopologyReplicaSetWithPrimary {
			s.checkIfHasPrimary()
		}
	case srvKindRSPrimary:
		s.updateRSFromPrimary(srv)
	case srvKindRSSecondary, srvKindRSArbiter, srvKindRSOther:
		if s.kind == TopologyReplicaSetWithPrimary {
			s.updateRSWithPrimaryFromMember(srv)
		} else {
			s.updateRSWithoutPrimary(srv)
		}
	default:
		s.replace(srv)
		if s.kind == TopologyReplicaSetWithPrimary {
			s.checkIfHasPrimary()
		}
	}
}

func (s *sdam) nameMismatch(srv Server) string {
	return fmt.Sprintf("reports replica set %q, but %s", srv.SetName, s.setNameSource())
}

func (s *sdam) setNameSource() string {
	if s.opts.setName != "" {
		return fmt.Sprintf("the connection string names %q", s.opts.setName)
	}
	return fmt.Sprintf("the first member that answered reports %q", s.setName)
}

func (s *sdam) updateRSFromPrimary(srv Server) {
	if s.setName == "" {
		s.setName = srv.SetName
	} else if s.setName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		s.checkIfHasPrimary()
		return
	}
	if !s.transferElection(srv) {
		return
	}
	if old, ok := s.primary(); ok && old.Address != srv.Address {
		s.replace(Server{Address: old.Address, Kind: srvKindUnknown, Reachable: old.Reachable,
			Error: "was a primary, but a newer primary was discovered"})
	}
	s.replace(srv)
	members := topoMembersOf(srv)
	inList := map[string]bool{}
	for _, m := range members {
		inList[m] = true
	}
	for _, a := range s.members() {
		if !inList[a] {
			d := s.desc[a]
			if d.Address == "" {
				d.Address = a
			}
			s.remove(a, d, fmt.Sprintf("is not in the member list of primary %s (%s)", srv.Address, strings.Join(members, ", ")), false)
		}
	}
	for _, m := range members {
		s.add(m)
	}
	s.checkIfHasPrimary()
}

// transferElection is the stale-primary rule: a primary whose (electionId,
// setVersion) is older than one already seen is not believed. It reports
// whether srv may become the primary.
func (s *sdam) transferElection(srv Server) bool {
	cmp := strings.Compare(strings.ToLower(srv.ElectionID), s.maxElectionID)
	stale := false
	if srv.MaxWireVersion >= 17 { // 6.0+: electionId first, then setVersion
		stale = cmp < 0 || (cmp == 0 && srv.SetVersion < s.maxSetVersion)
	} else if srv.SetVersion != 0 && srv.ElectionID != "" {
		stale = cmp < 0 || s.maxSetVersion > srv.SetVersion
	}
	if stale {
		s.replace(Server{Address: srv.Address, Kind: srvKindUnknown, Reachable: srv.Reachable,
			Error: "was a primary, but its set version or election id is stale"})
		s.checkIfHasPrimary()
		return false
	}
	if srv.ElectionID != "" {
		s.maxElectionID = strings.ToLower(srv.ElectionID)
	}
	if srv.SetVersion > s.maxSetVersion {
		s.maxSetVersion = srv.SetVersion
	}
	return true
}

func (s *sdam) updateRSWithPrimaryFromMember(srv Server) {
	if s.setName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		s.checkIfHasPrimary()
		return
	}
	if srv.Me != "" && topoCanonical(srv.Me) != srv.Address {
		s.remove(srv.Address, srv, fmt.Sprintf("calls itself %s (hello \"me\")", srv.Me), false)
		s.checkIfHasPrimary()
		return
	}
	s.replace(srv)
	if _, ok := s.primary(); !ok {
		s.kind = TopologyReplicaSetNoPrimary
	}
}

func (s *sdam) updateRSWithoutPrimary(srv Server) {
	if s.setName == "" {
		s.setName = srv.SetName
	} else if s.setName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		return
	}
	for _, m := range topoMembersOf(srv) {
		s.add(m)
	}
	if srv.Me != "" && topoCanonical(srv.Me) != srv.Address {
		s.remove(srv.Address, srv, fmt.Sprintf("calls itself %s (hello \"me\")", srv.Me), false)
		return
	}
	s.replace(srv)
}

func topoKindPhrase(k string) string {
	switch k {
	case srvKindStandalone:
		return "standalone server"
	case srvKindMongos:
		return "mongos router"
	case srvKindRSPrimary:
		return "replica set primary"
	case srvKindRSSecondary:
		return "replica set secondary"
	case srvKindRSArbiter:
		return "replica set arbiter"
	case srvKindRSOther:
		return "replica set member that serves no reads (hidden, starting up or recovering)"
	case srvKindRSGhost:
		return "member of a replica set without a configuration"
	case srvKindLoadBalancer:
		return "load balancer"
	}
	return "server in an unknown state"
}

// topoSelectable reports whether a server of kind k in a topology of kind tk
// can be chosen by server selection for a read (read preference nearest):
// the "eligible" servers of the latency window.
func topoSelectable(tk TopologyKind, s Server) bool {
	if !s.Reachable {
		return false
	}
	switch tk {
	case TopologySingle:
		return s.Kind != srvKindUnknown && s.Kind != srvKindRSGhost
	case TopologyLoadBalanced:
		return true
	case TopologySharded:
		return s.Kind == srvKindMongos
	case TopologyReplicaSetWithPrimary, TopologyReplicaSetNoPrimary:
		return s.Kind == srvKindRSPrimary || s.Kind == srvKindRSSecondary
	}
	return false
}

// topoLatencyWindow marks, in servers (a topology's members), those within
// threshold of the fastest eligible member's average RTT, as the server
// selection specification does: eligible servers whose RTT is at most
// fastest + localThresholdMS. It returns the fastest RTT (ms) and whether
// any server was eligible.
func topoLatencyWindow(tk TopologyKind, servers []Server, threshold time.Duration) (float64, bool) {
	fastest, any := 0.0, false
	for _, s := range servers {
		if !topoSelectable(tk, s) {
			continue
		}
		if !any || s.RTTMs < fastest {
			fastest, any = s.RTTMs, true
		}
	}
	limit := fastest + float64(threshold)/float64(time.Millisecond)
	for i := range servers {
		servers[i].InLatencyWindow = any && topoSelectable(tk, servers[i]) && servers[i].RTTMs <= limit
	}
	return fastest, any
}

// topologyView is the outcome of discovery: the SDAM description, the
// servers it dropped and every probe made.
type topologyView struct {
	opts    topoOptions
	kind    TopologyKind
	setName string
	// members are the servers of the final topology, in discovery order,
	// with InLatencyWindow set.
	members []Server
	// gone are the servers SDAM removed, and why.
	gone []topoDropped
	// probed holds every probe's result by canonical address, and order
	// lists those addresses in the order the results were applied.
	probed map[string]Server
	order  []string
	// seeds are the canonical seed addresses.
	seeds []string
	// asked maps a canonical address to the spelling first used for it
	// (seed as written, or as advertised).
	asked map[string]string
}

// primary returns the topology's primary.
func (v *topologyView) primary() (Server, bool) {
	for _, s := range v.members {
		if s.Kind == srvKindRSPrimary {
			return s, true
		}
	}
	return Server{}, false
}

// isReplicaSet reports whether the topology is a replica set of either
// kind.
func (v *topologyView) isReplicaSet() bool {
	return v.kind == TopologyReplicaSetNoPrimary || v.kind == TopologyReplicaSetWithPrimary
}

// reachableSeeds returns the seeds that answered hello, in seed order.
func (v *topologyView) reachableSeeds() []Server {
	var out []Server
	for _, a := range v.seeds {
		if s, ok := v.probed[a]; ok && s.Reachable {
			out = append(out, s)
		}
	}
	return out
}

// unreachable returns the advertised members (not seeds) of the topology
// that did not answer, sorted by address.
func (v *topologyView) unreachableMembers() []Server {
	var out []Server
	for _, s := range v.members {
		if !s.Reachable {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// allServers lists the servers of Report.Servers, each server once, in
// probe order (seeds first): the topology's members as SDAM describes
// them, then the servers SDAM dropped, with two rules.
//
// A dropped address that is a member under another name (its hello "me"
// is a member that answered under that name: an SRV target or an IP
// address where the set uses a host name) is left out: the member row
// already describes that server, and a topology check names the seed.
//
// Any other dropped server (a seed whose advertised name cannot be
// reached, a hidden member, a server of another set or kind) stays listed
// as it answered, because it is often the only server that answered from
// here, but it is marked as no member: InLatencyWindow false and Error
// saying that drivers drop it and why. Such a server is never a
// candidate for server selection: use selectable for that.
func (v *topologyView) allServers() []Server {
	member := map[string]Server{}
	for _, m := range v.members {
		member[m.Address] = m
	}
	seen := map[string]bool{}
	var out []Server
	emit := func(a string) {
		if seen[a] {
			return
		}
		seen[a] = true
		if _, isMember := member[a]; isMember {
			out = append(out, v.memberRow(a))
			return
		}
		p, probed := v.probed[a]
		if !probed || v.aliasOfMember(p) {
			return
		}
		p.InLatencyWindow = false
		note := "not a member of the topology: drivers drop this address"
		if why := v.dropReason(a); why != "" {
			note += ", as it " + why
		}
		if p.Error != "" {
			note += "; " + p.Error
		}
		p.Error = note
		p.Seed = v.isSeed(a)
		p.Address = topoDisplayAddr(v, a)
		out = append(out, p)
	}
	for _, a := range v.order {
		emit(a)
	}
	for _, m := range v.members {
		emit(m.Address)
	}
	return out
}

// selectable lists the members of the topology, as Report.Servers shows
// them, for server selection and the failover analysis: the servers a
// driver would monitor and choose from. Servers SDAM dropped (a seed the
// set knows by another name, a server of another set) are not among them.
func (v *topologyView) selectable() []Server {
	out := make([]Server, 0, len(v.members))
	for _, m := range v.members {
		out = append(out, v.memberRow(m.Address))
	}
	return out
}

// memberRow is the member at canonical address a as Report.Servers shows
// it: the SDAM description, with the probe's error when SDAM knows none,
// the seed flag and the address as written.
func (v *topologyView) memberRow(a string) Server {
	var s Server
	for _, m := range v.members {
		if m.Address == a {
			s = m
			break
		}
	}
	if p, probed := v.probed[a]; probed && s.Kind == srvKindUnknown && s.Error == "" {
		s.Error = p.Error
	}
	s.Seed = v.isSeed(a)
	s.Address = topoDisplayAddr(v, a)
	return s
}

// isSeed reports whether the canonical address a is a seed.
func (v *topologyView) isSeed(a string) bool {
	for _, s := range v.seeds {
		if s == a {
			return true
		}
	}
	return false
}

// aliasOfMember reports whether p, the reply of an address SDAM dropped,
// came from a member known to the set by another name: p calls itself by
// the name of a member that answered under that name.
func (v *topologyView) aliasOfMember(p Server) bool {
	if !p.Reachable || p.Me == "" {
		return false
	}
	me := topoCanonical(p.Me)
	if me == topoCanonical(p.Address) {
		return false
	}
	for _, m := range v.members {
		if m.Address == me && m.Reachable {
			return true
		}
	}
	return false
}

// dropReason is why SDAM dropped the canonical address a ("" when it did
// not).
func (v *topologyView) dropReason(a string) string {
	for i := len(v.gone) - 1; i >= 0; i-- {
		if v.gone[i].addr == a {
			return v.gone[i].why
		}
	}
	return ""
}
