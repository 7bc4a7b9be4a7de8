package pathtest

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SOCKS5 reply codes (RFC 1928, section 6).
const (
	ReplySucceeded           byte = 0x00
	ReplyGeneralFailure      byte = 0x01
	ReplyNotAllowed          byte = 0x02
	ReplyNetworkUnreachable  byte = 0x03
	ReplyHostUnreachable     byte = 0x04
	ReplyConnectionRefused   byte = 0x05
	ReplyTTLExpired          byte = 0x06
	ReplyCommandNotSupported byte = 0x07
	ReplyAddressNotSupported byte = 0x08
)

// SOCKS5Options script a SOCKS5 proxy.
type SOCKS5Options struct {
	// Username and Password, when Username is set, make the proxy accept
	// username/password authentication (RFC 1929) with exactly these, and
	// nothing else: a client offering no authentication is answered
	// "no acceptable methods".
	Username, Password string

	// Hosts is what the proxy resolves: member name -> loopback IP. Other
	// names get "host unreachable"; IP literals must be loopback, else
	// "not allowed by ruleset".
	Hosts map[string]string

	// Replies answers a CONNECT to these targets ("host:port", or "host"
	// for any port) with the given reply code instead of connecting.
	Replies map[string]byte

	// Silent accepts connections and never answers: the proxy that hangs.
	Silent bool

	// NoAcceptableMethods answers every greeting with 0xFF.
	NoAcceptableMethods bool
}

// SOCKS5 is a SOCKS5 proxy on 127.0.0.1 written for tests: strict about
// the protocol, scriptable in its answers, loopback-only in what it
// connects to.
type SOCKS5 struct {
	o    SOCKS5Options
	ln   net.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	requests []string
	auths    []string
}

// StartSOCKS5 starts a SOCKS5 proxy on 127.0.0.1:0 and stops it when tb
// ends.
func StartSOCKS5(tb testing.TB, o SOCKS5Options) *SOCKS5 {
	tb.Helper()
	for name, ip := range o.Hosts {
		if !isLoopback(ip) {
			tb.Fatalf("socks5: %s -> %s: names must point at loopback", name, ip)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("socks5: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &SOCKS5{o: o, ln: ln, ctx: ctx, stop: stop, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's HOST:PORT.
func (p *SOCKS5) Addr() string { return p.ln.Addr().String() }

// Host is the proxy's IP.
func (p *SOCKS5) Host() string { return "127.0.0.1" }

// Port is the proxy's port.
func (p *SOCKS5) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Requests returns the CONNECT targets received, "host:port" as the
// client sent them (a name stays a name).
func (p *SOCKS5) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Usernames returns the usernames of the authentication attempts.
func (p *SOCKS5) Usernames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.auths...)
}

// Close stops the proxy and every connection through it, and waits for
// its goroutines.
func (p *SOCKS5) Close() {
	p.once.Do(func() {
		p.stop()
		_ = p.ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
	})
	p.wg.Wait()
}

// track registers c; false (and c closed) once the proxy is closing.
func (p *SOCKS5) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *SOCKS5) untrack(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *SOCKS5) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// errHangUp ends a connection the proxy refused.
var errHangUp = errors.New("hang up")

func (p *SOCKS5) serve(c net.Conn) {
	defer p.wg.Done()
	defer p.untrack(c)
	if p.o.Silent {
		<-p.ctx.Done()
		return
	}
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	target, err := p.handshake(c)
	if err != nil {
		return
	}
	p.connect(c, target)
}

// handshake reads the greeting, authenticates and reads the request;
// it returns the target "host:port" and whether it is a name.
func (p *SOCKS5) handshake(c net.Conn) (string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return "", errHangUp
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", errHangUp
	}
	want := byte(0x00)
	if p.o.Username != "" {
		want = 0x02
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == want
	}
	if !offered || p.o.NoAcceptableMethods {
		_, _ = c.Write([]byte{5, 0xFF})
		return "", errHangUp
	}
	if _, err := c.Write([]byte{5, want}); err != nil {
		return "", errHangUp
	}
	if want == 0x02 {
		user, pass, err := readUserPass(c)
		if err != nil {
			return "", errHangUp
		}
		p.mu.Lock()
		p.auths = append(p.auths, user)
		p.mu.Unlock()
		if user != p.o.Username || pass != p.o.Password {
			_, _ = c.Write([]byte{1, 1})
			return "", errHangUp
		}
		if _, err := c.Write([]byte{1, 0}); err != nil {
			return "", errHangUp
		}
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != 5 {
		return "", errHangUp
	}
	var host string
	switch req[3] {
	case 0x01, 0x04:
		ip := make(net.IP, 4)
		if req[3] == 0x04 {
			ip = make(net.IP, 16)
		}
		if _, err := io.ReadFull(c, ip); err != nil {
			return "", errHangUp
		}
		host = ip.String()
	case 0x03:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return "", errHangUp
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return "", errHangUp
		}
		host = string(name)
	default:
		reply(c, ReplyAddressNotSupported)
		return "", errHangUp
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", errHangUp
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	p.mu.Lock()
	p.requests = append(p.requests, target)
	p.mu.Unlock()
	if req[1] != 0x01 {
		reply(c, ReplyCommandNotSupported)
		return "", errHangUp
	}
	return target, nil
}

// connect answers the request for target and pipes the connection.
func (p *SOCKS5) connect(c net.Conn, target string) {
	host, port, _ := net.SplitHostPort(target)
	for _, k := range []string{target, host} {
		if code, ok := p.o.Replies[k]; ok {
			reply(c, code)
			return
		}
	}
	ip := host
	if net.ParseIP(host) == nil {
		var ok bool
		if ip, ok = p.o.Hosts[host]; !ok {
			reply(c, ReplyHostUnreachable)
			return
		}
	} else if !isLoopback(host) {
		reply(c, ReplyNotAllowed)
		return
	}
	dctx, cancel := context.WithTimeout(p.ctx, ioTimeout)
	var d net.Dialer
	up, err := d.DialContext(dctx, "tcp", net.JoinHostPort(ip, port))
	cancel()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		reply(c, ReplyConnectionRefused)
		return
	case err != nil:
		reply(c, ReplyGeneralFailure)
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	if !reply(c, ReplySucceeded) {
		return
	}
	_ = c.SetDeadline(time.Time{})
	var copies sync.WaitGroup
	copies.Add(2)
	go func() {
		defer copies.Done()
		_, _ = io.Copy(up, c)
		_ = up.Close()
	}()
	go func() {
		defer copies.Done()
		_, _ = io.Copy(c, up)
		_ = c.Close()
	}()
	copies.Wait()
}

// reply sends a reply with code and a zero IPv4 bound address.
func reply(c net.Conn, code byte) bool {
	_, err := c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
	return err == nil
}

// readUserPass reads an RFC 1929 username/password request.
func readUserPass(c net.Conn) (string, string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 1 {
		return "", "", errHangUp
	}
	user := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, user); err != nil {
		return "", "", errHangUp
	}
	var n [1]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return "", "", errHangUp
	}
	pass := make([]byte, n[0])
	if _, err := io.ReadFull(c, pass); err != nil {
		return "", "", errHangUp
	}
	return string(user), string(pass), nil
}
