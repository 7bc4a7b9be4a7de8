package sdam_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/sdam/sdamtest"
)

func topoWithRTT(s report.Server, ms float64) report.Server { s.RTTMs = ms; return s }

func TestTopoDiscover(t *testing.T) {
	a, b, c := "a.example:27017", "b.example:27017", "c.example:27017"
	cases := []struct {
		name    string
		opts    sdam.Options
		seeds   []string
		replies sdamtest.Replies
		kind    sdam.TopologyKind
		setName string
		members []string          // addresses of the final topology
		gone    map[string]string // Dropped address -> part of the reason
		probed  []string          // every address probed, sorted
	}{
		{
			name:    "healthy set found from one seed",
			opts:    sdam.Options{SetName: "rs0"},
			seeds:   []string{a},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a, b, c), b: sdamtest.Secondary("rs0", b, a, a, b, c), c: sdamtest.Secondary("rs0", c, a, a, b, c)},
			kind:    sdam.TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a, b, c},
			probed:  []string{a, b, c},
		},
		{
			name:    "set discovered without replicaSet=",
			seeds:   []string{b},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a, b), b: sdamtest.Secondary("rs0", b, a, a, b)},
			kind:    sdam.TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{b, a},
			probed:  []string{a, b},
		},
		{
			name:    "replica set name mismatch drops every member",
			opts:    sdam.Options{SetName: "prod"},
			seeds:   []string{a},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a, b)},
			kind:    sdam.TopologyReplicaSetNoPrimary, setName: "prod",
			gone:   map[string]string{a: `reports replica set "rs0", but the connection string names "prod"`},
			probed: []string{a},
		},
		{
			name:    "seed known to the set by another name",
			opts:    sdam.Options{SetName: "rs0"},
			seeds:   []string{"127.0.0.1:27017"},
			replies: sdamtest.Replies{"127.0.0.1:27017": sdamtest.Primary("rs0", "localhost:27017", "localhost:27017"), "localhost:27017": sdamtest.Primary("rs0", "localhost:27017", "localhost:27017")},
			kind:    sdam.TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{"localhost:27017"},
			gone:    map[string]string{"127.0.0.1:27017": "is not in the member list of primary"},
			probed:  []string{"127.0.0.1:27017", "localhost:27017"},
		},
		{
			name:    "members advertise names that do not answer",
			opts:    sdam.Options{SetName: "rs0"},
			seeds:   []string{"127.0.0.1:4000"},
			replies: sdamtest.Replies{"127.0.0.1:4000": sdamtest.Primary("rs0", "mongo-a.internal:27017", "mongo-a.internal:27017", "mongo-b.internal:27017")},
			kind:    sdam.TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{"mongo-a.internal:27017", "mongo-b.internal:27017"},
			gone:    map[string]string{"127.0.0.1:4000": "is not in the member list"},
			probed:  []string{"127.0.0.1:4000", "mongo-a.internal:27017", "mongo-b.internal:27017"},
		},
		{
			name:    "one standalone seed is a single server",
			seeds:   []string{a},
			replies: sdamtest.Replies{a: {Kind: report.KindStandalone, MaxWireVersion: 21}},
			kind:    sdam.TopologySingle,
			members: []string{a},
			probed:  []string{a},
		},
		{
			name:    "a standalone among several seeds is Dropped",
			seeds:   []string{a, b},
			replies: sdamtest.Replies{a: {Kind: report.KindStandalone}, b: sdamtest.Secondary("rs0", b, "", b)},
			kind:    sdam.TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{b},
			gone:    map[string]string{a: "standalone"},
			probed:  []string{a, b},
		},
		{
			name:    "mongos routers make a sharded cluster and drop a shard member",
			seeds:   []string{a, b, c},
			replies: sdamtest.Replies{a: {Kind: report.KindMongos}, b: {Kind: report.KindMongos}, c: sdamtest.Secondary("rs0", c, "", c)},
			kind:    sdam.TopologySharded,
			members: []string{a, b},
			gone:    map[string]string{c: "mongos routers"},
			probed:  []string{a, b, c},
		},
		{
			name:    "directConnection probes only the seed",
			opts:    sdam.Options{Direct: true},
			seeds:   []string{b},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a, b), b: sdamtest.Secondary("rs0", b, a, a, b)},
			kind:    sdam.TopologySingle,
			members: []string{b},
			probed:  []string{b},
		},
		{
			name:    "directConnection with the wrong set name",
			opts:    sdam.Options{Direct: true, SetName: "prod"},
			seeds:   []string{a},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a)},
			kind:    sdam.TopologySingle, setName: "prod",
			members: []string{a},
			gone:    map[string]string{a: `names "prod"`},
			probed:  []string{a},
		},
		{
			name:  "no primary",
			opts:  sdam.Options{SetName: "rs0"},
			seeds: []string{a},
			replies: sdamtest.Replies{
				a: sdamtest.Secondary("rs0", a, "", a, b), b: sdamtest.Secondary("rs0", b, "", a, b),
			},
			kind: sdam.TopologyReplicaSetNoPrimary, setName: "rs0",
			members: []string{a, b},
			probed:  []string{a, b},
		},
		{
			name:    "a member without a configuration leaves the topology unknown",
			seeds:   []string{a},
			replies: sdamtest.Replies{a: {Kind: report.KindRSGhost}},
			kind:    sdam.TopologyUnknown,
			members: []string{a},
			probed:  []string{a},
		},
		{
			name:    "a secondary that calls itself by another name is Dropped but its list is followed",
			seeds:   []string{"10.0.0.2:27017"},
			replies: sdamtest.Replies{"10.0.0.2:27017": sdamtest.Secondary("rs0", b, a, a, b), a: sdamtest.Primary("rs0", a, a, b), b: sdamtest.Secondary("rs0", b, a, a, b)},
			kind:    sdam.TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a, b},
			gone:    map[string]string{"10.0.0.2:27017": `calls itself ` + b},
			probed:  []string{"10.0.0.2:27017", a, b},
		},
		{
			name:    "names differing in case are the same member",
			seeds:   []string{"A.Example:27017"},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, a)},
			kind:    sdam.TopologyReplicaSetWithPrimary, setName: "rs0",
			members: []string{a},
			probed:  []string{"A.Example:27017"},
		},
		{
			name:    "load balanced mode probes the one seed",
			opts:    sdam.Options{LoadBalanced: true},
			seeds:   []string{a},
			replies: sdamtest.Replies{a: {Kind: report.KindLoadBalancer, ServiceID: "65a1"}},
			kind:    sdam.TopologyLoadBalanced,
			members: []string{a},
			probed:  []string{a},
		},
		{
			name:    "a hostile member list is capped",
			seeds:   []string{a},
			replies: sdamtest.Replies{a: sdamtest.Primary("rs0", a, topoManyHosts(200)...)},
			kind:    sdam.TopologyReplicaSetNoPrimary, setName: "rs0",
			members: topoManyHosts(sdam.MaxMembers),
			gone:    map[string]string{a: "is not in the member list"},
			probed:  append([]string{a}, topoManyHosts(sdam.MaxMembers)...),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Threshold == 0 {
				tc.opts.Threshold = sdam.DefaultThreshold
			}
			var calls []string
			var mu sync.Mutex
			v := sdam.Discover(context.Background(), tc.opts, tc.seeds, tc.replies.Probe(&calls, &mu))
			if v.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", v.Kind, tc.kind)
			}
			if v.SetName != tc.setName {
				t.Errorf("setName = %q, want %q", v.SetName, tc.setName)
			}
			var got []string
			for _, m := range v.Members {
				got = append(got, m.Address)
			}
			if !reflect.DeepEqual(got, tc.members) {
				t.Errorf("members = %v, want %v", got, tc.members)
			}
			if len(v.Gone) != len(tc.gone) {
				t.Errorf("Dropped %d servers (%v), want %d", len(v.Gone), v.Gone, len(tc.gone))
			}
			for _, g := range v.Gone {
				want, ok := tc.gone[g.Addr]
				if !ok || !strings.Contains(g.Why, want) {
					t.Errorf("Dropped %s because %q, want a reason containing %q", g.Addr, g.Why, want)
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
	v := sdam.Discover(context.Background(), sdam.Options{SetName: "prod", Threshold: sdam.DefaultThreshold},
		[]string{"a:1"}, sdamtest.Replies{"a:1": sdamtest.Primary("rs0", "a:1", "a:1")}.Probe(&calls, &mu))
	if len(v.Gone) != 1 || !v.Gone[0].Mismatch {
		t.Fatalf("gone = %+v, want one name mismatch", v.Gone)
	}
	if v.Gone[0].Server.SetName != "rs0" {
		t.Errorf("the Dropped server's reply is lost: %+v", v.Gone[0].Server)
	}
}

func TestTopoStalePrimary(t *testing.T) {
	a, b := "a:1", "b:1"
	newer := sdamtest.Primary("rs0", a, a, b)
	newer.ElectionID, newer.SetVersion, newer.MaxWireVersion = "7fffffff0000000000000002", 3, 21
	older := sdamtest.Primary("rs0", b, a, b)
	older.ElectionID, older.SetVersion, older.MaxWireVersion = "7fffffff0000000000000001", 3, 21
	var calls []string
	var mu sync.Mutex
	v := sdam.Discover(context.Background(), sdam.Options{SetName: "rs0", Threshold: sdam.DefaultThreshold},
		[]string{a, b}, sdamtest.Replies{a: newer, b: older}.Probe(&calls, &mu))
	p, ok := v.Primary()
	if !ok || p.Address != a {
		t.Fatalf("primary = %+v, %v; want %s", p, ok, a)
	}
	for _, m := range v.Members {
		if m.Address == b && (m.Kind != report.KindUnknown || !strings.Contains(m.Error, "stale")) {
			t.Errorf("stale primary kept as %s (%q)", m.Kind, m.Error)
		}
	}
}

func TestTopoLatencyWindow(t *testing.T) {
	cases := []struct {
		name      string
		kind      sdam.TopologyKind
		servers   []report.Server
		threshold time.Duration
		want      []bool
	}{
		{
			name: "one slow member outside the default window",
			kind: sdam.TopologyReplicaSetWithPrimary,
			servers: []report.Server{
				{Kind: report.KindRSPrimary, RTTMs: 1, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 3, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 80, Reachable: true},
			},
			threshold: sdam.DefaultThreshold,
			want:      []bool{true, true, false},
		},
		{
			name: "a wider localThresholdMS takes the slow member in",
			kind: sdam.TopologyReplicaSetWithPrimary,
			servers: []report.Server{
				{Kind: report.KindRSPrimary, RTTMs: 1, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 80, Reachable: true},
			},
			threshold: 100 * time.Millisecond,
			want:      []bool{true, true},
		},
		{
			name: "the edge of the window is inside",
			kind: sdam.TopologyReplicaSetWithPrimary,
			servers: []report.Server{
				{Kind: report.KindRSPrimary, RTTMs: 10, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 25, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 25.1, Reachable: true},
			},
			threshold: sdam.DefaultThreshold,
			want:      []bool{true, true, false},
		},
		{
			name: "arbiters, hidden members and unreachable members are not eligible and do not set the floor",
			kind: sdam.TopologyReplicaSetWithPrimary,
			servers: []report.Server{
				{Kind: report.KindRSArbiter, RTTMs: 0.1, Reachable: true},
				{Kind: report.KindRSOther, Hidden: true, RTTMs: 0.1, Reachable: true},
				{Kind: report.KindUnknown, RTTMs: 0},
				{Kind: report.KindRSPrimary, RTTMs: 30, Reachable: true},
				{Kind: report.KindRSSecondary, RTTMs: 40, Reachable: true},
			},
			threshold: sdam.DefaultThreshold,
			want:      []bool{false, false, false, true, true},
		},
		{
			name: "zero threshold keeps only the fastest",
			kind: sdam.TopologySharded,
			servers: []report.Server{
				{Kind: report.KindMongos, RTTMs: 2, Reachable: true},
				{Kind: report.KindMongos, RTTMs: 2.5, Reachable: true},
			},
			threshold: 0,
			want:      []bool{true, false},
		},
		{
			name:      "nothing eligible",
			kind:      sdam.TopologyReplicaSetNoPrimary,
			servers:   []report.Server{{Kind: report.KindRSGhost, Reachable: true}},
			threshold: sdam.DefaultThreshold,
			want:      []bool{false},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sdam.LatencyWindow(c.kind, c.servers, c.threshold)
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
		"db.example.net.:27017":   "db.example.net:27017",
		"DB.Example.Net.":         "db.example.net:27017",
		"127.0.0.1":               "127.0.0.1:27017",
	}
	for in, want := range cases {
		if got := sdam.Canonical(in); got != want {
			t.Errorf("topoCanonical(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"DB.Example.Net":        "db.example.net:27017",
		"db.example.net.:27017": "db.example.net.:27017",
		"/tmp/m.sock":           "/tmp/m.sock",
	} {
		if got := sdam.DriverCanonical(in); got != want {
			t.Errorf("DriverCanonical(%q) = %q, want %q", in, got, want)
		}
	}
}

// One member under every spelling: one member to discovery, and the
// spellings the driver keeps apart (the trailing dot) are named; those it
// merges itself (case, the default port) are not.
func TestTopoDuplicateSpellings(t *testing.T) {
	const seed = "db.dup.test:27017"
	hosts := []string{seed, "DB.DUP.TEST:27017", "db.dup.test.:27017", "db.dup.test", "other.test:27017"}
	primary := report.Server{Kind: report.KindRSPrimary, SetName: "rs0", Me: seed, Primary: seed, Hosts: hosts, MaxWireVersion: 21}
	v := sdam.Discover(context.Background(), sdam.Options{SetName: "rs0"}, []string{seed}, func(_ context.Context, addr string) report.Server {
		if sdam.Canonical(addr) != seed {
			return report.Server{Address: addr, Kind: report.KindUnknown, Error: "refused"}
		}
		s := primary
		s.Address, s.Reachable = addr, true
		return s
	})
	if len(v.Members) != 2 || v.Members[0].Address != seed || v.Members[1].Address != "other.test:27017" {
		t.Errorf("members %+v", v.Members)
	}
	dups := sdam.DuplicateSpellings(primary)
	if len(dups) != 1 || len(dups[0]) != 4 || dups[0][2] != "db.dup.test.:27017" {
		t.Errorf("duplicates %q", dups)
	}
	noDot := primary
	noDot.Hosts = []string{seed, "DB.DUP.TEST", "db.dup.test"}
	if dups := sdam.DuplicateSpellings(noDot); len(dups) != 0 {
		t.Errorf("spellings the driver merges reported: %q", dups)
	}
}

// FuzzTopoDiscover feeds discovery hello replies built from arbitrary
// strings (what a hostile or broken server may advertise): it must not
// panic, must stay within its member cap, and must list each server once.
func FuzzTopoDiscover(f *testing.F) {
	sdamtest.AddDiscoverSeeds(f)
	f.Fuzz(func(t *testing.T, kind uint8, setName, me, hosts, prim, uriSet string) {
		sdamtest.DiscoverFuzzed(t, kind, setName, me, hosts, prim, uriSet, nil)
	})
}

// TestTopoServersAndSelectable checks what discovery hands on: each
// server once in Report.Servers, dropped seeds marked as no member, and
// only members as candidates for server selection and failover.
func TestTopoServersAndSelectable(t *testing.T) {
	ip0, ip1, ip2 := "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"
	srv0, srv1, srv2 := "rs0.example.test:1", "rs1.example.test:2", "rs2.example.test:3"
	prim := sdamtest.Primary("rs0", ip0, ip0, ip1, ip2)
	sec := func(me string) report.Server { return sdamtest.Secondary("rs0", me, ip0, ip0, ip1, ip2) }
	internal := "mongo-0.internal:27017"
	cases := []struct {
		name    string
		opts    sdam.Options
		seeds   []string
		replies sdamtest.Replies
		servers []string // Report.Servers addresses, in order
		marked  []string // of those, the ones marked as no member
		members []string // selectable
	}{
		{
			name:  "SRV targets named otherwise than the members: each server once",
			opts:  sdam.Options{SetName: "rs0"},
			seeds: []string{srv0, srv1, srv2},
			replies: sdamtest.Replies{srv0: prim, srv1: sec(ip1), srv2: sec(ip2),
				ip0: prim, ip1: sec(ip1), ip2: sec(ip2)},
			servers: []string{ip0, ip1, ip2},
			members: []string{ip0, ip1, ip2},
		},
		{
			name:    "one seed known by another name, no replicaSet",
			seeds:   []string{srv1},
			replies: sdamtest.Replies{srv1: sec(ip1), ip0: prim, ip1: sec(ip1), ip2: sec(ip2)},
			servers: []string{ip0, ip1, ip2},
			members: []string{ip0, ip1, ip2},
		},
		{
			name:    "seed through a tunnel, advertised names unreachable: the seed stays, marked",
			opts:    sdam.Options{SetName: "rs0"},
			seeds:   []string{ip0},
			replies: sdamtest.Replies{ip0: sdamtest.Primary("rs0", internal, internal)},
			servers: []string{ip0, internal},
			marked:  []string{ip0},
			members: []string{internal},
		},
		{
			name:    "a standalone among the seeds of a set stays, marked",
			opts:    sdam.Options{SetName: "rs0"},
			seeds:   []string{ip0, "127.0.0.1:9"},
			replies: sdamtest.Replies{ip0: sdamtest.Primary("rs0", ip0, ip0), "127.0.0.1:9": {Kind: report.KindStandalone, MaxWireVersion: 21}},
			servers: []string{ip0, "127.0.0.1:9"},
			marked:  []string{"127.0.0.1:9"},
			members: []string{ip0},
		},
		{
			name:  "a hidden seed stays, marked",
			seeds: []string{"127.0.0.1:9"},
			replies: sdamtest.Replies{
				"127.0.0.1:9": {Kind: report.KindRSOther, Hidden: true, SetName: "rs0", Me: "127.0.0.1:9", Hosts: []string{ip0}, Primary: ip0, MaxWireVersion: 21},
				ip0:           sdamtest.Primary("rs0", ip0, ip0),
			},
			servers: []string{"127.0.0.1:9", ip0},
			marked:  []string{"127.0.0.1:9"},
			members: []string{ip0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Threshold = sdam.DefaultThreshold
			var calls []string
			var mu sync.Mutex
			v := sdam.Discover(context.Background(), tc.opts, tc.seeds, tc.replies.Probe(&calls, &mu))
			all := v.AllServers()
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
			for _, s := range v.Selectable() {
				sel = append(sel, s.Address)
			}
			if !reflect.DeepEqual(sel, tc.members) {
				t.Errorf("selectable %v, want %v", sel, tc.members)
			}
		})
	}
}
