// Package sdamtest scripts the hello replies of a deployment for tests of
// discovery and of what the engine makes of a topology. It imports sdam
// and report only.
package sdamtest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// Replies is what each address answers in a discovery test; an address
// missing from the map does not answer.
type Replies map[string]report.Server

// Probe returns a sdam.MemberProbe answering from r and recording each
// address asked in calls (guarded by mu).
func (r Replies) Probe(calls *[]string, mu *sync.Mutex) sdam.MemberProbe {
	return func(_ context.Context, addr string) report.Server {
		mu.Lock()
		*calls = append(*calls, addr)
		mu.Unlock()
		s, ok := r[sdam.Canonical(addr)]
		if !ok {
			return report.Server{Address: addr, Kind: report.KindUnknown, Error: "connection refused"}
		}
		s.Address = addr
		s.Reachable = true
		return s
	}
}

// Primary is the hello of the primary of set, calling itself me.
func Primary(set, me string, hosts ...string) report.Server {
	return report.Server{Kind: report.KindRSPrimary, SetName: set, Me: me, Hosts: hosts, Primary: me, MaxWireVersion: 21}
}

// Secondary is the hello of a secondary of set that follows prim.
func Secondary(set, me, prim string, hosts ...string) report.Server {
	return report.Server{Kind: report.KindRSSecondary, SetName: set, Me: me, Hosts: hosts, Primary: prim, MaxWireVersion: 21}
}

// AddDiscoverSeeds gives a fuzz target of DiscoverFuzzed its seed corpus:
// a healthy set, case and bracket tricks, an empty reply, a hundred
// members.
func AddDiscoverSeeds(f *testing.F) {
	f.Add(uint8(0), "rs0", "a:1", "a:1,b:1,c:1", "a:1", "rs0")
	f.Add(uint8(1), "rs0", "B:1", "a:1,B:1", "", "")
	f.Add(uint8(2), "", "", "", "", "rs0")
	f.Add(uint8(5), "x", "[::1]:5", "::1,[::1]:5,,:", "nope", "y")
	f.Add(uint8(7), "rs0", "mongo-0.internal:27017", strings.Repeat("h:1,", 100), "mongo-0.internal:27017", "rs0")
}

// fuzzKinds are the server kinds a fuzzed hello reply may claim, the
// empty one included.
var fuzzKinds = []string{report.KindRSPrimary, report.KindRSSecondary, report.KindRSArbiter, report.KindRSOther, report.KindRSGhost,
	report.KindStandalone, report.KindMongos, report.KindLoadBalancer, report.KindUnknown, ""}

// DiscoverFuzzed runs discovery, as a replica set, directly and behind a
// load balancer, where every member answers hello with the reply built
// from the fuzzed fields (what a hostile or broken server may advertise),
// and fails t when a view exceeds sdam.MaxMembers or lists a server twice.
// Each view is then handed to check.
func DiscoverFuzzed(t *testing.T, kind uint8, setName, me, hosts, prim, uriSet string, check func(*sdam.View)) {
	t.Helper()
	list := strings.Split(hosts, ",")
	probe := func(_ context.Context, addr string) report.Server {
		return report.Server{Address: addr, Reachable: addr != "unreachable:1",
			Kind: fuzzKinds[int(kind)%len(fuzzKinds)], SetName: setName, Me: me, Hosts: list, Primary: prim,
			MaxWireVersion: int64(kind), ElectionID: setName, SetVersion: int64(kind)}
	}
	for _, o := range []sdam.Options{{SetName: uriSet}, {Direct: true, SetName: uriSet}, {LoadBalanced: true}} {
		o.Threshold = sdam.DefaultThreshold
		v := sdam.Discover(context.Background(), o, []string{"a:1", me}, probe)
		if len(v.Members) > sdam.MaxMembers {
			t.Fatalf("%d members", len(v.Members))
		}
		seen := map[string]bool{}
		for _, s := range v.AllServers() {
			if seen[s.Address] {
				t.Fatalf("%s listed twice", s.Address)
			}
			seen[s.Address] = true
		}
		if check != nil {
			check(v)
		}
	}
}
