package netpath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
)

// farName resolves only on the far side of a path: the fixtures map it,
// nothing on this machine does.
const farName = "member-0.far.test"

const proxySecret = "pr0xy-S3CRET-pw"

func socksTo(t *testing.T, addr string, user, pass string) *SOCKS5 {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	d, err := NewSOCKS5(ProxyConfig{Host: host, Port: n, Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func farTarget(m *pathtest.Echo) string { return net.JoinHostPort(farName, strconv.Itoa(m.Port())) }

func TestSOCKS5SendsTheNameToTheProxy(t *testing.T) {
	member := pathtest.StartEcho(t)
	for _, auth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", auth), func(t *testing.T) {
			o := pathtest.SOCKS5Options{Hosts: map[string]string{farName: "127.0.0.1"}}
			user, pass := "", ""
			if auth {
				o.Username, o.Password = "alice", proxySecret
				user, pass = o.Username, o.Password
			}
			p := pathtest.StartSOCKS5(t, o)
			d := socksTo(t, p.Addr(), user, pass)
			c, err := d.DialContext(testContext(t), "tcp", farTarget(member))
			if err != nil {
				t.Fatalf("dial through the proxy: %v", err)
			}
			defer c.Close()
			roundTrip(t, c, "hello through socks5")
			if got := p.Requests(); len(got) != 1 || got[0] != farTarget(member) {
				t.Errorf("the proxy was asked for %v, want the name %s", got, farTarget(member))
			}
			if auth && fmt.Sprint(p.Usernames()) != "[alice]" {
				t.Errorf("usernames %v", p.Usernames())
			}
			if got, want := d.Via(), "via socks5 "+p.Addr(); got != want || Via(d) != want {
				t.Errorf("Via = %q, want %q", got, want)
			}
		})
	}
}

func TestSOCKS5ThroughSSHDashD(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: map[string]string{farName: "127.0.0.1"}})
	proxy := pathtest.StartSSHSOCKS(t, sshd)
	d := socksTo(t, proxy.Addr(), "", "")
	c, err := d.DialContext(testContext(t), "tcp", farTarget(member))
	if err != nil {
		t.Fatalf("dial through ssh -D: %v", err)
	}
	defer c.Close()
	roundTrip(t, c, "hello through ssh -D")
	if member.Connections() != 1 {
		t.Errorf("member saw %d connections", member.Connections())
	}
}

// OpenSSH's ssh -D sends no reply code: when the far side cannot
// connect it closes the connection after the request.
func TestSOCKS5ThroughSSHDashDFarSideFails(t *testing.T) {
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: map[string]string{farName: "127.0.0.1"}})
	proxy := pathtest.StartSSHSOCKS(t, sshd)
	d := socksTo(t, proxy.Addr(), "", "")
	_, refusing, _ := net.SplitHostPort(closedPort(t))
	for _, target := range []string{"unknown.far.test:27017", net.JoinHostPort(farName, refusing)} {
		c, err := d.DialContext(testContext(t), "tcp", target)
		if err == nil {
			c.Close()
			t.Fatalf("%s: dial succeeded", target)
		}
		var e *ProxyConnectError
		if !errors.As(err, &e) || e.Err == nil || e.Timeout() || e.Target != target {
			t.Errorf("%s: got %T %v, want a *ProxyConnectError without a reply", target, err, err)
		}
	}
}

func TestSOCKS5Failures(t *testing.T) {
	member := pathtest.StartEcho(t)
	refusing := closedPort(t)
	_, refusingPort, _ := net.SplitHostPort(refusing)
	cases := []struct {
		name   string
		proxy  func(t *testing.T) string
		user   string
		pass   string
		target string
		check  func(t *testing.T, err error)
	}{
		{"proxy down", func(t *testing.T) string { return closedPort(t) }, "", "", farTarget(member),
			func(t *testing.T, err error) {
				var e *ProxyUnreachableError
				if !errors.As(err, &e) || !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("got %T %v, want *ProxyUnreachableError wrapping ECONNREFUSED", err, err)
				}
			}},
		{"wrong password", func(t *testing.T) string {
			return pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "alice", Password: "the-right-one"}).Addr()
		}, "alice", proxySecret, farTarget(member), func(t *testing.T, err error) {
			var e *ProxyAuthError
			if !errors.As(err, &e) || e.Reason != ProxyAuthRejected || e.Username != "alice" {
				t.Fatalf("got %T %v, want *ProxyAuthError rejected", err, err)
			}
		}},
		{"the proxy wants a password and none is given", func(t *testing.T) string {
			return pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "alice", Password: "x"}).Addr()
		}, "", "", farTarget(member), func(t *testing.T, err error) {
			var e *ProxyAuthError
			if !errors.As(err, &e) || e.Reason != ProxyAuthRequired || e.Method != 0xFF {
				t.Fatalf("got %T %v, want *ProxyAuthError required", err, err)
			}
		}},
		{"no acceptable method", func(t *testing.T) string {
			return pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{NoAcceptableMethods: true}).Addr()
		}, "alice", proxySecret, farTarget(member), func(t *testing.T, err error) {
			var e *ProxyAuthError
			if !errors.As(err, &e) || e.Reason != ProxyAuthNoAcceptableMethod {
				t.Fatalf("got %T %v, want *ProxyAuthError no acceptable method", err, err)
			}
		}},
		{"the proxy cannot resolve the name", func(t *testing.T) string {
			return pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{}).Addr()
		}, "", "", farTarget(member), func(t *testing.T, err error) {
			var e *ProxyConnectError
			if !errors.As(err, &e) || e.Reply != ReplyHostUnreachable || e.Target != farTarget(member) {
				t.Fatalf("got %T %v, want *ProxyConnectError host unreachable", err, err)
			}
		}},
		{"the member refuses the proxy", func(t *testing.T) string {
			return pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Hosts: map[string]string{farName: "127.0.0.1"}}).Addr()
		}, "", "", net.JoinHostPort(farName, refusingPort), func(t *testing.T, err error) {
			var e *ProxyConnectError
			if !errors.As(err, &e) || e.Reply != ReplyConnectionRefused {
				t.Fatalf("got %T %v, want *ProxyConnectError connection refused", err, err)
			}
		}},
		{"the proxy hangs up at once", func(t *testing.T) string { return hangUpListener(t, false) }, "", "", farTarget(member),
			func(t *testing.T, err error) {
				var e *ProxyHandshakeError
				if !errors.As(err, &e) || e.Timeout() {
					t.Fatalf("got %T %v, want *ProxyHandshakeError, no timeout", err, err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := socksTo(t, tc.proxy(t), tc.user, tc.pass)
			c, err := d.DialContext(testContext(t), "tcp", tc.target)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			tc.check(t, err)
			noSecret(t, proxySecret, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
		})
	}
	checkNoGoroutines(t)
}

// Each reply code a proxy can give is told apart, in words, through the
// library's own handshake.
func TestSOCKS5EachReplyCode(t *testing.T) {
	member := pathtest.StartEcho(t)
	words := map[string]bool{}
	for code := ReplyGeneralFailure; code <= ReplyAddressNotSupported; code++ {
		t.Run(code.String(), func(t *testing.T) {
			p := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{
				Username: "alice", Password: proxySecret,
				Hosts:   map[string]string{farName: "127.0.0.1"},
				Replies: map[string]byte{farName: byte(code)},
			})
			_, err := socksTo(t, p.Addr(), "alice", proxySecret).DialContext(testContext(t), "tcp", farTarget(member))
			var e *ProxyConnectError
			if !errors.As(err, &e) || e.Reply != code {
				t.Fatalf("got %T %v, want *ProxyConnectError with reply %d", err, err, code)
			}
			if words[e.Reply.String()] {
				t.Errorf("%q names two codes", e.Reply.String())
			}
			words[e.Reply.String()] = true
			noSecret(t, proxySecret, err.Error())
		})
	}
	if member.Connections() != 0 {
		t.Errorf("the member was reached %d times though every reply was a failure", member.Connections())
	}
	if got := ReplyCode(0x2a).String(); got != "unassigned reply code 0x2a" {
		t.Errorf("code 0x2a: %q", got)
	}
}

func TestSOCKS5DeadlineCoversTheHandshake(t *testing.T) {
	p := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Silent: true})
	ctx, cancel := context.WithTimeout(context.Background(), shortTimeout)
	defer cancel()
	_, err := socksTo(t, p.Addr(), "", "").DialContext(ctx, "tcp", farName+":27017")
	var e *ProxyHandshakeError
	if !errors.As(err, &e) || !e.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %T %v, want a *ProxyHandshakeError that timed out", err, err)
	}
	checkNoGoroutines(t)
}

func TestSOCKS5Config(t *testing.T) {
	bad := []ProxyConfig{
		{},
		{Host: "proxy", Port: 70000},
		{Host: "proxy", Username: "alice"},
		{Host: "proxy", Password: proxySecret},
		{Host: "proxy", Username: string(make([]byte, 256)), Password: "x"},
		{Host: "proxy", Username: "alice", Password: string(make([]byte, 256))},
	}
	for _, c := range bad {
		_, err := NewSOCKS5(c)
		var e *ConfigError
		if !errors.As(err, &e) {
			t.Errorf("%#v: got %v, want *ConfigError", c, err)
			continue
		}
		noSecret(t, proxySecret, err.Error())
	}
	cfg := ProxyConfig{Host: "::1", Username: "alice", Password: proxySecret}
	d, err := NewSOCKS5(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Via(); got != "via socks5 [::1]:1080" {
		t.Errorf("Via = %q", got)
	}
	if d, err := NewSOCKS5(ProxyConfig{Host: "[::1]", Port: 1081}); err != nil || d.Via() != "via socks5 [::1]:1081" {
		t.Errorf("bracketed proxyHost: %v, %v", d, err)
	}
	noSecret(t, proxySecret, cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %#v", d, d, d), fmt.Sprintf("%v %+v", *d, *d))
	if _, err := d.DialContext(testContext(t), "udp", "x:1"); err == nil {
		t.Error("udp accepted")
	}
}
