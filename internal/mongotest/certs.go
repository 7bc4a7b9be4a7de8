package mongotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/youmark/pkcs8"
)

// CertKind names one of the server certificates NewCerts issues.
type CertKind int

// The server certificates of a Certs set. Every one of them names
// localhost, 127.0.0.1 and ::1 except CertWrongHost.
const (
	// CertValid is signed by the test CA and valid now.
	CertValid CertKind = iota
	// CertWrongHost is signed by the test CA but names only WrongHostName.
	CertWrongHost
	// CertExpired is signed by the test CA and expired a day ago.
	CertExpired
	// CertNotYetValid is signed by the test CA and becomes valid tomorrow.
	CertNotYetValid
	// CertUnknownCA is signed by a CA that is not in CAFile.
	CertUnknownCA
)

func (k CertKind) String() string {
	switch k {
	case CertValid:
		return "valid"
	case CertWrongHost:
		return "wrong-host"
	case CertExpired:
		return "expired"
	case CertNotYetValid:
		return "not-yet-valid"
	case CertUnknownCA:
		return "unknown-ca"
	}
	return "unknown"
}

// CertKinds lists every server certificate kind.
var CertKinds = []CertKind{CertValid, CertWrongHost, CertExpired, CertNotYetValid, CertUnknownCA}

// Names used in the test certificates; tests assert on them.
const (
	// CAName is the common name of the test CA (the one in CAFile).
	CAName = "mongoconn test CA"
	// UnknownCAName is the common name of the CA nobody trusts.
	UnknownCAName = "mongoconn untrusted CA"
	// WrongHostName is the only name in the CertWrongHost certificate. It
	// is never resolved: the .invalid top-level domain is reserved.
	WrongHostName = "db.wrong-host.invalid"
	// ClientName is the common name of the client certificate.
	ClientName = "mongoconn-client"
	// ClientKeyPassword encrypts ClientEncryptedFile's key.
	ClientKeyPassword = "k3y-pa55"
)

// certValidity is how long the valid certificates last: far longer than
// any test, short enough that a leaked file is useless.
const certValidity = 24 * time.Hour

// caValidity is how far the test CAs reach either side of now: beyond the
// expired and the not-yet-valid certificates.
const caValidity = 10 * certValidity

// CertPair is one certificate with its key, as files and in memory.
type CertPair struct {
	// CertFile holds the certificate (PEM), KeyFile the unencrypted key
	// (PKCS#8 PEM), PEMFile both, certificate first (the mongod
	// certificateKeyFile and the driver tlsCertificateKeyFile layout).
	CertFile, KeyFile, PEMFile string
	// TLS is the pair ready for a tls.Config.
	TLS tls.Certificate
	// Leaf is the parsed certificate.
	Leaf *x509.Certificate
}

// Certs is a throw-away PKI in a temporary directory: a test CA, server
// certificates of every CertKind and a client certificate.
type Certs struct {
	// Dir is the temporary directory holding every file.
	Dir string
	// CAFile holds the test CA certificate (PEM), for tlsCAFile.
	CAFile string
	// CA is the test CA certificate.
	CA *x509.Certificate
	// UnknownCAFile holds the certificate of the CA that signs
	// CertUnknownCA (tests never trust it, but may show it).
	UnknownCAFile string
	// UnknownCA is that untrusted CA certificate.
	UnknownCA *x509.Certificate
	// Servers holds one server certificate per kind.
	Servers map[CertKind]CertPair
	// Client is a client certificate signed by the test CA, for
	// tlsCertificateKeyFile (use Client.PEMFile).
	Client CertPair
	// ClientEncryptedFile holds the client certificate and its key
	// encrypted (PKCS#8, PBES2) with ClientKeyPassword.
	ClientEncryptedFile string
	// ClientExpired is a client certificate signed by the test CA that
	// expired a day ago; ClientNoClientAuth one valid now whose extended
	// key usage is serverAuth only. Both name ClientName.
	ClientExpired, ClientNoClientAuth CertPair
	// ClientKeyMismatchFile holds the client certificate with the key of
	// another certificate.
	ClientKeyMismatchFile string
	// ClientSubject is the subject of the client certificates in RFC 2253
	// form: the $external user MONGODB-X509 authenticates them as.
	ClientSubject string

	ca issuer
	// NotBefore and NotAfter bound the valid certificates.
	NotBefore, NotAfter time.Time
}

// Server returns the server certificate of kind k.
func (c *Certs) Server(k CertKind) CertPair { return c.Servers[k] }

// Pool returns a pool holding only the test CA.
func (c *Certs) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.CA)
	return p
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCerts issues a fresh test PKI into t.TempDir(). Keys are ECDSA P-256,
// so the whole set costs a few milliseconds.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	c, err := newCerts(t.TempDir(), time.Now())
	if err != nil {
		t.Fatalf("mongotest: issuing test certificates: %v", err)
	}
	return c
}

// NewCertsIn is NewCerts into dir (created if missing), for callers
// without a testing.TB such as testscript fixtures and the demo.
func NewCertsIn(dir string) (*Certs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return newCerts(dir, time.Now())
}

func newCerts(dir string, now time.Time) (*Certs, error) {
	now = now.Truncate(time.Second)
	c := &Certs{
		Dir:       dir,
		Servers:   make(map[CertKind]CertPair, len(CertKinds)),
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(certValidity),
	}
	// The CAs outlive every server certificate, as real CAs do, so that
	// the expired and not-yet-valid certificates have a valid issuer.
	caFrom, caUntil := now.Add(-caValidity), now.Add(caValidity)
	ca, err := newCA(CAName, caFrom, caUntil)
	if err != nil {
		return nil, err
	}
	other, err := newCA(UnknownCAName, caFrom, caUntil)
	if err != nil {
		return nil, err
	}
	c.CA, c.UnknownCA, c.ca = ca.cert, other.cert, ca
	if c.CAFile, err = writePEM(dir, "ca.pem", pemCert(ca.cert)); err != nil {
		return nil, err
	}
	if c.UnknownCAFile, err = writePEM(dir, "unknown-ca.pem", pemCert(other.cert)); err != nil {
		return nil, err
	}

	local := []string{"localhost"}
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	specs := []struct {
		kind      CertKind
		signer    issuer
		dns       []string
		ips       []net.IP
		notBefore time.Time
		notAfter  time.Time
	}{
		{CertValid, ca, local, loopback, c.NotBefore, c.NotAfter},
		{CertWrongHost, ca, []string{WrongHostName}, nil, c.NotBefore, c.NotAfter},
		{CertExpired, ca, local, loopback, now.Add(-2 * certValidity), now.Add(-certValidity)},
		{CertNotYetValid, ca, local, loopback, now.Add(certValidity), now.Add(2 * certValidity)},
		{CertUnknownCA, other, local, loopback, c.NotBefore, c.NotAfter},
	}
	for _, s := range specs {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: s.dns[0], Organization: []string{"mongoconn tests"}},
			DNSNames:    s.dns,
			IPAddresses: s.ips,
			NotBefore:   s.notBefore,
			NotAfter:    s.notAfter,
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		p, _, err := issue(dir, "server-"+s.kind.String(), tmpl, s.signer)
		if err != nil {
			return nil, err
		}
		c.Servers[s.kind] = p
	}

	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: ClientName, Organization: []string{"mongoconn tests"}},
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	p, key, err := issue(dir, "client", client, ca)
	if err != nil {
		return nil, err
	}
	c.Client = p
	enc, err := pkcs8.MarshalPrivateKey(key, []byte(ClientKeyPassword), nil)
	if err != nil {
		return nil, err
	}
	both := append(pemCert(p.Leaf), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc})...)
	if c.ClientEncryptedFile, err = writePEM(dir, "client-encrypted.pem", both); err != nil {
		return nil, err
	}
	c.ClientSubject = p.Leaf.Subject.String()

	expired := *client
	expired.NotBefore, expired.NotAfter = now.Add(-2*certValidity), now.Add(-certValidity)
	if c.ClientExpired, _, err = issue(dir, "client-expired", &expired, ca); err != nil {
		return nil, err
	}
	serverOnly := *client
	serverOnly.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if c.ClientNoClientAuth, _, err = issue(dir, "client-server-only", &serverOnly, ca); err != nil {
		return nil, err
	}
	otherKey, err := os.ReadFile(c.ClientExpired.KeyFile)
	if err != nil {
		return nil, err
	}
	if c.ClientKeyMismatchFile, err = writePEM(dir, "client-wrong-key.pem", append(pemCert(p.Leaf), otherKey...)); err != nil {
		return nil, err
	}
	return c, nil
}

// IssueServer issues a server certificate signed by the test CA, valid
// now, for the DNS names given (and 127.0.0.1), written under Dir as
// name.crt, name.key and name.pem.
func (c *Certs) IssueServer(name string, dnsNames ...string) (CertPair, error) {
	if len(dnsNames) == 0 {
		return CertPair{}, errors.New("mongotest: a server certificate needs a name")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: dnsNames[0], Organization: []string{"mongoconn tests"}},
		DNSNames:    dnsNames,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	p, _, err := issue(c.Dir, name, tmpl, c.ca)
	return p, err
}

func newCA(name string, notBefore, notAfter time.Time) (issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issuer{}, err
	}
	sn, err := serial()
	if err != nil {
		return issuer{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"mongoconn tests"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return issuer{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return issuer{}, err
	}
	return issuer{cert: cert, key: key}, nil
}

// issue signs tmpl with by and writes name.crt, name.key and name.pem.
func issue(dir, name string, tmpl *x509.Certificate, by issuer) (CertPair, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return CertPair{}, nil, err
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return CertPair{}, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, by.cert, &key.PublicKey, by.key)
	if err != nil {
		return CertPair{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return CertPair{}, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return CertPair{}, nil, err
	}
	certPEM := pemCert(leaf)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	p := CertPair{Leaf: leaf}
	if p.CertFile, err = writePEM(dir, name+".crt", certPEM); err != nil {
		return CertPair{}, nil, err
	}
	if p.KeyFile, err = writePEM(dir, name+".key", keyPEM); err != nil {
		return CertPair{}, nil, err
	}
	if p.PEMFile, err = writePEM(dir, name+".pem", append(append([]byte{}, certPEM...), keyPEM...)); err != nil {
		return CertPair{}, nil, err
	}
	if p.TLS, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return CertPair{}, nil, err
	}
	return p, key, nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func writePEM(dir, name string, data []byte) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, data, 0o600)
}

// serial returns a random 128-bit serial number, as RFC 5280 asks.
func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}
