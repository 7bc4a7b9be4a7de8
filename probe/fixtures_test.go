package probe

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The loopback peers of these tests. Package probe's tests start their
// own (a refused port, a silent listener, a TLS listener) so that its fuzz
// targets build without the FerretDB-embedding fixtures; the tests of the
// root package run serve against those.

// fixtureIdle bounds how long a fixture holds a connection: longer than
// any probe of these tests, short enough that a stuck one cannot keep the
// test binary alive.
const fixtureIdle = 30 * time.Second

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// listener accepts connections and hands each to handle, until the test
// ends. It counts the connections accepted.
type listener struct {
	ln    net.Listener
	mu    sync.Mutex
	n     int
	conns []net.Conn
	wg    sync.WaitGroup
}

func (l *listener) Addr() string { return l.ln.Addr().String() }

func (l *listener) accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func startListener(t *testing.T, handle func(net.Conn)) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{ln: ln}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.n++
			l.conns = append(l.conns, c)
			l.mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(fixtureIdle))
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		l.mu.Lock()
		for _, c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return l
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) *listener {
	return startListener(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
}

// tlsPeer is a TLS listener whose certificate expires at NotAfter, signed
// by the CA in CAFile. It completes handshakes and then says nothing.
type tlsPeer struct {
	*listener
	CAFile   string
	NotAfter time.Time
	// CANotAfter is when the CA expires (later than NotAfter).
	CANotAfter time.Time
}

func startTLSPeer(t *testing.T, notAfter time.Time) *tlsPeer {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probe test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter.Add(240 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
	l := startListener(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		_, _ = io.Copy(io.Discard, tc)
	})
	return &tlsPeer{listener: l, CAFile: caFile, NotAfter: notAfter.Truncate(time.Second), CANotAfter: ca.NotAfter}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a Server behind an httptest server, with its logs.
type testServer struct {
	*Server
	URL  string
	File string
	Logs *syncBuffer
}

// startServer writes config to a file and serves it on loopback.
func startServer(t *testing.T, config string, o Options) *testServer {
	t.Helper()
	file := writeFile(t, t.TempDir(), "probe.yml", config)
	logs := &syncBuffer{}
	o.ConfigFile = file
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: s, URL: hs.URL, File: file, Logs: logs}
}

// requestGuard bounds every request of these tests: far longer than any
// probe they run, it only turns a hang into a failure.
const requestGuard = 30 * time.Second

// get fetches path with optional headers (name, value pairs) and returns
// the status and body.
func get(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	return do(t, http.MethodGet, url, header...)
}

func do(t *testing.T, method, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: requestGuard}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// metricsOf parses a /probe or /metrics body.
func metricsOf(t *testing.T, body string) map[string][]sample {
	t.Helper()
	return families(t, strings.NewReader(body))
}
