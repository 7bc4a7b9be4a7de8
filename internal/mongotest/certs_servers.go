package mongotest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// Fixture timeouts.
const (
	// tlsFixtureHandshakeTimeout bounds a fixture's side of a handshake: a
	// loopback handshake takes milliseconds, and a stuck client must not
	// keep a test's cleanup waiting.
	tlsFixtureHandshakeTimeout = 5 * time.Second

	// tlsFixtureIdleTimeout bounds how long a fixture connection may sit
	// without traffic before the fixture drops it.
	tlsFixtureIdleTimeout = 10 * time.Second
)

// recordTypeHandshake is the first byte of every TLS ClientHello record.
const recordTypeHandshake = 0x16

// alertProtocolVersion is a whole TLS record: a fatal protocol_version
// alert, what many TLS terminators send to a client that speaks plain
// bytes to them.
var alertProtocolVersion = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}

// TLSServer configures ServeTLS.
type TLSServer struct {
	// Cert is the server certificate (usually Certs.Server(kind).TLS).
	Cert tls.Certificate
	// ClientCAs, when set, makes the server require a client certificate
	// signed by one of them.
	ClientCAs *x509.CertPool
	// AlertOnPlain makes the server answer a client that does not start
	// with a TLS handshake with a fatal TLS alert record (as TLS
	// terminators do) instead of just closing the connection (as
	// crypto/tls and mongod do).
	AlertOnPlain bool
	// Backend, when set, is a plain address the server forwards the
	// decrypted stream to (a TLS front for a plain fake mongod). When
	// empty, the server closes each connection once the handshake is done.
	Backend string
}

// ServeTLS starts a TLS listener on 127.0.0.1 described by s and returns
// its host:port. It stops, closing every connection, when the test ends.
func ServeTLS(t testing.TB, s TLSServer) string {
	t.Helper()
	addr, stop, err := StartTLSServer(s)
	if err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	t.Cleanup(stop)
	return addr
}

// StartTLSServer is ServeTLS for callers without a testing.TB: stop closes
// the listener and every connection and waits for them.
func StartTLSServer(s TLSServer) (addr string, stop func(), err error) {
	cfg := &tls.Config{Certificates: []tls.Certificate{s.Cert}, MinVersion: tls.VersionTLS12}
	if s.ClientCAs != nil {
		cfg.ClientCAs = s.ClientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return startServer(func(c net.Conn) { s.handle(c, cfg) })
}

// ServeBytes starts a plain listener on 127.0.0.1 that reads what a client
// sends first, answers reply whatever it was, and closes. It stands for a
// peer that is not a TLS server (an HTTP server, a plain mongod's error).
func ServeBytes(t testing.TB, reply []byte) string {
	t.Helper()
	return serve(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(tlsFixtureHandshakeTimeout))
		var buf [512]byte
		if _, err := c.Read(buf[:]); err != nil {
			return
		}
		_, _ = c.Write(reply)
	})
}

func (s TLSServer) handle(c net.Conn, cfg *tls.Config) {
	_ = c.SetDeadline(time.Now().Add(tlsFixtureHandshakeTimeout))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0] != recordTypeHandshake && s.AlertOnPlain {
		_, _ = c.Write(alertProtocolVersion)
		return
	}
	tc := tls.Server(&peekedConn{Conn: c, r: br}, cfg)
	defer tc.Close()
	if err := tc.Handshake(); err != nil || s.Backend == "" {
		return
	}
	_ = c.SetDeadline(time.Time{})
	var d net.Dialer
	back, err := d.Dial("tcp", s.Backend)
	if err != nil {
		return
	}
	defer back.Close()
	pipe(tc, back)
}

// pipe copies both ways until either side stops or stays idle too long.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			_ = src.SetReadDeadline(time.Now().Add(tlsFixtureIdleTimeout))
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	_ = a.Close()
	_ = b.Close()
	<-done
}

// peekedConn is a net.Conn whose first bytes were peeked by a bufio.Reader.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// serve is startServer stopped when the test ends.
func serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	addr, stop, err := startServer(handle)
	if err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	t.Cleanup(stop)
	return addr
}

// startServer runs handle for every connection to a new loopback listener
// until stop, which closes the listener and every open connection and
// waits for the handlers.
func startServer(handle func(net.Conn)) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]struct{}{}
		closed bool
		wg     sync.WaitGroup
		once   sync.Once
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				_ = c.Close()
				return
			}
			conns[c] = struct{}{}
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					_ = c.Close()
				}()
				handle(c)
			}()
		}
	}()
	stop := func() {
		once.Do(func() {
			mu.Lock()
			closed = true
			for c := range conns {
				_ = c.Close()
			}
			mu.Unlock()
			_ = ln.Close()
			wg.Wait()
		})
	}
	return ln.Addr().String(), stop, nil
}

// TLSReject is how a TLS rejecter ends every handshake.
type TLSReject int

// The ways to end a handshake.
const (
	// RejectAlertInternalError reads the ClientHello and answers the fatal
	// alert internal_error (80), then closes: what MongoDB Atlas answers
	// to an address that is not on the project's IP access list.
	RejectAlertInternalError TLSReject = iota
	// RejectReset reads the ClientHello and resets the connection (RST).
	RejectReset
	// RejectClose reads the ClientHello and closes the connection (FIN).
	RejectClose
)

// alertInternalError is a whole TLS record: the fatal alert
// internal_error (80), TLS 1.2 record version.
var alertInternalError = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50}

// ServeTLSRejecter starts a listener on 127.0.0.1 that accepts TCP and
// ends every TLS handshake as how says; it stops when the test ends.
func ServeTLSRejecter(t testing.TB, how TLSReject) string {
	t.Helper()
	addr, stop, err := StartTLSRejecter(how)
	if err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	t.Cleanup(stop)
	return addr
}

// StartTLSRejecter is ServeTLSRejecter for callers without a testing.TB.
func StartTLSRejecter(how TLSReject) (addr string, stop func(), err error) {
	return startServer(func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(tlsFixtureHandshakeTimeout))
		var buf [4096]byte
		if _, err := c.Read(buf[:]); err != nil {
			return
		}
		switch how {
		case RejectAlertInternalError:
			_, _ = c.Write(alertInternalError)
		case RejectReset:
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
		}
	})
}
