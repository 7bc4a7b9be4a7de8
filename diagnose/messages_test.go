package diagnose

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// The messages diagnose sends to each member of a healthy set, counted by
// the fake servers themselves: every request they receive, answered or
// not. A healthy member costs the raw probe a hello and a buildInfo (its
// version). The primary, which the driver's last stage pings, receives
// one message more, the driver's ping: the driver's monitor's handshake
// and its connection's handshake are answered from the probe's hello
// (the handoff), since the other members name it primary. Nothing else:
// no second round of hellos for the RTT, no monitor of the driver on the
// other members, no awaitable hello or round-trip connection of a
// streaming monitor, no endSessions. Three messages per member at most,
// the driver's included (DESIGN.md §11).
const (
	rawMessagesPerMember    = 2 // hello, buildInfo
	driverMessagesPerMember = 1 // ping
	maxMessagesPerMember    = 3 // DESIGN.md §11
)

// helloNames are the spellings of the handshake the counts add up: the
// driver's first hello on a connection is the legacy isMaster over
// OP_QUERY (with helloOk) when no Stable API is asked for.
var helloNames = []string{"hello", "isMaster", "ismaster"}

func TestDiagnoseMessagesPerMember(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3})
	e := topoEngine(t)
	for i := 0; i < rs.Len(); i++ {
		rs.Member(i).ResetCounts()
	}
	r, err := e.Diagnose(context.Background(), topoTarget(t, rs.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("diagnose of a healthy set is not ok: %s %v", r.Verdict, topoFindingIDs(r))
	}
	pinged := rs.Primary()
	for i := 0; i < rs.Len(); i++ {
		m := rs.Member(i)
		want := rawMessagesPerMember
		wantPing := 0
		if i == pinged {
			want += driverMessagesPerMember
			wantPing = 1
		}
		if got := m.Requests(); got != want || got > maxMessagesPerMember {
			t.Errorf("member %d (%s) received %d messages, want %d (at most %d): %s", i, m.Addr(), got, want, maxMessagesPerMember, m.CountSummary())
		}
		if got := m.Count(helloNames...); got != 1 {
			t.Errorf("member %d: %d hellos, want 1: %s", i, got, m.CountSummary())
		}
		if got := m.Count("ping"); got != wantPing {
			t.Errorf("member %d: %d pings, want %d: %s", i, got, wantPing, m.CountSummary())
		}
		if got := m.Count("buildInfo", "buildinfo"); got != 1 {
			t.Errorf("member %d: %d buildInfo, want 1: %s", i, got, m.CountSummary())
		}
	}
	// One connection each: the TCP check's, which the probe's hello
	// goes on with, and on the primary the driver's ping after it.
	for i := 0; i < rs.Len(); i++ {
		if got := rs.Member(i).Connections(); got != 1 {
			t.Errorf("member %d accepted %d connections, want 1", i, got)
		}
	}
}

// The handoff gives up the driver's own look at the member's role where
// no other look stands in for it: with credentials (its handshakes carry
// them), and on a member no other member names primary (a standalone, a
// set of one). The driver's handshakes then go to the server as it wrote
// them.
func TestDiagnoseNoHandoff(t *testing.T) {
	secured := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: authPassword}}})
	alone := mongotest.StartFakeMongod(t, mongotest.Options{})
	set := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 1})
	for name, c := range map[string]struct {
		m   *mongotest.FakeMongod
		uri string
	}{
		"credentials": {secured, "mongodb://alice:" + authPassword + "@" + secured.Addr() + "/?authSource=admin"},
		"standalone":  {alone, alone.URI()},
		"set of one":  {set.Member(0), set.URI()},
	} {
		t.Run(name, func(t *testing.T) {
			e := topoEngine(t)
			c.m.ResetCounts()
			r, err := e.Diagnose(context.Background(), topoTarget(t, c.uri))
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK {
				t.Fatalf("diagnose is not ok: %s %v", r.Verdict, topoFindingIDs(r))
			}
			if got := c.m.Count(helloNames...); got < 3 {
				t.Errorf("%d hellos, want the probe's and the driver's two handshakes: %s", got, c.m.CountSummary())
			}
		})
	}
}

// streamingHello is the role part of a hello from MongoDB 4.4 or later,
// whose topologyVersion lets a driver stream: it answers its monitor's
// next hello only when the topology changes, and times round trips on a
// connection of their own.
func streamingHello() bson.D {
	return bson.D{
		{Key: "isWritablePrimary", Value: true},
		{Key: "topologyVersion", Value: bson.D{{Key: "processId", Value: bson.NewObjectID()}, {Key: "counter", Value: int64(0)}}},
	}
}

// A server that allows streaming gets one check from the driver's
// monitor, as any other: ping and diagnose need one description of each
// server. (The fake answers an awaitable hello at once, so a streaming
// monitor would send hello after hello for as long as the client lives.)
func TestDriverDoesNotStream(t *testing.T) {
	for _, command := range []string{"ping", "diagnose"} {
		t.Run(command, func(t *testing.T) {
			m := mongotest.StartFakeMongod(t, mongotest.Options{Hello: streamingHello})
			e := topoEngine(t)
			var r *report.Report
			var err error
			if command == "ping" {
				r, err = e.Ping(context.Background(), topoTarget(t, m.URI()), PingRequest{})
			} else {
				r, err = e.Diagnose(context.Background(), topoTarget(t, m.URI()))
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK {
				t.Fatalf("%s is not ok: %s %v", command, r.Verdict, topoFindingIDs(r))
			}
			if got, want := m.Count(helloNames...), 1+2; got != want {
				t.Errorf("%d hellos, want %d (the raw probe's, the driver's monitor and connection handshakes): %s", got, want, m.CountSummary())
			}
			if got := m.Connections(); got > 3 {
				t.Errorf("%d connections, want at most 3 (the TCP check's, on which the first dial goes on; then the raw probe, monitor and pool)", got)
			}
		})
	}
}

// lateDriverBudget is the budget of the silent-server pings below: long
// enough for an early driver to dial on loopback however loaded the
// machine, short enough that each case ends soon.
const lateDriverBudget = 2 * time.Second

// ping starts the driver once a seed accepts TCP, so that its handshakes
// overlap the raw probes; with LateDriver (--targets) it waits for the
// seeds' hellos, and a seed that never answers one never sees the driver.
// The fake counts the connections it accepted: the TCP check's, which the
// next dial of the seed goes on with (the raw probe's, or the driver's
// monitor's when it started early), and the raw probe's own then.
func TestPingLateDriver(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("late-%v", late), func(t *testing.T) {
			m := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeSilent})
			e := topoEngine(t)
			e.Timeout = lateDriverBudget
			e.LateDriver = late
			r, err := e.Ping(context.Background(), topoTarget(t, m.URI()), PingRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK {
				t.Fatalf("ping of a silent server is ok: %s", r.Verdict)
			}
			got := m.Connections()
			if late && got != 1 {
				t.Errorf("%d connections with a late driver, want 1 (the TCP check's, which the raw probe goes on with)", got)
			}
			if !late && got < 2 {
				t.Errorf("%d connections with an early driver, want 2 or more (the TCP check's, which the driver's monitor goes on with, and the raw probe's)", got)
			}
		})
	}
}
