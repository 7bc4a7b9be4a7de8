package topofind

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Failover: when a replica set has no primary (or has just changed it),
// say whether an election is under way, whether one can succeed, and what
// applications see meanwhile.

// Figures of failover.
const (
	// SecondLookPause is the pause before the members are asked again
	// when the set has no primary: once a majority votes, a stepped-down
	// primary is replaced within a second or two, so a short pause often
	// shows the new primary. A healthy set never pays it: the second look
	// happens only without a primary.
	SecondLookPause = time.Second

	// failoverMinSelectionTimeout is the least serverSelectionTimeoutMS that
	// outlasts a typical election: electionTimeoutMillis (10 s) to notice
	// the primary is gone, then the vote and catch-up, about 12 s in all
	// (MongoDB manual, "Replica Set Elections").
	failoverMinSelectionTimeout = 15 * time.Second

	// defaultSelectionTimeout is serverSelectionTimeoutMS when the
	// connection string does not set it (server selection specification).
	defaultSelectionTimeout = 30 * time.Second
)

// Look is one member as one look saw it.
type Look struct {
	report.Server
	// Fail is why it did not answer, when known (0 otherwise).
	Fail wireprobe.ProbeErrorKind
	// Hello is the raw reply, when the look kept it.
	Hello bson.Raw
	// At is when the reply came.
	At time.Time
}

// Member is one member of the set across the looks.
type Member struct {
	Key    string // canonical advertised address
	First  *Look
	Second *Look
}

// Latest is the most recent view of the member: the second look when
// there was one.
func (m *Member) Latest() *Look {
	if m.Second != nil {
		return m.Second
	}
	return m.First
}

// Failover is what the failover stage concluded about a replica set.
type Failover struct {
	SetName string
	// Members are keyed by canonical advertised address, in first-seen
	// order.
	Members []*Member
	// Primary is the primary at the end (nil when none), FirstPrimary the
	// one of the first look.
	Primary      *Look
	FirstPrimary *Look
	// SecondLook says the members were asked twice; Again holds every
	// answer of the second look.
	SecondLook bool
	Again      []Look
	// Signs are the signs of a recent or ongoing election.
	Signs []string
	// Voting is how many members hello lists (hosts, passives, arbiters:
	// hello does not show votes), Reachable how many of them answered.
	Voting, Reachable int
	// UnreachableDown counts listed members that refused connections (a
	// process down, not a network that hides it).
	UnreachableDown int
	// Untried counts members this machine could not ask at all (out of
	// file descriptors, ports or memory: report.Server.Local): any of
	// them may be the primary, so no verdict of no primary holds.
	Untried int
}

// Majority reports whether the members that answer are a majority of the
// listed ones.
func (a *Failover) Majority() bool { return a.Voting > 0 && a.Reachable > a.Voting/2 }

// Need is how many members make a majority.
func (a *Failover) Need() int { return a.Voting/2 + 1 }

// Outcome is the verdict of the analysis.
type Outcome int

const (
	OutcomeHealthy   Outcome = iota + 1 // a primary, no sign of an election
	OutcomeFailover                     // signs of a recent or ongoing election
	OutcomeNoPrimary                    // no primary and no sign of an election
)

func (a *Failover) Outcome() Outcome {
	switch {
	case len(a.Signs) > 0:
		return OutcomeFailover
	case a.Primary != nil:
		return OutcomeHealthy
	}
	return OutcomeNoPrimary
}

// foKey is the identity of a server: the name the set knows it by (me)
// when it said, else its address.
func foKey(s report.Server) string {
	if s.Me != "" {
		return sdam.Canonical(s.Me)
	}
	return sdam.Canonical(s.Address)
}

func isRSKind(k string) bool {
	return k == report.KindRSPrimary || k == report.KindRSSecondary || k == report.KindRSArbiter || k == report.KindRSOther
}

// FailoverSet is the replica set the servers belong to: the connection
// string's, else the first one a member reports.
func FailoverSet(want string, servers []report.Server) string {
	if want != "" {
		return want
	}
	for _, s := range servers {
		if s.Reachable && isRSKind(s.Kind) && s.SetName != "" {
			return s.SetName
		}
	}
	return ""
}

// SetMembers keeps the servers that belong to set: members that answered
// with its name, and the addresses their hello replies list.
func SetMembers(set string, servers []report.Server) []report.Server {
	listed := map[string]bool{}
	for _, s := range servers {
		if s.Reachable && isRSKind(s.Kind) && s.SetName == set {
			for _, m := range sdam.MembersOf(s) {
				listed[m] = true
			}
		}
	}
	var out []report.Server
	for _, s := range servers {
		switch {
		case s.Reachable && isRSKind(s.Kind) && s.SetName == set:
			out = append(out, s)
		case !s.Reachable && (listed[sdam.Canonical(s.Address)] || s.SetName == set):
			out = append(out, s)
		}
	}
	return out
}

// AnalyzeFailover compares the looks at a replica set: first from
// discovery, second (nil when not taken) from asking the members again.
func AnalyzeFailover(set string, first []report.Server, second []Look) *Failover {
	a := &Failover{SetName: set, SecondLook: second != nil, Again: second}
	byKey := map[string]*Member{}
	alias := map[string]string{}
	member := func(s report.Server) *Member {
		k := foKey(s)
		if k2, ok := alias[sdam.Canonical(s.Address)]; ok && s.Me == "" {
			k = k2
		}
		m, ok := byKey[k]
		if !ok {
			m = &Member{Key: k}
			byKey[k] = m
			a.Members = append(a.Members, m)
		}
		alias[sdam.Canonical(s.Address)] = k
		alias[k] = k
		return m
	}
	// Servers that answered first, so that an unreachable advertised name
	// joins the member its seed answered for.
	for _, pass := range []bool{true, false} {
		for _, s := range first {
			if s.Reachable != pass {
				continue
			}
			m := member(s)
			if m.First == nil || (!m.First.Reachable && s.Reachable) {
				l := Look{Server: s}
				m.First = &l
			}
		}
	}
	for _, l := range second {
		if l.Local {
			// Not asked again: what the first look saw still stands.
			continue
		}
		m := member(l.Server)
		if m.Second == nil || (!m.Second.Reachable && l.Reachable) {
			lc := l
			m.Second = &lc
		}
	}
	resolve := func(addr string) *Member {
		if k, ok := alias[sdam.Canonical(addr)]; ok {
			return byKey[k]
		}
		return byKey[sdam.Canonical(addr)]
	}

	// Who lists whom: the voting members as hello shows them.
	listed := map[string]bool{}
	for _, m := range a.Members {
		if l := m.Latest(); l != nil && l.Reachable {
			for _, h := range sdam.MembersOf(l.Server) {
				listed[alias0(alias, h)] = true
			}
		}
	}
	if len(listed) == 0 {
		for _, m := range a.Members {
			listed[m.Key] = true
		}
	}
	a.Voting = len(listed)
	for k := range listed {
		m := byKey[k]
		if m == nil {
			continue
		}
		l := m.Latest()
		switch {
		case l != nil && l.Reachable:
			a.Reachable++
		case l != nil && l.Local:
			a.Untried++
		case l != nil && l.Fail == wireprobe.ProbeRefused:
			a.UnreachableDown++
		}
	}

	a.FirstPrimary = foPrimaryOf(a.Members, func(m *Member) *Look { return m.First }, a, "")
	a.Primary = a.FirstPrimary
	if a.SecondLook {
		a.Primary = foPrimaryOf(a.Members, (*Member).Latest, a, "at the second look, ")
	}

	// Members that still name a primary which no longer is one, grouped
	// by the primary they name.
	names := map[string][]string{}
	var named []string
	for _, m := range a.Members {
		l := m.Latest()
		if l == nil || !l.Reachable || l.Kind == report.KindRSPrimary || l.Primary == "" {
			continue
		}
		k := alias0(alias, l.Primary)
		if _, ok := names[k]; !ok {
			named = append(named, k)
		}
		names[k] = append(names[k], l.Address)
	}
	for _, k := range named {
		who := strings.Join(names[k], " and ")
		verb := "names"
		if len(names[k]) > 1 {
			verb = "name"
		}
		p := byKey[k]
		var pl *Look
		if p != nil {
			pl = p.Latest()
		}
		switch {
		case pl != nil && pl.Reachable && pl.Kind != report.KindRSPrimary:
			a.sign(fmt.Sprintf("%s still %s %s as primary, but %s answers as %s: it has stepped down", who, verb, k, pl.Address, pl.Kind))
		case pl != nil && !pl.Reachable && pl.Fail == wireprobe.ProbeRefused:
			a.sign(fmt.Sprintf("%s still %s %s as primary, but %s refuses connections: the primary is down, and the members elect another once they notice (electionTimeoutMillis, 10 s by default)", who, verb, k, pl.Address))
		case a.Primary != nil && p != nil && resolve(a.Primary.Address) != p:
			a.sign(fmt.Sprintf("%s %s %s as primary, but %s is primary now: not yet told of the election", who, verb, k, a.Primary.Address))
		}
	}
	if len(names) > 1 {
		var parts []string
		for _, m := range a.Members {
			if l := m.Latest(); l != nil && l.Reachable && l.Primary != "" && l.Kind != report.KindRSPrimary {
				parts = append(parts, fmt.Sprintf("%s names %s", l.Address, l.Primary))
			}
		}
		a.sign("the members disagree about the primary: " + strings.Join(parts, ", "))
	}

	// Members between states.
	for _, m := range a.Members {
		if l := m.Latest(); l != nil && l.Reachable && l.Kind == report.KindRSOther && !l.Hidden {
			a.sign(fmt.Sprintf("%s answers as neither primary nor secondary (RECOVERING, STARTUP2 or ROLLBACK): it is catching up after a restart, an initial sync or a rollback", l.Address))
		}
	}

	// What changed between the looks.
	if a.SecondLook {
		fp, lp := a.FirstPrimary, a.Primary
		switch {
		case fp == nil && lp != nil:
			a.sign(fmt.Sprintf("%s became primary during the probe window%s", lp.Address, ElectionText(lp.Server)))
		case fp != nil && lp == nil:
			a.sign(fmt.Sprintf("%s was primary at the first look and no member is primary %s later: it stepped down or went away", fp.Address, SecondLookPause))
		case fp != nil && lp != nil && (resolve(fp.Address) != resolve(lp.Address) || !strings.EqualFold(fp.ElectionID, lp.ElectionID)):
			a.sign(fmt.Sprintf("the electionId changed between the looks: %s%s, then %s%s", fp.Address, ElectionText(fp.Server), lp.Address, ElectionText(lp.Server)))
		}
	}
	return a
}

// alias0 maps an advertised address to its member key.
func alias0(alias map[string]string, addr string) string {
	if k, ok := alias[sdam.Canonical(addr)]; ok {
		return k
	}
	return sdam.Canonical(addr)
}

func (a *Failover) sign(s string) { a.Signs = report.AppendUnique(a.Signs, s) }

// foPrimaryOf returns the primary of one look. Two members that both say
// they are primary are a sign: the one with the older (electionId,
// setVersion) has not yet learnt it was replaced.
func foPrimaryOf(members []*Member, look func(*Member) *Look, a *Failover, when string) *Look {
	var prims []*Look
	for _, m := range members {
		if l := look(m); l != nil && l.Reachable && l.Kind == report.KindRSPrimary {
			prims = append(prims, l)
		}
	}
	if len(prims) == 0 {
		return nil
	}
	best := prims[0]
	for _, p := range prims[1:] {
		if newerElection(p.Server, best.Server) {
			best = p
		}
	}
	for _, p := range prims {
		if p != best {
			a.sign(fmt.Sprintf("%sboth %s%s and %s%s say they are primary: %s is stale and will step down", when, best.Address, ElectionText(best.Server), p.Address, ElectionText(p.Server), p.Address))
		}
	}
	return best
}

// newerElection reports whether a's (electionId, setVersion) is newer
// than b's, in the order of the SDAM specification for 6.0+ servers.
func newerElection(a, b report.Server) bool {
	ea, eb := strings.ToLower(a.ElectionID), strings.ToLower(b.ElectionID)
	if ea != eb {
		return ea > eb
	}
	return a.SetVersion > b.SetVersion
}

// electionTerm reads the term from an electionId built as MongoDB 3.2+
// builds it (7fffffff followed by the 8-byte term).
func electionTerm(id string) (int64, bool) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 12 || !strings.HasPrefix(strings.ToLower(id), "7fffffff") {
		return 0, false
	}
	t, err := strconv.ParseInt(id[8:], 16, 64)
	return t, err == nil
}

// ElectionText is " (electionId X, term N, setVersion V)" for a primary.
func ElectionText(s report.Server) string {
	var parts []string
	if s.ElectionID != "" {
		p := "electionId " + s.ElectionID
		if t, ok := electionTerm(s.ElectionID); ok {
			p += fmt.Sprintf(", term %d", t)
		}
		parts = append(parts, p)
	}
	if s.SetVersion != 0 {
		parts = append(parts, fmt.Sprintf("setVersion %d", s.SetVersion))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// State is one member's state for people.
func (m *Member) State() string {
	l := m.Latest()
	if l == nil {
		return m.Key + " was not probed"
	}
	if !l.Reachable {
		why := l.Error
		if why == "" {
			why = "did not answer"
		}
		return fmt.Sprintf("%s does not answer from here: %s", l.Address, why)
	}
	var b strings.Builder
	b.WriteString(l.Address)
	b.WriteString(" is ")
	switch l.Kind {
	case report.KindRSPrimary:
		b.WriteString("primary" + ElectionText(l.Server))
		return b.String()
	case report.KindRSSecondary:
		b.WriteString("secondary")
	case report.KindRSArbiter:
		b.WriteString("an arbiter")
	case report.KindRSOther:
		if l.Hidden {
			b.WriteString("hidden")
		} else {
			b.WriteString("neither primary nor secondary")
		}
	default:
		b.WriteString(l.Kind)
	}
	if l.Primary != "" {
		fmt.Fprintf(&b, ", names %s as primary", l.Primary)
	} else {
		b.WriteString(", names no primary")
	}
	if l.SetVersion != 0 {
		fmt.Fprintf(&b, ", setVersion %d", l.SetVersion)
	}
	return b.String()
}

// ReachText counts the members that answer.
func (a *Failover) ReachText() string {
	return fmt.Sprintf("%d of %d listed members answer from here", a.Reachable, a.Voting)
}

// MajorityText says whether an election can succeed, from here.
func (a *Failover) MajorityText() string {
	s := a.ReachText()
	if a.Majority() {
		return s + fmt.Sprintf(": a majority (%d needed), so an election can succeed", a.Need())
	}
	s += fmt.Sprintf(": not a majority (%d needed), so no election can succeed unless the others are up and only out of reach from this machine", a.Need())
	if a.UnreachableDown > 0 {
		s += fmt.Sprintf("; %d refuse connections: their mongod is not running, or the port is closed to this machine", a.UnreachableDown)
	}
	return s
}

// LatestServers returns servers with every member the second look asked
// again replaced by what it answered then, for the stages that follow
// (selection). A nil analysis returns servers as they are.
func (a *Failover) LatestServers(servers []report.Server) []report.Server {
	if a == nil || !a.SecondLook {
		return servers
	}
	again := map[string]report.Server{}
	for _, l := range a.Again {
		again[sdam.Canonical(l.Address)] = l.Server
	}
	out := make([]report.Server, len(servers))
	for i, s := range servers {
		out[i] = s
		if n, ok := again[sdam.Canonical(s.Address)]; ok {
			n.Address = s.Address
			n.Seed = s.Seed
			if n.Version == "" {
				n.Version = s.Version
			}
			n.InLatencyWindow = s.InLatencyWindow
			out[i] = n
		}
	}
	return out
}

// Addrs lists the distinct addresses of servers, as they were dialled.
func Addrs(servers []report.Server) []string {
	var out []string
	for _, s := range servers {
		out = report.AppendUnique(out, s.Address)
	}
	return out
}

// Evidence lists what the analysis saw, for a finding.
func (a *Failover) Evidence(t *connstr.Target, failover bool) []string {
	var ev []string
	if failover {
		for _, s := range a.Signs {
			ev = append(ev, "election sign: "+s)
		}
	} else {
		line := "no member names a primary that stepped down or is down, no member is recovering"
		if a.SecondLook {
			line += fmt.Sprintf(", and no primary appeared in %s between two looks", SecondLookPause)
		}
		ev = append(ev, line)
	}
	for _, m := range a.Members {
		ev = append(ev, m.State())
	}
	ev = append(ev, a.MajorityText())
	if a.Primary == nil {
		ev = append(ev, "meanwhile applications see: writes and primary reads wait for a primary up to serverSelectionTimeoutMS ("+
			SelectionTimeoutText(t)+") and then fail with a server selection timeout; operations already sent fail with NotWritablePrimary (\"not primary\", code 10107) "+
			"or InterruptedDueToReplStateChange; PyMongo raises AutoReconnect and drivers log \"connection pool ... was cleared\"")
	} else {
		ev = append(ev, "applications may have seen, during the election: NotWritablePrimary (\"not primary\"), PyMongo AutoReconnect, "+
			"\"connection pool ... was cleared\"; retryable writes and reads retry such operations once on the new primary")
	}
	ev = append(ev, uriFailoverSettings(t)...)
	return ev
}

// SelectionTimeoutText is the target's serverSelectionTimeoutMS in words.
func SelectionTimeoutText(t *connstr.Target) string {
	if d, set := selectionTimeoutOf(t); set {
		return fmt.Sprintf("%d ms, from the connection string", d.Milliseconds())
	}
	return fmt.Sprintf("%d ms, the default", defaultSelectionTimeout.Milliseconds())
}

func selectionTimeoutOf(t *connstr.Target) (time.Duration, bool) {
	if t != nil && t.Conn != nil && t.Conn.ServerSelectionTimeoutSet {
		return t.Conn.ServerSelectionTimeout, true
	}
	return defaultSelectionTimeout, false
}

// retryWritesOff reports whether the connection string turns retryable
// writes off.
func retryWritesOff(t *connstr.Target) bool {
	return t != nil && t.Conn != nil && t.Conn.RetryWritesSet && !t.Conn.RetryWrites
}

// uriFailoverSettings names the connection-string settings that make a
// failover hurt more.
func uriFailoverSettings(t *connstr.Target) []string {
	var out []string
	if retryWritesOff(t) {
		out = append(out, "the connection string sets retryWrites=false: a write interrupted by the election fails instead of being retried once on the new primary")
	}
	if t != nil && t.Conn != nil && t.Conn.RetryReadsSet && !t.Conn.RetryReads {
		out = append(out, "the connection string sets retryReads=false: a read interrupted by the election fails instead of being retried once")
	}
	if d, set := selectionTimeoutOf(t); set && d < failoverMinSelectionTimeout {
		out = append(out, fmt.Sprintf("serverSelectionTimeoutMS=%d is shorter than a typical election (about 12 s): operations give up before the new primary is known", d.Milliseconds()))
	}
	return out
}

// FailoverURI is the connection string with the settings that ride out a
// failover, or "" when it already has them.
func FailoverURI(t *connstr.Target) string {
	if t == nil || !t.Rewritable() {
		return ""
	}
	var set []connstr.Setting
	if t.Conn != nil && t.Conn.RetryReadsSet && !t.Conn.RetryReads {
		set = append(set, connstr.Setting{Key: "retryReads", Value: "true"})
	}
	if retryWritesOff(t) {
		set = append(set, connstr.Setting{Key: "retryWrites", Value: "true"})
	}
	if d, ok := selectionTimeoutOf(t); ok && d < failoverMinSelectionTimeout {
		set = append(set, connstr.Setting{Key: "serverSelectionTimeoutMS", Value: strconv.FormatInt(defaultSelectionTimeout.Milliseconds(), 10)})
	}
	if len(set) == 0 {
		return ""
	}
	return t.RewriteRedacted(connstr.Edit{Set: set})
}

// Fixes puts the fixes for this failover first, with t's string that
// rides out elections.
func (a *Failover) Fixes(f report.Finding, t *connstr.Target) report.Finding {
	var fixes []string
	if a.Primary == nil {
		if a.Majority() {
			fixes = append(fixes, fmt.Sprintf("Wait: %d of %d listed members answer, enough to elect a primary, which normally takes seconds; in scripts and CI wait for it with: mongoconn ping --wait 60s --primary '<URI>'", a.Reachable, a.Voting))
		} else {
			fixes = append(fixes, fmt.Sprintf("Bring back enough members for a majority (%d of %d): until then no member can be elected", a.Need(), a.Voting))
		}
	}
	if u := FailoverURI(t); u != "" {
		f = report.WithSuggestedURI(f, u)
		fixes = append(fixes, "Let the driver ride out elections: retryWrites=true, retryReads=true and a serverSelectionTimeoutMS of at least 15000 (the defaults are true, true and 30000)")
	}
	f.Fixes = append(fixes, f.Fixes...)
	return f
}

// NoPrimaryFixes are the fixes for a set with no primary and no election
// in sight.
func (a *Failover) NoPrimaryFixes() []string {
	if !a.Majority() {
		return []string{
			fmt.Sprintf("Bring back enough members for a majority (%d of %d): with fewer, the set cannot elect a primary", a.Need(), a.Voting),
			"If the missing members are gone for good, reconfigure the survivors on one of them with rs.reconfig(cfg, {force: true}) (writes that reached only the lost members are rolled back)",
		}
	}
	return []string{
		fmt.Sprintf("A majority (%d of %d) answers, yet none is primary and none names one: if this lasts more than about 12 s, look at rs.status() on a member (health, priorities: a set whose members all have priority 0 never elects) and at the mongod logs for failed elections", a.Reachable, a.Voting),
	}
}
