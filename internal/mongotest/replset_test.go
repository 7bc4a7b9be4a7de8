package mongotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// helloOf is the part of a member's hello reply the tests look at.
type helloOf struct {
	IsWritablePrimary bool              `bson:"isWritablePrimary"`
	Secondary         bool              `bson:"secondary"`
	ArbiterOnly       bool              `bson:"arbiterOnly"`
	Hidden            bool              `bson:"hidden"`
	Passive           bool              `bson:"passive"`
	SetName           string            `bson:"setName"`
	SetVersion        int32             `bson:"setVersion"`
	Hosts             []string          `bson:"hosts"`
	Passives          []string          `bson:"passives"`
	Arbiters          []string          `bson:"arbiters"`
	Primary           string            `bson:"primary"`
	Me                string            `bson:"me"`
	ElectionID        *bson.ObjectID    `bson:"electionId"`
	Tags              map[string]string `bson:"tags"`
	IsReplicaSet      bool              `bson:"isreplicaset"`
	Info              string            `bson:"info"`
	MaxWireVersion    int32             `bson:"maxWireVersion"`
}

func memberHello(t *testing.T, addr string) helloOf {
	t.Helper()
	var h helloOf
	if err := bson.Unmarshal(dialRaw(t, addr).mustMsg("admin", bson.D{{Key: "hello", Value: 1}}), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReplSetMembersAgree(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{
		Name:    "rs7",
		Members: 6,
		Member: []MemberOptions{
			{Tags: map[string]string{"dc": "east", "rack": "a"}},
			{Tags: map[string]string{"dc": "west"}},
			{Passive: true},
			{Hidden: true},
			{Arbiter: true},
			{Down: true},
		},
	})
	hosts := rs.Hosts()
	wantHosts := []string{hosts[0], hosts[1], hosts[5]}
	cases := []struct {
		i    int
		want func(h helloOf) bool
	}{
		{0, func(h helloOf) bool {
			return h.IsWritablePrimary && !h.Secondary && h.ElectionID != nil && h.Tags["dc"] == "east" && h.Tags["rack"] == "a"
		}},
		{1, func(h helloOf) bool {
			return !h.IsWritablePrimary && h.Secondary && h.ElectionID == nil && h.Tags["dc"] == "west"
		}},
		{2, func(h helloOf) bool { return h.Secondary && h.Passive && !h.Hidden }},
		{3, func(h helloOf) bool { return h.Secondary && h.Hidden && h.Passive }},
		{4, func(h helloOf) bool { return h.ArbiterOnly && !h.Secondary && !h.IsWritablePrimary }},
	}
	for _, tc := range cases {
		h := memberHello(t, rs.Addrs()[tc.i])
		if !tc.want(h) {
			t.Errorf("member %d: %+v", tc.i, h)
		}
		if h.SetName != "rs7" || h.SetVersion != 1 || h.Me != hosts[tc.i] || h.Primary != hosts[0] {
			t.Errorf("member %d: setName %q setVersion %d me %q primary %q", tc.i, h.SetName, h.SetVersion, h.Me, h.Primary)
		}
		if !slices.Equal(h.Hosts, wantHosts) || !slices.Equal(h.Passives, []string{hosts[2]}) || !slices.Equal(h.Arbiters, []string{hosts[4]}) {
			t.Errorf("member %d: hosts %v passives %v arbiters %v, want %v %v %v",
				tc.i, h.Hosts, h.Passives, h.Arbiters, wantHosts, hosts[2:3], hosts[4:5])
		}
	}
	if rs.Member(5) != nil {
		t.Errorf("a down member is running")
	}
	if _, err := (&LoopbackDialer{}).DialContext(context.Background(), "tcp", rs.Addrs()[5]); err == nil {
		t.Errorf("the down member's address accepts connections")
	}
}

func TestDriverUsesFakeReplSet(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 3, Primary: 1, Version: "6.0.14"})
	c := connectDriver(t, rs.URI())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		t.Fatalf("ping primary: %v", err)
	}
	var h helloOf
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h.Me != rs.Addrs()[1] || !h.IsWritablePrimary || h.MaxWireVersion != 17 {
		t.Errorf("the driver's primary said %+v, want member 1 on wire 17", h)
	}
	if err := c.Ping(ctx, readpref.Secondary()); err != nil {
		t.Fatalf("ping secondary: %v", err)
	}
}

func TestAdvertisedNames(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 3, Advertise: InternalHostNames(3)})
	h := memberHello(t, rs.Addrs()[0])
	if h.Me != "mongo-0.internal:27017" || !slices.Equal(h.Hosts, InternalHostNames(3)) || h.Primary != "mongo-0.internal:27017" {
		t.Fatalf("hello = %+v", h)
	}
	// Through the tunnel with directConnection the seed answers ...
	fwd := StartForwarder(t, rs.Addrs()[0])
	direct := connectDriver(t, "mongodb://"+fwd.Addr()+"/?directConnection=true",
		options.Client().SetDialer(&LoopbackDialer{}))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := direct.Ping(ctx, nil); err != nil {
		t.Fatalf("direct ping through the forwarder: %v", err)
	}
	// ... but replica-set discovery follows the advertised names, which
	// do not resolve here.
	lost := connectDriver(t, "mongodb://"+fwd.Addr()+"/?replicaSet=rs0",
		options.Client().SetDialer(&LoopbackDialer{}).SetServerSelectionTimeout(quietTimeout))
	if err := lost.Ping(ctx, readpref.Primary()); err == nil {
		t.Errorf("discovery reached members by names that do not resolve")
	}
	// From inside the deployment's network the names work.
	inside := connectDriver(t, "mongodb://"+rs.Hosts()[1]+"/?replicaSet=rs0", options.Client().SetDialer(rs.Dialer()))
	if err := inside.Ping(ctx, readpref.Primary()); err != nil {
		t.Errorf("ping with the deployment's own names: %v", err)
	}
}

// An advertised name with port 0 takes the member's real port, so that
// a far side resolving the name to 127.0.0.1 reaches the member.
func TestAdvertisedRealPort(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 2, Advertise: []string{"mongo-0.far.test:0", "mongo-1.far.test:0"}})
	for i, a := range rs.Addrs() {
		_, port, _ := net.SplitHostPort(a)
		if want := fmt.Sprintf("mongo-%d.far.test:%s", i, port); rs.Hosts()[i] != want {
			t.Errorf("member %d advertises %s, want %s", i, rs.Hosts()[i], want)
		}
	}
	if h := memberHello(t, rs.Addrs()[1]); h.Me != rs.Hosts()[1] || !slices.Equal(h.Hosts, rs.Hosts()) {
		t.Errorf("hello = %+v, want me %s and hosts %v", h, rs.Hosts()[1], rs.Hosts())
	}
}

func TestNotInitiated(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 2, NotInitiated: true})
	h := memberHello(t, rs.Addrs()[0])
	if !h.IsReplicaSet || h.Info != NotInitiatedInfo || h.SetName != "" || h.Hosts != nil || h.IsWritablePrimary || h.Secondary {
		t.Errorf("not initiated hello = %+v", h)
	}
	if rs.Primary() != -1 {
		t.Errorf("Primary() = %d before initiation", rs.Primary())
	}
	if err := rs.Elect(1); err == nil {
		t.Errorf("elected a member of a set without a configuration")
	}
	rs.Initiate()
	h = memberHello(t, rs.Addrs()[0])
	if h.IsReplicaSet || h.SetName != "rs0" || !h.IsWritablePrimary || rs.Primary() != 0 {
		t.Errorf("after Initiate: %+v", h)
	}
}

func TestNoPrimary(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 3, NoPrimary: true})
	for i, a := range rs.Addrs() {
		h := memberHello(t, a)
		if h.IsWritablePrimary || !h.Secondary || h.Primary != "" || h.ElectionID != nil {
			t.Errorf("member %d: %+v", i, h)
		}
	}
	c := connectDriver(t, rs.URI(), options.Client().SetServerSelectionTimeout(quietTimeout))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var sel topology.ServerSelectionError
	if err := c.Ping(ctx, readpref.Primary()); !errors.As(err, &sel) {
		t.Errorf("ping primary without a primary: %v", err)
	}
	if err := c.Ping(ctx, readpref.Secondary()); err != nil {
		t.Errorf("ping secondary: %v", err)
	}
}

func TestElections(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 4, Member: []MemberOptions{3: {Arbiter: true}}})
	first := memberHello(t, rs.Addrs()[0]).ElectionID
	rs.StepDown()
	for i := 0; i < 3; i++ {
		if h := memberHello(t, rs.Addrs()[i]); h.IsWritablePrimary || h.Primary != "" {
			t.Errorf("after StepDown member %d: %+v", i, h)
		}
	}
	if err := rs.Elect(2); err != nil {
		t.Fatal(err)
	}
	if err := rs.Elect(3); err == nil {
		t.Errorf("an arbiter was elected")
	}
	if err := rs.Elect(9); err == nil {
		t.Errorf("a member that does not exist was elected")
	}
	h := memberHello(t, rs.Addrs()[2])
	if !h.IsWritablePrimary || h.ElectionID == nil || bytes.Compare(h.ElectionID[:], first[:]) <= 0 {
		t.Errorf("new primary %+v; its electionId must be above %v", h, first)
	}
	if got := memberHello(t, rs.Addrs()[0]).Primary; got != rs.Hosts()[2] || rs.Primary() != 2 || rs.Term() != 2 {
		t.Errorf("old primary names %q as primary; Primary() %d, Term() %d", got, rs.Primary(), rs.Term())
	}
}

// pollInterval is how often the test asks the driver what it selects: it
// only paces the test, nothing asserts on it.
const pollInterval = 20 * time.Millisecond

func TestFailoverByEvents(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 3})
	c := connectDriver(t, rs.URI()+"&heartbeatFrequencyMS=500")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		t.Fatal(err)
	}
	oldID := rs.ElectionID()
	// The primary steps down at the next hello any member answers, and
	// member 1 is elected two hellos later: the driver's monitors and the
	// test's own hellos bring both about, whatever the machine's speed.
	n := rs.Answered("hello")
	rs.Failover(AfterHellos(n+1), AfterHellos(n+3), 1)
	// The driver must find the new primary; poll what it selects.
	for {
		var h helloOf
		err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&h)
		if err == nil && h.IsWritablePrimary && h.Me == rs.Hosts()[1] {
			if h.ElectionID == nil || *h.ElectionID == oldID {
				t.Errorf("new primary kept electionId %v", oldID)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the driver never selected member 1 as primary (last: %+v, %v)", h, err)
		}
		time.Sleep(pollInterval)
	}
}

// An event happens exactly after the reply it counts: the Nth reply still
// shows the old state, the next one the new.
func TestReplSetEventOrder(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 2})
	r := dialRaw(t, rs.Addrs()[0])
	hello := func() helloOf {
		var h helloOf
		if err := bson.Unmarshal(r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}}), &h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	rs.Failover(AfterHellos(2), Event{Command: "buildInfo", N: 1}, 1)
	if h := hello(); !h.IsWritablePrimary {
		t.Errorf("hello 1: member 0 is no longer primary before the step-down")
	}
	if h := hello(); !h.IsWritablePrimary {
		t.Errorf("hello 2 already shows the step-down it brings about")
	}
	if h := hello(); h.IsWritablePrimary || h.Primary != "" || rs.Primary() != -1 {
		t.Errorf("hello 3 after the step-down: %+v, Primary() %d", h, rs.Primary())
	}
	if rs.Term() != 1 {
		t.Errorf("elected before its event: term %d", rs.Term())
	}
	r.mustMsg("admin", bson.D{{Key: "buildInfo", Value: 1}})
	if h := hello(); h.Primary != rs.Hosts()[1] || rs.Term() != 2 || rs.Answered("hello") != 4 {
		t.Errorf("after buildInfo 1: primary %q, term %d, %d hellos answered", h.Primary, rs.Term(), rs.Answered("hello"))
	}
}

func TestReplSetScriptedEventsStopOnClose(t *testing.T) {
	rs, err := NewReplSet(ReplSetOptions{Members: 2})
	if err != nil {
		t.Fatal(err)
	}
	rs.Failover(AfterHellos(1000), AfterHellos(1000), 1)
	rs.After(never, func() { t.Errorf("a timed event outlived Close") })
	fired := make(chan struct{})
	rs.On(AfterHellos(1), func() { close(fired) })
	dialRaw(t, rs.Addrs()[1]).mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	<-fired
	rs.Close()
	rs.Close()
	if rs.Primary() != 0 {
		t.Errorf("a scripted step-down ran after Close")
	}
	rs.On(AfterHellos(0), func() { t.Errorf("an event ran after Close") })
	rs.answer("hello")
	rs.After(0, func() { t.Errorf("a timed event ran after Close") })
	checkNoFixtureGoroutines(t)
}

func TestSlowMember(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 3, Member: []MemberOptions{2: {Delay: never}}})
	r := dialRaw(t, rs.Addrs()[2])
	r.sendHello()
	if !r.staysQuiet() {
		t.Errorf("the slow member answered before its delay")
	}
	dialRaw(t, rs.Addrs()[1]).mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
}

func TestReplSetOptionErrors(t *testing.T) {
	cases := []ReplSetOptions{
		{Members: 2, Member: make([]MemberOptions, 3)},
		{Members: 2, Advertise: InternalHostNames(3)},
		{Members: 2, Primary: 2},
		{Members: 2, Member: []MemberOptions{{Arbiter: true}}},
		{Members: 1, Users: []User{{Password: "no name"}}},
	}
	for i, o := range cases {
		if rs, err := NewReplSet(o); err == nil {
			rs.Close()
			t.Errorf("case %d: %+v accepted", i, o)
		}
	}
}

func TestReplSetSCRAM(t *testing.T) {
	rs := StartReplSet(t, ReplSetOptions{Members: 2, Users: []User{{Name: "alice", Password: "pw"}}})
	c := connectDriver(t, "mongodb://alice:pw@"+rs.Addrs()[0]+","+rs.Addrs()[1]+"/?replicaSet=rs0&authMechanism=SCRAM-SHA-256")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		t.Fatalf("authenticated ping: %v", err)
	}
}
