package sdam

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Server selection (the server-selection and max-staleness specifications)
// applied to the servers a probe saw: which member a read with the
// connection string's read preference, and a write, would go to, or
// exactly why none qualifies.

// Constants of the specifications. They are not timeouts: they are the
// figures drivers and servers judge maxStalenessSeconds by.
const (
	// SmallestMaxStaleness is smallestMaxStalenessSeconds: drivers and
	// mongos refuse a smaller maxStalenessSeconds (server selection spec).
	SmallestMaxStaleness = 90 * time.Second

	// IdleWritePeriod is idleWritePeriodMS: an idle primary writes a no-op
	// this often, so a secondary's lastWriteDate never looks older than this
	// for want of writes (max-staleness spec).
	IdleWritePeriod = 10 * time.Second

	// DefaultHeartbeatFrequency is heartbeatFrequencyMS of multi-threaded
	// drivers when the connection string does not set it (SDAM spec); it is
	// part of every staleness estimate.
	DefaultHeartbeatFrequency = 10 * time.Second
)

// ReadPrefMode is a read preference mode, spelt as in connection strings.
type ReadPrefMode string

// The read preference modes.
const (
	ReadPrimary            ReadPrefMode = "primary"
	ReadPrimaryPreferred   ReadPrefMode = "primaryPreferred"
	ReadSecondary          ReadPrefMode = "secondary"
	ReadSecondaryPreferred ReadPrefMode = "secondaryPreferred"
	ReadNearest            ReadPrefMode = "nearest"
)

// ReadPref is a read preference as server selection applies it.
type ReadPref struct {
	// Mode is the mode; "" means ReadPrimary.
	Mode ReadPrefMode
	// TagSets are tried in order; the first that matches some candidate
	// decides. An empty map matches every server; no tag sets at all is
	// the default [{}].
	TagSets []map[string]string
	// MaxStaleness is maxStalenessSeconds; zero or less means no maximum.
	MaxStaleness time.Duration
	// HeartbeatFrequency is heartbeatFrequencyMS; zero means
	// DefaultHeartbeatFrequency.
	HeartbeatFrequency time.Duration
}

// ReadPrefOf returns the read preference of a connection string.
func ReadPrefOf(t *connstr.Target) ReadPref {
	rp := ReadPref{Mode: ReadPrimary}
	if t == nil {
		return rp
	}
	if t.ReadPreference != "" {
		rp.Mode = canonicalMode(t.ReadPreference)
	}
	for _, ts := range t.ReadPreferenceTags {
		rp.TagSets = append(rp.TagSets, maps.Clone(ts))
	}
	if t.MaxStalenessSeconds > 0 {
		rp.MaxStaleness = time.Duration(t.MaxStalenessSeconds) * time.Second
	}
	if t.Conn != nil && t.Conn.HeartbeatIntervalSet {
		rp.HeartbeatFrequency = t.Conn.HeartbeatInterval
	}
	return rp
}

// canonicalMode spells a mode as the specification does, whatever its
// letter case.
func canonicalMode(s string) ReadPrefMode {
	for _, m := range []ReadPrefMode{ReadPrimary, ReadPrimaryPreferred, ReadSecondary, ReadSecondaryPreferred, ReadNearest} {
		if strings.EqualFold(s, string(m)) {
			return m
		}
	}
	return ReadPrefMode(s)
}

func (rp ReadPref) EffectiveMode() ReadPrefMode {
	if rp.Mode == "" {
		return ReadPrimary
	}
	return canonicalMode(string(rp.Mode))
}

func (rp ReadPref) Heartbeat() time.Duration {
	if rp.HeartbeatFrequency > 0 {
		return rp.HeartbeatFrequency
	}
	return DefaultHeartbeatFrequency
}

// hasTags reports whether some tag set is not empty (the default [{}]
// restricts nothing).
func (rp ReadPref) hasTags() bool {
	for _, ts := range rp.TagSets {
		if len(ts) > 0 {
			return true
		}
	}
	return false
}

// String is the read preference in connection-string spelling.
func (rp ReadPref) String() string {
	parts := []string{"readPreference=" + string(rp.EffectiveMode())}
	for _, ts := range rp.TagSets {
		parts = append(parts, "readPreferenceTags="+TagSetURI(ts))
	}
	if rp.MaxStaleness > 0 {
		parts = append(parts, fmt.Sprintf("maxStalenessSeconds=%d", int64(rp.MaxStaleness/time.Second)))
	}
	return strings.Join(parts, "&")
}

// TagSetURI writes a tag set as readPreferenceTags does: dc:ny,rack:1.
func TagSetURI(ts map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(ts)) {
		kv = append(kv, k+":"+ts[k])
	}
	return strings.Join(kv, ",")
}

// tagSetText writes a tag set for people: {dc: "east", rack: "1"}.
func tagSetText(ts map[string]string) string {
	if len(ts) == 0 {
		return "{}"
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(ts)) {
		kv = append(kv, fmt.Sprintf("%s: %q", k, ts[k]))
	}
	return "{" + strings.Join(kv, ", ") + "}"
}

// tagsMatch reports whether a server's tags hold every pair of want.
func tagsMatch(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// Progress is a member's replication progress, as the max-staleness rules
// read it from hello.
type Progress struct {
	// LastWrite is lastWrite.lastWriteDate: when the member last applied a
	// write.
	LastWrite time.Time
	// LastUpdate is when its hello reply was received.
	LastUpdate time.Time
}

// ProgressFromHello reads lastWrite.lastWriteDate from a hello reply
// received at received. It reports false when the reply has none (an
// arbiter, a server before 3.4, a standalone).
func ProgressFromHello(h bson.Raw, received time.Time) (Progress, bool) {
	lw, ok := h.Lookup("lastWrite").DocumentOK()
	if !ok {
		return Progress{}, false
	}
	dt, ok := lw.Lookup("lastWriteDate").DateTimeOK()
	if !ok {
		return Progress{}, false
	}
	return Progress{LastWrite: time.UnixMilli(dt), LastUpdate: received}, true
}

// SelectOptions adds what Select cannot learn from the servers alone.
type SelectOptions struct {
	// Topology is the deployment's kind; "" infers it from the servers.
	Topology TopologyKind
	// Progress holds the replication progress of members by address (as
	// in Server.Address); maxStalenessSeconds needs it. A secondary
	// without an entry is kept, with a note that its staleness is unknown.
	Progress map[string]Progress
}

// SelectReason classifies why no server qualifies.
type SelectReason int

// The reasons no server qualifies.
const (
	// SelectNoServers: no server answered, or none of a usable kind.
	SelectNoServers SelectReason = iota + 1
	// SelectNoPrimary: the operation needs the primary and there is none.
	SelectNoPrimary
	// SelectNoSecondary: the mode reads only from secondaries and there
	// is none.
	SelectNoSecondary
	// SelectAllStale: every candidate lags more than maxStalenessSeconds.
	SelectAllStale
	// SelectNoTagMatch: no candidate carries the tags of any tag set.
	SelectNoTagMatch
	// SelectInvalidReadPref: the read preference is refused before any
	// server is looked at (maxStalenessSeconds too small, tags with mode
	// primary).
	SelectInvalidReadPref
	// SelectNoMongos: a sharded cluster's routers did not answer.
	SelectNoMongos
)

var selectReasonNames = map[SelectReason]string{
	SelectNoServers:       "no servers",
	SelectNoPrimary:       "no primary",
	SelectNoSecondary:     "no secondary",
	SelectAllStale:        "all stale",
	SelectNoTagMatch:      "no tag match",
	SelectInvalidReadPref: "invalid read preference",
	SelectNoMongos:        "no mongos",
}

// String names the reason.
func (r SelectReason) String() string {
	if s, ok := selectReasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("SelectReason(%d)", int(r))
}

// SelectError says why an operation finds no suitable server.
type SelectError struct {
	// Op is "read" or "write".
	Op     string
	Reason SelectReason
	// Detail is one sentence for people.
	Detail string
}

func (e *SelectError) Error() string {
	return redact.Redact(fmt.Sprintf("no server for a %s: %s", e.Op, e.Detail))
}

// Exclusion is a server an operation could not use, and why.
type Exclusion struct {
	Address string
	// Why is a phrase: "is an arbiter", "is stale: ...".
	Why string
	// Staleness is the estimated staleness of a member excluded for it.
	Staleness time.Duration
	// byFilter says the read preference's tag sets or maxStalenessSeconds
	// excluded the server (the error's detail already names it).
	ByFilter bool
}

// Choice is the outcome of server selection for one operation.
type Choice struct {
	// Op is "read" or "write".
	Op string
	// Window are the suitable servers within the latency window, fastest
	// first: the driver picks one of them at random (of two random picks,
	// the one with fewer operations in progress).
	Window []report.Server
	// Suitable counts the suitable servers, in the window or not.
	Suitable int
	// Fastest is the lowest RTT (ms) among the suitable servers.
	Fastest float64
	// TagSet is the tag set that decided (nil when no tag set applied).
	TagSet map[string]string
	// Fallback says the mode's second choice was used: secondaryPreferred
	// reading from the primary, primaryPreferred from secondaries.
	Fallback string
	// Excluded lists the servers the operation could not use, and why.
	Excluded []Exclusion
	// Notes are facts worth telling that change nothing (staleness that
	// could not be estimated, read preference passed to mongos).
	Notes []string
	// Caveat says why the chosen server will refuse the operation anyway
	// (a direct connection to a secondary receives writes).
	Caveat string
	// Err is a *SelectError when no server qualifies.
	Err error
}

// OK reports whether a server qualifies.
func (c Choice) OK() bool { return c.Err == nil && len(c.Window) > 0 }

// Addresses lists the addresses in the latency window.
func (c Choice) Addresses() []string {
	out := make([]string, len(c.Window))
	for i, s := range c.Window {
		out[i] = s.Address
	}
	return out
}

// Selection is server selection for a read with the read preference and
// for a write, on one view of the deployment.
type Selection struct {
	Topology  TopologyKind
	ReadPref  ReadPref
	Threshold time.Duration
	Read      Choice
	Write     Choice
}

// SelectWith applies the server selection rules to servers for a read
// with rp and for a write, with the latency window threshold
// (localThresholdMS; zero means DefaultLocalThreshold), the topology kind
// and replication progress given in o.
func SelectWith(servers []report.Server, rp ReadPref, threshold time.Duration, o SelectOptions) Selection {
	if threshold <= 0 {
		threshold = connstr.DefaultLocalThreshold
	}
	kind := o.Topology
	if kind == "" {
		kind = InferTopology(servers)
	}
	sel := Selection{Topology: kind, ReadPref: rp, Threshold: threshold}
	s := &selector{servers: servers, rp: rp, threshold: threshold, kind: kind, progress: o.Progress}
	sel.Read = s.read()
	sel.Write = s.write()
	return sel
}

// InferTopology names the topology servers form, as SDAM would from their
// hello replies when the connection string does not say.
func InferTopology(servers []report.Server) TopologyKind {
	var rs, primary, mongos, lb, standalone int
	for _, s := range servers {
		switch s.Kind {
		case report.KindRSPrimary:
			rs++
			primary++
		case report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther:
			rs++
		case report.KindMongos:
			mongos++
		case report.KindLoadBalancer:
			lb++
		case report.KindStandalone:
			standalone++
		}
	}
	switch {
	case lb > 0:
		return TopologyLoadBalanced
	case mongos > 0:
		return TopologySharded
	case primary > 0:
		return TopologyReplicaSetWithPrimary
	case rs > 0:
		return TopologyReplicaSetNoPrimary
	case standalone == 1 && len(servers) == 1:
		return TopologySingle
	}
	return TopologyUnknown
}

// KindOf reads a Report.Topology value (ours or the driver's
// spelling).
func KindOf(s string) TopologyKind {
	switch s {
	case "ReplicaSet":
		return TopologyReplicaSetNoPrimary
	case string(TopologySingle), string(TopologySharded), string(TopologyLoadBalanced),
		string(TopologyReplicaSetNoPrimary), string(TopologyReplicaSetWithPrimary), string(TopologyUnknown):
		return TopologyKind(s)
	}
	return ""
}

// selector is one run of Select.
type selector struct {
	servers   []report.Server
	rp        ReadPref
	threshold time.Duration
	kind      TopologyKind
	progress  map[string]Progress
}

func (s *selector) isRS() bool {
	return s.kind == TopologyReplicaSetNoPrimary || s.kind == TopologyReplicaSetWithPrimary
}

// read selects for a read with the read preference.
func (s *selector) read() Choice {
	c := Choice{Op: "read"}
	switch {
	case s.kind == TopologySingle:
		return s.single(c)
	case s.kind == TopologyLoadBalanced:
		return s.loadBalanced(c)
	case s.kind == TopologySharded:
		c = s.sharded(c)
		if c.OK() && s.rp.EffectiveMode() != ReadPrimary {
			c.Notes = append(c.Notes, "the read preference ("+s.rp.String()+") is passed to mongos, which applies it to each shard's members; they are not visible from here")
		}
		return c
	case s.isRS():
		return s.replicaSetRead(c)
	}
	return s.noServers(c)
}

// write selects for a write: the primary of a replica set, any mongos,
// the single server or the load balancer.
func (s *selector) write() Choice {
	c := Choice{Op: "write"}
	switch {
	case s.kind == TopologySingle:
		return s.single(c)
	case s.kind == TopologyLoadBalanced:
		return s.loadBalanced(c)
	case s.kind == TopologySharded:
		return s.sharded(c)
	case s.isRS():
		prim := s.partition(&c, func(sv report.Server) bool { return sv.Kind == report.KindRSPrimary && sv.Reachable }, notPrimaryWhy)
		if len(prim) == 0 {
			c.Err = &SelectError{Op: c.Op, Reason: SelectNoPrimary, Detail: "writes go only to the primary, and no member is primary (" + describeStates(s.servers) + ")"}
			return c
		}
		return s.window(c, prim)
	}
	return s.noServers(c)
}

// partition returns the servers keep accepts, and records every other one
// in c.Excluded with why it was left out.
func (s *selector) partition(c *Choice, keep func(report.Server) bool, why func(report.Server) string) []report.Server {
	var kept []report.Server
	for _, sv := range s.servers {
		if keep(sv) {
			kept = append(kept, sv)
		} else {
			c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: why(sv)})
		}
	}
	return kept
}

func (s *selector) noServers(c Choice) Choice {
	for _, sv := range s.servers {
		c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: unusableWhy(sv)})
	}
	detail := "no server answered as a usable member"
	if len(s.servers) > 0 {
		detail += " (" + describeStates(s.servers) + ")"
	}
	c.Err = &SelectError{Op: c.Op, Reason: SelectNoServers, Detail: detail}
	return c
}

// single: a direct connection; the read preference is not used to pick.
func (s *selector) single(c Choice) Choice {
	ok := s.partition(&c, func(sv report.Server) bool { return sv.Reachable && sv.Kind != report.KindUnknown }, unusableWhy)
	if len(ok) == 0 {
		c.Err = &SelectError{Op: c.Op, Reason: SelectNoServers, Detail: "the one server of a direct connection did not answer"}
		return c
	}
	c = s.window(c, ok[:1])
	if c.Op == "write" && ok[0].Kind != report.KindRSPrimary && ok[0].Kind != report.KindStandalone && ok[0].Kind != report.KindMongos {
		c.Caveat = fmt.Sprintf("a direct connection sends writes to %s whatever its state, and as a %s it refuses them (NotWritablePrimary)", ok[0].Address, KindPhrase(ok[0].Kind))
	}
	return c
}

func (s *selector) loadBalanced(c Choice) Choice {
	for _, sv := range s.servers {
		if sv.Reachable {
			return s.window(c, []report.Server{sv})
		}
	}
	c.Err = &SelectError{Op: c.Op, Reason: SelectNoServers, Detail: "the load balancer did not answer"}
	return c
}

func (s *selector) sharded(c Choice) Choice {
	routers := s.partition(&c, func(sv report.Server) bool { return sv.Kind == report.KindMongos && sv.Reachable }, unusableWhy)
	if len(routers) == 0 {
		c.Err = &SelectError{Op: c.Op, Reason: SelectNoMongos, Detail: "no mongos router answered (" + describeStates(s.servers) + ")"}
		return c
	}
	return s.window(c, routers)
}

// replicaSetRead applies mode, maxStalenessSeconds, tag sets and the
// latency window, in the specification's order.
func (s *selector) replicaSetRead(c Choice) Choice {
	if err := s.validate(); err != nil {
		c.Err = err
		return c
	}
	var primary *report.Server
	var secondaries []report.Server
	for i, sv := range s.servers {
		switch {
		case sv.Kind == report.KindRSPrimary && sv.Reachable:
			if primary == nil {
				primary = &s.servers[i]
			}
		case sv.Kind == report.KindRSSecondary && sv.Reachable:
			secondaries = append(secondaries, sv)
		}
	}
	mode := s.rp.EffectiveMode()
	// Servers that are never candidates, whatever the mode.
	for _, sv := range s.servers {
		if sv.Reachable && (sv.Kind == report.KindRSPrimary || sv.Kind == report.KindRSSecondary) {
			continue
		}
		c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: unusableWhy(sv)})
	}
	switch mode {
	case ReadPrimary:
		for _, sv := range secondaries {
			c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: "is a secondary, and readPreference=primary reads only from the primary"})
		}
		if primary == nil {
			c.Err = &SelectError{Op: c.Op, Reason: SelectNoPrimary, Detail: "readPreference=primary reads only from the primary, and no member is primary (" + describeStates(s.servers) + ")"}
			return c
		}
		return s.window(c, []report.Server{*primary})
	case ReadPrimaryPreferred:
		if primary != nil {
			for _, sv := range secondaries {
				c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: "is a secondary, and primaryPreferred reads from the primary while there is one"})
			}
			return s.window(c, []report.Server{*primary})
		}
		c.Fallback = "no primary: primaryPreferred reads from eligible secondaries"
		sc := s.eligible(c, secondaries, nil)
		if !sc.OK() {
			sc.Fallback = ""
			sc.Err = withDetail(sc.Err, "and there is no primary either")
		}
		return sc
	case ReadSecondary:
		if primary != nil {
			c.Excluded = append(c.Excluded, Exclusion{Address: primary.Address, Why: "is the primary, and readPreference=secondary reads only from secondaries"})
		}
		return s.eligible(c, secondaries, nil)
	case ReadSecondaryPreferred:
		sc := s.eligible(c, secondaries, nil)
		if sc.OK() || primary == nil {
			if !sc.OK() {
				sc.Err = withDetail(sc.Err, "and there is no primary to fall back to")
			}
			return sc
		}
		// No eligible secondary: the primary, which tag sets and
		// maxStalenessSeconds do not apply to.
		sc.Err = nil
		sc.TagSet = nil
		sc.Fallback = "no eligible secondary (" + fallbackWhy(secondaries, sc) + "): secondaryPreferred reads from the primary"
		return s.window(sc, []report.Server{*primary})
	case ReadNearest:
		cands := secondaries
		if primary != nil {
			cands = append([]report.Server{*primary}, secondaries...)
		}
		return s.eligible(c, cands, primary)
	}
	c.Err = &SelectError{Op: c.Op, Reason: SelectInvalidReadPref, Detail: fmt.Sprintf("readPreference=%s is not a read preference mode", mode)}
	return c
}

// fallbackWhy says in a few words why no secondary was eligible.
func fallbackWhy(secondaries []report.Server, c Choice) string {
	var se *SelectError
	if e, ok := c.Err.(*SelectError); ok {
		se = e
	}
	switch {
	case len(secondaries) == 0:
		return "there is no secondary"
	case se != nil && se.Reason == SelectAllStale:
		return "every secondary is staler than maxStalenessSeconds"
	case se != nil && se.Reason == SelectNoTagMatch:
		return "no secondary carries the tags asked for"
	}
	return "none qualifies"
}

func withDetail(err error, more string) error {
	if se, ok := err.(*SelectError); ok {
		c := *se
		c.Detail += ", " + more
		return &c
	}
	return err
}

// validate applies the rules that make a read preference unusable before
// any server is looked at.
func (s *selector) validate() *SelectError {
	mode := s.rp.EffectiveMode()
	switch mode {
	case ReadPrimary, ReadPrimaryPreferred, ReadSecondary, ReadSecondaryPreferred, ReadNearest:
	default:
		return &SelectError{Op: "read", Reason: SelectInvalidReadPref, Detail: fmt.Sprintf("%q is not a read preference mode (primary, primaryPreferred, secondary, secondaryPreferred, nearest)", string(s.rp.Mode))}
	}
	if mode == ReadPrimary && s.rp.hasTags() {
		return &SelectError{Op: "read", Reason: SelectInvalidReadPref, Detail: "readPreferenceTags cannot be used with readPreference=primary: drivers refuse the read preference"}
	}
	if s.rp.MaxStaleness <= 0 {
		return nil
	}
	if mode == ReadPrimary {
		return &SelectError{Op: "read", Reason: SelectInvalidReadPref, Detail: "maxStalenessSeconds cannot be used with readPreference=primary: drivers refuse the read preference"}
	}
	if s.rp.MaxStaleness < SmallestMaxStaleness {
		return &SelectError{Op: "read", Reason: SelectInvalidReadPref, Detail: fmt.Sprintf("maxStalenessSeconds=%d is below the smallest allowed value, %d: drivers refuse every read with it (\"max staleness (%s) must be greater than or equal to 90s\")",
			secs(s.rp.MaxStaleness), secs(SmallestMaxStaleness), s.rp.MaxStaleness)}
	}
	if floor := s.rp.Heartbeat() + IdleWritePeriod; s.rp.MaxStaleness < floor {
		return &SelectError{Op: "read", Reason: SelectInvalidReadPref, Detail: fmt.Sprintf("maxStalenessSeconds=%d is below heartbeatFrequencyMS (%d ms) plus the 10 s idle write period: drivers refuse every read with it; use at least %d",
			secs(s.rp.MaxStaleness), s.rp.Heartbeat().Milliseconds(), secs(floor+time.Second-1))}
	}
	return nil
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// eligible filters candidates by maxStalenessSeconds, then by tag sets,
// then keeps the latency window. primary, when among the candidates
// (nearest), is never stale.
func (s *selector) eligible(c Choice, cands []report.Server, primary *report.Server) Choice {
	if len(cands) == 0 {
		reason, needs, what := SelectNoSecondary, "a secondary", "no member is a secondary"
		if s.rp.EffectiveMode() == ReadNearest {
			reason, needs, what = SelectNoServers, "the primary or a secondary", "no member is either"
		}
		c.Err = &SelectError{Op: c.Op, Reason: reason, Detail: fmt.Sprintf("readPreference=%s needs %s, and %s (%s)",
			s.rp.EffectiveMode(), needs, what, describeStates(s.servers))}
		return c
	}
	fresh := cands
	if s.rp.MaxStaleness > 0 {
		fresh = nil
		for _, sv := range cands {
			if primary != nil && sv.Address == primary.Address {
				fresh = append(fresh, sv)
				continue
			}
			st, known := s.staleness(sv)
			switch {
			case !known:
				c.Notes = append(c.Notes, fmt.Sprintf("%s: staleness unknown (its hello reported no lastWrite), so maxStalenessSeconds was not applied to it", sv.Address))
				fresh = append(fresh, sv)
			case st <= s.rp.MaxStaleness:
				fresh = append(fresh, sv)
			default:
				c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Staleness: st, ByFilter: true,
					Why: fmt.Sprintf("is stale: estimated staleness %s exceeds maxStalenessSeconds=%d", fmtStaleness(st), secs(s.rp.MaxStaleness))})
			}
		}
		if len(fresh) == 0 {
			c.Err = &SelectError{Op: c.Op, Reason: SelectAllStale, Detail: fmt.Sprintf("every candidate lags more than maxStalenessSeconds=%d behind (%s)", secs(s.rp.MaxStaleness), s.stalenessList(cands))}
			return c
		}
	}
	if len(s.rp.TagSets) == 0 {
		return s.window(c, fresh)
	}
	for _, ts := range s.rp.TagSets {
		var match []report.Server
		for _, sv := range fresh {
			if tagsMatch(ts, sv.Tags) {
				match = append(match, sv)
			}
		}
		if len(match) > 0 {
			if len(ts) > 0 {
				c.TagSet = maps.Clone(ts)
			} else {
				c.TagSet = map[string]string{}
			}
			for _, sv := range fresh {
				if !tagsMatch(ts, sv.Tags) {
					c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: fmt.Sprintf("has tags %s, which do not match %s", tagSetText(sv.Tags), tagSetText(ts))})
				}
			}
			return s.window(c, match)
		}
	}
	var tried []string
	for _, ts := range s.rp.TagSets {
		tried = append(tried, tagSetText(ts))
	}
	var have []string
	for _, sv := range fresh {
		have = append(have, fmt.Sprintf("%s has %s", sv.Address, tagSetText(sv.Tags)))
		c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, ByFilter: true, Why: fmt.Sprintf("has tags %s, which match no tag set", tagSetText(sv.Tags))})
	}
	who := "no member"
	if s.rp.EffectiveMode() == ReadSecondary || s.rp.EffectiveMode() == ReadSecondaryPreferred || s.rp.EffectiveMode() == ReadPrimaryPreferred {
		who = "no secondary"
	}
	c.Err = &SelectError{Op: c.Op, Reason: SelectNoTagMatch, Detail: fmt.Sprintf("%s carries tags %s (%s)", who, strings.Join(tried, " or "), strings.Join(have, "; "))}
	return c
}

// staleness estimates how far sv lags, by the max-staleness rules.
func (s *selector) staleness(sv report.Server) (time.Duration, bool) {
	sp, ok := s.progress[sv.Address]
	if !ok {
		return 0, false
	}
	hb := s.rp.Heartbeat()
	for _, p := range s.servers {
		if p.Kind != report.KindRSPrimary || !p.Reachable {
			continue
		}
		pp, ok := s.progress[p.Address]
		if !ok {
			break
		}
		// (S.lastUpdateTime - S.lastWriteDate) - (P.lastUpdateTime - P.lastWriteDate) + heartbeatFrequencyMS
		return sp.LastUpdate.Sub(sp.LastWrite) - pp.LastUpdate.Sub(pp.LastWrite) + hb, true
	}
	// No primary: against the secondary with the greatest lastWriteDate.
	var smax time.Time
	for _, o := range s.servers {
		if o.Kind != report.KindRSSecondary || !o.Reachable {
			continue
		}
		if op, ok := s.progress[o.Address]; ok && op.LastWrite.After(smax) {
			smax = op.LastWrite
		}
	}
	return smax.Sub(sp.LastWrite) + hb, true
}

func (s *selector) stalenessList(cands []report.Server) string {
	var out []string
	for _, sv := range cands {
		if st, ok := s.staleness(sv); ok {
			out = append(out, fmt.Sprintf("%s %s", sv.Address, fmtStaleness(st)))
		}
	}
	return "estimated staleness: " + strings.Join(out, ", ")
}

func fmtStaleness(d time.Duration) string {
	return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}

// window keeps the suitable servers within threshold of the fastest, and
// lists the others as excluded.
func (s *selector) window(c Choice, suitable []report.Server) Choice {
	c.Suitable = len(suitable)
	if len(suitable) == 0 {
		return c
	}
	fastest := suitable[0].RTTMs
	for _, sv := range suitable[1:] {
		fastest = min(fastest, sv.RTTMs)
	}
	c.Fastest = fastest
	limit := fastest + float64(s.threshold)/float64(time.Millisecond)
	for _, sv := range suitable {
		if sv.RTTMs <= limit {
			c.Window = append(c.Window, sv)
		} else {
			c.Excluded = append(c.Excluded, Exclusion{Address: sv.Address, Why: fmt.Sprintf("is outside the latency window: RTT %s, more than localThresholdMS (%s) above the fastest (%s)", report.FormatMs(sv.RTTMs), FormatThreshold(s.threshold), report.FormatMs(fastest))})
		}
	}
	slices.SortStableFunc(c.Window, func(a, b report.Server) int {
		switch {
		case a.RTTMs < b.RTTMs:
			return -1
		case a.RTTMs > b.RTTMs:
			return 1
		}
		return 0
	})
	return c
}

func FormatThreshold(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64) + " ms"
}

// unusableWhy says why a server is never a candidate.
func unusableWhy(s report.Server) string {
	switch {
	case !s.Reachable || s.Kind == report.KindUnknown:
		why := "did not answer"
		if s.Error != "" {
			why = s.Error
		}
		return "is not reachable from here: " + why
	case s.Kind == report.KindRSArbiter:
		return "is an arbiter: it holds no data and serves no operations"
	case s.Kind == report.KindRSOther && s.Hidden:
		return "is hidden: drivers never select hidden members"
	case s.Kind == report.KindRSOther:
		return "is neither primary nor secondary (starting up, recovering or rolling back): not selectable"
	case s.Kind == report.KindRSGhost:
		return "has no replica set configuration yet: not selectable"
	}
	return "is a " + KindPhrase(s.Kind) + ", which this topology does not select"
}

func notPrimaryWhy(s report.Server) string {
	if s.Reachable && s.Kind == report.KindRSSecondary {
		return "is a secondary: writes go only to the primary"
	}
	return unusableWhy(s)
}

// describeStates lists servers with their state: "a:1 is RSSecondary, b:2
// is not reachable".
func describeStates(servers []report.Server) string {
	if len(servers) == 0 {
		return "no member answered"
	}
	var out []string
	for _, s := range servers {
		if !s.Reachable || s.Kind == report.KindUnknown {
			out = append(out, s.Address+" is not reachable")
			continue
		}
		state := s.Kind
		if s.Hidden {
			state += " (hidden)"
		}
		out = append(out, s.Address+" is "+state)
	}
	return strings.Join(out, ", ")
}

// Describe is one line about the choice: where the operation goes, or why
// it cannot go anywhere.
func (c Choice) Describe() string {
	if c.Err != nil {
		var se *SelectError
		if e, ok := c.Err.(*SelectError); ok {
			se = e
		}
		if se != nil {
			return se.Detail
		}
		return c.Err.Error()
	}
	if len(c.Window) == 0 {
		return "no suitable server"
	}
	var names []string
	for _, s := range c.Window {
		names = append(names, fmt.Sprintf("%s (%s, %s)", s.Address, s.Kind, report.FormatMs(s.RTTMs)))
	}
	var b strings.Builder
	if len(names) == 1 {
		b.WriteString(names[0])
	} else {
		fmt.Fprintf(&b, "one of %s", strings.Join(names, ", "))
	}
	if c.TagSet != nil && len(c.TagSet) > 0 {
		fmt.Fprintf(&b, ", matching tag set %s", tagSetText(c.TagSet))
	}
	if c.Suitable > 1 {
		fmt.Fprintf(&b, "; %d of %d suitable in the latency window", len(c.Window), c.Suitable)
	}
	if c.Fallback != "" {
		b.WriteString("; " + c.Fallback)
	}
	return b.String()
}
