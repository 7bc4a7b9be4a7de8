// Package explain turns the error text of any driver (Go, PyMongo,
// Node.js and mongosh, Java) into the catalogue's findings, offline. It
// imports the lower packages (report, redact, catalogue, connstr,
// wireprobe) and never the engine.
package explain

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Bounds of explain. The input is text pasted by a person or piped from a
// log, so it is cut rather than trusted.
const (
	// MaxExplainInput is the most text Explain reads: a full driver error
	// with its stack trace is a few KiB, a log excerpt a few dozen; more is
	// cut so that matching stays well under a second.
	MaxExplainInput = 256 << 10

	// maxExcerpt is the longest excerpt of a matched line kept as evidence:
	// enough to show the phrase and what surrounds it on one terminal line
	// or two.
	exMaxExcerpt = 180

	// maxHitsPerRule stops one rule from flooding the result when a log
	// repeats the same error thousands of times.
	exMaxHitsPerRule = 20

	// maxExcerptsPerFinding keeps a finding's evidence readable.
	exMaxExcerptsPerFinding = 3

	// maxMembers bounds the servers kept from topology descriptions.
	exMaxMembers = 16
)

// Explanation is what Explain recognised in an error text.
type Explanation struct {
	// Findings are the catalogue entries the text matches, the cause the
	// evidence points at first (see rank.go): a phrase only one cause
	// prints before a phrase many print, and the symptom (server selection
	// gave up) last; ties in catalogue order. Each carries its evidence:
	// the facts read from the text and the matching excerpts. Every string
	// is redacted.
	Findings []report.Finding
	// Ambiguities name the findings that the text fits alike, with what
	// tells them apart; the first of each is the likelier.
	Ambiguities []Ambiguity
	// Causeless is set when the text says only that the driver gave up
	// (select.timeout) and nothing of why: the text alone cannot tell,
	// diagnose can.
	Causeless bool
	// Remark, when no finding fits, says what a recognised text that is
	// not a connection failure means (a user without the role for a
	// command), and what to do.
	Remark string
	// Driver names the driver that wrote the text when it can be told
	// (DriverGo, DriverPyMongo, DriverNode, DriverJava), else "".
	Driver string
	// URI is the first connection string in the text, redacted.
	URI string
	// SRVName is the mongodb+srv host whose SRV lookup failed, if any.
	SRVName string
	// Addresses are the host:port addresses the text names, in order of
	// appearance, without duplicates.
	Addresses []string
	// FailedHosts are the host names that did not resolve.
	FailedHosts []string
	// Wire holds the wire-version mismatches the text reports.
	Wire []WireMismatch
	// Members are the servers of the topology descriptions in the text.
	Members []MemberState
	// Next is the command to run next, ready to paste into a shell.
	Next string
	// Truncated is set when the text was longer than MaxExplainInput and
	// only its beginning was read.
	Truncated bool
}

// Recognised reports whether the text matched at least one catalogue
// entry, or is a known failure that is not the connection's (Remark).
func (x *Explanation) Recognised() bool { return len(x.Findings) > 0 || x.Remark != "" }

// IDs lists the ids of the findings, in order.
func (x *Explanation) IDs() []string {
	ids := make([]string, len(x.Findings))
	for i, f := range x.Findings {
		ids[i] = f.ID
	}
	return ids
}

// WireMismatch is one "server at X reports wire version N" error.
type WireMismatch struct {
	Address string
	// TooNew is true when the server is too new for the driver, false
	// when it is too old.
	TooNew bool
	// Reported is the server's wire version the driver quotes: its
	// maxWireVersion when too old, its minWireVersion when too new.
	Reported int32
	// Limit is the driver's bound: the least wire version it needs (too
	// old) or the most it speaks (too new).
	Limit int32
	// MongoDB is the MongoDB release the driver names with its bound, if
	// it names one.
	MongoDB string
	// Driver is the driver that wrote the message (DriverGo, ...), or ""
	// when the phrasing does not say.
	Driver string
}

// MemberState is one server of a topology description quoted in the text.
type MemberState struct {
	Address string
	Type    string
	Error   string
}

// Report renders the explanation as a report of the explain command: no
// target, no checks, the findings, and a verdict that names the next
// command to run.
func (x *Explanation) Report() *report.Report {
	r := report.NewReport("explain", "")
	for _, f := range x.Findings {
		r.Findings = append(r.Findings, f)
	}
	r.OK = !r.HasErrors()
	switch {
	case x.Causeless:
		r.Verdict = fmt.Sprintf("recognised %s, which names no cause: the text alone cannot tell why the driver gave up; run %s, which tests each stage and names it",
			strings.Join(x.IDs(), ", "), x.Next)
	case len(x.Findings) > 0:
		r.Verdict = fmt.Sprintf("recognised %s; next: %s", x.rankedIDs(), x.Next)
	case x.Remark != "":
		r.Verdict = x.Remark
	default:
		r.Verdict = "nothing in the text matches a known failure; next: " + x.Next
	}
	return r
}

// Explain reads an error message from any MongoDB driver (Go, PyMongo,
// Node.js/mongosh, Java) and returns the catalogue entries it matches, the
// data it names (addresses, wire versions, host names) and the command to
// run next. It never fails: text it does not recognise yields an
// explanation without findings. Every secret in the text is redacted
// before anything is read from it.
func Explain(text string) Explanation {
	var x Explanation
	if len(text) > MaxExplainInput {
		text = exCutText(text, MaxExplainInput)
		x.Truncated = true
	}
	text = redact.RedactText(strings.ToValidUTF8(text, "\uFFFD"))
	s := exNewScan(text)
	s.run()
	s.remarks()
	s.derive()
	s.fill(&x)
	return x
}

// exCutText keeps at most n bytes of s, ending at a line break or a space
// when one is near, so that a connection string is not cut in the middle.
func exCutText(s string, n int) string {
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > n/2 {
		return s[:i]
	}
	if i := strings.LastIndexAny(s, " \t"); i > n/2 {
		return s[:i]
	}
	return s
}

// exHit is one match of a rule.
type exHit struct {
	id    string
	line  int
	pos   int // byte offset in the text
	start int // span of the match in its line
	end   int
	ex    string
	facts []string
	sev   report.Severity
	// conn marks hits that describe a connection-level failure (used to
	// tell AutoReconnect caused by a refused port from one caused by a
	// failover).
	conn bool
	// rank is how strongly the hit points at its finding as the cause.
	rank exRank
}

// exScan is the state of one Explain call.
type exScan struct {
	text  string
	lines []string
	offs  []int // byte offset of each line in text
	hits  []exHit
	// consumed spans per line: a rule marked yield skips matches that
	// overlap a span an earlier, more specific rule already explained.
	consumed map[int][][2]int

	addrs       []string
	failedHosts []string
	srvName     string
	wire        []WireMismatch
	members     []MemberState
	topoKinds   []string // topology types seen ("ReplicaSetNoPrimary", "REPLICA_SET", ...)
	emptyTopo   bool     // a replica-set topology description listed no servers
	ambiguities []Ambiguity
	remark      string
}

func exNewScan(text string) *exScan {
	s := &exScan{text: text, consumed: map[int][][2]int{}}
	off := 0
	for _, l := range strings.Split(text, "\n") {
		s.lines = append(s.lines, strings.TrimSuffix(l, "\r"))
		s.offs = append(s.offs, off)
		off += len(l) + 1
	}
	return s
}

// exMatch is what a rule's function sees.
type exMatch struct {
	s    *exScan
	line int
	sub  []string // submatches
	idx  []int    // submatch indexes in the line
	text string   // the whole line
}

// group returns submatch i, or "".
func (m *exMatch) group(i int) string {
	if i < len(m.sub) {
		return m.sub[i]
	}
	return ""
}

// before is the part of the line before the match; after the part after.
func (m *exMatch) before() string { return m.text[:m.idx[0]] }

func (m *exMatch) after() string { return m.text[m.idx[1]:] }

// exOutcome is what a rule's function decides about a match.
type exOutcome struct {
	id    string // "" rejects the match
	facts []string
	sev   report.Severity
	conn  bool
	// rank overrides the rule's: exRankSignature for a specific rule,
	// exRankGeneric for one marked yield.
	rank exRank
}

// exRule maps a phrase to a catalogue id.
type exRule struct {
	id      string
	pattern *regexp.Regexp
	// yield skips a match overlapping a span an earlier rule matched.
	yield bool
	// conn marks connection-level failures.
	conn bool
	// fn, when set, decides the id (or rejects the match) and extracts
	// facts. Without it every match yields id.
	fn func(m *exMatch) exOutcome
}

func (s *exScan) run() {
	lower := make([]string, len(s.lines))
	for i, l := range s.lines {
		lower[i] = strings.ToLower(l)
	}
	for ri, r := range exRules() {
		n := 0
		gate := exGates()[ri]
		for li, line := range s.lines {
			if n >= exMaxHitsPerRule {
				break
			}
			if line == "" || !gate.mayMatch(lower[li]) {
				continue
			}
			for _, idx := range r.pattern.FindAllStringSubmatchIndex(line, exMaxHitsPerRule) {
				if r.yield && s.overlaps(li, idx[0], idx[1]) {
					continue
				}
				m := &exMatch{s: s, line: li, idx: idx, text: line, sub: exSubmatches(line, idx)}
				o := exOutcome{id: r.id, conn: r.conn}
				if r.fn != nil {
					o = r.fn(m)
					if o.id != "" && !o.conn {
						o.conn = r.conn
					}
				}
				if o.id == "" {
					continue
				}
				if o.rank == 0 {
					o.rank = exRuleRank(r)
				}
				s.consume(li, idx[0], idx[1])
				s.hits = append(s.hits, exHit{
					id: o.id, line: li, pos: s.offs[li] + idx[0], start: idx[0], end: idx[1],
					ex: exExcerpt(line, idx[0], idx[1]), facts: o.facts, sev: o.sev, conn: o.conn, rank: o.rank,
				})
				n++
			}
		}
	}
}

func exSubmatches(line string, idx []int) []string {
	out := make([]string, len(idx)/2)
	for i := range out {
		if idx[2*i] >= 0 {
			out[i] = line[idx[2*i]:idx[2*i+1]]
		}
	}
	return out
}

func (s *exScan) overlaps(line, a, b int) bool {
	for _, sp := range s.consumed[line] {
		if a < sp[1] && sp[0] < b {
			return true
		}
	}
	return false
}

func (s *exScan) consume(line, a, b int) {
	s.consumed[line] = append(s.consumed[line], [2]int{a, b})
}

func (s *exScan) has(id string) bool {
	for _, h := range s.hits {
		if h.id == id {
			return true
		}
	}
	return false
}

func (s *exScan) drop(keep func(h exHit) bool) {
	out := s.hits[:0]
	for _, h := range s.hits {
		if keep(h) {
			out = append(out, h)
		}
	}
	s.hits = out
}

// add records a derived finding that no single phrase gives, ranked as a
// signature.
func (s *exScan) add(id string, facts ...string) { s.addRanked(id, exRankSignature, facts...) }

// addRanked records a derived finding with its rank.
func (s *exScan) addRanked(id string, rank exRank, facts ...string) {
	s.hits = append(s.hits, exHit{id: id, line: -1, pos: len(s.text), facts: facts, rank: rank})
}

func (s *exScan) addAddr(a string) { s.addrs = addFold(s.addrs, exCleanAddr(a)) }

func (s *exScan) addFailedHost(h string) { s.failedHosts = addFold(s.failedHosts, exCleanHost(h)) }

// addFold appends v to list unless it is empty or already there, ignoring
// case (host names are case-insensitive).
func addFold(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, b := range list {
		if strings.EqualFold(v, b) {
			return list
		}
	}
	return append(list, v)
}

func (s *exScan) addMember(m MemberState) {
	m.Address = exCleanAddr(m.Address)
	if m.Address == "" || len(s.members) >= exMaxMembers {
		return
	}
	for _, o := range s.members {
		if o.Address == m.Address && o.Type == m.Type {
			return
		}
	}
	s.members = append(s.members, m)
	s.addAddr(m.Address)
}

// exExcerpt returns the part of line around [a, b), with ellipses where it
// was cut, white space collapsed.
func exExcerpt(line string, a, b int) string {
	const before = 50
	from := a - before
	if from < 0 {
		from = 0
	}
	to := from + exMaxExcerpt
	if to < b {
		to = b
	}
	if to > len(line) {
		to = len(line)
	}
	from, to = exRuneStart(line, from), exRuneStart(line, to)
	out := strings.Join(strings.Fields(line[from:to]), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(line) {
		out += "…"
	}
	return out
}

// exRuneStart moves i back to the start of the UTF-8 sequence it falls in.
func exRuneStart(s string, i int) int {
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

// exCleanAddr trims the punctuation that surrounds an address in prose and
// drops what is not an address.
func exCleanAddr(a string) string {
	a = strings.Trim(a, " \t'\"`(),;<>{}")
	if !(strings.HasPrefix(a, "[") && strings.Contains(a, "]")) {
		a = strings.Trim(a, "[]")
	}
	a = strings.TrimRight(a, ".:/")
	if !strings.HasPrefix(a, "[") && strings.Count(a, ":") > 1 {
		// An IPv6 address written without brackets (Node.js: "::1:27017").
		i := strings.LastIndexByte(a, ':')
		if ip := net.ParseIP(a[:i]); ip != nil && exIsPort(a[i+1:]) {
			a = "[" + a[:i] + "]:" + a[i+1:]
		}
	}
	if a == "" || len(a) > 261 || strings.ContainsAny(a, " \t/\\@'\"=") {
		return ""
	}
	return a
}

// exCleanHost trims a host name quoted in an error.
func exCleanHost(h string) string {
	h = strings.Trim(h, " \t'\"`()[]{}<>,;:")
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, " \t/\\@") {
		return ""
	}
	return h
}

// derive adds the findings that come from several phrases together and
// removes those a more specific one explains better.
func (s *exScan) derive() {
	s.deriveTopology()

	// uri.invalid is the generic wrapper ("error parsing uri: ...",
	// MongoParseError); a specific uri, srv or dns finding says more.
	if s.hasOtherThan(catalogue.IDURIInvalid, "") {
		s.drop(func(h exHit) bool { return h.id != catalogue.IDURIInvalid })
	}

	// PyMongo raises AutoReconnect for any network error: it means a
	// failover only when no connection-level failure explains the line.
	connLines := map[int]bool{}
	for _, h := range s.hits {
		if h.conn {
			connLines[h.line] = true
		}
	}
	s.drop(func(h exHit) bool {
		return !(h.id == catalogue.IDTopologyFailover && h.conn == false && h.sev == exFailoverWeak && connLines[h.line])
	})

	// The mechanism is the reason authentication failed.
	if s.has(catalogue.IDAuthMechanismUnsupported) {
		s.drop(func(h exHit) bool { return h.id != catalogue.IDAuthFailed })
	}

	s.derivePaths()
	s.deriveAdvertised()
	s.deriveAtlas()
	s.deriveSignatures()
}

func (s *exScan) hasOtherThan(id, prefix string) bool {
	for _, h := range s.hits {
		if h.id != id && strings.HasPrefix(h.id, prefix) {
			return true
		}
	}
	return false
}

// exFailoverWeak marks a failover hit from a bare AutoReconnect, which a
// connection-level failure on the same line overrides. It is reset to the
// entry's severity when findings are built.
const exFailoverWeak report.Severity = "weak"

func (s *exScan) hasKind(kind string) bool {
	for _, k := range s.topoKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func (s *exScan) hasConn() bool {
	for _, h := range s.hits {
		if h.conn {
			return true
		}
	}
	return false
}

// exRSTextRE marks a text about a replica set.
var exRSTextRE = exLazy(`(?i)replicaSet=|replica set|\bReplicaSet|REPLICA_SET|\bRS(?:Primary|Secondary|Other|Arbiter)\b`)

// isReplicaSet reports whether a topology description in the text is a
// replica set's.
func (s *exScan) isReplicaSet() bool {
	for _, k := range s.topoKinds {
		if strings.Contains(strings.ToUpper(k), "REPLICA") {
			return true
		}
	}
	return false
}

// deriveTopology reads the topology descriptions' members.
func (s *exScan) deriveTopology() {
	isRS := s.isReplicaSet()
	if isRS && s.emptyTopo && !s.has(catalogue.IDTopologyReplSetNameMismatch) {
		s.add(catalogue.IDTopologyReplSetNameMismatch, "the driver's view of the replica set has no servers left: members whose setName differs from replicaSet= are removed")
	}
	if !isRS || s.has(catalogue.IDTopologyNoPrimary) {
		return
	}
	if len(s.members) == 0 {
		// Only the topology type is known (Node.js prints the members
		// elsewhere): say "no primary" when nothing else explains it.
		if s.hasKind("ReplicaSetNoPrimary") && !s.hasConn() && !exAtlasHostRE.MatchString(s.text) &&
			!s.has(catalogue.IDTopologyReplSetNameMismatch) && !s.has(catalogue.IDTopologyReplSetNotInitiated) {
			s.add(catalogue.IDTopologyNoPrimary, "the driver's view of the set has no primary (ReplicaSetNoPrimary)")
		}
		return
	}
	var secondaries, primaries int
	for _, m := range s.members {
		t := strings.ToUpper(m.Type)
		switch {
		case strings.Contains(t, "PRIMARY"):
			primaries++
		case strings.Contains(t, "SECONDARY"), strings.Contains(t, "ARBITER"), t == "RSOTHER", t == "REPLICA_SET_OTHER":
			secondaries++
		}
	}
	if primaries == 0 && secondaries > 0 {
		s.add(catalogue.IDTopologyNoPrimary, fmt.Sprintf("%d member(s) answer, none of them as primary", secondaries))
	}
}

// exInternalHostRE matches names that usually exist only inside another
// network: single labels (Docker service and container names), .internal,
// .local, .lan, .svc, .cluster.local, .docker names.
var exInternalHostRE = exLazy(`(?i)^(?:[a-z0-9_-]+|.*\.(?:internal|local|lan|localdomain|svc|cluster\.local|docker|home|corp))$`)

func exIsLoopback(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

func exHostOf(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.Index(addr, "]"); i > 0 {
			return addr[1:i]
		}
	}
	if i := strings.LastIndexByte(addr, ':'); i > 0 && strings.Count(addr, ":") == 1 {
		return addr[:i]
	}
	return addr
}

func exIsPrivateIP(h string) bool {
	var a, b, c, d int
	if n, _ := fmt.Sscanf(h, "%d.%d.%d.%d", &a, &b, &c, &d); n != 4 {
		return false
	}
	return a == 10 || a == 172 && b >= 16 && b <= 31 || a == 192 && b == 168
}

// deriveAdvertised recognises the SSH-tunnel trap: a replica set reached
// through one address whose members advertise names or addresses that do
// not resolve or route from here.
func (s *exScan) deriveAdvertised() {
	if s.has(catalogue.IDTopologyAdvertisedUnreachable) {
		return
	}
	// Without a replica set in the text, a driver learned no member names:
	// only a name of another network's DNS points at the trap, and the
	// text cannot tell it from a host of the connection string.
	rs := s.isReplicaSet() || exRSTextRE.MatchString(s.text)
	if !rs && len(s.failedHosts) == 0 {
		return
	}
	seeds := map[string]bool{}
	for _, h := range exURIHosts(exFirstURI(s.text)) {
		seeds[strings.ToLower(exHostOf(h))] = true
	}
	var ev, bare []string
	if rs {
		s.loopbackTimeout(&ev)
	}
	unreachable := func(h string) bool {
		return exInternalHostRE.MatchString(h) && !exIsLoopback(h) || exIsPrivateIP(h)
	}
	for _, h := range s.failedHosts {
		switch {
		case seeds[strings.ToLower(h)]:
			// A host of the connection string: not an advertised name.
		case rs && unreachable(h):
			ev = append(ev, fmt.Sprintf("member %s does not resolve from here: it looks like a name from another network", h))
		case !rs && exOtherNetworkRE.MatchString(h):
			bare = append(bare, h)
			ev = append(ev, fmt.Sprintf("%s does not resolve from here: it is a name of a cloud's or a cluster's internal DNS, the kind replica set members advertise to the clients of their own network", h))
		}
	}
	if rs {
		for _, m := range s.members {
			h := exHostOf(m.Address)
			if m.Error != "" && unreachable(h) && !seeds[strings.ToLower(h)] && !exContainsFold(ev, h) {
				ev = append(ev, fmt.Sprintf("member %s cannot be reached from here (%s)", m.Address, m.Type))
			}
		}
		// A URI on loopback (a tunnel or port-forward) while the topology
		// lists only other addresses.
		if s.uriHost() != "" && exIsLoopback(s.uriHost()) && len(s.members) > 0 {
			others := 0
			for _, m := range s.members {
				if !exIsLoopback(exHostOf(m.Address)) {
					others++
				}
			}
			if others == len(s.members) {
				ev = append(ev, fmt.Sprintf("the connection string names %s but the driver's topology lists only the members' own addresses", s.uriHost()))
			}
		}
	}
	if len(ev) == 0 {
		return
	}
	s.addRanked(catalogue.IDTopologyAdvertisedUnreachable, exRankEvidence, ev...)
	if len(bare) > 0 {
		s.ambiguous(fmt.Sprintf("if %s is a host of your connection string, the name does not resolve from here; if it is not, a member of the replica set advertised it",
			strings.Join(bare, ", ")), "", catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDDNSNoSuchHost)
	}
}

// exOtherNetworkRE matches names that only another network's DNS
// resolves: a cloud's internal zone or a Kubernetes cluster's.
var exOtherNetworkRE = exLazy(`(?i)\.(?:internal|svc|cluster\.local)$`)

// loopbackTimeout recognises a loopback address that accepts the
// connection and then times out: a tunnel or forwarder whose far end is a
// replica set member (PyMongo's "localhost:27017: timed out").
func (s *exScan) loopbackTimeout(ev *[]string) {
	if !s.has(catalogue.IDSelectTimeout) {
		return
	}
	for _, h := range s.hits {
		if h.id != catalogue.IDTCPTimeout && h.id != catalogue.IDServerNotResponding {
			continue
		}
		for _, a := range exAddrsIn(h.ex) {
			if exIsLoopback(exHostOf(a)) {
				*ev = append(*ev, fmt.Sprintf("%s timed out although it is a loopback address: typical of an SSH tunnel or port-forward to one replica set member", a))
				return
			}
		}
	}
}

func exContainsFold(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

var exAddrRE = exLazy(`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?):\d{1,5}\b`)

func exAddrsIn(s string) []string { return exAddrRE.FindAllString(s, -1) }

var exAtlasHostRE = exLazy(`(?i)[a-z0-9.-]+\.mongodb(?:-dev)?\.net\b`)

// deriveAtlas adds atlas.access-list when an Atlas host times out or resets
// the connection: the usual cause is an IP address missing from the
// project's access list.
func (s *exScan) deriveAtlas() {
	host := exAtlasHostRE.FindString(s.text)
	explicit := s.has(catalogue.IDAtlasAccessList)
	if host == "" && !explicit {
		return
	}
	symptom := ""
	others := 0
	for _, h := range s.hits {
		switch h.id {
		case catalogue.IDTCPTimeout, catalogue.IDServerNotResponding, catalogue.IDTLSServerNotTLS, catalogue.IDTLSServerRequiresTLS:
			if symptom == "" {
				symptom = h.id
			}
		case catalogue.IDSelectTimeout, catalogue.IDAtlasAccessList:
		default:
			others++
		}
	}
	if symptom == "" && s.has(catalogue.IDSelectTimeout) && others == 0 {
		symptom = catalogue.IDSelectTimeout
	}
	if symptom == "" && !explicit {
		return
	}
	// An Atlas cluster always speaks TLS: a reset is the access list, not
	// a server without TLS, nor one that needs it, unless the connection
	// string in the text turned TLS off.
	plain := false
	if c, err := connstr.CutURI(exFirstURI(s.text)); err == nil && len(c.Hosts()) > 0 && !c.SRV() {
		q := strings.ToLower(strings.Join(c.Pairs(), "&"))
		plain = !strings.Contains(q, "tls=true") && !strings.Contains(q, "ssl=true")
	}
	s.drop(func(h exHit) bool {
		switch h.id {
		case catalogue.IDTLSServerNotTLS:
			return false
		case catalogue.IDTLSServerRequiresTLS:
			return plain
		case catalogue.IDServerNotMongoDB:
			return h.line >= 0 // an Atlas host speaks MongoDB: only a phrase of the text says otherwise, not a candidate
		}
		return true
	})
	if !explicit {
		// A likely cause added to the symptom the text names, which diagnose
		// reports as the error: generic, so that the error comes first.
		s.addRanked(catalogue.IDAtlasAccessList, exRankGeneric, fmt.Sprintf("%s is a MongoDB Atlas host and the connection failed with %s", host, symptom))
	}
}

// uriHost is the first host of the first connection string in the text.
func (s *exScan) uriHost() string {
	u := exFirstURI(s.text)
	if u == "" {
		return ""
	}
	hosts := exURIHosts(u)
	if len(hosts) == 0 {
		return ""
	}
	return exHostOf(hosts[0])
}

// fill turns the hits into findings, in catalogue order.
func (s *exScan) fill(x *Explanation) {
	x.Driver = exDetectDriver(s.text)
	x.URI = exFirstURI(s.text)
	x.SRVName = s.srvName
	x.Addresses = s.addrs
	x.FailedHosts = s.failedHosts
	x.Wire = s.wire
	x.Members = s.members

	byID := map[string][]exHit{}
	for _, h := range s.hits {
		byID[h.id] = append(byID[h.id], h)
	}
	order := exRankIDs(byID)
	x.Ambiguities = s.keptAmbiguities(order)
	for _, id := range order {
		hs := byID[id]
		e, _ := catalogue.Lookup(id)
		sort.SliceStable(hs, func(i, j int) bool { return hs[i].pos < hs[j].pos })
		var facts, exs []string
		sev := e.Severity
		for _, h := range hs {
			facts = report.AppendUnique(facts, h.facts...)
			if h.ex != "" && len(exs) < exMaxExcerptsPerFinding {
				exs = report.AppendUnique(exs, h.ex)
			}
			if h.sev != "" && h.sev != exFailoverWeak {
				sev = h.sev
			}
		}
		facts = report.AppendUnique(facts, exAmbiguityFacts(x.Ambiguities, id)...)
		f := catalogue.NewFindingSeverity(e.ID, sev, append(facts, exQuoteAll(exs)...)...)
		if u := exSuggestURI(e.ID, x.URI); u != "" {
			f = report.WithSuggestedURI(f, u)
		}
		x.Findings = append(x.Findings, f)
	}
	atlas := exAtlasHostRE.MatchString(s.text)
	x.Next = exNextCommand(x, atlas)
	x.Causeless = s.causeless(x)
	if x.Causeless {
		x.Findings[0].Evidence = report.AppendUnique([]string{exCauselessFact(x.Next)}, x.Findings[0].Evidence...)
	}
	if len(x.Findings) == 0 && s.remark != "" {
		x.Remark = s.remark
	}
	// Fixes that name a command take the string the text gave (masked),
	// or the one built from its hosts.
	word := exNextTarget(x, atlas)
	for i, f := range x.Findings {
		x.Findings[i] = catalogue.FillURI(f, word)
	}
}

func exQuoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "seen: " + s
	}
	return out
}

// exDetectDriver tells which driver wrote the text from the phrasings only
// it uses.
func exDetectDriver(text string) string {
	best, bestN := "", 0
	for _, d := range exDriverMarks {
		n := 0
		for _, re := range d.marks {
			if re.MatchString(text) {
				n++
			}
		}
		if n > bestN {
			best, bestN = d.name, n
		}
	}
	return best
}

var exDriverMarks = []struct {
	name  string
	marks []*exLazyRE
}{
	{wireprobe.DriverGo, exMustAll(`server selection error`, `current topology: \{`, `the Go driver`, `dial tcp `, `go\.mongodb\.org`, `connection\(\) error occurred`, `incomplete read of message header`)},
	{wireprobe.DriverPyMongo, exMustAll(`(?i)pymongo`, `Topology Description: <TopologyDescription`, `\[Errno -?\d+\]`, `ServerSelectionTimeoutError`, `AutoReconnect`, `\.py", line \d+`)},
	{wireprobe.DriverNode, exMustAll(`Mongo(?:ose)?ServerSelectionError`, `MongoNetworkError`, `MongoParseError`, `Node\.js Driver`, `querySrv`, `getaddrinfo`, `\bE(?:CONNREFUSED|TIMEDOUT|CONNRESET)\b`, `mongosh`, `node_modules`, `MongoServerError`)},
	{wireprobe.DriverJava, exMustAll(`com\.mongodb`, `MongoTimeoutException`, `Client view of cluster state`, `java\.(?:net|io|lang)\.`, `at [a-z]+(?:\.[A-Za-z0-9_$]+)+\(\w+\.java:\d+\)`)},
}

func exMustAll(exprs ...string) []*exLazyRE {
	out := make([]*exLazyRE, len(exprs))
	for i, e := range exprs {
		out[i] = exLazy(e)
	}
	return out
}
