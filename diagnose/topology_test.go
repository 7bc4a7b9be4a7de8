package diagnose

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// topoReplies is what each address answers in a discovery test; an address
// missing from the map does not answer.
type topoReplies map[string]Server

func (r topoReplies) probe(calls *[]string, mu *sync.Mutex) memberProbe {
	return func(_ context.Context, addr string) Server {
		mu.Lock()
		*calls = append(*calls, addr)
		mu.Unlock()
		s, ok := r[topoCanonical(addr)]
		if !ok {
			return Server{Address: addr, Kind: srvKindUnknown, Error: "connection refused"}
		}
		s.Address = addr
		s.Reachable = true
		return s
	}
}

func rsPrimaryReply(set, me string, hosts ...string) Server {
	return Server{Kind: srvKindRSPrimary, SetName: set, Me: me, Hosts: hosts, Primary: me, MaxWireVersion: 21}
}

func rsSecondaryReply(set, me, prim string, hosts ...string) Server {
	return Server{Kind: srvKindRSSecondary, SetName: set, Me: me, Hosts: hosts, Primary: prim, MaxWireVersion: 21}
}

func topoWithRTT(s Server, ms float64) Server { s.RTTMs = ms; return s }

func TestTopoDiscover(t *testing.T) {
	a, b, c := "a.example:27017", "b.example:27017", "c.example:27017"
	cases := []struct {
		name        string
		opts        topoOptions
		seeds       []string
		topoReplies topoReplies
		kind        TopologyKind
		setName     string
		members     []string          // addresses of the final topology
		gone        map[string]string // topoDropped address -> part of the reason
		probed      []string          // every address probed, sorted
	}{
		{
			name:        "healthy set found from one seed",
			opts:        topoOptions{setName: "rs0"},
			seeds:       []string{a},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a, b, c), b: rsSecondaryReply("rs0", b, a, a, b, c), c: rsSecondaryReply("rs0", c, a, a, b, c)},
			kind:        TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a, b, c},
			probed:  []string{a, b, c},
		},
		{
			name:        "set discovered without replicaSet=",
			seeds:       []string{b},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a, b), b: rsSecondaryReply("rs0", b, a, a, b)},
			kind:        TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{b, a},
			probed:  []string{a, b},
		},
		{
			name:        "replica set name mismatch drops every member",
			opts:        topoOptions{setName: "prod"},
			seeds:       []string{a},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a, b)},
			kind:        TopologyReplicaSetNoPrimary, setName: "prod",
			gone:   map[string]string{a: `reports replica set "rs0", but the connection string names "prod"`},
			probed: []string{a},
		},
		{
			name:        "seed known to the set by another name",
			opts:        topoOptions{setName: "rs0"},
			seeds:       []string{"127.0.0.1:27017"},
			topoReplies: topoReplies{"127.0.0.1:27017": rsPrimaryReply("rs0", "localhost:27017", "localhost:27017"), "localhost:27017": rsPrimaryReply("rs0", "localhost:27017", "localhost:27017")},
			kind:        TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{"localhost:27017"},
			gone:    map[string]string{"127.0.0.1:27017": "is not in the member list of primary"},
			probed:  []string{"127.0.0.1:27017", "localhost:27017"},
		},
		{
			name:        "members advertise names that do not answer",
			opts:        topoOptions{setName: "rs0"},
			seeds:       []string{"127.0.0.1:4000"},
			topoReplies: topoReplies{"127.0.0.1:4000": rsPrimaryReply("rs0", "mongo-a.internal:27017", "mongo-a.internal:27017", "mongo-b.internal:27017")},
			kind:        TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{"mongo-a.internal:27017", "mongo-b.internal:27017"},
			gone:    map[string]string{"127.0.0.1:4000": "is not in the member list"},
			probed:  []string{"127.0.0.1:4000", "mongo-a.internal:27017", "mongo-b.internal:27017"},
		},
		{
			name:        "one standalone seed is a single server",
			seeds:       []string{a},
			topoReplies: topoReplies{a: {Kind: srvKindStandalone, MaxWireVersion: 21}},
			kind:        TopologySingle,
			members:     []string{a},
			probed:      []string{a},
		},
		{
			name:        "a standalone among several seeds is topoDropped",
			seeds:       []string{a, b},
			topoReplies: topoReplies{a: {Kind: srvKindStandalone}, b: rsSecondaryReply("rs0", b, "", b)},
			kind:        TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{b},
			gone:    map[string]string{a: "standalone"},
			probed:  []string{a, b},
		},
		{
			name:        "mongos routers make a sharded cluster and drop a shard member",
			seeds:       []string{a, b, c},
			topoReplies: topoReplies{a: {Kind: srvKindMongos}, b: {Kind: srvKindMongos}, c: rsSecondaryReply("rs0", c, "", c)},
			kind:        TopologySharded,
			members:     []string{a, b},
			gone:        map[string]string{c: "mongos routers"},
			probed:      []string{a, b, c},
		},
		{
			name:        "directConnection probes only the seed",
			opts:        topoOptions{direct: true},
			seeds:       []string{b},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a, b), b: rsSecondaryReply("rs0", b, a, a, b)},
			kind:        TopologySingle,
			members:     []string{b},
			probed:      []string{b},
		},
		{
			name:        "directConnection with the wrong set name",
			opts:        topoOptions{direct: true, setName: "prod"},
			seeds:       []string{a},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a)},
			kind:        TopologySingle, setName: "prod",
			members: []string{a},
			gone:    map[string]string{a: `names "prod"`},
			probed:  []string{a},
		},
		{
			name:  "no primary",
			opts:  topoOptions{setName: "rs0"},
			seeds: []string{a},
			topoReplies: topoReplies{
				a: rsSecondaryReply("rs0", a, "", a, b), b: rsSecondaryReply("rs0", b, "", a, b),
			},
			kind: TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{a, b},
			probed:  []string{a, b},
		},
		{
			name:        "a member without a configuration leaves the topology unknown",
			seeds:       []string{a},
			topoReplies: topoReplies{a: {Kind: srvKindRSGhost}},
			kind:        TopologyUnknown,
			members:     []string{a},
			probed:      []string{a},
		},
		{
			name:        "a secondary that calls itself by another name is topoDropped but its list is followed",
			seeds:       []string{"10.0.0.2:27017"},
			topoReplies: topoReplies{"10.0.0.2:27017": rsSecondaryReply("rs0", b, a, a, b), a: rsPrimaryReply("rs0", a, a, b), b: rsSecondaryReply("rs0", b, a, a, b)},
			kind:        TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a, b},
			gone:    map[string]string{"10.0.0.2:27017": `calls itself ` + b},
			probed:  []string{"10.0.0.2:27017", a, b},
		},
		{
			name:        "names differing in case are the same member",
			seeds:       []string{"A.Example:27017"},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, a)},
			kind:        TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a},
			probed:  []string{"A.Example:27017"},
		},
		{
			name:        "load balanced mode probes the one seed",
			opts:        topoOptions{loadBalanced: true},
			seeds:       []string{a},
			topoReplies: topoReplies{a: {Kind: srvKindLoadBalancer, ServiceID: "65a1"}},
			kind:        TopologyLoadBalanced,
			members:     []string{a},
			probed:      []string{a},
		},
		{
			name:        "a hostile member list is capped",
			seeds:       []string{a},
			topoReplies: topoReplies{a: rsPrimaryReply("rs0", a, topoManyHosts(200)...)},
			kind:        TopologyReplicaSetNoPrimary, setName: "rs0",
			members: topoManyHosts(maxTopologyMembers),
			gone:    map[string]string{a: "is not in the member list"},
			probed:  append([]string{a}, topoManyHosts(maxTopologyMembers)...),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.threshold == 0 {
				tc.opts.threshold = topoDefaultThreshold
			}
			var calls []string
			var mu sync.Mutex
			v := discoverTopology(context.Background(), tc.opts, tc.seeds, tc.topoReplies.probe(&calls, &mu))
			if v.kind != tc.kind {
				t.Errorf("kind = %s, want %s", v.kind, tc.kind)
			}
			if v.setName != tc.setName {
				t.Errorf("setName = %q, want %q", v.setName, tc.setName)
			}
			var got []string
			for _, m := range v.members {
				got = append(got, m.Address)
			}
			if !reflect.DeepEqual(got, tc.members) {
				t.Errorf("members = %v, want %v", got, tc.members)
			}
			if len(v.gone) != len(tc.gone) {
				t.Errorf("topoDropped %d servers (%v), want %d", len(v.gone), v.gone, len(tc.gone))
			}
			for _, g := range v.gone {
				want, ok := tc.gone[g.addr]
				if !ok || !strings.Contains(g.why, want) {
					t.Errorf("topoDropped %s because %q, want a reason containing %q", g.addr, g.why, want)
				}
			}
			sort.Strings(calls)
			want := append([]string(nil), tc.probed...)
			sort.Strings(want)
			if !reflect.DeepEqual(calls, want) {
				t.Errorf("probed %v, want %v", calls, want)
			}
		})
	}
}

func topoManyHosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("h%03d.example:27017", i)
	}
	return out
}

func TestTopoNameMismatchFlagged(t *testing.T) {
	var calls []string
	var mu sync.Mutex
	v := discoverTopology(context.Background(), topoOptions{setName: "prod", threshold: topoDefaultThreshold},
		[]string{"a:1"}, topoReplies{"a:1": rsPrimaryReply("rs0", "a:1", "a:1")}.probe(&calls, &mu))
	if len(v.gone) != 1 || !v.gone[0].mismatch {
		t.Fatalf("gone = %+v, want one name mismatch", v.gone)
	}
	if v.gone[0].server.SetName != "rs0" {
		t.Errorf("the topoDropped server's reply is lost: %+v", v.gone[0].server)
	}
}

func TestTopoStalePrimary(t *testing.T) {
	a, b := "a:1", "b:1"
	newer := rsPrimaryReply("rs0", a, a, b)
	newer.ElectionID, newer.SetVersion, newer.MaxWireVersion = "7fffffff0000000000000002", 3, 21
	older := rsPrimaryReply("rs0", b, a, b)
	older.ElectionID, older.SetVersion, older.MaxWireVersion = "7fffffff0000000000000001", 3, 21
	var calls []string
	var mu sync.Mutex
	v := discoverTopology(context.Background(), topoOptions{setName: "rs0", threshold: topoDefaultThreshold},
		[]string{a, b}, topoReplies{a: newer, b: older}.probe(&calls, &mu))
	p, ok := v.primary()
	if !ok || p.Address != a {
		t.Fatalf("primary = %+v, %v; want %s", p, ok, a)
	}
	for _, m := range v.members {
		if m.Address == b && (m.Kind != srvKindUnknown || !strings.Contains(m.Error, "stale")) {
			t.Errorf("stale primary kept as %s (%q)", m.Kind, m.Error)
		}
	}
}

func TestTopoLatencyWindow(t *testing.T) {
	cases := []struct {
		name      string
		kind      TopologyKind
		servers   []Server
		threshold time.Duration
		want      []bool
	}{
		{
			name: "one slow member outside the default window",
			kind: TopologyReplicaSetWithPrimary,
			servers: []Server{
				{Kind: srvKindRSPrimary, RTTMs: 1, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 3, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 80, Reachable: true},
			},
			threshold: topoDefaultThreshold,
			want:      []bool{true, true, false},
		},
		{
			name: "a wider localThresholdMS takes the slow member in",
			kind: TopologyReplicaSetWithPrimary,
			servers: []Server{
				{Kind: srvKindRSPrimary, RTTMs: 1, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 80, Reachable: true},
			},
			threshold: 100 * time.Millisecond,
			want:      []bool{true, true},
		},
		{
			name: "the edge of the window is inside",
			kind: TopologyReplicaSetWithPrimary,
			servers: []Server{
				{Kind: srvKindRSPrimary, RTTMs: 10, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 25, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 25.1, Reachable: true},
			},
			threshold: topoDefaultThreshold,
			want:      []bool{true, true, false},
		},
		{
			name: "arbiters, hidden members and unreachable members are not eligible and do not set the floor",
			kind: TopologyReplicaSetWithPrimary,
			servers: []Server{
				{Kind: srvKindRSArbiter, RTTMs: 0.1, Reachable: true},
				{Kind: srvKindRSOther, Hidden: true, RTTMs: 0.1, Reachable: true},
				{Kind: srvKindUnknown, RTTMs: 0},
				{Kind: srvKindRSPrimary, RTTMs: 30, Reachable: true},
				{Kind: srvKindRSSecondary, RTTMs: 40, Reachable: true},
			},
			threshold: topoDefaultThreshold,
			want:      []bool{false, false, false, true, true},
		},
		{
			name: "zero threshold keeps only the fastest",
			kind: TopologySharded,
			servers: []Server{
				{Kind: srvKindMongos, RTTMs: 2, Reachable: true},
				{Kind: srvKindMongos, RTTMs: 2.5, Reachable: true},
			},
			threshold: 0,
			want:      []bool{true, false},
		},
		{
			name:      "nothing eligible",
			kind:      TopologyReplicaSetNoPrimary,
			servers:   []Server{{Kind: srvKindRSGhost, Reachable: true}},
			threshold: topoDefaultThreshold,
			want:      []bool{false},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topoLatencyWindow(c.kind, c.servers, c.threshold)
			for i, s := range c.servers {
				if s.InLatencyWindow != c.want[i] {
					t.Errorf("server %d (%s, %.1f ms): inLatencyWindow = %v, want %v", i, s.Kind, s.RTTMs, s.InLatencyWindow, c.want[i])
				}
			}
		})
	}
}

func TestTopoCanonicalAddr(t *testing.T) {
	cases := map[string]string{
		"LocalHost":               "localhost:27017",
		"Mongo-A.Internal:1":      "mongo-a.internal:1",
		"[::1]:27018":             "[::1]:27018",
		"::1":                     "[::1]:27017",
		"/tmp/mongodb-27017.sock": "/tmp/mongodb-27017.sock",
		"":                        "",
	}
	for in, want := range cases {
		if got := topoCanonical(in); got != want {
			t.Errorf("topoCanonical(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTopoDiscover feeds discovery hello replies built from arbitrary
// strings (what a hostile or broken server may advertise): it must not
// panic, must stay within its member cap, and must list each server once.
func FuzzTopoDiscover(f *testing.F) {
	f.Add(uint8(0), "rs0", "a:1", "a:1,b:1,c:1", "a:1", "rs0")
	f.Add(uint8(1), "rs0", "B:1", "a:1,B:1", "", "")
	f.Add(uint8(2), "", "", "", "", "rs0")
	f.Add(uint8(5), "x", "[::1]:5", "::1,[::1]:5,,:", "nope", "y")
	f.Add(uint8(7), "rs0", "mongo-0.internal:27017", strings.Repeat("h:1,", 100), "mongo-0.internal:27017", "rs0")
	kinds := []string{srvKindRSPrimary, srvKindRSSecondary, srvKindRSArbiter, srvKindRSOther, srvKindRSGhost,
		srvKindStandalone, srvKindMongos, srvKindLoadBalancer, srvKindUnknown, ""}
	f.Fuzz(func(t *testing.T, kind uint8, setName, me, hosts, prim, uriSet string) {
		list := strings.Split(hosts, ",")
		reply := func(addr string) Server {
			return Server{Kind: kinds[int(kind)%len(kinds)], SetName: setName, Me: me, Hosts: list, Primary: prim,
				MaxWireVersion: int32(kind), ElectionID: setName, SetVersion: int64(kind)}
		}
		probe := func(_ context.Context, addr string) Server {
			s := reply(addr)
			s.Address, s.Reachable = addr, addr != "unreachable:1"
			return s
		}
		for _, o := range []topoOptions{{setName: uriSet}, {direct: true, setName: uriSet}, {loadBalanced: true}} {
			o.threshold = topoDefaultThreshold
			v := discoverTopology(context.Background(), o, []string{"a:1", me}, probe)
			if len(v.members) > maxTopologyMembers {
				t.Fatalf("%d members", len(v.members))
			}
			seen := map[string]bool{}
			for _, s := range v.allServers() {
				if seen[s.Address] {
					t.Fatalf("%s listed twice", s.Address)
				}
				seen[s.Address] = true
			}
			topoFindings(v, topoURIs{given: "mongodb://u:p@a:1/?replicaSet=" + uriSet})
			topoVerdict(v)
			tunnelVerdict(v)
		}
	})
}

// TestTopoServersAndSelectable checks what discovery hands on: each
// server once in Report.Servers, dropped seeds marked as no member, and
// only members as candidates for server selection and failover.
func TestTopoServersAndSelectable(t *testing.T) {
	ip0, ip1, ip2 := "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"
	srv0, srv1, srv2 := "rs0.example.test:1", "rs1.example.test:2", "rs2.example.test:3"
	prim := rsPrimaryReply("rs0", ip0, ip0, ip1, ip2)
	sec := func(me string) Server { return rsSecondaryReply("rs0", me, ip0, ip0, ip1, ip2) }
	internal := "mongo-0.internal:27017"
	cases := []struct {
		name    string
		opts    topoOptions
		seeds   []string
		replies topoReplies
		servers []string // Report.Servers addresses, in order
		marked  []string // of those, the ones marked as no member
		members []string // selectable
	}{
		{
			name:  "SRV targets named otherwise than the members: each server once",
			opts:  topoOptions{setName: "rs0"},
			seeds: []string{srv0, srv1, srv2},
			replies: topoReplies{srv0: prim, srv1: sec(ip1), srv2: sec(ip2),
				ip0: prim, ip1: sec(ip1), ip2: sec(ip2)},
			servers: []string{ip0, ip1, ip2},
			members: []string{ip0, ip1, ip2},
		},
		{
			name:    "one seed known by another name, no replicaSet",
			seeds:   []string{srv1},
			replies: topoReplies{srv1: sec(ip1), ip0: prim, ip1: sec(ip1), ip2: sec(ip2)},
			servers: []string{ip0, ip1, ip2},
			members: []string{ip0, ip1, ip2},
		},
		{
			name:    "seed through a tunnel, advertised names unreachable: the seed stays, marked",
			opts:    topoOptions{setName: "rs0"},
			seeds:   []string{ip0},
			replies: topoReplies{ip0: rsPrimaryReply("rs0", internal, internal)},
			servers: []string{ip0, internal},
			marked:  []string{ip0},
			members: []string{internal},
		},
		{
			name:    "a standalone among the seeds of a set stays, marked",
			opts:    topoOptions{setName: "rs0"},
			seeds:   []string{ip0, "127.0.0.1:9"},
			replies: topoReplies{ip0: rsPrimaryReply("rs0", ip0, ip0), "127.0.0.1:9": {Kind: srvKindStandalone, MaxWireVersion: 21}},
			servers: []string{ip0, "127.0.0.1:9"},
			marked:  []string{"127.0.0.1:9"},
			members: []string{ip0},
		},
		{
			name:  "a hidden seed stays, marked",
			seeds: []string{"127.0.0.1:9"},
			replies: topoReplies{
				"127.0.0.1:9": {Kind: srvKindRSOther, Hidden: true, SetName: "rs0", Me: "127.0.0.1:9", Hosts: []string{ip0}, Primary: ip0, MaxWireVersion: 21},
				ip0:           rsPrimaryReply("rs0", ip0, ip0),
			},
			servers: []string{"127.0.0.1:9", ip0},
			marked:  []string{"127.0.0.1:9"},
			members: []string{ip0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.threshold = topoDefaultThreshold
			var calls []string
			var mu sync.Mutex
			v := discoverTopology(context.Background(), tc.opts, tc.seeds, tc.replies.probe(&calls, &mu))
			all := v.allServers()
			var got, marked []string
			for _, s := range all {
				got = append(got, s.Address)
				if strings.Contains(s.Error, "not a member of the topology") {
					marked = append(marked, s.Address)
					if s.InLatencyWindow {
						t.Errorf("%s: a dropped server in the latency window", s.Address)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.servers) {
				t.Errorf("servers %v, want %v", got, tc.servers)
			}
			if !reflect.DeepEqual(marked, tc.marked) {
				t.Errorf("marked %v, want %v", marked, tc.marked)
			}
			var sel []string
			for _, s := range v.selectable() {
				sel = append(sel, s.Address)
			}
			if !reflect.DeepEqual(sel, tc.members) {
				t.Errorf("selectable %v, want %v", sel, tc.members)
			}
		})
	}
}
