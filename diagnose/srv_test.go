package diagnose

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// dnsListener accepts and closes connections on 127.0.0.1 until the test
// ends, and returns its port.
func dnsListener(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

func TestEngineSRV(t *testing.T) {
	up := dnsListener(t)
	closedAddr, err := mongotest.NewClosedPort()
	if err != nil {
		t.Fatal(err)
	}
	_, closedPort, _ := net.SplitHostPort(closedAddr)
	down, _ := strconv.Atoi(closedPort)

	cases := []struct {
		name      string
		setup     func(s *mongotest.DNSServer)
		uri       string
		ok        bool
		ids       []string
		tcpPass   []string // addresses of passing tcp checks
		verdict   string
		srvFilled bool
	}{
		{"every target reachable", func(s *mongotest.DNSServer) {
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, up, "a.c0.example.test")
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, up, "b.c0.example.test")
			_ = s.AddHost("a.c0.example.test", 60, "127.0.0.1")
			_ = s.AddHost("b.c0.example.test", 60, "127.0.0.1")
		}, "mongodb+srv://c0.example.test/", true, nil,
			[]string{"a.c0.example.test:" + strconv.Itoa(int(up)), "b.c0.example.test:" + strconv.Itoa(int(up))},
			"the SRV records give 2 seeds; 2 resolve and accept TCP", true},
		{"one target refuses", func(s *mongotest.DNSServer) {
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, up, "a.c0.example.test")
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, uint16(down), "b.c0.example.test")
			_ = s.AddHost("a.c0.example.test", 60, "127.0.0.1")
			_ = s.AddHost("b.c0.example.test", 60, "127.0.0.1")
		}, "mongodb+srv://c0.example.test/", false, []string{catalogue.IDTCPRefused},
			[]string{"a.c0.example.test:" + strconv.Itoa(int(up))}, "", true},
		{"rules broken: nothing dialled", func(s *mongotest.DNSServer) {
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, up, "a.evil.test")
		}, "mongodb+srv://c0.example.test/", false, []string{catalogue.IDSRVDomainMismatch}, nil, "", true},
		{"mongodb:// string: no SRV", func(s *mongotest.DNSServer) {
			_ = s.AddHost("db.example.test", 60, "127.0.0.1")
		}, "mongodb://db.example.test:" + strconv.Itoa(int(up)) + "/", true, nil,
			[]string{"db.example.test:" + strconv.Itoa(int(up))},
			"no SRV lookup for a mongodb:// string; 1 of 1 hosts resolve and accept TCP", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mongotest.StartDNS(t)
			c.setup(s)
			r, err := dnsTestEngine(s).SRV(context.Background(), dnsTestTarget(t, c.uri))
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != c.ok || r.Command != "srv" {
				t.Errorf("ok = %v command = %q, want %v srv\n%s", r.OK, r.Command, c.ok, dnsDump(r))
			}
			if got := dnsFindingIDs(r); !slices.Equal(got, c.ids) {
				t.Errorf("findings = %v, want %v", got, c.ids)
			}
			var pass []string
			for _, ch := range r.Checks {
				if ch.Stage == report.StageTCP && ch.Status == report.StatusPass {
					pass = append(pass, ch.Address)
				}
			}
			slices.Sort(pass)
			if !slices.Equal(pass, c.tcpPass) {
				t.Errorf("tcp passed on %v, want %v", pass, c.tcpPass)
			}
			if c.verdict != "" && r.Verdict != c.verdict {
				t.Errorf("verdict = %q, want %q", r.Verdict, c.verdict)
			}
			if (r.SRV != nil) != c.srvFilled {
				t.Errorf("srv section present = %v, want %v", r.SRV != nil, c.srvFilled)
			}
		})
	}
}

func TestEngineSRVNilTarget(t *testing.T) {
	if _, err := NewEngine().SRV(context.Background(), nil); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("SRV(nil) = %v, want ErrNoTarget", err)
	}
}

func TestSRVTarget(t *testing.T) {
	cases := map[string]string{
		"cluster0.example.net":                    "mongodb+srv://cluster0.example.net/",
		"cluster0.example.net/":                   "mongodb+srv://cluster0.example.net/",
		"mongodb+srv://cluster0.example.net/?x=1": "mongodb+srv://cluster0.example.net/?x=1",
		"mongodb://localhost:27017":               "mongodb://localhost:27017",
	}
	for in, want := range cases {
		if got := SRVTarget(in); got != want {
			t.Errorf("SRVTarget(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.HasPrefix(SRVTarget("db:27017"), "mongodb+srv://db:27017") {
		t.Error("a bare host with a port is kept for the uri stage to refuse")
	}
}

// TestEngineSRVDNSServerFails: when the DNS server itself does not answer
// (nothing listens, silence, REFUSED, SERVFAIL), the finding is
// dns.no-answer, and the verdict and the evidence name that server instead
// of claiming that the records, or the name, do not exist.
// silentDNSBudget is the whole budget of a lookup to a DNS server that
// never answers: the verdict is the same however long it waits.
const silentDNSBudget = 300 * time.Millisecond

func TestEngineSRVDNSServerFails(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()

	cases := []struct {
		name     string
		setup    func(s *mongotest.DNSServer)
		dead     bool // ask the closed port instead of the fixture
		uri      string
		id       string
		verdict  string // after "dns stage failed: the DNS server ADDR"
		evidence string // after "the DNS server ADDR (named with --dns-server)"
	}{
		{"nothing listens: SRV", nil, true, "mongodb+srv://c0.example.test/", catalogue.IDDNSNoAnswer,
			" refused the connection (nothing listens there): the SRV query got no answer", " refused the connection"},
		{"nothing listens: host name", nil, true, "mongodb://db.example.test/", catalogue.IDDNSNoAnswer,
			" refused the connection (nothing listens there): the A/AAAA query got no answer", " refused the connection"},
		{"silent: SRV", func(s *mongotest.DNSServer) { s.SetUnresponsive(true) }, false,
			"mongodb+srv://c0.example.test/", catalogue.IDDNSNoAnswer, " did not answer the SRV query", " did not answer in time"},
		{"silent: host name", func(s *mongotest.DNSServer) { s.SetUnresponsive(true) }, false,
			"mongodb://db.example.test/", catalogue.IDDNSNoAnswer, " did not answer the A/AAAA query", " did not answer in time"},
		{"REFUSED", func(s *mongotest.DNSServer) { s.SetRcode("_mongodb._tcp.c0.example.test", dns.RcodeRefused) }, false,
			"mongodb+srv://c0.example.test/", catalogue.IDDNSNoAnswer, " refused the SRV query", " answered REFUSED instead of records"},
		{"SERVFAIL", func(s *mongotest.DNSServer) { s.SetRcode("_mongodb._tcp.c0.example.test", dns.RcodeServerFailure) }, false,
			"mongodb+srv://c0.example.test/", catalogue.IDDNSNoAnswer, " answered the SRV query with SERVFAIL", " answered SERVFAIL instead of records"},
		{"NXDOMAIN keeps the catalogue's words", func(*mongotest.DNSServer) {}, false,
			"mongodb+srv://c0.example.test/", catalogue.IDSRVNoRecords, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mongotest.StartDNS(t)
			if c.setup != nil {
				c.setup(s)
			}
			e := dnsTestEngine(s)
			if strings.HasPrefix(c.name, "silent") {
				e.Timeout = silentDNSBudget
			}
			server := s.Addr
			if c.dead {
				server = dead
				e.Resolver = dnsServerResolver(dead)
			}
			r, err := e.SRV(context.Background(), dnsTestTarget(t, c.uri))
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || len(r.Findings) != 1 || r.Findings[0].ID != c.id || r.HasFinding(catalogue.IDDNSNoSuchHost) != (c.id == catalogue.IDDNSNoSuchHost) {
				t.Fatalf("ok=%v findings=%v\n%s", r.OK, dnsFindingIDs(r), dnsDump(r))
			}
			f := r.Findings[0]
			if c.verdict == "" {
				if !strings.Contains(r.Verdict, "no SRV records") {
					t.Errorf("verdict %q", r.Verdict)
				}
				return
			}
			if want := "dns stage failed: the DNS server " + server + c.verdict; r.Verdict != want {
				t.Errorf("verdict %q, want %q", r.Verdict, want)
			}
			if want := "the DNS server " + server + " (named with --dns-server)" + c.evidence; len(f.Evidence) != 1 || !strings.Contains(f.Evidence[0], want) {
				t.Errorf("evidence %q lacks %q", f.Evidence, want)
			}
			if !strings.HasPrefix(f.Fixes[0], "Check that a DNS server listens at "+server) {
				t.Errorf("first fix %q", f.Fixes[0])
			}
		})
	}
}
