package dnsfind

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/resolve"
)

func TestServerTrouble(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		ok, noAnswer bool
		title, fix   string
	}{
		{name: "not a DNS error", err: errors.New("boom")},
		{name: "name not found", err: &resolve.DNSError{Kind: resolve.DNSNotFound, Server: "10.0.0.2:53", Rcode: 3}},
		{
			name: "timeout from resolv.conf", ok: true, noAnswer: true,
			err:   fmt.Errorf("lookup: %w", &resolve.DNSError{Kind: resolve.DNSTimeout, Server: "10.0.0.2:53", System: true, Rcode: -1}),
			title: "The DNS server 10.0.0.2:53 did not answer the SRV query",
			fix:   "Check that the DNS server 10.0.0.2:53 from /etc/resolv.conf answers (dig @10.0.0.2 -p 53 SRV _mongodb._tcp.c.example.test)",
		},
		{
			name: "refused connection to --dns-server", ok: true, noAnswer: true,
			err:   &resolve.DNSError{Kind: resolve.DNSNetwork, Server: "127.0.0.1:5353", Rcode: -1, Err: syscall.ECONNREFUSED},
			title: "The DNS server 127.0.0.1:5353 refused the connection (nothing listens there): the SRV query got no answer",
			fix:   "Check that a DNS server listens at 127.0.0.1:5353 and answers (dig @127.0.0.1 -p 5353 SRV _mongodb._tcp.c.example.test)",
		},
		{
			name: "REFUSED", ok: true, noAnswer: true,
			err:   &resolve.DNSError{Kind: resolve.DNSServerFailure, Server: "10.0.0.2:53", System: true, Rcode: 5},
			title: "The DNS server 10.0.0.2:53 refused the SRV query",
		},
		{
			name: "malformed answer", ok: true,
			err:   &resolve.DNSError{Kind: resolve.DNSBadAnswer, Server: "10.0.0.2:53", System: true, Rcode: 0},
			title: "The DNS server 10.0.0.2:53 sent an answer to the SRV query that cannot be read",
		},
		{
			name: "no server configured", ok: true, noAnswer: true,
			err:   &resolve.DNSError{Kind: resolve.DNSNoServers, System: true, Rcode: -1},
			title: "No DNS server is configured: the SRV query cannot be asked",
			fix:   "Configure a DNS server this machine can reach, or name one with --dns-server HOST:PORT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, ok := ServerTrouble(tt.err, "SRV")
			if ok != tt.ok {
				t.Fatalf("ServerTrouble ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if tr.NoAnswer != tt.noAnswer {
				t.Errorf("NoAnswer = %v, want %v", tr.NoAnswer, tt.noAnswer)
			}
			if tr.Title != tt.title {
				t.Errorf("Title = %q, want %q", tr.Title, tt.title)
			}
			if tr.Sentence == "" {
				t.Error("no sentence")
			}
			if fix := tr.Fix("_mongodb._tcp.c.example.test", "SRV"); tt.fix != "" && !strings.HasPrefix(fix, tt.fix) {
				t.Errorf("Fix = %q, want it to start with %q", fix, tt.fix)
			}
		})
	}
}

func TestUpperFirst(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "Abc", "Abc": "Abc", "1a": "1a", "é": "é"} {
		if got := UpperFirst(in); got != want {
			t.Errorf("UpperFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSRVHasPort(t *testing.T) {
	if SRVHasPort([]string{"cluster0.example.test"}) {
		t.Error("a bare host name has no port")
	}
	if !SRVHasPort([]string{"cluster0.example.test:27017"}) {
		t.Error("host:port has a port")
	}
}

// TestErrSummaryLocal: a question never sent names what ran out, not a
// server that was not asked, and is no trouble of the DNS server's.
func TestErrSummaryLocal(t *testing.T) {
	err := &resolve.DNSError{Kind: resolve.DNSLocal, Name: "db.example.test", Type: "A/AAAA", Server: "127.0.0.1:53", Rcode: -1,
		Err: &net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("socket", syscall.EMFILE)}}
	got := ErrSummary(err)
	if strings.Contains(got, "unreachable") || strings.Contains(got, "127.0.0.1:53") || !strings.Contains(got, "EMFILE") {
		t.Errorf("ErrSummary = %q", got)
	}
	if _, ok := ServerTrouble(err, "A/AAAA"); ok {
		t.Error("ServerTrouble for a question never sent")
	}
	if fixes := Fixes(err); len(fixes) != 0 {
		t.Errorf("Fixes = %q, want none", fixes)
	}
}
