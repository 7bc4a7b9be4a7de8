package mongotest

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// NotInitiatedInfo is the info field of hello on a mongod started with
// --replSet before rs.initiate() (alongside isreplicaset: true and no
// setName), as MongoDB's replication coordinator sends it.
const NotInitiatedInfo = "Does not have a valid replica set config"

// MemberOptions configures one member of a fake replica set.
type MemberOptions struct {
	// Host is the address the member advertises (in hosts, me, primary)
	// instead of its real 127.0.0.1:port, e.g. "mongo-0.internal:27017";
	// a port of 0 is the real port.
	Host string
	// Tags are the member's replica set tags.
	Tags map[string]string
	// Hidden members are left out of every hosts list and report
	// hidden: true (and passive: true: they have priority 0).
	Hidden bool
	// Arbiter members hold no data, are listed under arbiters and report
	// arbiterOnly: true.
	Arbiter bool
	// Passive members have priority 0: listed under passives, never
	// elected.
	Passive bool
	// Delay is added before each of the member's replies (a slow member
	// outside the latency window).
	Delay time.Duration
	// Down members are in the configuration but not running: they are
	// advertised at an address where nothing listens.
	Down bool
	// Version overrides the set's server version for this member.
	Version string
}

// ReplSetOptions configures StartReplSet.
type ReplSetOptions struct {
	// Name is the replica set name ("rs0" when empty).
	Name string
	// Members is the number of members (len(Member), or 3, when zero).
	Members int
	// Member holds per-member options by index; it may be shorter than
	// Members.
	Member []MemberOptions
	// Advertise gives the advertised address of each member by index
	// (overriding MemberOptions.Host); empty entries keep the real one,
	// and a port of 0 (mongo-0.far.test:0) is the member's real port.
	// InternalHostNames builds the usual Docker/Kubernetes names.
	Advertise []string
	// Primary is the index of the first primary (member 0 by default).
	Primary int
	// NoPrimary starts the set with every member secondary.
	NoPrimary bool
	// NotInitiated starts members that were given --replSet but no
	// configuration yet (see NotInitiatedInfo); Initiate ends that.
	NotInitiated bool
	// Version is the server version of every member ("7.0.12" when
	// empty) and MaxWire its wire version (derived from Version when 0).
	Version string
	MaxWire int32
	// Users are the users every member authenticates.
	Users []User
	// API is every member's Stable API behaviour.
	API APIMode
	// TLS, when set, makes every member speak TLS only, with this
	// configuration.
	TLS *tls.Config
	// HostFor, when set, gives the advertised address of member i from
	// the port it listens on (names that resolve to 127.0.0.1, as in an
	// SRV seed list); it wins over Advertise and MemberOptions.Host.
	HostFor func(i int, port string) string
}

// InternalHostNames returns n advertised names in the style of a Docker
// Compose or Kubernetes StatefulSet deployment: mongo-0.internal:27017,
// mongo-1.internal:27017, ... Nothing outside the containers resolves them.
func InternalHostNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("mongo-%d.internal:27017", i)
	}
	return out
}

// ReplSet is a running fake replica set. Its methods are safe for
// concurrent use.
type ReplSet struct {
	name    string
	members []*FakeMongod // nil for members that are down
	opts    []MemberOptions
	addrs   []string // real addresses
	hosts   []string // advertised addresses

	mu        sync.Mutex
	primary   int // -1 when there is none
	term      int64
	initiated bool
	closed    bool
	answered  map[string]int // replies built so far, by Event command
	events    []*scripted
	eventWG   sync.WaitGroup
	timers    []*time.Timer
	closeOnce sync.Once
}

// Event is a moment in the life of a replica set, counted in the requests
// its members answer rather than in wall-clock time, so that a slow
// machine delays a scripted change without moving it relative to what
// the clients see: the change happens once the members together have
// built their reply to the Nth request named Command, after that reply
// and before any later one. Command "hello" counts every spelling of the
// handshake (hello, isMaster, ismaster).
type Event struct {
	Command string
	N       int
}

// AfterHellos is the Event of the nth hello the set answers.
func AfterHellos(n int) Event { return Event{Command: "hello", N: n} }

// scripted is one pending change.
type scripted struct {
	at Event
	f  func()
}

// StartReplSet starts the members of a fake replica set on distinct
// 127.0.0.1 ports and closes them when tb ends.
func StartReplSet(tb testing.TB, o ReplSetOptions) *ReplSet {
	tb.Helper()
	rs, err := NewReplSet(o)
	if err != nil {
		tb.Fatalf("start replica set: %v", err)
	}
	tb.Cleanup(rs.Close)
	return rs
}

// NewReplSet starts a fake replica set. The caller must Close it.
func NewReplSet(o ReplSetOptions) (*ReplSet, error) {
	n := o.Members
	if n == 0 {
		n = len(o.Member)
	}
	if n == 0 {
		n = 3
	}
	if len(o.Member) > n || len(o.Advertise) > n {
		return nil, fmt.Errorf("mongotest: %d members, but options for %d and names for %d", n, len(o.Member), len(o.Advertise))
	}
	rs := &ReplSet{
		name:      o.Name,
		members:   make([]*FakeMongod, n),
		opts:      make([]MemberOptions, n),
		addrs:     make([]string, n),
		hosts:     make([]string, n),
		primary:   -1,
		term:      1,
		initiated: !o.NotInitiated,
		answered:  map[string]int{},
	}
	if rs.name == "" {
		rs.name = "rs0"
	}
	copy(rs.opts, o.Member)
	for i, h := range o.Advertise {
		if h != "" {
			rs.opts[i].Host = h
		}
	}
	if !o.NoPrimary {
		if o.Primary < 0 || o.Primary >= n || !rs.opts[o.Primary].electable() {
			return nil, fmt.Errorf("mongotest: member %d cannot be primary", o.Primary)
		}
		rs.primary = o.Primary
	}
	auth, err := newUserStore(o.Users)
	if err != nil {
		return nil, err
	}
	// Bind every port first: each member's hello names all the others.
	lns := make([]net.Listener, n)
	for i := range lns {
		if rs.opts[i].Down {
			if rs.addrs[i], err = NewClosedPort(); err != nil {
				closeListeners(lns)
				return nil, err
			}
		} else {
			if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				closeListeners(lns)
				return nil, err
			}
			rs.addrs[i] = lns[i].Addr().String()
		}
		rs.hosts[i] = rs.addrs[i]
		if h := rs.opts[i].Host; h != "" {
			rs.hosts[i] = withRealPort(h, rs.addrs[i])
		}
		if o.HostFor != nil {
			_, port, _ := net.SplitHostPort(rs.addrs[i])
			rs.hosts[i] = o.HostFor(i, port)
		}
		if o.TLS != nil && lns[i] != nil {
			lns[i] = tls.NewListener(lns[i], o.TLS)
		}
	}
	for i, ln := range lns {
		if ln == nil {
			continue
		}
		version := o.Version
		if rs.opts[i].Version != "" {
			version = rs.opts[i].Version
		}
		maxWire := o.MaxWire
		if rs.opts[i].Version != "" {
			maxWire = 0
		}
		i := i
		rs.members[i] = serveFake(ln, Options{
			Version:    version,
			MaxWire:    maxWire,
			Hello:      func() bson.D { return rs.hello(i) },
			Delay:      rs.opts[i].Delay,
			API:        o.API,
			AfterReply: rs.answer,
		}, auth)
	}
	return rs, nil
}

func closeListeners(lns []net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

func (m MemberOptions) electable() bool {
	return !m.Arbiter && !m.Hidden && !m.Passive && !m.Down
}

// Name is the replica set name.
func (rs *ReplSet) Name() string { return rs.name }

// Len is the number of members.
func (rs *ReplSet) Len() int { return len(rs.members) }

// Member returns member i's server, nil for a member that is down.
func (rs *ReplSet) Member(i int) *FakeMongod { return rs.members[i] }

// Addrs returns the members' real 127.0.0.1 addresses, by index.
func (rs *ReplSet) Addrs() []string { return append([]string(nil), rs.addrs...) }

// Hosts returns the members' advertised addresses, by index.
func (rs *ReplSet) Hosts() []string { return append([]string(nil), rs.hosts...) }

// URI is a connection string seeding every member by its real address,
// with replicaSet set.
func (rs *ReplSet) URI() string {
	return "mongodb://" + strings.Join(rs.addrs, ",") + "/?replicaSet=" + rs.name
}

// Dialer returns a dialer under which the advertised names reach the
// members: the deployment as seen from inside its network.
func (rs *ReplSet) Dialer() *LoopbackDialer {
	routes := make(map[string]string, len(rs.hosts))
	for i, h := range rs.hosts {
		routes[h] = rs.addrs[i]
	}
	return &LoopbackDialer{Routes: routes}
}

// Primary returns the index of the primary, -1 when there is none.
func (rs *ReplSet) Primary() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.initiated {
		return -1
	}
	return rs.primary
}

// Term returns the election term (1 at start, +1 per election).
func (rs *ReplSet) Term() int64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.term
}

// ElectionID returns the electionId the primary of the current term
// reports: 7fffffff followed by the term, as MongoDB 3.2+ builds it.
func (rs *ReplSet) ElectionID() bson.ObjectID {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return electionID(rs.term)
}

func electionID(term int64) bson.ObjectID {
	var id bson.ObjectID
	binary.BigEndian.PutUint32(id[:4], 0x7fffffff)
	binary.BigEndian.PutUint64(id[4:], uint64(term))
	return id
}

// StepDown makes the primary a secondary; the set has no primary until
// Elect.
func (rs *ReplSet) StepDown() {
	rs.mu.Lock()
	rs.primary = -1
	rs.mu.Unlock()
}

// Elect makes member i primary in a new term, with a new, greater
// electionId. Arbiters, hidden, passive and down members cannot be
// elected.
func (rs *ReplSet) Elect(i int) error {
	if i < 0 || i >= len(rs.members) {
		return fmt.Errorf("mongotest: no member %d", i)
	}
	if !rs.opts[i].electable() {
		return fmt.Errorf("mongotest: member %d is not electable", i)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.initiated {
		return errors.New("mongotest: the replica set is not initiated")
	}
	rs.term++
	rs.primary = i
	return nil
}

// Initiate gives a NotInitiated set its configuration, as rs.initiate()
// does: the members report the set, and member 0 becomes primary.
func (rs *ReplSet) Initiate() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.initiated {
		return
	}
	rs.initiated = true
	rs.primary = -1
	for i, o := range rs.opts {
		if o.electable() {
			rs.primary = i
			break
		}
	}
}

// Failover scripts an election: the primary steps down at stepDown and
// member next is elected, with a new electionId, at elect. It returns at
// once; see Event for when "at" is.
func (rs *ReplSet) Failover(stepDown, elect Event, next int) {
	rs.On(stepDown, rs.StepDown)
	rs.On(elect, func() { _ = rs.Elect(next) })
}

// On runs f once, at ev (see Event), unless the set is closed first; an
// event whose moment has already passed runs after the next reply to a
// request of its command. f runs on
// the member's connection, before the reply that follows the moment is
// sent. Close waits for a running f to return.
func (rs *ReplSet) On(ev Event, f func()) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return
	}
	rs.events = append(rs.events, &scripted{at: ev, f: f})
}

// After runs f once d has passed on the clock, unless the set is closed
// first; Close waits for a running f. A test whose verdict depends on when
// f runs relative to the client's requests should use On instead: on a
// loaded machine the clock and the requests drift apart.
func (rs *ReplSet) After(d time.Duration, f func()) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return
	}
	rs.eventWG.Add(1)
	rs.timers = append(rs.timers, time.AfterFunc(d, func() {
		defer rs.eventWG.Done()
		f()
	}))
}

// Answered returns how many requests named command the members have
// answered so far (see Event for "hello").
func (rs *ReplSet) Answered(command string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.answered[command]
}

// answer counts a reply a member built and runs the events it brings due.
func (rs *ReplSet) answer(command string) {
	if isHelloCommand(command) {
		command = "hello"
	}
	rs.mu.Lock()
	if rs.closed {
		rs.mu.Unlock()
		return
	}
	rs.answered[command]++
	var due []func()
	kept := rs.events[:0]
	for _, e := range rs.events {
		if e.at.Command == command && rs.answered[command] >= e.at.N {
			due = append(due, e.f)
			continue
		}
		kept = append(kept, e)
	}
	rs.events = kept
	rs.eventWG.Add(len(due))
	rs.mu.Unlock()
	for _, f := range due {
		f()
		rs.eventWG.Done()
	}
}

// Close stops every scripted event and member, and waits for them.
func (rs *ReplSet) Close() {
	rs.closeOnce.Do(func() {
		rs.mu.Lock()
		rs.closed = true
		rs.events = nil
		for _, t := range rs.timers {
			if t.Stop() {
				rs.eventWG.Done()
			}
		}
		rs.mu.Unlock()
	})
	rs.eventWG.Wait()
	for _, m := range rs.members {
		if m != nil {
			m.Close()
		}
	}
}

// hello is the role part of member i's hello reply.
func (rs *ReplSet) hello(i int) bson.D {
	rs.mu.Lock()
	primary, term, initiated := rs.primary, rs.term, rs.initiated
	rs.mu.Unlock()
	if !initiated {
		return bson.D{
			{Key: "isWritablePrimary", Value: false},
			{Key: "secondary", Value: false},
			{Key: "info", Value: NotInitiatedInfo},
			{Key: "isreplicaset", Value: true},
		}
	}
	var hosts, passives, arbiters bson.A
	for j, o := range rs.opts {
		switch {
		case o.Hidden:
		case o.Arbiter:
			arbiters = append(arbiters, rs.hosts[j])
		case o.Passive:
			passives = append(passives, rs.hosts[j])
		default:
			hosts = append(hosts, rs.hosts[j])
		}
	}
	me := rs.opts[i]
	doc := bson.D{}
	if hosts != nil {
		doc = append(doc, bson.E{Key: "hosts", Value: hosts})
	}
	if passives != nil {
		doc = append(doc, bson.E{Key: "passives", Value: passives})
	}
	if arbiters != nil {
		doc = append(doc, bson.E{Key: "arbiters", Value: arbiters})
	}
	doc = append(doc,
		bson.E{Key: "setName", Value: rs.name},
		bson.E{Key: "setVersion", Value: int32(1)},
		bson.E{Key: "isWritablePrimary", Value: i == primary},
		bson.E{Key: "secondary", Value: i != primary && !me.Arbiter},
	)
	if primary >= 0 {
		doc = append(doc, bson.E{Key: "primary", Value: rs.hosts[primary]})
	}
	if me.Arbiter {
		doc = append(doc, bson.E{Key: "arbiterOnly", Value: true})
	}
	if me.Passive || me.Hidden {
		doc = append(doc, bson.E{Key: "passive", Value: true})
	}
	if me.Hidden {
		doc = append(doc, bson.E{Key: "hidden", Value: true})
	}
	if len(me.Tags) > 0 {
		tags := bson.D{}
		for _, k := range slices.Sorted(maps.Keys(me.Tags)) {
			tags = append(tags, bson.E{Key: k, Value: me.Tags[k]})
		}
		doc = append(doc, bson.E{Key: "tags", Value: tags})
	}
	doc = append(doc, bson.E{Key: "me", Value: rs.hosts[i]})
	if i == primary {
		doc = append(doc, bson.E{Key: "electionId", Value: electionID(term)})
	}
	if !me.Arbiter {
		now := time.Now()
		opTime := bson.D{
			{Key: "ts", Value: bson.Timestamp{T: uint32(now.Unix()), I: 1}},
			{Key: "t", Value: term},
		}
		doc = append(doc, bson.E{Key: "lastWrite", Value: bson.D{
			{Key: "opTime", Value: opTime},
			{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(now)},
			{Key: "majorityOpTime", Value: opTime},
			{Key: "majorityWriteDate", Value: bson.NewDateTimeFromTime(now)},
		}})
	}
	return doc
}

// withRealPort is the advertised address host, with the port of real
// when host's port is 0: a name that a test's far side resolves to
// 127.0.0.1 reaches the member there.
func withRealPort(host, real string) string {
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != "0" {
		return host
	}
	_, rp, err := net.SplitHostPort(real)
	if err != nil {
		return host
	}
	return net.JoinHostPort(h, rp)
}
