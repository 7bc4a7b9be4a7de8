// Package sdam applies the Server Discovery and Monitoring rules to hello
// replies (topology kinds, set names, elections, latency windows) and the
// server-selection rules (read preferences, tags, staleness) to the
// servers found. Discovery drives a probe function it is given; it never
// dials. It imports report, redact and connstr.
package sdam

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/report"
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

// DefaultThreshold is the latency window of server selection when the
// connection string does not set localThresholdMS (server-selection spec:
// "localThresholdMS ... default 15").
const DefaultThreshold = 15 * time.Millisecond

// MaxMembers caps how many addresses discovery follows: a replica
// set has at most 50 members, so more means a hostile or broken reply.
const MaxMembers = 64

// Options are the connection-string options that steer discovery.
type Options struct {
	Direct       bool
	LoadBalanced bool
	SetName      string
	Threshold    time.Duration
}

func OptionsFrom(cs *connstring.ConnString) Options {
	o := Options{Threshold: DefaultThreshold}
	if cs == nil {
		return o
	}
	o.Direct = cs.DirectConnectionSet && cs.DirectConnection || cs.ConnectSet && cs.Connect == connstring.SingleConnect
	o.LoadBalanced = cs.LoadBalancedSet && cs.LoadBalanced
	o.SetName = cs.ReplicaSet
	if cs.LocalThresholdSet {
		o.Threshold = cs.LocalThreshold
	}
	return o
}

// Canonical is the canonical form of a host:port: lower case, default
// port 27017, as the driver's (mongo/address.Address.Canonicalize), and
// without the trailing dot of an absolute DNS name, which the driver
// keeps. "db.example.net." and "db.example.net" are one DNS name: they
// resolve to the same addresses and reach the same server, which answers
// hello under one name (me). The driver monitors such a member twice, as
// two servers that take turns at being the primary; listing it twice
// would show two members where there is one, so it is one member here,
// and DuplicateSpellings tells what the driver does with the list.
func Canonical(a string) string {
	s := strings.ToLower(strings.TrimSpace(a))
	if s == "" || strings.HasSuffix(s, ".sock") {
		return s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") { // bare IPv6
			return "[" + s + "]:27017"
		}
		host, port = s, "27017"
	}
	if h := strings.TrimSuffix(host, "."); h != "" && !strings.Contains(h, ":") {
		host = h
	}
	return net.JoinHostPort(host, port)
}

// DriverCanonical is the driver's own canonical form of a host:port
// (mongo/address.Address.Canonicalize): lower case, default port 27017,
// a trailing dot kept.
func DriverCanonical(a string) string {
	s := strings.ToLower(a)
	if s == "" || strings.HasSuffix(s, "sock") {
		return a
	}
	if _, _, err := net.SplitHostPort(s); err != nil && strings.Contains(err.Error(), "missing port in address") {
		s += ":27017"
	}
	return s
}

// DuplicateSpellings lists, for each member a server's hello names under
// more than one spelling that the driver keeps apart (a trailing dot), the
// spellings as written, the first one first. Spellings the driver itself
// merges (case, the default port) are no duplicates to it.
func DuplicateSpellings(s report.Server) [][]string {
	byMember := map[string][]string{}
	var order []string
	for _, l := range [][]string{s.Hosts, s.Passives, s.Arbiters} {
		for _, h := range l {
			c := Canonical(h)
			if _, ok := byMember[c]; !ok {
				order = append(order, c)
			}
			byMember[c] = append(byMember[c], h)
		}
	}
	var out [][]string
	for _, c := range order {
		driver := map[string]bool{}
		for _, h := range byMember[c] {
			driver[DriverCanonical(h)] = true
		}
		if len(driver) > 1 {
			out = append(out, byMember[c])
		}
	}
	return out
}

// MembersOf lists the hosts, passives and arbiters a server advertises, in
// canonical form, as SDAM does.
func MembersOf(s report.Server) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range [][]string{s.Hosts, s.Passives, s.Arbiters} {
		for _, h := range l {
			if c := Canonical(h); !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// maxListedInReason is how many member names a reason lists before it
// says how many more there are: enough to recognise the set, few enough
// that a list of thousands stays one line.
const maxListedInReason = 8

// listMembers joins members for a reason, the first maxListedInReason of
// them and a count of the others.
func listMembers(members []string) string {
	if len(members) <= maxListedInReason {
		return strings.Join(members, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(members[:maxListedInReason], ", "), len(members)-maxListedInReason)
}

func IsRSMember(k string) bool {
	switch k {
	case report.KindRSPrimary, report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther:
		return true
	}
	return false
}

// Dropped is a server SDAM removed from the topology, and why.
type Dropped struct {
	Addr   string
	Server report.Server
	Why    string
	// mismatch is set when the reason is a replica set name that differs
	// from the connection string's.
	Mismatch bool
}

// Topology builds a topology description by the rules of the SDAM
// specification, from hello replies applied one at a time. It mirrors the
// Go driver's x/mongo/driver/topology/fsm.go and records why each server
// it drops was dropped, which the driver does not tell.
type Topology struct {
	opts    Options
	Kind    TopologyKind
	SetName string
	Order   []string                 // member addresses in the topology, canonical
	Desc    map[string]report.Server // latest description per member
	Gone    []Dropped

	maxSetVersion int64
	maxElectionID string
}

func NewTopology(opts Options, seeds []string) *Topology {
	s := &Topology{opts: opts, SetName: opts.SetName, Desc: map[string]report.Server{}}
	switch {
	case opts.LoadBalanced:
		s.Kind = TopologyLoadBalanced
	case opts.Direct:
		s.Kind = TopologySingle
	case opts.SetName != "":
		s.Kind = TopologyReplicaSetNoPrimary
	default:
		s.Kind = TopologyUnknown
	}
	for _, a := range seeds {
		s.add(a)
		if opts.Direct || opts.LoadBalanced {
			break // one host only (the URI linter reports the rest)
		}
	}
	return s
}

// Members returns the addresses currently in the topology.
func (s *Topology) Members() []string { return append([]string(nil), s.Order...) }

func (s *Topology) Has(addr string) bool {
	_, ok := s.Desc[Canonical(addr)]
	return ok
}

func (s *Topology) add(addr string) {
	a := Canonical(addr)
	if a == "" || len(s.Order) >= MaxMembers {
		return
	}
	if _, ok := s.Desc[a]; ok {
		return
	}
	s.Order = append(s.Order, a)
	s.Desc[a] = report.Server{Address: a, Kind: report.KindUnknown}
}

func (s *Topology) remove(addr string, srv report.Server, why string, mismatch bool) {
	a := Canonical(addr)
	if _, ok := s.Desc[a]; !ok {
		return
	}
	delete(s.Desc, a)
	for i, o := range s.Order {
		if o == a {
			s.Order = append(s.Order[:i], s.Order[i+1:]...)
			break
		}
	}
	s.Gone = append(s.Gone, Dropped{Addr: a, Server: srv, Why: why, Mismatch: mismatch})
}

func (s *Topology) replace(srv report.Server) {
	a := Canonical(srv.Address)
	if _, ok := s.Desc[a]; ok {
		s.Desc[a] = srv
	}
}

func (s *Topology) primary() (report.Server, bool) {
	for _, a := range s.Order {
		if d := s.Desc[a]; d.Kind == report.KindRSPrimary {
			return d, true
		}
	}
	return report.Server{}, false
}

func (s *Topology) checkIfHasPrimary() {
	if _, ok := s.primary(); ok {
		s.Kind = TopologyReplicaSetWithPrimary
	} else {
		s.Kind = TopologyReplicaSetNoPrimary
	}
}

// Apply updates the topology with what srv (the reply of the server at
// srv.Address, or an Unknown description when it did not answer) says.
// Replies from servers no longer in the topology are ignored, as a driver
// stops monitoring them.
func (s *Topology) Apply(srv report.Server) {
	a := Canonical(srv.Address)
	if _, ok := s.Desc[a]; !ok {
		return
	}
	srv.Address = a
	if srv.Kind == "" {
		srv.Kind = report.KindUnknown
	}
	switch s.Kind {
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

func (s *Topology) applySingle(srv report.Server) {
	switch srv.Kind {
	case report.KindStandalone, report.KindMongos:
		if s.SetName != "" {
			s.remove(srv.Address, srv, fmt.Sprintf("is a %s, but the connection string names replica set %q", KindPhrase(srv.Kind), s.SetName), true)
			return
		}
		s.replace(srv)
	case report.KindRSPrimary, report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther, report.KindRSGhost:
		if s.SetName != "" && s.SetName != srv.SetName {
			keep := report.Server{Address: srv.Address, Kind: report.KindUnknown, Reachable: srv.Reachable, RTTMs: srv.RTTMs,
				Error: fmt.Sprintf("reports replica set %q, but the connection string names %q", srv.SetName, s.SetName)}
			s.replace(keep)
			s.Gone = append(s.Gone, Dropped{Addr: srv.Address, Server: srv, Why: keep.Error, Mismatch: true})
			return
		}
		s.replace(srv)
	default:
		s.replace(srv)
	}
}

func (s *Topology) applyUnknown(srv report.Server) {
	switch srv.Kind {
	case report.KindMongos:
		s.Kind = TopologySharded
		s.replace(srv)
	case report.KindRSPrimary:
		s.updateRSFromPrimary(srv)
	case report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther:
		s.Kind = TopologyReplicaSetNoPrimary
		s.updateRSWithoutPrimary(srv)
	case report.KindStandalone:
		if len(s.Order) > 1 {
			s.remove(srv.Address, srv, "is a standalone server, and a connection string with several hosts expects a replica set or mongos routers", false)
			return
		}
		s.Kind = TopologySingle
		s.replace(srv)
	default:
		s.replace(srv)
	}
}

func (s *Topology) applySharded(srv report.Server) {
	switch srv.Kind {
	case report.KindMongos, report.KindUnknown, report.KindLoadBalancer:
		s.replace(srv)
	default:
		s.remove(srv.Address, srv, fmt.Sprintf("is a %s, but the other seeds are mongos routers of a sharded cluster", KindPhrase(srv.Kind)), false)
	}
}

func (s *Topology) applyReplicaSet(srv report.Server) {
	switch srv.Kind {
	case report.KindStandalone, report.KindMongos:
		why := fmt.Sprintf("is a %s, not a replica set member", KindPhrase(srv.Kind))
		s.remove(srv.Address, srv, why, s.opts.SetName != "")
		if s.Kind == TopologyReplicaSetWithPrimary {
			s.checkIfHasPrimary()
		}
	case report.KindRSPrimary:
		s.updateRSFromPrimary(srv)
	case report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther:
		if s.Kind == TopologyReplicaSetWithPrimary {
			s.updateRSWithPrimaryFromMember(srv)
		} else {
			s.updateRSWithoutPrimary(srv)
		}
	default:
		s.replace(srv)
		if s.Kind == TopologyReplicaSetWithPrimary {
			s.checkIfHasPrimary()
		}
	}
}

func (s *Topology) nameMismatch(srv report.Server) string {
	return fmt.Sprintf("reports replica set %q, but %s", srv.SetName, s.setNameSource())
}

func (s *Topology) setNameSource() string {
	if s.opts.SetName != "" {
		return fmt.Sprintf("the connection string names %q", s.opts.SetName)
	}
	return fmt.Sprintf("the first member that answered reports %q", s.SetName)
}

func (s *Topology) updateRSFromPrimary(srv report.Server) {
	if s.SetName == "" {
		s.SetName = srv.SetName
	} else if s.SetName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		s.checkIfHasPrimary()
		return
	}
	if !s.transferElection(srv) {
		return
	}
	if old, ok := s.primary(); ok && old.Address != srv.Address {
		s.replace(report.Server{Address: old.Address, Kind: report.KindUnknown, Reachable: old.Reachable,
			Error: "was a primary, but a newer primary was discovered"})
	}
	s.replace(srv)
	members := MembersOf(srv)
	inList := map[string]bool{}
	for _, m := range members {
		inList[m] = true
	}
	for _, a := range s.Members() {
		if !inList[a] {
			d := s.Desc[a]
			if d.Address == "" {
				d.Address = a
			}
			s.remove(a, d, fmt.Sprintf("is not in the member list of primary %s (%s)", srv.Address, listMembers(members)), false)
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
func (s *Topology) transferElection(srv report.Server) bool {
	cmp := strings.Compare(strings.ToLower(srv.ElectionID), s.maxElectionID)
	stale := false
	if int32(srv.MaxWireVersion) >= 17 { // 6.0+ (as the driver reads it, 32 bits): electionId first, then setVersion
		stale = cmp < 0 || (cmp == 0 && srv.SetVersion < s.maxSetVersion)
	} else if srv.SetVersion != 0 && srv.ElectionID != "" {
		stale = cmp < 0 || s.maxSetVersion > srv.SetVersion
	}
	if stale {
		s.replace(report.Server{Address: srv.Address, Kind: report.KindUnknown, Reachable: srv.Reachable,
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

func (s *Topology) updateRSWithPrimaryFromMember(srv report.Server) {
	if s.SetName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		s.checkIfHasPrimary()
		return
	}
	if srv.Me != "" && Canonical(srv.Me) != srv.Address {
		s.remove(srv.Address, srv, fmt.Sprintf("calls itself %s (hello \"me\")", srv.Me), false)
		s.checkIfHasPrimary()
		return
	}
	s.replace(srv)
	if _, ok := s.primary(); !ok {
		s.Kind = TopologyReplicaSetNoPrimary
	}
}

func (s *Topology) updateRSWithoutPrimary(srv report.Server) {
	if s.SetName == "" {
		s.SetName = srv.SetName
	} else if s.SetName != srv.SetName {
		s.remove(srv.Address, srv, s.nameMismatch(srv), true)
		return
	}
	for _, m := range MembersOf(srv) {
		s.add(m)
	}
	if srv.Me != "" && Canonical(srv.Me) != srv.Address {
		s.remove(srv.Address, srv, fmt.Sprintf("calls itself %s (hello \"me\")", srv.Me), false)
		return
	}
	s.replace(srv)
}

func KindPhrase(k string) string {
	switch k {
	case report.KindStandalone:
		return "standalone server"
	case report.KindMongos:
		return "mongos router"
	case report.KindRSPrimary:
		return "replica set primary"
	case report.KindRSSecondary:
		return "replica set secondary"
	case report.KindRSArbiter:
		return "replica set arbiter"
	case report.KindRSOther:
		return "replica set member that serves no reads (hidden, starting up or recovering)"
	case report.KindRSGhost:
		return "member of a replica set without a configuration"
	case report.KindLoadBalancer:
		return "load balancer"
	}
	return "server in an unknown state"
}

// topoSelectable reports whether a server of kind k in a topology of kind tk
// can be chosen by server selection for a read (read preference nearest):
// the "eligible" servers of the latency window.
func topoSelectable(tk TopologyKind, s report.Server) bool {
	if !s.Reachable {
		return false
	}
	switch tk {
	case TopologySingle:
		return s.Kind != report.KindUnknown && s.Kind != report.KindRSGhost
	case TopologyLoadBalanced:
		return true
	case TopologySharded:
		return s.Kind == report.KindMongos
	case TopologyReplicaSetWithPrimary, TopologyReplicaSetNoPrimary:
		return s.Kind == report.KindRSPrimary || s.Kind == report.KindRSSecondary
	}
	return false
}

// LatencyWindow marks, in servers (a topology's members), those within
// threshold of the fastest eligible member's average RTT, as the server
// selection specification does: eligible servers whose RTT is at most
// fastest + localThresholdMS. It returns the fastest RTT (ms) and whether
// any server was eligible.
func LatencyWindow(tk TopologyKind, servers []report.Server, threshold time.Duration) (float64, bool) {
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

// View is the outcome of discovery: the SDAM description, the
// servers it dropped and every probe made.
type View struct {
	Opts    Options
	Kind    TopologyKind
	SetName string
	// members are the servers of the final topology, in discovery order,
	// with InLatencyWindow set.
	Members []report.Server
	// gone are the servers SDAM removed, and why.
	Gone []Dropped
	// probed holds every probe's result by canonical address, and order
	// lists those addresses in the order the results were applied.
	Probed map[string]report.Server
	Order  []string
	// seeds are the canonical seed addresses.
	Seeds []string
	// asked maps a canonical address to the spelling first used for it
	// (seed as written, or as advertised).
	Asked map[string]string
}

// Primary returns the topology's primary.
func (v *View) Primary() (report.Server, bool) {
	for _, s := range v.Members {
		if s.Kind == report.KindRSPrimary {
			return s, true
		}
	}
	return report.Server{}, false
}

// IsReplicaSet reports whether the topology is a replica set of either
// kind.
func (v *View) IsReplicaSet() bool {
	return v.Kind == TopologyReplicaSetNoPrimary || v.Kind == TopologyReplicaSetWithPrimary
}

// ReachableSeeds returns the seeds that answered hello, in seed order.
func (v *View) ReachableSeeds() []report.Server {
	var out []report.Server
	for _, a := range v.Seeds {
		if s, ok := v.Probed[a]; ok && s.Reachable {
			out = append(out, s)
		}
	}
	return out
}

// unreachable returns the advertised members (not seeds) of the topology
// that did not answer, sorted by address.
func (v *View) UnreachableMembers() []report.Server {
	var out []report.Server
	for _, s := range v.Members {
		if !s.Reachable {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// AllServers lists the servers of Report.Servers, each server once, in
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
func (v *View) AllServers() []report.Server {
	member := map[string]report.Server{}
	for _, m := range v.Members {
		member[m.Address] = m
	}
	seen := map[string]bool{}
	var out []report.Server
	emit := func(a string) {
		if seen[a] {
			return
		}
		seen[a] = true
		if _, isMember := member[a]; isMember {
			out = append(out, v.memberRow(a))
			return
		}
		p, probed := v.Probed[a]
		if !probed || v.AliasOfMember(p) {
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
		p.Address = DisplayAddr(v, a)
		out = append(out, p)
	}
	for _, a := range v.Order {
		emit(a)
	}
	for _, m := range v.Members {
		emit(m.Address)
	}
	return out
}

// Selectable lists the members of the topology, as Report.Servers shows
// them, for server selection and the failover analysis: the servers a
// driver would monitor and choose from. Servers SDAM dropped (a seed the
// set knows by another name, a server of another set) are not among them.
func (v *View) Selectable() []report.Server {
	out := make([]report.Server, 0, len(v.Members))
	for _, m := range v.Members {
		out = append(out, v.memberRow(m.Address))
	}
	return out
}

// memberRow is the member at canonical address a as Report.Servers shows
// it: the SDAM description, with the probe's error when SDAM knows none,
// the seed flag and the address as written.
func (v *View) memberRow(a string) report.Server {
	var s report.Server
	for _, m := range v.Members {
		if m.Address == a {
			s = m
			break
		}
	}
	if p, probed := v.Probed[a]; probed && s.Kind == report.KindUnknown && s.Error == "" {
		s.Error = p.Error
	}
	s.Seed = v.isSeed(a)
	s.Address = DisplayAddr(v, a)
	return s
}

// isSeed reports whether the canonical address a is a seed.
func (v *View) isSeed(a string) bool {
	for _, s := range v.Seeds {
		if s == a {
			return true
		}
	}
	return false
}

// AliasOfMember reports whether p, the reply of an address SDAM dropped,
// came from a member known to the set by another name: p calls itself by
// the name of a member that answered under that name.
func (v *View) AliasOfMember(p report.Server) bool {
	if !p.Reachable || p.Me == "" {
		return false
	}
	me := Canonical(p.Me)
	if me == Canonical(p.Address) {
		return false
	}
	for _, m := range v.Members {
		if m.Address == me && m.Reachable {
			return true
		}
	}
	return false
}

// dropReason is why SDAM dropped the canonical address a ("" when it did
// not).
func (v *View) dropReason(a string) string {
	for i := len(v.Gone) - 1; i >= 0; i-- {
		if v.Gone[i].Addr == a {
			return v.Gone[i].Why
		}
	}
	return ""
}

// DisplayAddr is an address as the user wrote it (seed) or as advertised.
func DisplayAddr(v *View, canonical string) string {
	if o, ok := v.Asked[canonical]; ok && o != "" {
		return o
	}
	return canonical
}
