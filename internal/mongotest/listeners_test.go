package mongotest

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
)

func TestClosedPortRefuses(t *testing.T) {
	addr := ClosedPort(t)
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("ClosedPort() = %q", addr)
	}
	_, err = net.DialTimeout("tcp", addr, testTimeout)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s: %v, want connection refused", addr, err)
	}
}

func TestSilentListenerNeverAnswers(t *testing.T) {
	addr := SilentListener(t)
	r := dialRaw(t, addr)
	r.sendHello()
	if !r.staysQuiet() {
		t.Errorf("the silent listener answered")
	}
}

func TestSilentCloseLeavesNoGoroutines(t *testing.T) {
	l, err := NewSilentListener()
	if err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, l.Addr())
	r2 := dialRaw(t, l.Addr())
	r2.sendHello()
	for l.Connections() < 2 {
		if !r2.staysQuiet() {
			t.Fatal("the silent listener answered")
		}
	}
	l.Close()
	l.Close()
	if got := r.readAll(); len(got) != 0 {
		t.Errorf("got %d bytes on close", len(got))
	}
	checkNoFixtureGoroutines(t)
}

func TestLoopbackDialer(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	d := &LoopbackDialer{Routes: map[string]string{"db.example.internal:27017": m.Addr()}}
	cases := []struct {
		addr     string
		wantDNS  bool // fails as an unknown host name
		wantDial bool
	}{
		{m.Addr(), false, true},
		{"db.example.internal:27017", false, true},
		{"localhost:" + port(m.Addr()), false, true},
		{"mongo-0.internal:27017", true, false},
		{"192.0.2.1:27017", true, false}, // never leaves loopback, whatever the address
		{"no-port", false, false},
	}
	for _, tc := range cases {
		c, err := d.DialContext(context.Background(), "tcp", tc.addr)
		if c != nil {
			_ = c.Close()
		}
		if (err == nil) != tc.wantDial {
			t.Errorf("%s: err %v, want dial %v", tc.addr, err, tc.wantDial)
		}
		var dnsErr *net.DNSError
		if got := errors.As(err, &dnsErr) && dnsErr.IsNotFound; got != tc.wantDNS {
			t.Errorf("%s: err %v, want not-found %v", tc.addr, err, tc.wantDNS)
		}
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
