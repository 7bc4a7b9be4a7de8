package fuzz

import (
	"context"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// FuzzTopoFindings feeds the findings and verdicts of discovery with
// topologies built from arbitrary hello replies: they must not panic.
func FuzzTopoFindings(f *testing.F) {
	f.Add(uint8(0), "rs0", "a:1", "a:1,b:1,c:1", "a:1", "rs0")
	f.Add(uint8(1), "rs0", "B:1", "a:1,B:1", "", "")
	f.Add(uint8(2), "", "", "", "", "rs0")
	f.Add(uint8(5), "x", "[::1]:5", "::1,[::1]:5,,:", "nope", "y")
	f.Add(uint8(7), "rs0", "mongo-0.internal:27017", strings.Repeat("h:1,", 100), "mongo-0.internal:27017", "rs0")
	kinds := []string{sdam.KindRSPrimary, sdam.KindRSSecondary, sdam.KindRSArbiter, sdam.KindRSOther, sdam.KindRSGhost,
		sdam.KindStandalone, sdam.KindMongos, sdam.KindLoadBalancer, sdam.KindUnknown, ""}
	f.Fuzz(func(t *testing.T, kind uint8, setName, me, hosts, prim, uriSet string) {
		list := strings.Split(hosts, ",")
		reply := func(addr string) report.Server {
			return report.Server{Kind: kinds[int(kind)%len(kinds)], SetName: setName, Me: me, Hosts: list, Primary: prim,
				MaxWireVersion: int64(kind), ElectionID: setName, SetVersion: int64(kind)}
		}
		probe := func(_ context.Context, addr string) report.Server {
			s := reply(addr)
			s.Address, s.Reachable = addr, addr != "unreachable:1"
			return s
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
			diagnose.TopoFindings(v, diagnose.TopoURIs{Given: "mongodb://u:p@a:1/?replicaSet=" + uriSet})
			diagnose.TopoVerdict(v)
			diagnose.TunnelVerdict(v)
		}
	})
}
