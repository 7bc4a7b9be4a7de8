package diagnose

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/sdam"
)

// topoTestBudget bounds each engine call in these tests: every fixture is
// on loopback, so the budget only matters when something hangs.
const topoTestBudget = 5 * time.Second

// topoSlowDelay makes a member slow enough to fall outside the default
// 15 ms latency window by a margin no loaded CI machine erases.
const topoSlowDelay = 150 * time.Millisecond

// topoEngine returns an engine whose resolver asks a loopback DNS server
// that knows no names, so that advertised internal names fail to resolve
// without a query leaving the machine.
func topoEngine(t *testing.T) *Engine {
	t.Helper()
	dns := mongotest.StartDNS(t)
	e := NewEngine()
	e.Resolver = resolve.NewResolver(dns.Addr)
	e.Timeout = topoTestBudget
	return e
}

func topoTarget(t *testing.T, raw string) *connstr.Target {
	t.Helper()
	tg, err := connstr.ParseTarget(raw)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", redact.Redact(raw), err)
	}
	return tg
}

func topoFindingIDs(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID)
	}
	return out
}

func topoServerByAddr(r *report.Report, addr string) (report.Server, bool) {
	for _, s := range r.Servers {
		if s.Address == addr {
			return s, true
		}
	}
	return report.Server{}, false
}

func TestDiscoverReplicaSetLatencyWindow(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
		Member: []mongotest.MemberOptions{{Tags: map[string]string{"dc": "east"}}, {}, {Delay: topoSlowDelay}},
	})
	// A 100 ms window: the fast two stay in it on a busy machine, the slow
	// one (150 ms) stays out.
	r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, "mongodb://"+rs.Addrs()[0]+"/?replicaSet=rs0&localThresholdMS=100"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Topology != string(sdam.TopologyReplicaSetWithPrimary) {
		t.Fatalf("ok=%v topology=%s verdict=%q findings=%v", r.OK, r.Topology, r.Verdict, topoFindingIDs(r))
	}
	if len(r.Servers) != 3 {
		t.Fatalf("servers = %+v, want the 3 members", r.Servers)
	}
	wantWindow := []bool{true, true, false}
	for i, addr := range rs.Addrs() {
		s, ok := topoServerByAddr(r, addr)
		if !ok {
			t.Fatalf("member %s missing from %+v", addr, r.Servers)
		}
		if !s.Reachable || s.Version != "7.0.12" || s.SetName != "rs0" || s.RTTMs < 0 {
			t.Errorf("member %d: %+v", i, s)
		}
		if s.InLatencyWindow != wantWindow[i] {
			t.Errorf("member %d (%.1f ms): inLatencyWindow = %v, want %v", i, s.RTTMs, s.InLatencyWindow, wantWindow[i])
		}
	}
	if s, _ := topoServerByAddr(r, rs.Addrs()[2]); s.RTTMs < float64(topoSlowDelay/time.Millisecond) {
		t.Errorf("slow member's RTT %.1f ms is below its %s delay", s.RTTMs, topoSlowDelay)
	}
	if s, _ := topoServerByAddr(r, rs.Addrs()[0]); s.Tags["dc"] != "east" || !s.Seed || s.Kind != report.KindRSPrimary {
		t.Errorf("primary seed: %+v", s)
	}
	if !strings.Contains(r.Verdict, `replica set "rs0" with primary`) || !strings.Contains(r.Verdict, "2 in the 100 ms latency window") {
		t.Errorf("verdict %q", r.Verdict)
	}
}

// A healthy set costs at most five requests per member (DESIGN.md §6),
// counted at the servers.
func TestDiscoverRoundTripsPerMember(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{})
	if _, err := topoEngine(t).Discover(context.Background(), topoTarget(t, rs.URI())); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rs.Len(); i++ {
		m := rs.Member(i)
		if n := m.Requests(); n == 0 || n > 5 {
			t.Errorf("member %d got %d requests (%s), want 1..5", i, n, m.CountSummary())
		}
		if c := m.Connections(); c != 1 {
			t.Errorf("member %d got %d connections, want 1", i, c)
		}
	}
}

func TestDiscoverFindings(t *testing.T) {
	cases := []struct {
		name   string
		opts   mongotest.ReplSetOptions
		uri    func(rs *mongotest.ReplSet) string
		ids    []string
		try    func(rs *mongotest.ReplSet) string
		verify func(t *testing.T, rs *mongotest.ReplSet, r *report.Report)
	}{
		{
			name: "replica set name mismatch",
			opts: mongotest.ReplSetOptions{},
			uri:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?replicaSet=prod" },
			ids:  []string{catalogue.IDTopologyReplSetNameMismatch},
			try:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?replicaSet=rs0" },
		},
		{
			name: "no primary",
			opts: mongotest.ReplSetOptions{NoPrimary: true},
			uri:  func(rs *mongotest.ReplSet) string { return rs.URI() },
			ids:  []string{catalogue.IDTopologyNoPrimary},
		},
		{
			name: "not initiated",
			opts: mongotest.ReplSetOptions{Members: 1, NotInitiated: true},
			uri:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?replicaSet=rs0" },
			ids:  []string{catalogue.IDTopologyReplSetNotInitiated},
			try:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?directConnection=true" },
		},
		{
			name: "members advertise names this machine cannot resolve",
			opts: mongotest.ReplSetOptions{Advertise: mongotest.InternalHostNames(3)},
			uri:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?replicaSet=rs0" },
			ids:  []string{catalogue.IDTopologyAdvertisedUnreachable},
			try:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/?directConnection=true" },
			verify: func(t *testing.T, rs *mongotest.ReplSet, r *report.Report) {
				for _, h := range rs.Hosts() {
					s, ok := topoServerByAddr(r, h)
					if !ok || s.Reachable || !strings.Contains(s.Error, "does not resolve") {
						t.Errorf("advertised %s: %+v (found %v)", h, s, ok)
					}
				}
				if s, ok := topoServerByAddr(r, rs.Addrs()[0]); !ok || !s.Reachable || !s.Seed {
					t.Errorf("seed: %+v", s)
				}
			},
		},
		{
			name: "seed known to the set by its host name",
			opts: mongotest.ReplSetOptions{Members: 1},
			uri:  func(rs *mongotest.ReplSet) string { return "mongodb://" + rs.Addrs()[0] + "/" },
			verify: func(t *testing.T, rs *mongotest.ReplSet, r *report.Report) {
				// The fake advertises its real address: nothing to warn about.
				for _, c := range r.Checks {
					if c.Stage == report.StageTopology && c.Status == report.StatusWarn {
						t.Errorf("unexpected warning %+v", c)
					}
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := mongotest.StartReplSet(t, c.opts)
			r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, c.uri(rs)))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(topoFindingIDs(r), ","); got != strings.Join(c.ids, ",") {
				t.Fatalf("findings %s, want %v (verdict %q)", got, c.ids, r.Verdict)
			}
			if r.OK != (len(c.ids) == 0) {
				t.Errorf("ok = %v with findings %v", r.OK, c.ids)
			}
			if len(c.ids) > 0 && !strings.HasPrefix(r.Verdict, "topology stage failed") {
				t.Errorf("verdict %q does not name the topology stage", r.Verdict)
			}
			if c.try != nil && r.Findings[0].SuggestedURI != c.try(rs) {
				t.Errorf("suggested %q, want %q", r.Findings[0].SuggestedURI, c.try(rs))
			}
			if c.verify != nil {
				c.verify(t, rs, r)
			}
		})
	}
}

func TestDiscoverSeedByAnotherName(t *testing.T) {
	// The member calls itself localhost:PORT; the seed is 127.0.0.1:PORT.
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	name := "localhost:" + m.Addr()[strings.LastIndexByte(m.Addr(), ':')+1:]
	m.SetHello(func() bson.D {
		return bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "secondary", Value: false},
			{Key: "setName", Value: "rs0"}, {Key: "hosts", Value: bson.A{name}}, {Key: "me", Value: name}, {Key: "primary", Value: name}}
	})
	r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, "mongodb://"+m.Addr()+"/"))
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, c := range r.Checks {
		if c.Stage == report.StageTopology && c.Status == report.StatusWarn && strings.Contains(c.Summary, "an IP address was used where the set uses a host name") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the seed's name in %+v", r.Checks)
	}
	if !r.OK || r.Topology != string(sdam.TopologyReplicaSetWithPrimary) {
		t.Errorf("ok=%v topology=%s findings=%v verdict=%q", r.OK, r.Topology, topoFindingIDs(r), r.Verdict)
	}
	if s, ok := topoServerByAddr(r, name); !ok || !s.Reachable || s.Kind != report.KindRSPrimary {
		t.Errorf("member %s: %+v (found %v)", name, s, ok)
	}
	// The seed is the member under another name: listed once, by the
	// member's name.
	if s, ok := topoServerByAddr(r, m.Addr()); ok {
		t.Errorf("seed %s listed beside the member it is: %+v", m.Addr(), s)
	}
	if len(r.Servers) != 1 {
		t.Errorf("%d servers for a one-member set: %+v", len(r.Servers), r.Servers)
	}
}

func TestDiscoverShardedAndStandalone(t *testing.T) {
	mongos := func() bson.D { return bson.D{{Key: "msg", Value: "isdbgrid"}} }
	a := mongotest.StartFakeMongod(t, mongotest.Options{Hello: mongos})
	b := mongotest.StartFakeMongod(t, mongotest.Options{Hello: mongos})
	r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, "mongodb://"+a.Addr()+","+b.Addr()+"/"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Topology != string(sdam.TopologySharded) || len(r.Servers) != 2 || !strings.Contains(r.Verdict, "2 mongos") {
		t.Errorf("sharded: ok=%v topology=%s servers=%d verdict=%q", r.OK, r.Topology, len(r.Servers), r.Verdict)
	}

	s := mongotest.StartFakeMongod(t, mongotest.Options{})
	r, err = topoEngine(t).Discover(context.Background(), topoTarget(t, s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Topology != string(sdam.TopologySingle) || !strings.Contains(r.Verdict, "standalone server") {
		t.Errorf("standalone: ok=%v topology=%s verdict=%q", r.OK, r.Topology, r.Verdict)
	}
}

func TestDiscoverBlockedNetworkIsAReport(t *testing.T) {
	closed := mongotest.ClosedPort(t)
	r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, "mongodb://u:hunter2@"+closed+"/?replicaSet=rs0"))
	if err != nil {
		t.Fatalf("Discover returned an error for a refused port: %v", err)
	}
	if r.OK || !r.HasFinding(catalogue.IDTCPRefused) {
		t.Fatalf("ok=%v findings=%v", r.OK, topoFindingIDs(r))
	}
	s, ok := topoServerByAddr(r, closed)
	if !ok || s.Reachable || s.Error == "" {
		t.Errorf("seed: %+v", s)
	}
	if !strings.HasPrefix(r.Verdict, "tcp stage failed") {
		t.Errorf("verdict %q", r.Verdict)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("password in report: %s", b)
	}
}

func TestDiscoverMemberRoles(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
		Member: []mongotest.MemberOptions{{}, {Passive: true}, {Arbiter: true}, {Hidden: true}},
	})
	// Seed the primary and the hidden member, which no host list names.
	// A wide window, so that the load of the machine does not decide it.
	raw := "mongodb://" + rs.Addrs()[0] + "," + rs.Addrs()[3] + "/?replicaSet=rs0&localThresholdMS=5000"
	r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || len(r.Servers) != 4 {
		t.Fatalf("ok=%v servers=%+v findings=%v", r.OK, r.Servers, topoFindingIDs(r))
	}
	cases := []struct {
		i      int
		kind   string
		flag   func(report.Server) bool
		window bool
	}{
		{0, report.KindRSPrimary, func(report.Server) bool { return true }, true},
		{1, report.KindRSSecondary, func(s report.Server) bool { return s.Passive }, true},
		{2, report.KindRSArbiter, func(s report.Server) bool { return s.ArbiterOnly }, false},
		{3, report.KindRSOther, func(s report.Server) bool { return s.Hidden && s.Seed }, false},
	}
	for _, c := range cases {
		s, ok := topoServerByAddr(r, rs.Addrs()[c.i])
		if !ok || s.Kind != c.kind || !c.flag(s) || s.InLatencyWindow != c.window || !s.Reachable {
			t.Errorf("member %d: %+v (found %v), want kind %s, window %v", c.i, s, ok, c.kind, c.window)
		}
	}
	warned := false
	for _, c := range r.Checks {
		if c.Status == report.StatusWarn && strings.Contains(c.Summary, "is a hidden member") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the hidden seed in %+v", r.Checks)
	}
}

func TestDiscoverLoadBalanced(t *testing.T) {
	lb := mongotest.StartFakeMongod(t, mongotest.Options{Hello: func() bson.D {
		return bson.D{{Key: "msg", Value: "isdbgrid"}, {Key: "serviceId", Value: bson.NewObjectID()}}
	}})
	mongos := mongotest.StartFakeMongod(t, mongotest.Options{Hello: func() bson.D { return bson.D{{Key: "msg", Value: "isdbgrid"}} }})
	plain := mongotest.StartFakeMongod(t, mongotest.Options{})
	cases := []struct {
		name string
		addr string
		kind string
		bad  bool // not behind a load balancer: an error naming it
	}{
		{"behind a load balancer", lb.Addr(), report.KindLoadBalancer, false},
		{"mongos without a serviceId", mongos.Addr(), report.KindMongos, true},
		{"standalone without a serviceId", plain.Addr(), report.KindStandalone, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := topoEngine(t).Discover(context.Background(), topoTarget(t, "mongodb://"+c.addr+"/?appName=x&loadBalanced=true"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Topology != string(sdam.TopologyLoadBalanced) || len(r.Servers) != 1 || r.Servers[0].Kind != c.kind {
				t.Fatalf("topology=%s servers=%+v", r.Topology, r.Servers)
			}
			failed := false
			for _, ch := range r.Checks {
				if ch.Stage == report.StageTopology && ch.Status == report.StatusFail && strings.Contains(ch.Summary, "without a serviceId") {
					failed = true
				}
			}
			if failed != c.bad || r.OK == c.bad {
				t.Errorf("failed check = %v, ok = %v; want the error %v: %+v", failed, r.OK, c.bad, r.Checks)
			}
			if !c.bad {
				if !strings.HasPrefix(r.Verdict, "load-balanced deployment behind "+c.addr) {
					t.Errorf("verdict %q", r.Verdict)
				}
				return
			}
			if want := "topology stage failed: loadBalanced=true, but the server is not behind a load balancer"; r.Verdict != want {
				t.Errorf("verdict %q, want %q", r.Verdict, want)
			}
			if len(r.Findings) != 1 {
				t.Fatalf("findings %+v", r.Findings)
			}
			f := r.Findings[0]
			if f.ID != catalogue.IDSelectTimeout || f.Severity != report.SeverityError || f.SuggestedURI != "mongodb://"+c.addr+"/?appName=x" ||
				!strings.Contains(strings.Join(f.Evidence, "\n"), c.addr+" is a "+sdam.KindPhrase(c.kind)+" that answered hello without a serviceId") ||
				!strings.HasPrefix(f.Fixes[0], "Remove loadBalanced=true") {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// topoHostileBudget is the command budget against hostile peers: short, as
// some of them never finish a reply and the probe waits for the deadline.
const topoHostileBudget = 700 * time.Millisecond

// A hostile seed gives a report with an error finding, never a panic or a
// hang past the budget's context.
func TestDiscoverHostileSeeds(t *testing.T) {
	for _, mode := range mongotest.HostileModes() {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			s := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mode})
			e := topoEngine(t)
			e.Timeout = topoHostileBudget
			for _, run := range []func(context.Context, *connstr.Target) (*report.Report, error){e.Discover, e.WireCheck, e.TunnelCheck} {
				r, err := run(context.Background(), topoTarget(t, s.URI()))
				if err != nil {
					t.Fatalf("error instead of a report: %v", err)
				}
				if r.OK || len(r.Findings) == 0 || len(r.Servers) != 1 || r.Servers[0].Reachable {
					t.Errorf("%s against a %s peer: ok=%v findings=%v verdict=%q", r.Command, mode, r.OK, topoFindingIDs(r), r.Verdict)
				}
			}
		})
	}
}
