package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// testDNSBudget bounds each resolver test's context: loopback answers take
// microseconds, and a test that waits for a silent server must not take
// the full per-question timeout.
const testDNSBudget = 5 * time.Second

// testDNSQuestionTimeout replaces DNSQueryTimeout where a test expects no
// answer: long enough for a loopback reply, short enough not to wait.
const testDNSQuestionTimeout = 100 * time.Millisecond

func dnsTestCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDNSBudget)
	t.Cleanup(cancel)
	return ctx
}

// dnsServerResolver is the resolver --dns-server builds, with no hosts file
// so that tests do not depend on the machine's.
func dnsServerResolver(addr string) *dnsResolver {
	r := NewResolver(addr).(*dnsResolver)
	r.hostsPath = ""
	return r
}

func TestResolverSRVAndTXT(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.AddSRV("_mongodb._tcp.cluster0.example.test", 60, 1, 5, 27017, "Shard-00.Example.Test.")
	s.AddSRV("_mongodb._tcp.cluster0.example.test", 30, 2, 10, 27018, "shard-01.example.test")
	s.AddSRV("_custom._tcp.cluster0.example.test", 60, 0, 0, 27019, "shard-02.example.test")
	s.AddTXT("cluster0.example.test", 90, "authSource=admin&", "replicaSet=rs0")
	r := dnsServerResolver(s.Addr)
	ctx := dnsTestCtx(t)

	srv, err := r.LookupSRV(ctx, "mongodb", "tcp", "cluster0.example.test")
	if err != nil {
		t.Fatal(err)
	}
	want := []report.SRVRecord{
		{Target: "shard-00.example.test", Port: 27017, Priority: 1, Weight: 5, TTLSeconds: 60},
		{Target: "shard-01.example.test", Port: 27018, Priority: 2, Weight: 10, TTLSeconds: 30},
	}
	if fmt.Sprint(srv.Records) != fmt.Sprint(want) {
		t.Errorf("records = %+v, want %+v", srv.Records, want)
	}
	if srv.Name != "_mongodb._tcp.cluster0.example.test" || srv.Server != s.Addr || srv.TCP || srv.Truncated {
		t.Errorf("answer meta = %q %+v", srv.Name, srv.DNSMeta)
	}

	custom, err := r.LookupSRV(ctx, "custom", "tcp", "cluster0.example.test.")
	if err != nil || len(custom.Records) != 1 || custom.Records[0].Port != 27019 {
		t.Errorf("custom service: %+v, %v", custom, err)
	}

	txt, err := r.LookupTXT(ctx, "cluster0.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(txt.Records) != 1 || txt.Records[0].Text() != "authSource=admin&replicaSet=rs0" || txt.Records[0].TTLSeconds != 90 {
		t.Errorf("txt = %+v", txt.Records)
	}
}

func TestResolverErrors(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.AddSRV("_mongodb._tcp.ok.example.test", 60, 0, 0, 27017, "a.ok.example.test")
	s.AddTXT("failing.example.test", 60, "x")
	s.SetRcode("failing.example.test", dns.RcodeServerFailure)
	s.AddTXT("_mongodb._tcp.txtonly.example.test", 60, "x")
	s.AddTXT("silent.example.test", 60, "x")
	s.SetSilent("_mongodb._tcp.silent.example.test", true)

	closed := dnsClosedUDPPort(t)

	cases := []struct {
		name      string
		server    string
		lookup    func(r *dnsResolver, ctx context.Context) error
		kind      DNSErrorKind
		notFound  bool
		temporary bool
	}{
		{"nxdomain", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupSRV(ctx, "mongodb", "tcp", "missing.example.test")
			return err
		}, DNSNotFound, true, false},
		{"name without srv records", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupSRV(ctx, "mongodb", "tcp", "txtonly.example.test")
			return err
		}, DNSNoData, true, false},
		{"nodata txt", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupTXT(ctx, "_mongodb._tcp.ok.example.test")
			return err
		}, DNSNoData, true, false},
		{"servfail", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupTXT(ctx, "failing.example.test")
			return err
		}, DNSServerFailure, false, true},
		{"silent server", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			r.timeout = testDNSQuestionTimeout
			_, err := r.LookupSRV(ctx, "mongodb", "tcp", "silent.example.test")
			return err
		}, DNSTimeout, false, true},
		{"nothing listens", closed, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupTXT(ctx, "ok.example.test")
			return err
		}, DNSNetwork, false, true},
		{"bad name", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupSRV(ctx, "mongodb", "tcp", "a..b")
			return err
		}, DNSBadName, false, false},
		{"bad host name", s.Addr, func(r *dnsResolver, ctx context.Context) error {
			_, err := r.LookupAddrs(ctx, "")
			return err
		}, DNSBadName, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := dnsServerResolver(c.server)
			err := c.lookup(r, dnsTestCtx(t))
			var de *DNSError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DNSError", err, err)
			}
			if de.Kind != c.kind {
				t.Fatalf("kind = %v, want %v (%v)", de.Kind, c.kind, err)
			}
			if de.NotFound() != c.notFound || de.Temporary() != c.temporary {
				t.Errorf("NotFound=%v Temporary=%v, want %v %v", de.NotFound(), de.Temporary(), c.notFound, c.temporary)
			}
			if de.System {
				t.Error("System = true for a --dns-server resolver")
			}
			// The standard library's view, for code that classifies
			// dial errors the usual way.
			var ne *net.DNSError
			if !errors.As(err, &ne) || ne.IsNotFound != c.notFound || ne.IsTimeout != (c.kind == DNSTimeout) {
				t.Errorf("as *net.DNSError: %+v", ne)
			}
		})
	}
}

// dnsClosedUDPPort returns a loopback address where nothing listens.
func dnsClosedUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestResolverTruncationRetriesOverTCP(t *testing.T) {
	cases := []struct {
		name     string
		records  int
		truncate bool
	}{
		{"answer too big for one datagram", 80, false},
		{"server truncates every UDP answer", 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mongotest.StartDNS(t)
			for i := range c.records {
				s.AddSRV("_mongodb._tcp.big.example.test", 60, 0, 0, uint16(27000+i), fmt.Sprintf("member-%02d.big.example.test", i))
			}
			s.SetTruncate(c.truncate)
			ans, err := dnsServerResolver(s.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "big.example.test")
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Records) != c.records || !ans.Truncated || !ans.TCP {
				t.Fatalf("%d records, truncated=%v tcp=%v; want %d over TCP", len(ans.Records), ans.Truncated, ans.TCP, c.records)
			}
			if s.CountQueries("_mongodb._tcp.big.example.test", "SRV", "udp") != 1 || s.CountQueries("_mongodb._tcp.big.example.test", "SRV", "tcp") != 1 {
				t.Errorf("queries = %+v, want one over UDP then one over TCP", s.Queries())
			}
		})
	}
}

func TestResolverGarbageIsBadAnswer(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.SetGarbage(true)
	r := dnsServerResolver(s.Addr)
	r.timeout = testDNSQuestionTimeout
	_, err := r.LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test")
	var de *DNSError
	if !errors.As(err, &de) || de.Kind != DNSBadAnswer {
		t.Fatalf("error = %v, want a malformed answer", err)
	}
}

func TestResolverAddrs(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(`
both.example.test.  60 IN AAAA ::1
both.example.test.  30 IN A    127.0.0.1
v4.example.test.    10 IN A    127.0.0.2
v6.example.test.    10 IN AAAA ::1
db.corp.test.       15 IN A    127.0.0.3
txtonly.example.test. IN TXT   "x"
`); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.9 pinned.example.test pinned # comment\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		host    string
		want    string // IPs joined by space
		ttl     uint32
		server  string // "dns" for the fixture
		errKind DNSErrorKind
	}{
		{"ipv4 first", "both.example.test", "127.0.0.1 ::1", 30, "dns", 0},
		{"trailing dot", "v4.example.test.", "127.0.0.2", 10, "dns", 0},
		{"aaaa only", "V6.Example.Test", "::1", 10, "dns", 0},
		{"ip literal", "127.0.0.5", "127.0.0.5", 0, "", 0},
		{"bracketed ipv6", "[::1]", "::1", 0, "", 0},
		{"hosts file", "PINNED", "127.0.0.9", 0, hosts, 0},
		{"localhost name", "db.localhost", "127.0.0.1 ::1", 0, "localhost (RFC 6761)", 0},
		{"no search domains with --dns-server", "db", "", 0, "", DNSNotFound},
		{"name without addresses", "txtonly.example.test", "", 0, "", DNSNoData},
		{"unknown name", "nowhere.example.test", "", 0, "", DNSNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := dnsServerResolver(s.Addr)
			r.hostsPath = hosts
			ans, err := r.LookupAddrs(dnsTestCtx(t), c.host)
			if c.errKind != 0 {
				var de *DNSError
				if !errors.As(err, &de) || de.Kind != c.errKind || de.Type != "A/AAAA" {
					t.Fatalf("error = %v, want kind %v", err, c.errKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ans.IPs(), " "); got != c.want {
				t.Errorf("addresses = %q, want %q", got, c.want)
			}
			if c.ttl != 0 && ans.Addrs[0].TTLSeconds != c.ttl {
				t.Errorf("ttl = %d, want %d", ans.Addrs[0].TTLSeconds, c.ttl)
			}
			wantServer := c.server
			if wantServer == "dns" {
				wantServer = s.Addr
			}
			if ans.Server != wantServer {
				t.Errorf("server = %q, want %q", ans.Server, wantServer)
			}
			ips, err := r.LookupHost(dnsTestCtx(t), c.host)
			if err != nil || strings.Join(ips, " ") != c.want {
				t.Errorf("LookupHost = %v, %v", ips, err)
			}
		})
	}
}

// dnsSystemResolver is the system-mode resolver reading resolv.conf from
// text, with no hosts file and no operating-system fallback.
func dnsSystemResolver(t *testing.T, resolvConf string) *dnsResolver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte(resolvConf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := NewResolver("").(*dnsResolver)
	r.resolvConf, r.hostsPath, r.fallback = path, "", nil
	return r
}

func TestResolverSystemMode(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(`
db.corp.test.                       60 IN A   127.0.0.3
db.                                 60 IN A   127.0.0.4
_mongodb._tcp.cluster0.corp.test.   60 IN SRV 0 0 27017 a.corp.test.
`); err != nil {
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	conf := fmt.Sprintf("nameserver %s\nsearch corp.test\noptions ndots:1 attempts:5\n", host)

	// A resolv.conf names servers on port 53: check what was read, then
	// point the resolver at the fixture's port.
	r := dnsSystemResolver(t, conf)
	if err := r.loadConf(); err != nil {
		t.Fatal(err)
	}
	if len(r.servers) != 1 || r.servers[0] != net.JoinHostPort(host, "53") {
		t.Fatalf("servers = %v", r.servers)
	}
	if fmt.Sprint(r.search) != "[corp.test.]" || r.ndots != 1 || r.attempts != dnsMaxAttempts {
		t.Fatalf("search = %v ndots = %d attempts = %d", r.search, r.ndots, r.attempts)
	}
	r.servers = []string{s.Addr}

	ctx := dnsTestCtx(t)
	ans, err := r.LookupAddrs(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ans.IPs(), " "); got != "127.0.0.3" || ans.Canonical != "db.corp.test" {
		t.Errorf("db: %q as %q, want 127.0.0.3 as db.corp.test (search domain first for a name without dots)", got, ans.Canonical)
	}
	if abs, err := r.LookupAddrs(ctx, "db."); err != nil || strings.Join(abs.IPs(), " ") != "127.0.0.4" {
		t.Errorf("db. (absolute): %v, %v; want 127.0.0.4 without search domains", abs, err)
	}
	if _, err := r.LookupSRV(ctx, "mongodb", "tcp", "cluster0"); !IsNotFound(err) {
		t.Errorf("SRV under a search domain: err = %v, want not found (search domains do not apply to SRV)", err)
	}
	var de *DNSError
	if _, err := r.LookupSRV(ctx, "mongodb", "tcp", "nowhere.corp.test"); !errors.As(err, &de) || !de.System {
		t.Errorf("system-mode error %v does not say it came from the system resolver", err)
	}
	if s.CountQueries("_mongodb._tcp.cluster0.corp.test", "SRV", "") != 0 {
		t.Error("the SRV name was expanded with a search domain")
	}
}

func TestResolverConfFiles(t *testing.T) {
	cases := []struct {
		name    string
		conf    *string
		servers string
		wantErr bool
	}{
		{"no resolv.conf: the local host", nil, "[127.0.0.1:53 [::1]:53]", false},
		{"no nameserver line", dnsPtr("search x.test\n"), "[127.0.0.1:53 [::1]:53]", false},
		{"ipv6 server", dnsPtr("nameserver ::1\nnameserver 127.0.0.53\n"), "[[::1]:53 127.0.0.53:53]", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *dnsResolver
			if c.conf == nil {
				r = NewResolver("").(*dnsResolver)
				r.resolvConf = filepath.Join(t.TempDir(), "absent")
			} else {
				r = dnsSystemResolver(t, *c.conf)
			}
			err := r.loadConf()
			if (err != nil) != c.wantErr {
				t.Fatalf("loadConf: %v", err)
			}
			if fmt.Sprint(r.servers) != c.servers {
				t.Errorf("servers = %v, want %s", r.servers, c.servers)
			}
		})
	}
}

func dnsPtr[T any](v T) *T { return &v }

func TestResolverCancelled(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.SetSilent("_mongodb._tcp.silent.example.test", true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := dnsServerResolver(s.Addr).LookupSRV(ctx, "mongodb", "tcp", "silent.example.test")
		done <- err
	}()
	// Cancel once the question has reached the server.
	for s.CountQueries("_mongodb._tcp.silent.example.test", "SRV", "") == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-done
	var de *DNSError
	if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want a *DNSError wrapping context.Canceled", err)
	}
}

func TestParseHosts(t *testing.T) {
	table := parseHosts(`
# comment line
127.0.0.1	localhost loopback
::1		localhost ip6-localhost
10.0.0.1 db.example.test. DB # trailing comment
fe80::1%eth0 link.test
not-an-ip name.test
192.168.0.1
10.0.0.1 db.example.test
`)
	cases := []struct {
		host string
		want string
	}{
		{"localhost", "[127.0.0.1 ::1]"},
		{"LOCALHOST.", "[127.0.0.1 ::1]"},
		{"db.example.test", "[10.0.0.1]"},
		{"db", "[10.0.0.1]"},
		{"link.test", "[fe80::1]"},
		{"name.test", "[]"},
		{"ip6-localhost", "[::1]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(table.lookup(c.host)); got != c.want {
			t.Errorf("lookup(%q) = %s, want %s", c.host, got, c.want)
		}
	}
}

func FuzzParseHosts(f *testing.F) {
	f.Add("127.0.0.1 localhost\n::1 localhost # c\n")
	f.Add("fe80::1%lo0 a b c\n\n#\n")
	f.Add("x y z")
	f.Fuzz(func(t *testing.T, text string) {
		for name, ips := range parseHosts(text) {
			if name == "" || strings.ContainsAny(name, " \t\n#") {
				t.Fatalf("bad name %q", name)
			}
			for _, ip := range ips {
				if net.ParseIP(ip) == nil {
					t.Fatalf("%q maps to %q, not an IP", name, ip)
				}
			}
		}
	})
}

func TestResolverSystemFallback(t *testing.T) {
	s := mongotest.StartDNS(t)
	s.AddTXT("silent.corp.test", 60, "x")
	s.SetSilent("silent.corp.test", true)
	cases := []struct {
		name   string
		host   string
		want   string
		called bool
	}{
		{"the DNS does not know the name: ask the OS", "printer.local", "127.0.0.7", true},
		{"the DNS did not answer: do not ask again", "silent.corp.test", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := dnsSystemResolver(t, "nameserver 127.0.0.1\n")
			if err := r.loadConf(); err != nil {
				t.Fatal(err)
			}
			r.servers, r.timeout = []string{s.Addr}, testDNSQuestionTimeout
			called := false
			r.fallback = func(context.Context, string) ([]string, error) {
				called = true
				return []string{"127.0.0.7"}, nil
			}
			ans, err := r.LookupAddrs(dnsTestCtx(t), c.host)
			if called != c.called {
				t.Errorf("fallback called = %v, want %v", called, c.called)
			}
			if c.want == "" {
				if err == nil {
					t.Fatalf("answer %v, want an error", ans.IPs())
				}
				return
			}
			if err != nil || strings.Join(ans.IPs(), " ") != c.want || ans.Server != "system resolver" {
				t.Fatalf("answer %+v, %v; want %s from the system resolver", ans, err, c.want)
			}
		})
	}
}
