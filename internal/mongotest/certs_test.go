package mongotest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/youmark/pkcs8"
)

// certsTestTimeout bounds every dial and read of these tests: loopback
// answers in microseconds, so only a hang reaches it.
const certsTestTimeout = 5 * time.Second

func TestCertsVerify(t *testing.T) {
	c := NewCerts(t)
	tests := []struct {
		kind    CertKind
		host    string
		wantErr any // nil, or a pointer to the x509 error type expected
	}{
		{CertValid, "localhost", nil},
		{CertValid, "127.0.0.1", nil},
		{CertValid, "::1", nil},
		{CertWrongHost, "localhost", &x509.HostnameError{}},
		{CertWrongHost, WrongHostName, nil},
		{CertExpired, "localhost", &x509.CertificateInvalidError{}},
		{CertNotYetValid, "localhost", &x509.CertificateInvalidError{}},
		{CertUnknownCA, "localhost", &x509.UnknownAuthorityError{}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"/"+tt.host, func(t *testing.T) {
			leaf := c.Server(tt.kind).Leaf
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: tt.host, Roots: c.Pool()})
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			case *x509.HostnameError:
				if !errors.As(err, want) {
					t.Fatalf("Verify error %v, want a HostnameError", err)
				}
			case *x509.CertificateInvalidError:
				if !errors.As(err, want) || want.Reason != x509.Expired {
					t.Fatalf("Verify error %v, want an Expired CertificateInvalidError", err)
				}
			case *x509.UnknownAuthorityError:
				if !errors.As(err, want) {
					t.Fatalf("Verify error %v, want an UnknownAuthorityError", err)
				}
			}
		})
	}
}

func TestCertsFiles(t *testing.T) {
	c := NewCerts(t)
	for _, k := range CertKinds {
		p := c.Server(k)
		if _, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile); err != nil {
			t.Errorf("%v: cert/key files: %v", k, err)
		}
		if _, err := tls.LoadX509KeyPair(p.PEMFile, p.PEMFile); err != nil {
			t.Errorf("%v: combined file: %v", k, err)
		}
	}
	ca, err := os.ReadFile(c.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("CA file holds no certificate")
	}

	data, err := os.ReadFile(c.ClientEncryptedFile)
	if err != nil {
		t.Fatal(err)
	}
	var key []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" {
			key = b.Bytes
		}
	}
	if key == nil {
		t.Fatalf("no encrypted key in %s", c.ClientEncryptedFile)
	}
	if _, err := pkcs8.ParsePKCS8PrivateKey(key, []byte("wrong")); err == nil {
		t.Errorf("wrong password decrypted the client key")
	}
	if _, err := pkcs8.ParsePKCS8PrivateKey(key, []byte(ClientKeyPassword)); err != nil {
		t.Errorf("decrypting the client key: %v", err)
	}
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	d := &net.Dialer{Timeout: certsTestTimeout}
	return tls.DialWithDialer(d, "tcp", addr, cfg)
}

func TestServeTLS(t *testing.T) {
	c := NewCerts(t)
	t.Run("handshake", func(t *testing.T) {
		addr := ServeTLS(t, TLSServer{Cert: c.Server(CertValid).TLS})
		conn, err := dialTLS(t, addr, &tls.Config{RootCAs: c.Pool(), ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		if got := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "localhost" {
			t.Fatalf("peer certificate CN %q, want localhost", got)
		}
	})
	t.Run("client certificate required", func(t *testing.T) {
		addr := ServeTLS(t, TLSServer{Cert: c.Server(CertValid).TLS, ClientCAs: c.Pool(), Backend: ServeBytes(t, []byte("pong"))})
		conn, err := dialTLS(t, addr, &tls.Config{RootCAs: c.Pool(), ServerName: "localhost", Certificates: []tls.Certificate{c.Client.TLS}})
		if err != nil {
			t.Fatalf("handshake with a client certificate: %v", err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(certsTestTimeout))
		got, err := io.ReadAll(conn)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("read through the TLS front: %v", err)
		}
		if string(got) != "pong" {
			t.Fatalf("backend reply %q, want pong", got)
		}

		bare, err := dialTLS(t, addr, &tls.Config{RootCAs: c.Pool(), ServerName: "localhost"})
		if err == nil {
			defer bare.Close()
			_ = bare.SetReadDeadline(time.Now().Add(certsTestTimeout))
			_, err = bare.Read(make([]byte, 1))
		}
		if err == nil {
			t.Fatalf("a client without a certificate was served")
		}
	})
	t.Run("plain client gets an alert", func(t *testing.T) {
		addr := ServeTLS(t, TLSServer{Cert: c.Server(CertValid).TLS, AlertOnPlain: true})
		conn, err := net.DialTimeout("tcp", addr, certsTestTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte{0x3a, 0x01, 0, 0, 1, 0, 0, 0}); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(certsTestTimeout))
		got, _ := io.ReadAll(conn)
		if !bytes.Equal(got, alertProtocolVersion) {
			t.Fatalf("plain client read % x, want the alert % x", got, alertProtocolVersion)
		}
	})
	t.Run("plain client without alert sees the connection closed", func(t *testing.T) {
		addr := ServeTLS(t, TLSServer{Cert: c.Server(CertValid).TLS})
		conn, err := net.DialTimeout("tcp", addr, certsTestTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte{0x3a, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0}); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(certsTestTimeout))
		got, _ := io.ReadAll(conn)
		if len(got) != 0 {
			t.Fatalf("plain client read % x, want nothing", got)
		}
	})
}
