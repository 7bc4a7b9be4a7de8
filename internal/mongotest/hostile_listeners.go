package mongotest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// defaultPortTries is how many random addresses of the default-port block
// StartFakeMongodDefaultPort tries before giving up: the block has 64 000,
// and only other tests of this module bind any of them.
const defaultPortTries = 20

// StartFakeMongodDefaultPort starts a fake mongod on port 27017 of a free
// loopback address 127.79.x.y (never 127.0.0.1, whose port 27017 may be a
// developer's own mongod), for connection strings and member lists that
// leave the default port out. It closes when tb ends.
func StartFakeMongodDefaultPort(tb testing.TB, o Options) *FakeMongod {
	tb.Helper()
	auth, err := newUserStore(o.Users)
	if err != nil {
		tb.Fatalf("start fake mongod: %v", err)
	}
	var lastErr error
	for range defaultPortTries {
		addr := fmt.Sprintf("127.%d.%d.%d:27017", blockDefaultPort, rand.IntN(250), rand.IntN(250)+1)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		s := serveFake(ln, o, auth)
		tb.Cleanup(s.Close)
		return s
	}
	tb.Fatalf("no free loopback address on port 27017: %v", lastErr)
	return nil
}

// tlsStallRead bounds what the TLS fixtures read from a client: a
// ClientHello fits in a few hundred bytes.
const tlsStallRead = 16 << 10

// partialServerHello is the start of a TLS handshake record that declares
// 0x0100 bytes of ServerHello and brings four of them: a client that gets
// it is in the middle of its handshake, waiting for the rest.
var partialServerHello = []byte{0x16, 0x03, 0x03, 0x01, 0x00, 0x02, 0x00, 0x00, 0xfc}

// TLSPeer is a loopback server that plays one way a TLS handshake goes
// wrong from the client's side. It counts the ClientHellos it received.
type TLSPeer struct {
	addr string
	stop func()

	mu     sync.Mutex
	hellos int
}

// Addr is its 127.0.0.1 address.
func (p *TLSPeer) Addr() string { return p.addr }

// ClientHellos returns how many connections sent a TLS ClientHello (a
// first byte 0x16) so far: how many clients are, or were, mid-handshake.
func (p *TLSPeer) ClientHellos() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hellos
}

// Close stops it, closing every connection.
func (p *TLSPeer) Close() { p.stop() }

// readClientHello reads a client's first bytes and counts a ClientHello.
func (p *TLSPeer) readClientHello(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(tlsFixtureHandshakeTimeout))
	buf := make([]byte, tlsStallRead)
	n, _ := c.Read(buf)
	if n == 0 || buf[0] != recordTypeHandshake {
		return false
	}
	p.mu.Lock()
	p.hellos++
	p.mu.Unlock()
	return true
}

// StartTLSStall starts a server that reads a client's ClientHello,
// answers the first bytes of a ServerHello and then nothing more, holding
// the connection: a handshake that never ends, for interrupting a client
// in the middle of one. It stops when tb ends.
func StartTLSStall(tb testing.TB) *TLSPeer {
	tb.Helper()
	p := &TLSPeer{}
	addr, stop, err := startServer(func(c net.Conn) {
		if !p.readClientHello(c) {
			return
		}
		_ = c.SetWriteDeadline(time.Now().Add(tlsFixtureHandshakeTimeout))
		if _, err := c.Write(partialServerHello); err != nil {
			return
		}
		// Hold the connection until the client or Close ends it.
		buf := make([]byte, 512)
		for {
			_ = c.SetReadDeadline(time.Now().Add(tlsFixtureIdleTimeout))
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	if err != nil {
		tb.Fatalf("mongotest: %v", err)
	}
	p.addr, p.stop = addr, stop
	tb.Cleanup(stop)
	return p
}

// StartTLSReset starts a server that reads a client's ClientHello and
// resets the connection (RST, not FIN): a TLS front that drops the
// handshake. It stops when tb ends.
func StartTLSReset(tb testing.TB) *TLSPeer {
	tb.Helper()
	p := &TLSPeer{}
	addr, stop, err := startServer(func(c net.Conn) {
		if !p.readClientHello(c) {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // Close sends RST
		}
	})
	if err != nil {
		tb.Fatalf("mongotest: %v", err)
	}
	p.addr, p.stop = addr, stop
	tb.Cleanup(stop)
	return p
}
