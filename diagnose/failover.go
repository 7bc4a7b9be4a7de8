package diagnose

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Failover: when a replica set has no primary (or has just changed it),
// say whether an election is under way, whether one can succeed, and what
// applications see meanwhile.

// Timeouts and figures of the failover stage.
const (
	// failoverSecondLook is the pause before the members are asked again
	// when the set has no primary: once a majority votes, a stepped-down
	// primary is replaced within a second or two, so a short pause often
	// shows the new primary. A healthy set never pays it: the second look
	// happens only without a primary.
	failoverSecondLook = time.Second

	// failoverProbeCap bounds each hello of the second look: members that
	// answered a moment ago answer in milliseconds, and a silent one must
	// not hold the verdict for the rest of the budget.
	failoverProbeCap = 2 * time.Second

	// failoverMinLookTime is the least budget a second look needs after its
	// pause to be worth taking: a loopback or LAN hello and buildInfo.
	failoverMinLookTime = 200 * time.Millisecond

	// failoverMinSelectionTimeout is the least serverSelectionTimeoutMS that
	// outlasts a typical election: electionTimeoutMillis (10 s) to notice
	// the primary is gone, then the vote and catch-up, about 12 s in all
	// (MongoDB manual, "Replica Set Elections").
	failoverMinSelectionTimeout = 15 * time.Second

	// defaultSelectionTimeout is serverSelectionTimeoutMS when the
	// connection string does not set it (server selection specification).
	defaultSelectionTimeout = 30 * time.Second
)

// foLook is one member as one look saw it.
type foLook struct {
	report.Server
	// fail is why it did not answer, when known (0 otherwise).
	fail wireprobe.ProbeErrorKind
	// hello is the raw reply, when the look kept it.
	hello bson.Raw
	// at is when the reply came.
	at time.Time
}

// foMember is one member of the set across the looks.
type foMember struct {
	key    string // canonical advertised address
	first  *foLook
	second *foLook
}

// latest is the most recent view of the member: the second look when
// there was one.
func (m *foMember) latest() *foLook {
	if m.second != nil {
		return m.second
	}
	return m.first
}

// foAnalysis is what the failover stage concluded about a replica set.
type foAnalysis struct {
	setName string
	// members are keyed by canonical advertised address, in first-seen
	// order.
	members []*foMember
	// primary is the primary at the end ("" when none), firstPrimary the
	// one of the first look.
	primary      *foLook
	firstPrimary *foLook
	// secondLook says the members were asked twice; again holds every
	// answer of the second look.
	secondLook bool
	again      []foLook
	// signs are the signs of a recent or ongoing election.
	signs []string
	// voting is how many members hello lists (hosts, passives, arbiters:
	// hello does not show votes), reachable how many of them answered.
	voting, reachable int
	// unreachableDown counts listed members that refused connections (a
	// process down, not a network that hides it).
	unreachableDown int
}

// majority reports whether the members that answer are a majority of the
// listed ones.
func (a *foAnalysis) majority() bool { return a.voting > 0 && a.reachable > a.voting/2 }

// need is how many members make a majority.
func (a *foAnalysis) need() int { return a.voting/2 + 1 }

// failoverOutcome is the verdict of the analysis.
type failoverOutcome int

const (
	foHealthy   failoverOutcome = iota + 1 // a primary, no sign of an election
	foFailover                             // signs of a recent or ongoing election
	foNoPrimary                            // no primary and no sign of an election
)

func (a *foAnalysis) outcome() failoverOutcome {
	switch {
	case len(a.signs) > 0:
		return foFailover
	case a.primary != nil:
		return foHealthy
	}
	return foNoPrimary
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

// foSetName is the replica set the servers belong to: the connection
// string's, else the first one a member reports.
func foSetName(want string, servers []report.Server) string {
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

// foMembersOf keeps the servers that belong to set: members that answered
// with its name, and the addresses their hello replies list.
func foMembersOf(set string, servers []report.Server) []report.Server {
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

// analyzeFailover compares the looks at a replica set: first from
// discovery, second (nil when not taken) from asking the members again.
func analyzeFailover(set string, first []report.Server, second []foLook) *foAnalysis {
	a := &foAnalysis{setName: set, secondLook: second != nil, again: second}
	byKey := map[string]*foMember{}
	alias := map[string]string{}
	member := func(s report.Server) *foMember {
		k := foKey(s)
		if k2, ok := alias[sdam.Canonical(s.Address)]; ok && s.Me == "" {
			k = k2
		}
		m, ok := byKey[k]
		if !ok {
			m = &foMember{key: k}
			byKey[k] = m
			a.members = append(a.members, m)
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
			if m.first == nil || (!m.first.Reachable && s.Reachable) {
				l := foLook{Server: s}
				m.first = &l
			}
		}
	}
	for _, l := range second {
		m := member(l.Server)
		if m.second == nil || (!m.second.Reachable && l.Reachable) {
			lc := l
			m.second = &lc
		}
	}
	resolve := func(addr string) *foMember {
		if k, ok := alias[sdam.Canonical(addr)]; ok {
			return byKey[k]
		}
		return byKey[sdam.Canonical(addr)]
	}

	// Who lists whom: the voting members as hello shows them.
	listed := map[string]bool{}
	for _, m := range a.members {
		if l := m.latest(); l != nil && l.Reachable {
			for _, h := range sdam.MembersOf(l.Server) {
				listed[alias0(alias, h)] = true
			}
		}
	}
	if len(listed) == 0 {
		for _, m := range a.members {
			listed[m.key] = true
		}
	}
	a.voting = len(listed)
	for k := range listed {
		m := byKey[k]
		if m == nil {
			continue
		}
		l := m.latest()
		switch {
		case l != nil && l.Reachable:
			a.reachable++
		case l != nil && l.fail == wireprobe.ProbeRefused:
			a.unreachableDown++
		}
	}

	a.firstPrimary = foPrimaryOf(a.members, func(m *foMember) *foLook { return m.first }, a, "")
	a.primary = a.firstPrimary
	if a.secondLook {
		a.primary = foPrimaryOf(a.members, (*foMember).latest, a, "at the second look, ")
	}

	// Members that still name a primary which no longer is one, grouped
	// by the primary they name.
	names := map[string][]string{}
	var named []string
	for _, m := range a.members {
		l := m.latest()
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
		var pl *foLook
		if p != nil {
			pl = p.latest()
		}
		switch {
		case pl != nil && pl.Reachable && pl.Kind != report.KindRSPrimary:
			a.sign(fmt.Sprintf("%s still %s %s as primary, but %s answers as %s: it has stepped down", who, verb, k, pl.Address, pl.Kind))
		case pl != nil && !pl.Reachable && pl.fail == wireprobe.ProbeRefused:
			a.sign(fmt.Sprintf("%s still %s %s as primary, but %s refuses connections: the primary is down, and the members elect another once they notice (electionTimeoutMillis, 10 s by default)", who, verb, k, pl.Address))
		case a.primary != nil && p != nil && resolve(a.primary.Address) != p:
			a.sign(fmt.Sprintf("%s %s %s as primary, but %s is primary now: not yet told of the election", who, verb, k, a.primary.Address))
		}
	}
	if len(names) > 1 {
		var parts []string
		for _, m := range a.members {
			if l := m.latest(); l != nil && l.Reachable && l.Primary != "" && l.Kind != report.KindRSPrimary {
				parts = append(parts, fmt.Sprintf("%s names %s", l.Address, l.Primary))
			}
		}
		a.sign("the members disagree about the primary: " + strings.Join(parts, ", "))
	}

	// Members between states.
	for _, m := range a.members {
		if l := m.latest(); l != nil && l.Reachable && l.Kind == report.KindRSOther && !l.Hidden {
			a.sign(fmt.Sprintf("%s answers as neither primary nor secondary (RECOVERING, STARTUP2 or ROLLBACK): it is catching up after a restart, an initial sync or a rollback", l.Address))
		}
	}

	// What changed between the looks.
	if a.secondLook {
		fp, lp := a.firstPrimary, a.primary
		switch {
		case fp == nil && lp != nil:
			a.sign(fmt.Sprintf("%s became primary during the probe window%s", lp.Address, electionText(lp.Server)))
		case fp != nil && lp == nil:
			a.sign(fmt.Sprintf("%s was primary at the first look and no member is primary %s later: it stepped down or went away", fp.Address, failoverSecondLook))
		case fp != nil && lp != nil && (resolve(fp.Address) != resolve(lp.Address) || !strings.EqualFold(fp.ElectionID, lp.ElectionID)):
			a.sign(fmt.Sprintf("the electionId changed between the looks: %s%s, then %s%s", fp.Address, electionText(fp.Server), lp.Address, electionText(lp.Server)))
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

func (a *foAnalysis) sign(s string) { a.signs = report.AppendUnique(a.signs, s) }

// foPrimaryOf returns the primary of one look. Two members that both say
// they are primary are a sign: the one with the older (electionId,
// setVersion) has not yet learnt it was replaced.
func foPrimaryOf(members []*foMember, look func(*foMember) *foLook, a *foAnalysis, when string) *foLook {
	var prims []*foLook
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
			a.sign(fmt.Sprintf("%sboth %s%s and %s%s say they are primary: %s is stale and will step down", when, best.Address, electionText(best.Server), p.Address, electionText(p.Server), p.Address))
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

// electionText is " (electionId X, term N, setVersion V)" for a primary.
func electionText(s report.Server) string {
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

// memberState is one member's state for people.
func (m *foMember) state() string {
	l := m.latest()
	if l == nil {
		return m.key + " was not probed"
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
		b.WriteString("primary" + electionText(l.Server))
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

// reachText counts the members that answer.
func (a *foAnalysis) reachText() string {
	return fmt.Sprintf("%d of %d listed members answer from here", a.reachable, a.voting)
}

// majorityText says whether an election can succeed, from here.
func (a *foAnalysis) majorityText() string {
	s := a.reachText()
	if a.majority() {
		return s + fmt.Sprintf(": a majority (%d needed), so an election can succeed", a.need())
	}
	s += fmt.Sprintf(": not a majority (%d needed), so no election can succeed unless the others are up and only out of reach from this machine", a.need())
	if a.unreachableDown > 0 {
		s += fmt.Sprintf("; %d refuse connections: their mongod is not running, or the port is closed to this machine", a.unreachableDown)
	}
	return s
}

// failoverStage looks at a replica set's primary and elections. servers
// are the servers discovery saw (Report.Servers); members of other sets
// and non-members are ignored. When there is no primary, it asks the
// members again after failoverSecondLook, within ctx, to see an election
// happen. It adds one topology check and, when warranted,
// topology.failover (replacing topology.no-primary: an election explains
// the missing primary) or topology.no-primary. It returns nil when the
// servers are not a replica set, no member answered, or the connection
// is direct (the other members, the primary among them, were not asked).
func (x *run) failoverStage(ctx context.Context, servers []report.Server) *foAnalysis {
	if x.t.DirectConnection != nil && *x.t.DirectConnection {
		return nil
	}
	set := foSetName(x.t.ReplicaSet, servers)
	if set == "" {
		return nil
	}
	first := foMembersOf(set, servers)
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
	var second []foLook
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
			if sleepCtx(ctx, failoverSecondLook) == nil {
				second = x.rehello(ctx, foAddrs(first))
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
	a := analyzeFailover(set, first, second)
	x.failoverReport(a, x.since(start), noLook)
	return a
}

// foCanLook says whether ctx leaves time for a second look.
func foCanLook(ctx context.Context) (bool, string) {
	dl, ok := ctx.Deadline()
	if !ok {
		return true, ""
	}
	if time.Until(dl) < failoverSecondLook+failoverMinLookTime {
		return false, "no time left in the budget to ask the members again"
	}
	return true, ""
}

// latestServers returns servers with every member the second look asked
// again replaced by what it answered then, for the stages that follow
// (selection). A nil analysis returns servers as they are.
func (a *foAnalysis) latestServers(servers []report.Server) []report.Server {
	if a == nil || !a.secondLook {
		return servers
	}
	again := map[string]report.Server{}
	for _, l := range a.again {
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

// foAddrs lists the distinct addresses of servers, as they were dialled.
func foAddrs(servers []report.Server) []string {
	var out []string
	for _, s := range servers {
		out = report.AppendUnique(out, s.Address)
	}
	return out
}

// rehello asks each address for one more hello, in parallel, each within
// failoverProbeCap and ctx. The replies are kept raw.
func (x *run) rehello(ctx context.Context, addrs []string) []foLook {
	out := make([]foLook, len(addrs))
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
func (x *run) helloOnce(ctx context.Context, addr string) foLook {
	pctx, cancel := context.WithTimeout(ctx, failoverProbeCap)
	defer cancel()
	opts := wireprobe.HelloOptions{Samples: 1, Verbose: true}
	cfg, err := x.tlsConfig(hostOf(addr))
	if err != nil {
		return foLook{Server: report.Server{Address: addr, Kind: report.KindUnknown, Error: redact.Redact(err.Error())}}
	}
	opts.TLS = cfg
	res := x.e.ProbeHello(pctx, addr, opts)
	l := foLook{Server: res.Server, hello: res.Hello, at: x.now()}
	l.Address = addr
	var pe *wireprobe.ProbeError
	if res.Err != nil {
		l.Reachable = false
		l.Kind = report.KindUnknown
		if errors.As(res.Err, &pe) {
			l.fail = pe.Kind
			l.Error = redact.Redact(pe.Detail)
		}
	}
	return l
}

// failoverReport adds the stage's check and finding.
func (x *run) failoverReport(a *foAnalysis, ms float64, noLook string) {
	c := report.Check{Stage: report.StageTopology, DurationMs: ms}
	var states []string
	for _, m := range a.members {
		states = append(states, m.state())
	}
	c.Detail = append(c.Detail, states...)
	if noLook != "" {
		c.Detail = append(c.Detail, noLook)
	}
	prefix := fmt.Sprintf("replica set %q: ", a.setName)
	switch a.outcome() {
	case foHealthy:
		c.Status = report.StatusPass
		c.Summary = prefix + fmt.Sprintf("primary %s%s, no election in progress; %s", a.primary.Address, electionText(a.primary.Server), a.reachText())
		x.addCheck(c)
	case foFailover:
		primary := a.primary != nil
		f := catalogue.NewFailoverFinding(primary, a.evidence(x.t, true)...)
		f = x.failoverFixes(f, a)
		if primary {
			c.Status = report.StatusWarn
			c.Summary = prefix + fmt.Sprintf("a failover has just happened; %s is primary now", a.primary.Address)
		} else {
			c.Status = report.StatusFail
			c.Summary = prefix + "no primary: an election is in progress (" + a.signs[0] + ")"
		}
		x.addCheck(c)
		// An election explains the missing primary: one finding, not two.
		x.foDropFinding(catalogue.IDTopologyNoPrimary)
		x.addFinding(f)
	case foNoPrimary:
		c.Status = report.StatusFail
		c.Summary = prefix + "no primary, and no sign of an election; " + a.majorityText()
		x.addCheck(c)
		if x.hasFinding(catalogue.IDTopologyAdvertisedUnreachable) && a.unreachableDown == 0 {
			// The members are out of reach by the names the set
			// advertises (they do not resolve, or time out): that
			// finding explains what a client sees. Members that refuse
			// connections are down, and the set without a primary is
			// news.
			return
		}
		f := catalogue.NewFinding(catalogue.IDTopologyNoPrimary, a.evidence(x.t, false)...)
		f.Fixes = append(x.noPrimaryFixes(a), f.Fixes...)
		x.addFinding(f)
	}
}

// evidence lists what the analysis saw, for a finding.
func (a *foAnalysis) evidence(t *connstr.Target, failover bool) []string {
	var ev []string
	if failover {
		for _, s := range a.signs {
			ev = append(ev, "election sign: "+s)
		}
	} else {
		line := "no member names a primary that stepped down or is down, no member is recovering"
		if a.secondLook {
			line += fmt.Sprintf(", and no primary appeared in %s between two looks", failoverSecondLook)
		}
		ev = append(ev, line)
	}
	for _, m := range a.members {
		ev = append(ev, m.state())
	}
	ev = append(ev, a.majorityText())
	if a.primary == nil {
		ev = append(ev, "meanwhile applications see: writes and primary reads wait for a primary up to serverSelectionTimeoutMS ("+
			selectionTimeoutText(t)+") and then fail with a server selection timeout; operations already sent fail with NotWritablePrimary (\"not primary\", code 10107) "+
			"or InterruptedDueToReplStateChange; PyMongo raises AutoReconnect and drivers log \"connection pool ... was cleared\"")
	} else {
		ev = append(ev, "applications may have seen, during the election: NotWritablePrimary (\"not primary\"), PyMongo AutoReconnect, "+
			"\"connection pool ... was cleared\"; retryable writes and reads retry such operations once on the new primary")
	}
	ev = append(ev, uriFailoverSettings(t)...)
	return ev
}

// selectionTimeoutText is the target's serverSelectionTimeoutMS in words.
func selectionTimeoutText(t *connstr.Target) string {
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

// failoverURI is the connection string with the settings that ride out a
// failover, or "" when it already has them.
func failoverURI(t *connstr.Target) string {
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

// failoverFixes puts the fixes for this failover first.
func (x *run) failoverFixes(f report.Finding, a *foAnalysis) report.Finding {
	var fixes []string
	if a.primary == nil {
		if a.majority() {
			fixes = append(fixes, fmt.Sprintf("Wait: %d of %d listed members answer, enough to elect a primary, which normally takes seconds; in scripts and CI wait for it with: mongoconn ping --wait 60s --primary '<URI>'", a.reachable, a.voting))
		} else {
			fixes = append(fixes, fmt.Sprintf("Bring back enough members for a majority (%d of %d): until then no member can be elected", a.need(), a.voting))
		}
	}
	if u := failoverURI(x.t); u != "" {
		f = report.WithSuggestedURI(f, u)
		fixes = append(fixes, "Let the driver ride out elections: retryWrites=true, retryReads=true and a serverSelectionTimeoutMS of at least 15000 (the defaults are true, true and 30000)")
	}
	f.Fixes = append(fixes, f.Fixes...)
	return f
}

// noPrimaryFixes are the fixes for a set with no primary and no election
// in sight.
func (x *run) noPrimaryFixes(a *foAnalysis) []string {
	if !a.majority() {
		return []string{
			fmt.Sprintf("Bring back enough members for a majority (%d of %d): with fewer, the set cannot elect a primary", a.need(), a.voting),
			"If the missing members are gone for good, reconfigure the survivors on one of them with rs.reconfig(cfg, {force: true}) (writes that reached only the lost members are rolled back)",
		}
	}
	return []string{
		fmt.Sprintf("A majority (%d of %d) answers, yet none is primary and none names one: if this lasts more than about 12 s, look at rs.status() on a member (health, priorities: a set whose members all have priority 0 never elects) and at the mongod logs for failed elections", a.reachable, a.voting),
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
