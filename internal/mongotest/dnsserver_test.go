package mongotest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func dnsAsk(t *testing.T, s *DNSServer, network, name string, qtype uint16, edns bool) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	if edns {
		q.SetEdns0(4096, false)
	}
	c := &dns.Client{Net: network, Timeout: dnsServerIOTimeout}
	r, _, err := c.Exchange(q, s.Addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", dns.TypeToString[qtype], name, network, err)
	}
	return r
}

func TestDNSServerAnswers(t *testing.T) {
	s := StartDNS(t)
	s.AddSRV("_mongodb._tcp.cluster0.example.test", 60, 0, 5, 27017, "a.example.test")
	s.AddTXT("cluster0.example.test", 30, "replicaS", "et=rs0")
	if err := s.AddHost("a.example.test", 120, "127.0.0.1", "::1"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddZone("b.example.test. 45 IN A 127.0.0.2\n; comment\nc.example.test. IN AAAA ::1\n"); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		qname   string
		qtype   uint16
		network string
		rcode   int
		want    []string // answer RRs, as text without the header
	}{
		{"srv over udp", "_mongodb._tcp.cluster0.example.test", dns.TypeSRV, "udp", dns.RcodeSuccess, []string{"0 5 27017 a.example.test."}},
		{"srv over tcp", "_MONGODB._tcp.Cluster0.example.test.", dns.TypeSRV, "tcp", dns.RcodeSuccess, []string{"0 5 27017 a.example.test."}},
		{"txt keeps its strings", "cluster0.example.test", dns.TypeTXT, "udp", dns.RcodeSuccess, []string{`"replicaS" "et=rs0"`}},
		{"a", "a.example.test", dns.TypeA, "udp", dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"aaaa", "a.example.test", dns.TypeAAAA, "udp", dns.RcodeSuccess, []string{"::1"}},
		{"zone a", "b.example.test", dns.TypeA, "udp", dns.RcodeSuccess, []string{"127.0.0.2"}},
		{"zone default ttl", "c.example.test", dns.TypeAAAA, "tcp", dns.RcodeSuccess, []string{"::1"}},
		{"nodata", "cluster0.example.test", dns.TypeA, "udp", dns.RcodeSuccess, nil},
		{"nxdomain", "missing.example.test", dns.TypeSRV, "udp", dns.RcodeNameError, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := dnsAsk(t, s, c.network, c.qname, c.qtype, false)
			if r.Rcode != c.rcode {
				t.Fatalf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[c.rcode])
			}
			var got []string
			for _, rr := range r.Answer {
				got = append(got, strings.TrimPrefix(rr.String(), rr.Header().String()))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("answer = %q, want %q", got, c.want)
			}
		})
	}
	if n := s.CountQueries("cluster0.example.test", "TXT", "udp"); n != 1 {
		t.Errorf("CountQueries(TXT udp) = %d, want 1", n)
	}
	if n := s.CountQueries("_mongodb._tcp.cluster0.example.test", "SRV", "tcp"); n != 1 {
		t.Errorf("CountQueries(SRV tcp) = %d, want 1", n)
	}
}

func TestDNSServerModes(t *testing.T) {
	const name = "_mongodb._tcp.big.example.test"
	s := StartDNS(t)
	for i := range 60 {
		s.AddSRV(name, 60, 0, 0, 27017, fmt.Sprintf("member-%02d.big.example.test", i))
	}
	s.AddSRV("_mongodb._tcp.small.example.test", 60, 0, 0, 27017, "a.small.example.test")

	// An answer larger than the client's buffer is cut, as a real server
	// does; over TCP it arrives whole.
	r := dnsAsk(t, s, "udp", name, dns.TypeSRV, false)
	if !r.Truncated || len(r.Answer) >= 60 {
		t.Fatalf("udp: truncated=%v with %d records, want truncated", r.Truncated, len(r.Answer))
	}
	r = dnsAsk(t, s, "tcp", name, dns.TypeSRV, false)
	if r.Truncated || len(r.Answer) != 60 {
		t.Fatalf("tcp: truncated=%v with %d records, want 60 whole", r.Truncated, len(r.Answer))
	}

	s.SetTruncate(true)
	r = dnsAsk(t, s, "udp", "_mongodb._tcp.small.example.test", dns.TypeSRV, true)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Fatalf("truncate mode over udp: truncated=%v records=%d", r.Truncated, len(r.Answer))
	}
	r = dnsAsk(t, s, "tcp", "_mongodb._tcp.small.example.test", dns.TypeSRV, true)
	if r.Truncated || len(r.Answer) != 1 {
		t.Fatalf("truncate mode over tcp: truncated=%v records=%d", r.Truncated, len(r.Answer))
	}
	s.SetTruncate(false)

	s.SetRcode("small.example.test", dns.RcodeServerFailure)
	if r := dnsAsk(t, s, "udp", "small.example.test", dns.TypeTXT, false); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode = %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	s.SetRcode("small.example.test", 0)
	if r := dnsAsk(t, s, "udp", "small.example.test", dns.TypeTXT, false); r.Rcode != dns.RcodeNameError {
		t.Fatalf("after clearing: rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}

	s.SetGarbage(true)
	q := new(dns.Msg)
	q.SetQuestion("small.example.test.", dns.TypeTXT)
	c := &dns.Client{Net: "tcp", Timeout: dnsServerIOTimeout}
	if _, _, err := c.Exchange(q, s.Addr); err == nil {
		t.Fatal("garbage mode: exchange succeeded, want an unpack error")
	}
	s.SetGarbage(false)
}

func TestDNSServerRejectsBadZone(t *testing.T) {
	s := StartDNS(t)
	for _, z := range []string{"x.test. IN SRV nonsense", "x.test. IN A 300.1.1.1"} {
		if err := s.AddZone(z); err == nil {
			t.Errorf("AddZone(%q) = nil, want an error", z)
		}
	}
	if err := s.AddHost("x.test", 60, "not-an-ip"); err == nil {
		t.Error("AddHost(not-an-ip) = nil, want an error")
	}
}
