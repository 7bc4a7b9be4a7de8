package resolve

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/internal/dnsmsg"
	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// goResolverAt is the standard library's resolver asking only addr, as
// Go programs ask the nameserver of their resolv.conf.
func goResolverAt(addr string) GoResolver {
	return GoResolver{R: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}}
}

const cmpZone = `_mongodb._tcp.cluster0.example.test. 60 IN SRV 0 0 27017 m0.cluster0.example.test.
_mongodb._tcp.cluster0.example.test. 60 IN SRV 0 0 27017 m1.cluster0.example.test.
cluster0.example.test. 60 IN TXT "replicaSet=rs0"
m0.cluster0.example.test. 60 IN A 127.0.0.1
m1.cluster0.example.test. 60 IN A 127.0.0.1
`

func TestCompareAgreeingResolvers(t *testing.T) {
	a, b := mongotest.StartDNS(t), mongotest.StartDNS(t)
	for _, s := range []*mongotest.DNSServer{a, b} {
		if err := s.AddZone(cmpZone); err != nil {
			t.Fatal(err)
		}
	}
	sources := []Source{
		{Name: "system resolver (Go)", Resolver: goResolverAt(a.Addr)},
		{Name: "nameserver a", Resolver: dnsServerResolver(a.Addr)},
		{Name: "nameserver b", Resolver: dnsServerResolver(b.Addr)},
	}
	qs := []Question{{Type: "SRV", Service: "mongodb", Name: "cluster0.example.test"}, {Type: "TXT", Name: "cluster0.example.test"},
		{Type: "A", Name: "m0.cluster0.example.test"}, {Type: "TXT", Name: "nothing.example.test"}}
	if d := Compare(dnsTestCtx(t), sources, qs); len(d) != 0 {
		t.Errorf("agreeing resolvers disagree: %+v", d)
	}
}

func TestCompareDisagreeingResolvers(t *testing.T) {
	good, stale, broken := mongotest.StartDNS(t), mongotest.StartDNS(t), mongotest.StartDNS(t)
	if err := good.AddZone(cmpZone); err != nil {
		t.Fatal(err)
	}
	// The stale server still has last year's members and no TXT record.
	if err := stale.AddZone(strings.ReplaceAll(strings.ReplaceAll(cmpZone, "m1.", "old1."), `cluster0.example.test. 60 IN TXT "replicaSet=rs0"`, "")); err != nil {
		t.Fatal(err)
	}
	broken.SetRcode("_mongodb._tcp.cluster0.example.test", 2) // SERVFAIL
	if err := broken.AddZone(cmpZone); err != nil {
		t.Fatal(err)
	}
	sources := []Source{
		{Name: "system resolver (Go)", Resolver: goResolverAt(good.Addr)},
		{Name: "nameserver stale", Resolver: dnsServerResolver(stale.Addr)},
		{Name: "nameserver broken", Resolver: dnsServerResolver(broken.Addr)},
	}
	qs := []Question{{Type: "SRV", Service: "mongodb", Name: "cluster0.example.test"}, {Type: "TXT", Name: "cluster0.example.test"},
		{Type: "A", Name: "m0.cluster0.example.test"}}
	d := Compare(dnsTestCtx(t), sources, qs)
	if len(d) != 2 {
		t.Fatalf("disagreements = %+v, want SRV and TXT", d)
	}
	srv, txt := d[0], d[1]
	if srv.Question.String() != "SRV _mongodb._tcp.cluster0.example.test" || txt.Question.String() != "TXT cluster0.example.test" {
		t.Fatalf("questions %v, %v", srv.Question, txt.Question)
	}
	if got := srv.Replies[0].Summary(); got != "m0.cluster0.example.test:27017, m1.cluster0.example.test:27017" {
		t.Errorf("system resolver: %q", got)
	}
	if got := srv.Replies[1].Summary(); got != "m0.cluster0.example.test:27017, old1.cluster0.example.test:27017" {
		t.Errorf("stale: %q", got)
	}
	if srv.Replies[2].Err == nil || !strings.Contains(srv.Replies[2].Summary(), "SERVFAIL") {
		t.Errorf("broken: %q", srv.Replies[2].Summary())
	}
	if !IsNotFound(txt.Replies[1].Err) || txt.Replies[0].Err != nil {
		t.Errorf("TXT replies %+v", txt.Replies)
	}
}

func TestCompareEveryFailureIsNoDisagreement(t *testing.T) {
	a, b := mongotest.StartDNS(t), mongotest.StartDNS(t)
	a.SetRcode("cluster0.example.test", 2)
	b.SetRcode("cluster0.example.test", 5)
	sources := []Source{{Name: "a", Resolver: dnsServerResolver(a.Addr)}, {Name: "b", Resolver: dnsServerResolver(b.Addr)}}
	if d := Compare(dnsTestCtx(t), sources, []Question{{Type: "TXT", Name: "cluster0.example.test"}}); len(d) != 0 {
		t.Errorf("two failing resolvers disagree: %+v", d)
	}
	if d := Compare(dnsTestCtx(t), sources[:1], []Question{{Type: "TXT", Name: "x"}}); d != nil {
		t.Errorf("one source compared: %+v", d)
	}
}

func TestSystemSources(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(p, []byte("nameserver 127.0.0.53\nnameserver ::1\nsearch example.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := SystemSources(p)
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	want := "system resolver (Go)|nameserver 127.0.0.53:53 of " + p + "|nameserver [::1]:53 of " + p
	if strings.Join(names, "|") != want {
		t.Errorf("sources %q", names)
	}
	if n := len(SystemSources(filepath.Join(t.TempDir(), "missing"))); n != 1 {
		t.Errorf("without resolv.conf: %d sources", n)
	}
}

// TestTruncatedWithoutTCP: a server that truncates its UDP answer and
// refuses TCP leaves an answer holding what fit, with TCPFailed set.
func TestTruncatedWithoutTCP(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(cmpZone); err != nil {
		t.Fatal(err)
	}
	s.SetTruncate(true)
	s.StopTCP()
	_, err := dnsServerResolver(s.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test")
	var de *DNSError
	if !errors.As(err, &de) || de.Kind != DNSNoData || de.TCPFailed == nil {
		t.Fatalf("err = %#v, want no data with TCPFailed", err)
	}
	if s.CountQueries("_mongodb._tcp.cluster0.example.test", "SRV", "udp") == 0 {
		t.Error("no UDP question")
	}
	// With TCP, the same truncation is retried and complete.
	s2 := mongotest.StartDNS(t)
	if err := s2.AddZone(cmpZone); err != nil {
		t.Fatal(err)
	}
	s2.SetTruncate(true)
	a, err := dnsServerResolver(s2.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test")
	if err != nil || len(a.Records) != 2 || a.TCPFailed != nil || !a.TCP {
		t.Fatalf("retried over TCP: %+v, %v", a, err)
	}
}

// TestGoRejectedAnswer: an SRV answer whose target label holds a dot is
// read (leniently) and marked as one Go's resolver refuses; Go's own
// resolver fails on it.
func TestGoRejectedAnswer(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddZone(`_mongodb._tcp.cluster0.example.test. 60 IN SRV 0 0 27017 m0\.cluster0.example.test.` + "\n"); err != nil {
		t.Fatal(err)
	}
	a, err := dnsServerResolver(s.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test")
	if err != nil {
		t.Fatal(err)
	}
	var re *dnsmsg.RejectError
	if !errors.As(a.GoRejected, &re) || len(a.Records) != 1 {
		t.Fatalf("answer %+v: GoRejected = %v", a, a.GoRejected)
	}
	if _, err := goResolverAt(s.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test."); err == nil {
		t.Error("Go's resolver read the answer it should refuse")
	}
	s.Close()
	good := mongotest.StartDNS(t)
	if err := good.AddZone(cmpZone); err != nil {
		t.Fatal(err)
	}
	a, err = dnsServerResolver(good.Addr).LookupSRV(dnsTestCtx(t), "mongodb", "tcp", "cluster0.example.test")
	if err != nil || a.GoRejected != nil {
		t.Errorf("a well-formed answer: %v, GoRejected %v", err, a.GoRejected)
	}
}
