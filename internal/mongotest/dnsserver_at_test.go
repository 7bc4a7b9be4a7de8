package mongotest

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestDNSServerAtAnswersOnItsAddress(t *testing.T) {
	// Port 0: the test picks no fixed port on the machine's own loopback;
	// the suite that needs port 53 runs in a network namespace.
	s, err := NewDNSServerAt("127.0.0.153:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil || host != "127.0.0.153" {
		t.Fatalf("Addr = %q, want 127.0.0.153:PORT", s.Addr)
	}
	if err := s.AddHost("m0.example.test", 30, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	// The TCP listener must share the UDP port: resolvers retry over TCP
	// on the same address.
	for _, network := range []string{"udp", "tcp"} {
		r := dnsAsk(t, s, network, "m0.example.test", dns.TypeA, false)
		if len(r.Answer) != 1 || !strings.HasSuffix(r.Answer[0].String(), "127.0.0.1") {
			t.Errorf("A over %s = %v, want 127.0.0.1", network, r.Answer)
		}
	}
	if r := dnsAsk(t, s, "udp", "missing.example.test", dns.TypeA, false); r.Rcode != dns.RcodeNameError {
		t.Errorf("rcode for an unknown name = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}

func TestDNSServerAtRefusesOtherAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:53", "localhost:53", "127.0.0.1"} {
		if s, err := NewDNSServerAt(addr); err == nil {
			s.Close()
			t.Errorf("NewDNSServerAt(%q) listened; want a refusal", addr)
		}
	}
}

func TestDNSServerAtReportsABusyAddress(t *testing.T) {
	s, err := NewDNSServerAt("127.0.0.153:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if again, err := NewDNSServerAt(s.Addr); err == nil {
		again.Close()
		t.Fatalf("a second server on %s started", s.Addr)
	}
}
