package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// dnsTestTarget builds a Target without ParseTarget, so that these tests see
// the dns stage alone: hosts are cut and unescaped as the driver does.
func dnsTestTarget(t *testing.T, raw string) *connstr.Target {
	t.Helper()
	u, err := connstr.CutURI(raw)
	if err != nil {
		t.Fatalf("CutURI(%q): %v", raw, err)
	}
	tg := &connstr.Target{Raw: raw, Redacted: redact.Redact(raw), SRV: u.SRV()}
	for _, h := range u.Hosts() {
		if u, err := url.QueryUnescape(h); err == nil {
			h = u
		}
		tg.Hosts = append(tg.Hosts, h)
	}
	return tg
}

// dnsTestEngine is an engine whose resolver asks only the fixture.
func dnsTestEngine(s *mongotest.DNSServer) *Engine {
	e := NewEngine()
	e.Resolver = dnsServerResolver(s.Addr)
	e.Timeout = testDNSBudget
	return e
}

func dnsFindingIDs(r *report.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func dnsEvidence(r *report.Report, id string) string {
	for _, f := range r.Findings {
		if f.ID == id {
			return strings.Join(f.Evidence, "\n")
		}
	}
	return ""
}

const dnsTestPassword = "s3cr3t-pw"

func TestResolveSeedsSRV(t *testing.T) {
	type want struct {
		ids      []string
		ok       bool
		seeds    []string          // returned by resolveSeeds
		srvSeeds []string          // report's srv.seeds (nil: not checked)
		options  map[string]string // report's srv.options (nil: not checked)
		driver   string            // driverURI ("" also checked)
		evidence []string          // substrings of the first finding's evidence
		fix      string            // substring of some fix
	}
	const okZone = `
_mongodb._tcp.cluster0.example.test. 60 IN SRV 0 5 27017 a.cluster0.example.test.
_mongodb._tcp.cluster0.example.test. 60 IN SRV 0 5 27018 b.cluster0.example.test.
cluster0.example.test.               60 IN TXT "replicaSet=rs0&authSource=admin"
a.cluster0.example.test.             60 IN A   127.0.0.1
b.cluster0.example.test.             60 IN A   127.0.0.1
`
	seedsAB := []string{"a.cluster0.example.test:27017", "b.cluster0.example.test:27018"}
	cases := []struct {
		name  string
		zone  string
		setup func(s *mongotest.DNSServer)
		uri   string
		want  want
	}{
		{"healthy seed list", okZone, nil,
			"mongodb+srv://alice:" + dnsTestPassword + "@cluster0.example.test/app?retryWrites=true",
			want{ok: true, seeds: seedsAB, srvSeeds: seedsAB,
				options: map[string]string{"replicaSet": "rs0", "authSource": "admin", "retryWrites": "true", "tls": "true"},
				driver:  "mongodb://alice:" + dnsTestPassword + "@a.cluster0.example.test:27017,b.cluster0.example.test:27018/app?replicaSet=rs0&authSource=admin&retryWrites=true&tls=true"}},
		{"uri options override txt, tls=false stays", okZone, nil,
			"mongodb+srv://cluster0.example.test/?authSource=other&tls=false",
			want{ok: true, seeds: seedsAB,
				options: map[string]string{"replicaSet": "rs0", "authSource": "other", "tls": "false"},
				driver:  "mongodb://a.cluster0.example.test:27017,b.cluster0.example.test:27018/?replicaSet=rs0&authSource=other&tls=false"}},
		{"truncated answer retried over tcp", okZone, func(s *mongotest.DNSServer) { s.SetTruncate(true) },
			"mongodb+srv://cluster0.example.test/",
			want{ok: true, seeds: seedsAB, srvSeeds: seedsAB}},
		{"no SRV records", okZone, nil, "mongodb+srv://cluster1.example.test/",
			want{ids: []string{catalogue.IDSRVNoRecords}, evidence: []string{"_mongodb._tcp.cluster1.example.test", "no such host (NXDOMAIN)"}}},
		{"no SRV records on atlas", "", nil, "mongodb+srv://cluster0.ab1cd.mongodb.net/",
			want{ids: []string{catalogue.IDAtlasClusterNotFound, catalogue.IDSRVNoRecords}, fix: "(the first label)"}},
		{"no SRV record on an atlas name that exists", "cluster0.ab1cd.mongodb.net. IN A 127.0.0.1", nil, "mongodb+srv://cluster0.ab1cd.mongodb.net/",
			want{ids: []string{catalogue.IDSRVNoRecords}}},
		{"NXDOMAIN on a name that is not an atlas cluster's", "", nil, "mongodb+srv://cluster0-shard-00-00.ab1cd.mongodb.net/",
			want{ids: []string{catalogue.IDSRVNoRecords}}},
		{"SRV server failure", okZone, func(s *mongotest.DNSServer) {
			s.SetRcode("_mongodb._tcp.cluster0.example.test", dns.RcodeServerFailure)
		}, "mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDDNSNoAnswer}, evidence: []string{"SERVFAIL"}}},
		{"prose: localhost -> localhost.mongodb", "_mongodb._tcp.localhost. IN SRV 0 0 27017 localhost.mongodb.", nil,
			"mongodb+srv://localhost/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, evidence: []string{`"localhost.mongodb"`, `".localhost"`}}},
		{"prose: mongo.local -> test_1.evil.local", "_mongodb._tcp.mongo.local. IN SRV 0 0 27017 test_1.evil.local.", nil,
			"mongodb+srv://mongo.local/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, evidence: []string{`"test_1.evil.local"`, `".mongo.local"`}}},
		{"prose: blogs.mongodb.com -> blogs.evil.com", "_mongodb._tcp.blogs.mongodb.com. IN SRV 0 0 27017 blogs.evil.com.", nil,
			"mongodb+srv://blogs.mongodb.com/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, evidence: []string{`"blogs.evil.com"`, `".mongodb.com"`}}},
		{"prose: target equal to the host", "_mongodb._tcp.mongo.local. IN SRV 0 0 27017 mongo.local.", nil,
			"mongodb+srv://mongo.local/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, evidence: []string{"is the host itself", `".mongo.local"`}}},
		{"prose: target missing the dot", "_mongodb._tcp.blogs.mongodb.com. IN SRV 0 0 27017 cluster.testmongodb.com.", nil,
			"mongodb+srv://blogs.mongodb.com/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, evidence: []string{`"cluster.testmongodb.com"`, `".mongodb.com"`}}},
		{"one target outside the domain", okZone + "_mongodb._tcp.cluster0.example.test. IN SRV 0 0 27019 evil.example.org.\n", nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDSRVDomainMismatch}, srvSeeds: seedsAB, evidence: []string{`"evil.example.org"`}}},
		{"two TXT records", okZone + `cluster0.example.test. IN TXT "authSource=other"` + "\n", nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDSRVMultipleTXT}, evidence: []string{`"replicaSet=rs0&authSource=admin"`, `"authSource=other"`}}},
		{"TXT sets ssl", strings.Replace(okZone, "replicaSet=rs0&authSource=admin", "ssl=false", 1), nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDSRVTXTOptionNotAllowed}, evidence: []string{"ssl"}}},
		{"TXT option without value", strings.Replace(okZone, "replicaSet=rs0&authSource=admin", "authSource", 1), nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDSRVTXTOptionNotAllowed}, evidence: []string{"not key=value"}}},
		{"TXT in several strings", strings.Replace(okZone, `"replicaSet=rs0&authSource=admin"`, `"replicaS" "et=rs" "0"`, 1), nil,
			"mongodb+srv://cluster0.example.test/",
			want{ok: true, seeds: seedsAB, options: map[string]string{"replicaSet": "rs0", "tls": "true"}}},
		{"TXT lookup fails: go on without it", okZone, func(s *mongotest.DNSServer) {
			s.SetRcode("cluster0.example.test", dns.RcodeServerFailure)
		}, "mongodb+srv://cluster0.example.test/",
			want{ok: true, seeds: seedsAB, options: map[string]string{"tls": "true"}}},
		{"loadBalanced from TXT with two targets", strings.Replace(okZone, "replicaSet=rs0&authSource=admin", "loadBalanced=true", 1), nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDURIInvalid}, evidence: []string{"loadBalanced=true (from the TXT record) needs exactly one SRV record"}}},
		{"loadBalanced with one target", `
_mongodb._tcp.lb.example.test. IN SRV 0 0 27017 a.lb.example.test.
lb.example.test.              IN TXT "loadBalanced=true"
a.lb.example.test.            IN A   127.0.0.1`, nil,
			"mongodb+srv://lb.example.test/",
			want{ok: true, seeds: []string{"a.lb.example.test:27017"}, options: map[string]string{"loadBalanced": "true", "tls": "true"}}},
		{"loadBalanced with replicaSet", `
_mongodb._tcp.lb.example.test. IN SRV 0 0 27017 a.lb.example.test.
lb.example.test.              IN TXT "loadBalanced=true"
a.lb.example.test.            IN A   127.0.0.1`, nil,
			"mongodb+srv://lb.example.test/?replicaSet=rs0",
			want{ids: []string{catalogue.IDURIInvalid}, evidence: []string{"cannot be combined with replicaSet (from the connection string)"}}},
		{"srvMaxHosts picks that many", okZone, nil,
			"mongodb+srv://cluster0.example.test/?srvMaxHosts=1&authSource=x",
			want{ids: []string{catalogue.IDURIInvalid}, evidence: []string{"srvMaxHosts=1 cannot be combined with replicaSet (from the TXT record)"}}},
		{"srvMaxHosts without replicaSet", strings.Replace(okZone, "replicaSet=rs0&authSource=admin", "authSource=admin", 1), nil,
			"mongodb+srv://cluster0.example.test/?srvMaxHosts=1",
			want{ok: true, options: map[string]string{"authSource": "admin", "tls": "true"}}},
		// Valid with a warning (uri-options tests; the lint says so):
		// ignored, every host is used.
		{"srvMaxHosts=-1 is ignored", okZone, nil,
			"mongodb+srv://cluster0.example.test/?srvMaxHosts=-1",
			want{ok: true, seeds: seedsAB}},
		{"srvServiceName", `
_customname._tcp.cluster0.example.test. IN SRV 0 0 27017 a.cluster0.example.test.
a.cluster0.example.test.                IN A   127.0.0.1`, nil,
			"mongodb+srv://cluster0.example.test/?srvServiceName=customname",
			want{ok: true, seeds: []string{"a.cluster0.example.test:27017"}, driver: "mongodb://a.cluster0.example.test:27017/?tls=true"}},
		{"bad srvServiceName", okZone, nil, "mongodb+srv://cluster0.example.test/?srvServiceName=a.b",
			want{ids: []string{catalogue.IDURIInvalid}, evidence: []string{"srvServiceName"}}},
		{"directConnection", okZone, nil, "mongodb+srv://cluster0.example.test/?directConnection=true",
			want{ids: []string{catalogue.IDURIInvalid}, evidence: []string{"directConnection=true cannot be used with mongodb+srv"}}},
		{"a target that does not resolve", strings.Replace(okZone, "b.cluster0.example.test.             60 IN A   127.0.0.1", "", 1), nil,
			"mongodb+srv://cluster0.example.test/",
			want{ids: []string{catalogue.IDDNSNoSuchHost}, ok: true, seeds: seedsAB[:1], srvSeeds: seedsAB,
				evidence: []string{"b.cluster0.example.test (SRV target) does not resolve"}}},
		{"no target resolves", `_mongodb._tcp.c.example.test. IN SRV 0 0 27017 x.c.example.test.`, nil,
			"mongodb+srv://c.example.test/",
			want{ids: []string{catalogue.IDDNSNoSuchHost}, srvSeeds: []string{"x.c.example.test:27017"}}},
		{"port in a mongodb+srv string", okZone, nil, "mongodb+srv://cluster0.example.test:27017/",
			want{ids: []string{catalogue.IDURISRVWithPort}}},
		{"two hosts in a mongodb+srv string", okZone, nil, "mongodb+srv://a.example.test,b.example.test/",
			want{ids: []string{catalogue.IDURISRVWithPort}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mongotest.StartDNS(t)
			if err := s.AddZone(c.zone); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(s)
			}
			x := dnsTestEngine(s).newRun("test", dnsTestTarget(t, c.uri))
			seeds, ok := x.resolveSeeds(dnsTestCtx(t))
			r := x.finish("ok")
			w := c.want

			if got := dnsFindingIDs(r); !slices.Equal(got, w.ids) {
				t.Fatalf("findings = %v, want %v\n%s", got, w.ids, dnsDump(r))
			}
			if ok != w.ok {
				t.Errorf("ok = %v, want %v", ok, w.ok)
			}
			if w.seeds != nil && !slices.Equal(seeds, w.seeds) {
				t.Errorf("seeds = %v, want %v", seeds, w.seeds)
			}
			if !ok && seeds != nil {
				t.Errorf("seeds = %v with ok false", seeds)
			}
			if w.srvSeeds != nil && (r.SRV == nil || !slices.Equal(r.SRV.Seeds, w.srvSeeds)) {
				t.Errorf("srv = %+v, want seeds %v", r.SRV, w.srvSeeds)
			}
			if w.options != nil && (r.SRV == nil || !maps.Equal(r.SRV.Options, w.options)) {
				t.Errorf("srv options = %v, want %v", r.SRV.Options, w.options)
			}
			if w.driver != "" && x.driverURI() != w.driver {
				t.Errorf("driverURI = %q, want %q", x.driverURI(), w.driver)
			}
			// A broken rule means no equivalent string: a driver would
			// refuse the seed list.
			broken := slices.ContainsFunc(w.ids, func(id string) bool { return id != catalogue.IDDNSNoSuchHost })
			if broken && (x.driverURI() != "" || r.SRV != nil && r.SRV.URI != "") {
				t.Errorf("driverURI = %q, srv.uri = %q when a rule is broken", x.driverURI(), r.SRV.URI)
			}
			if ok && r.SRV != nil && (r.SRV.URI == "" || strings.Contains(r.SRV.URI, dnsTestPassword)) {
				t.Errorf("srv.uri = %q: want the redacted equivalent string", r.SRV.URI)
			}
			if len(w.ids) > 0 {
				ev := dnsEvidence(r, w.ids[0])
				for _, sub := range w.evidence {
					if !strings.Contains(ev, sub) {
						t.Errorf("evidence %q lacks %q", ev, sub)
					}
				}
			}
			if w.fix != "" && !strings.Contains(dnsDump(r), w.fix) {
				t.Errorf("no fix mentions %q", w.fix)
			}
			if strings.Contains(dnsDump(r), dnsTestPassword) {
				t.Errorf("the password is in the report:\n%s", dnsDump(r))
			}
			for _, ch := range r.Checks {
				if ch.Stage != report.StageDNS {
					t.Errorf("check %+v is not in the dns stage", ch)
				}
			}
		})
	}
}

func dnsDump(r *report.Report) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

func TestResolveSeedsSRVReport(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(`
_mongodb._tcp.cluster0.example.test. 60 IN SRV 1 5 27017 A.cluster0.example.test.
cluster0.example.test.               90 IN TXT "replicaSet=rs0"
a.cluster0.example.test.             30 IN A   127.0.0.1
a.cluster0.example.test.             30 IN AAAA ::1
`); err != nil {
		t.Fatal(err)
	}
	x := dnsTestEngine(s).newRun("srv", dnsTestTarget(t, "mongodb+srv://u:"+dnsTestPassword+"@Cluster0.Example.Test/"))
	if _, ok := x.resolveSeeds(dnsTestCtx(t)); !ok {
		t.Fatalf("resolveSeeds failed:\n%s", dnsDump(x.r))
	}
	r := x.finish("ok")
	want := &report.SRVInfo{
		Name:    "_mongodb._tcp.cluster0.example.test",
		Server:  s.Addr,
		Records: []report.SRVRecord{{Target: "a.cluster0.example.test", Port: 27017, Priority: 1, Weight: 5, TTLSeconds: 60}},
		TXT:     []string{"replicaSet=rs0"},
		Seeds:   []string{"a.cluster0.example.test:27017"},
		Options: map[string]string{"replicaSet": "rs0", "tls": "true"},
		URI:     "mongodb://u:****@a.cluster0.example.test:27017/?replicaSet=rs0&tls=true",
	}
	if got, w := fmt.Sprintf("%+v", *r.SRV), fmt.Sprintf("%+v", *want); got != w {
		t.Errorf("srv =\n%s\nwant\n%s", got, w)
	}
	var summaries []string
	for _, c := range r.Checks {
		summaries = append(summaries, c.Address+": "+c.Summary)
	}
	wantChecks := []string{
		"_mongodb._tcp.cluster0.example.test: 1 SRV record, TTL 60s, from " + s.Addr,
		`cluster0.example.test: TXT "replicaSet=rs0" (TTL 90s)`,
		"a.cluster0.example.test: resolves to 127.0.0.1, ::1 (TTL 30s, from " + s.Addr + ")",
	}
	if !slices.Equal(summaries, wantChecks) {
		t.Errorf("checks =\n%s\nwant\n%s", strings.Join(summaries, "\n"), strings.Join(wantChecks, "\n"))
	}
}

func TestResolveSeedsPlain(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone("db.example.test. 60 IN A 127.0.0.1\n"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		uri    string
		seeds  []string
		ok     bool
		ids    []string
		checks []string // addresses of dns checks
	}{
		{"names and addresses", "mongodb://db.example.test:27017,127.0.0.1:27018,[::1]:27019/?replicaSet=rs0",
			[]string{"db.example.test:27017", "127.0.0.1:27018", "[::1]:27019"}, true, nil, []string{"db.example.test"}},
		{"default port", "mongodb://db.example.test", []string{"db.example.test:27017"}, true, nil, []string{"db.example.test"}},
		{"same name twice is asked once", "mongodb://db.example.test:1,db.example.test:2",
			[]string{"db.example.test:1", "db.example.test:2"}, true, nil, []string{"db.example.test"}},
		{"unknown name", "mongodb://nowhere.example.test:27017", nil, false, []string{catalogue.IDDNSNoSuchHost}, []string{"nowhere.example.test"}},
		{"one of two names unknown", "mongodb://nowhere.example.test,db.example.test",
			[]string{"db.example.test:27017"}, true, []string{catalogue.IDDNSNoSuchHost}, []string{"nowhere.example.test", "db.example.test"}},
		{"socket path", "mongodb://%2Ftmp%2Fmongodb-27017.sock", []string{"/tmp/mongodb-27017.sock"}, true, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := dnsTestEngine(s).newRun("test", dnsTestTarget(t, c.uri))
			seeds, ok := x.resolveSeeds(dnsTestCtx(t))
			r := x.finish("ok")
			if ok != c.ok || !slices.Equal(seeds, c.seeds) {
				t.Errorf("resolveSeeds = %v, %v; want %v, %v", seeds, ok, c.seeds, c.ok)
			}
			if got := dnsFindingIDs(r); !slices.Equal(got, c.ids) {
				t.Errorf("findings = %v, want %v", got, c.ids)
			}
			var addrs []string
			for _, ch := range r.Checks {
				addrs = append(addrs, ch.Address)
			}
			if !slices.Equal(addrs, c.checks) {
				t.Errorf("checks on %v, want %v", addrs, c.checks)
			}
			if r.SRV != nil {
				t.Error("srv section filled for a mongodb:// string")
			}
			if x.driverURI() != c.uri {
				t.Errorf("driverURI = %q, want the string as given", x.driverURI())
			}
		})
	}
}

func TestSystemResolverFailureSuggestsDNSServer(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.SetRcode("_mongodb._tcp.cluster0.example.test", dns.RcodeServerFailure)
	r := dnsSystemResolver(t, "nameserver 127.0.0.1\n", s.Addr)
	e := dnsTestEngine(s)
	e.Resolver = r
	x := e.newRun("test", dnsTestTarget(t, "mongodb+srv://cluster0.example.test/"))
	if _, ok := x.resolveSeeds(dnsTestCtx(t)); ok {
		t.Fatal("resolveSeeds succeeded on SERVFAIL")
	}
	rep := x.finish("")
	if !strings.Contains(dnsDump(rep), "--dns-server HOST:PORT") {
		t.Errorf("no --dns-server hint in\n%s", dnsDump(rep))
	}

	// The same failure from a server the user named gets no such hint.
	e.Resolver = dnsServerResolver(s.Addr)
	x = e.newRun("test", dnsTestTarget(t, "mongodb+srv://cluster0.example.test/"))
	x.resolveSeeds(dnsTestCtx(t))
	if strings.Contains(dnsDump(x.finish("")), "--dns-server HOST:PORT") {
		t.Error("--dns-server hint for a server named with --dns-server")
	}
}

func TestResolvingDialer(t *testing.T) {
	port := strconv.Itoa(int(dnsListener(t)))

	s := mongotest.StartDNS(t)
	// 127.0.0.3 is loopback too, but nothing listens there on this port.
	if err := s.AddZone(`
up.example.test.        IN A 127.0.0.1
second.example.test.    IN A 127.0.0.3
second.example.test.    IN A 127.0.0.1
down.example.test.      IN A 127.0.0.3
v6only.example.test.    IN AAAA ::1
`); err != nil {
		t.Fatal(err)
	}
	e := dnsTestEngine(s)
	d := e.dialer()
	if e.dialer() == e.Dialer {
		t.Fatal("dialer() returned the bare dialer")
	}

	cases := []struct {
		name     string
		network  string
		host     string
		ok       bool
		notFound bool // a *net.DNSError with IsNotFound
		refused  bool
	}{
		{"name", "tcp", "up.example.test", true, false, false},
		{"first address refuses, second answers", "tcp", "second.example.test", true, false, false},
		{"ip literal skips dns", "tcp", "127.0.0.1", true, false, false},
		{"unknown name", "tcp", "nowhere.example.test", false, true, false},
		{"refused keeps its error", "tcp", "down.example.test", false, false, true},
		{"no address of the family", "tcp4", "v6only.example.test", false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testDNSBudget)
			defer cancel()
			conn, err := d.DialContext(ctx, c.network, net.JoinHostPort(c.host, port))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded")
			}
			var ne *net.DNSError
			if got := errors.As(err, &ne) && ne.IsNotFound; got != c.notFound {
				t.Errorf("not-found DNS error = %v, want %v (%v)", got, c.notFound, err)
			}
			var op *net.OpError
			if !errors.As(err, &op) {
				t.Errorf("error %T is not a *net.OpError", err)
			}
			if got := dnsIsRefused(err); got != c.refused {
				t.Errorf("refused = %v, want %v (%v)", got, c.refused, err)
			}
		})
	}
	if s.CountQueries("127.0.0.1", "", "") != 0 {
		t.Error("an IP literal was looked up")
	}
}

func dnsIsRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "refused")
}

// testDNSBudget bounds each resolver test's context: loopback answers take
// milliseconds, and a test that expects silence sets its own shorter one.
const testDNSBudget = 5 * time.Second

func dnsTestCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDNSBudget)
	t.Cleanup(cancel)
	return ctx
}

// dnsServerResolver is the resolver --dns-server builds, with no hosts
// file so that tests do not depend on the machine's.
func dnsServerResolver(addr string) resolve.Resolver {
	return resolve.New(resolve.Config{Server: addr, HostsFile: resolve.NoHostsFile})
}

// dnsSystemResolver is the system resolver reading resolvConf, asking
// server instead of its nameservers, with neither hosts file nor the
// operating system's lookup.
func dnsSystemResolver(t *testing.T, resolvConf, server string) resolve.Resolver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte(resolvConf), 0o600); err != nil {
		t.Fatal(err)
	}
	return resolve.New(resolve.Config{ResolvConf: path, Nameservers: []string{server}, HostsFile: resolve.NoHostsFile, NoSystemLookup: true})
}
