package connfind

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/resolve"
)

// TestClassifyLocalLookup: a lookup whose question was never sent (no
// descriptor for the DNS socket), whether our resolver's DNSLocal, a
// DNS error of ours that still carries the errno, or Go's resolver's
// *net.DNSError that keeps it as text, is local.resources with the DNS
// question named, never dns.no-answer or dns.no-such-host.
func TestClassifyLocalLookup(t *testing.T) {
	emfile := &net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("socket", syscall.EMFILE)}
	for name, err := range map[string]error{
		"DNSLocal":          &resolve.DNSError{Kind: resolve.DNSLocal, Name: "db.example.test", Type: "A/AAAA", Rcode: -1, Err: emfile},
		"DNSNetwork, errno": &resolve.DNSError{Kind: resolve.DNSNetwork, Name: "db.example.test", Type: "A/AAAA", Rcode: -1, Err: emfile},
		"net.DNSError text": &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "dial udp 127.0.0.1:53: socket: too many open files", Name: "db.example.test", Server: "127.0.0.1:53"}},
	} {
		f, ok := Classify(err, "db.example.test:27017")
		if !ok || f.ID != catalogue.IDLocalResources {
			t.Errorf("%s: %s (%q), want %s", name, f.ID, f.Evidence, catalogue.IDLocalResources)
			continue
		}
		if ev := f.Evidence[0]; !strings.Contains(ev, "DNS question could not be sent") || !strings.Contains(ev, "EMFILE") {
			t.Errorf("%s: evidence %q", name, ev)
		}
	}
	// A lookup the DNS answered is not local.
	nx := &resolve.DNSError{Kind: resolve.DNSNotFound, Name: "db.example.test", Type: "A/AAAA", Rcode: 3}
	if f, _ := Classify(nx, "db.example.test:27017"); f.ID != catalogue.IDDNSNoSuchHost {
		t.Errorf("NXDOMAIN: %s, want %s", f.ID, catalogue.IDDNSNoSuchHost)
	}
	if _, ok := LocalDNSFinding("db.example.test", nx); ok {
		t.Error("LocalDNSFinding of NXDOMAIN")
	}
	// A dial whose socket could not be opened keeps its own words.
	if f, ok := LocalFinding("10.0.0.1:27017", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.EMFILE)}); !ok ||
		!strings.Contains(f.Evidence[0], "the connection could not be opened") {
		t.Errorf("dial: %v %q", ok, f.Evidence)
	}
}
