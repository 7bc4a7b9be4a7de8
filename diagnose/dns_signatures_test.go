package diagnose

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

const sigZone = `_mongodb._tcp.rs.example.test. 60 IN SRV 0 0 27017 m0.rs.example.test.
_mongodb._tcp.rs.example.test. 60 IN SRV 0 0 27017 m1.rs.example.test.
rs.example.test. 60 IN TXT "replicaSet=rs0"
m0.rs.example.test. 60 IN A 127.0.0.1
m1.rs.example.test. 60 IN A 127.0.0.1
`

// srvReport runs the srv command against uri with the fixture as the
// resolver, and sources to compare.
func srvReport(t *testing.T, s *mongotest.DNSServer, uri string, sources ...resolve.Source) *report.Report {
	t.Helper()
	tgt, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatal(err)
	}
	e := dnsTestEngine(s)
	e.CompareResolvers = sources
	r, err := e.SRV(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func findingOf(r *report.Report, id string) (report.Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return report.Finding{}, false
}

func TestDNSAnswerUnparseable(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(strings.Replace(sigZone, "27017 m1.rs", `27017 m1\.x.rs`, 1)); err != nil {
		t.Fatal(err)
	}
	r := srvReport(t, s, "mongodb+srv://rs.example.test/?tls=false")
	f, ok := findingOf(r, catalogue.IDDNSAnswerUnparseable)
	if !ok {
		t.Fatalf("no dns.answer-unparseable: %s", findingsText(r))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"SRV _mongodb._tcp.rs.example.test", "the DNS server " + s.Addr + " (named with --dns-server)", "cannot unmarshal DNS message", `m1\.x.rs.example.test:27017`} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if f.Severity != report.SeverityError || r.OK {
		t.Errorf("severity %s, report ok %v", f.Severity, r.OK)
	}

	// The same seed list, well formed: no finding.
	good := mongotest.StartDNS(t)
	if err := good.AddZone(sigZone); err != nil {
		t.Fatal(err)
	}
	r = srvReport(t, good, "mongodb+srv://rs.example.test/?tls=false")
	if _, ok := findingOf(r, catalogue.IDDNSAnswerUnparseable); ok {
		t.Errorf("a well-formed answer is unparseable: %s", findingsText(r))
	}
}

func TestDNSSRVTruncated(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(sigZone); err != nil {
		t.Fatal(err)
	}
	s.SetTruncate(true)
	r := srvReport(t, s, "mongodb+srv://rs.example.test/?tls=false")
	if _, ok := findingOf(r, catalogue.IDDNSSRVTruncated); ok {
		t.Fatalf("truncated and retried over TCP: %s", findingsText(r))
	}
	s.StopTCP()
	r = srvReport(t, s, "mongodb+srv://rs.example.test/?tls=false")
	f, ok := findingOf(r, catalogue.IDDNSSRVTruncated)
	if !ok || f.Severity != report.SeverityWarning {
		t.Fatalf("no dns.srv-truncated warning: %s", findingsText(r))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"truncated its UDP answer", "connection refused", "no SRV record", s.Addr} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if _, ok := findingOf(r, catalogue.IDSRVNoRecords); !ok {
		t.Errorf("no srv.no-records beside it: %s", findingsText(r))
	}

	// A second nameserver that answers: the seed list comes from it, as
	// Go's resolver gets it, and the first one's truncation is a warning.
	good := mongotest.StartDNS(t)
	if err := good.AddZone(sigZone); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte("options attempts:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tgt, err := connstr.ParseTarget("mongodb+srv://rs.example.test/?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	e.Timeout = 5 * time.Second
	e.Resolver = resolve.New(resolve.Config{ResolvConf: path, Nameservers: []string{s.Addr, good.Addr}, HostsFile: resolve.NoHostsFile, NoSystemLookup: true})
	r, err = e.SRV(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findingOf(r, catalogue.IDSRVNoRecords); ok || r.SRV == nil || len(r.SRV.Records) == 0 {
		t.Errorf("the next nameserver's answer was not used: %s", findingsText(r))
	}
	f, ok = findingOf(r, catalogue.IDDNSSRVTruncated)
	if !ok || f.Severity != report.SeverityWarning || !strings.Contains(strings.Join(f.Evidence, "\n"), "the next nameserver") {
		t.Errorf("want the warning naming the next nameserver: %s", findingsText(r))
	}
}

// goResolverAt is the standard library's resolver asking only addr.
func goResolverAt(addr string) resolve.GoResolver {
	return resolve.GoResolver{R: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}}
}

func TestDNSResolversDisagree(t *testing.T) {
	good, stale := mongotest.StartDNS(t), mongotest.StartDNS(t)
	if err := good.AddZone(sigZone); err != nil {
		t.Fatal(err)
	}
	if err := stale.AddZone(strings.ReplaceAll(sigZone, "m1.rs", "old.rs")); err != nil {
		t.Fatal(err)
	}
	sources := []resolve.Source{
		{Name: "system resolver (Go)", Resolver: goResolverAt(good.Addr)},
		{Name: "nameserver " + good.Addr, Resolver: dnsServerResolver(good.Addr)},
		{Name: "nameserver " + stale.Addr, Resolver: dnsServerResolver(stale.Addr)},
	}
	r := srvReport(t, good, "mongodb+srv://rs.example.test/?tls=false", sources...)
	f, ok := findingOf(r, catalogue.IDDNSResolversDisagree)
	if !ok || f.Severity != report.SeverityWarning {
		t.Fatalf("no dns.resolvers-disagree warning: %s", findingsText(r))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"SRV _mongodb._tcp.rs.example.test: system resolver (Go): m0.rs.example.test:27017, m1.rs.example.test:27017",
		"nameserver " + stale.Addr + ": m0.rs.example.test:27017, old.rs.example.test:27017", "A m1.rs.example.test"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}

	// Agreeing resolvers, and a single one: nothing.
	r = srvReport(t, good, "mongodb+srv://rs.example.test/?tls=false", sources[:2]...)
	if _, ok := findingOf(r, catalogue.IDDNSResolversDisagree); ok {
		t.Errorf("agreeing resolvers: %s", findingsText(r))
	}
	r = srvReport(t, good, "mongodb+srv://rs.example.test/?tls=false", sources[2:]...)
	if slices.ContainsFunc(r.Findings, func(f report.Finding) bool { return f.ID == catalogue.IDDNSResolversDisagree }) {
		t.Errorf("one resolver compared: %s", findingsText(r))
	}
}
