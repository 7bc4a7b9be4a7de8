package resolve

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// socketEMFILE is the error of a dial whose socket could not be opened:
// this process has no file descriptor left.
func socketEMFILE(network, addr string) error {
	return &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", syscall.EMFILE)}
}

// TestClassifyLocal: a question whose socket could not be opened is
// DNSLocal (never sent), not DNSNetwork ("server unreachable"): nothing
// is known of the server or the name, and the error says what ran out.
func TestClassifyLocal(t *testing.T) {
	r := &dnsResolver{servers: []string{"127.0.0.1:53"}}
	for _, c := range []struct {
		err   error
		kind  DNSErrorKind
		errno syscall.Errno
	}{
		{socketEMFILE("udp", "127.0.0.1:53"), DNSLocal, syscall.EMFILE},
		{&net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("socket", syscall.ENFILE)}, DNSLocal, syscall.ENFILE},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}, DNSLocal, syscall.EADDRNOTAVAIL},
		{&net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("sendto", syscall.ENOBUFS)}, DNSLocal, syscall.ENOBUFS},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, DNSNetwork, 0},
	} {
		de := r.classify("db.example.test", "A", "127.0.0.1:53", c.err)
		if de.Kind != c.kind {
			t.Errorf("%v: kind %v, want %v", c.err, de.Kind, c.kind)
			continue
		}
		errno, local := de.Local()
		if local != (c.kind == DNSLocal) || errno != c.errno {
			t.Errorf("%v: Local() = %v, %v; want %v, %v", c.err, errno, local, c.errno, c.kind == DNSLocal)
		}
		if got, ok := IsLocal(de); ok != local || got != errno {
			t.Errorf("%v: IsLocal = %v, %v", c.err, got, ok)
		}
		if local && (strings.Contains(de.Error(), "unreachable") || !strings.Contains(de.Error(), "question not sent")) {
			t.Errorf("%v: %q says the server is at fault", c.err, de.Error())
		}
		if local && !errors.Is(de, c.errno) {
			t.Errorf("%v: the error does not unwrap to %v", c.err, c.errno)
		}
	}
}

// TestGoResolverLocal: the standard library's resolver keeps the socket
// error of its lookup as text only; a lookup whose socket could not be
// opened is still DNSLocal, not a server failure.
func TestGoResolverLocal(t *testing.T) {
	g := GoResolver{R: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, socketEMFILE(network, addr)
	}}}
	_, err := g.LookupHost(dnsTestCtx(t), "db.example.test")
	var de *DNSError
	if !errors.As(err, &de) || de.Kind != DNSLocal {
		t.Fatalf("LookupHost: %v (%#v), want DNSLocal", err, de)
	}
	if errno, ok := IsLocal(err); !ok || errno != syscall.EMFILE || !errors.Is(err, syscall.EMFILE) {
		t.Errorf("IsLocal = %v, %v; errors.Is EMFILE %v", errno, ok, errors.Is(err, syscall.EMFILE))
	}
	// The standard library's own error, unwrapped by nobody.
	ne := &net.DNSError{Err: "dial udp 127.0.0.1:53: socket: too many open files", Name: "db.example.test", Server: "127.0.0.1:53"}
	if errno, ok := IsLocal(ne); !ok || errno != syscall.EMFILE {
		t.Errorf("IsLocal(%v) = %v, %v", ne, errno, ok)
	}
	for _, text := range []string{"no such host", "server misbehaving", "read udp: i/o timeout"} {
		if _, ok := IsLocal(&net.DNSError{Err: text}); ok {
			t.Errorf("IsLocal(%q) = true", text)
		}
	}
}

// TestCompareIgnoresLocalFailures: a resolver this machine could not ask
// (no descriptor for its socket) does not disagree with the others.
func TestCompareIgnoresLocalFailures(t *testing.T) {
	a, b := mongotest.StartDNS(t), mongotest.StartDNS(t)
	for _, s := range []*mongotest.DNSServer{a, b} {
		if err := s.AddZone(cmpZone); err != nil {
			t.Fatal(err)
		}
	}
	unaskable := GoResolver{R: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, socketEMFILE(network, addr)
	}}}
	sources := []Source{
		{Name: "system resolver (Go)", Resolver: unaskable},
		{Name: "nameserver a", Resolver: dnsServerResolver(a.Addr)},
		{Name: "nameserver b", Resolver: dnsServerResolver(b.Addr)},
	}
	qs := []Question{{Type: "SRV", Service: "mongodb", Name: "cluster0.example.test"}, {Type: "A", Name: "m0.cluster0.example.test"}}
	if d := Compare(dnsTestCtx(t), sources, qs); len(d) != 0 {
		t.Errorf("a resolver never asked disagrees: %+v", d)
	}
}

// TestHostsFileUnreadLocal: a hosts file this machine had no descriptor
// to read may name the host: a name the DNS does not know is then
// DNSLocal, not "no such host", and the next lookup reads the file again.
func TestHostsFileUnreadLocal(t *testing.T) {
	s := mongotest.StartDNS(t)
	dir := t.TempDir()
	hosts := dir + "/hosts"
	if err := os.WriteFile(hosts, []byte("10.1.2.3 db.example.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Config{Server: s.Addr, HostsFile: hosts}).(*dnsResolver)
	// The read fails as open does without a descriptor left.
	r.hostsRead = func(string, int64) ([]byte, error) {
		return nil, &os.PathError{Op: "open", Path: hosts, Err: syscall.EMFILE}
	}
	_, err := r.LookupHost(dnsTestCtx(t), "db.example.test")
	if errno, ok := IsLocal(err); !ok || errno != syscall.EMFILE {
		t.Fatalf("LookupHost with the hosts file unread: %v, want DNSLocal (EMFILE)", err)
	}
	if IsNotFound(err) {
		t.Errorf("%v is not found", err)
	}
	r.hostsRead = dnsReadFile
	ips, err := r.LookupHost(dnsTestCtx(t), "db.example.test")
	if err != nil || len(ips) != 1 || ips[0] != "10.1.2.3" {
		t.Errorf("LookupHost once the file reads: %v, %v; want 10.1.2.3", ips, err)
	}
}

// TestResolvConfUnreadLocal: a resolv.conf this machine had no
// descriptor to read is DNSLocal, not "no DNS server configured", and is
// read again on the next question.
func TestResolvConfUnreadLocal(t *testing.T) {
	s := mongotest.StartDNS(t)
	if err := s.AddHost("db.example.test", 60, "10.1.2.3"); err != nil {
		t.Fatal(err)
	}
	conf := t.TempDir() + "/resolv.conf"
	if err := os.WriteFile(conf, []byte("nameserver 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Config{ResolvConf: conf, Nameservers: []string{s.Addr}, HostsFile: NoHostsFile, NoSystemLookup: true}).(*dnsResolver)
	r.confRead = func(string, int64) ([]byte, error) {
		return nil, &os.PathError{Op: "open", Path: conf, Err: syscall.ENFILE}
	}
	_, err := r.LookupHost(dnsTestCtx(t), "db.example.test.")
	if errno, ok := IsLocal(err); !ok || errno != syscall.ENFILE {
		t.Fatalf("LookupHost with resolv.conf unread: %v, want DNSLocal (ENFILE)", err)
	}
	r.confRead = dnsReadFile
	if ips, err := r.LookupHost(dnsTestCtx(t), "db.example.test."); err != nil || len(ips) != 1 {
		t.Errorf("LookupHost once resolv.conf reads: %v, %v", ips, err)
	}
}
