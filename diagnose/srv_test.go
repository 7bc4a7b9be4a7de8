package diagnose

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/internal/mongotest"
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
		}, "mongodb+srv://c0.example.test/", false, []string{IDTCPRefused},
			[]string{"a.c0.example.test:" + strconv.Itoa(int(up))}, "", true},
		{"rules broken: nothing dialled", func(s *mongotest.DNSServer) {
			s.AddSRV("_mongodb._tcp.c0.example.test", 60, 0, 0, up, "a.evil.test")
		}, "mongodb+srv://c0.example.test/", false, []string{IDSRVDomainMismatch}, nil, "", true},
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
				if ch.Stage == StageTCP && ch.Status == StatusPass {
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
