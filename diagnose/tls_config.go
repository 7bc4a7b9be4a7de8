package diagnose

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/clientcert"
	"github.com/youmark/pkcs8"
)

// maxTLSFileSize bounds every file a TLS option names: a PEM bundle of all
// public root CAs is about 250 KB, so 4 MiB is generous and still keeps a
// mistaken path (a disk image, /dev/zero) from eating memory.
const maxTLSFileSize = 4 << 20

// tlsSettings are the connection-string options that shape TLS.
type tlsSettings struct {
	enabled bool
	// explicit is true when tls= or ssl= appears in the string (as
	// opposed to TLS turned on by mongodb+srv:// or by a tls* file option).
	explicit bool

	caFile      string
	certKeyFile string // tlsCertificateKeyFile: certificate and key in one PEM
	certFile    string // tlsCertificateFile (with tlsPrivateKeyFile)
	keyFile     string // tlsPrivateKeyFile
	keyPassword func() string

	insecure          bool // tlsInsecure
	allowInvalidCerts bool // tlsAllowInvalidCertificates
	allowInvalidHosts bool // tlsAllowInvalidHostnames
}

// tlsSettingsOf reads the TLS options of t. mongodb+srv:// turns TLS on
// unless tls=false or ssl=false says otherwise (initial-dns-seedlist-
// discovery spec).
func tlsSettingsOf(t *connstr.Target) tlsSettings {
	var s tlsSettings
	if t == nil || t.Conn == nil {
		return s
	}
	cs := t.Conn
	s.enabled = cs.SSL || (t.SRV && !cs.SSLSet)
	_, hasTLS := cs.Options["tls"]
	_, hasSSL := cs.Options["ssl"]
	s.explicit = hasTLS || hasSSL
	s.caFile = cs.SSLCaFile
	s.certKeyFile = cs.SSLClientCertificateKeyFile
	s.certFile = cs.SSLCertificateFile
	s.keyFile = cs.SSLPrivateKeyFile
	if cs.SSLClientCertificateKeyPasswordSet {
		s.keyPassword = cs.SSLClientCertificateKeyPassword
	}
	// Read the options as written: the target may fold the
	// tlsAllowInvalid* options into the driver's SSLInsecure.
	s.insecure = optionTrue(cs.Options, "tlsinsecure") || optionTrue(cs.Options, "sslinsecure")
	s.allowInvalidCerts = optionTrue(cs.Options, "tlsallowinvalidcertificates") || optionTrue(cs.Options, "sslallowinvalidcertificates")
	s.allowInvalidHosts = optionTrue(cs.Options, "tlsallowinvalidhostnames") || optionTrue(cs.Options, "sslallowinvalidhostnames")
	return s
}

// optionTrue reports whether the last value of the lower-case option key
// is "true".
func optionTrue(opts map[string][]string, key string) bool {
	v := opts[key]
	return len(v) > 0 && strings.EqualFold(strings.TrimSpace(v[len(v)-1]), "true")
}

// skipVerify is true when the options turn every certificate check off.
func (s tlsSettings) skipVerify() bool { return s.insecure || s.allowInvalidCerts }

// skipHostname is true when the options turn the host name check off.
func (s tlsSettings) skipHostname() bool { return s.skipVerify() || s.allowInvalidHosts }

// disabledBy names the option that turns certificate checks off ("" when
// none does). Only tlsInsecure is honoured by the Go driver; the
// tlsAllowInvalid* options are honoured by PyMongo, Node.js, Java and the
// shell, and named as such.
func (s tlsSettings) disabledBy() string {
	switch {
	case s.insecure:
		return "tlsInsecure=true"
	case s.allowInvalidCerts:
		return "tlsAllowInvalidCertificates=true"
	case s.allowInvalidHosts:
		return "tlsAllowInvalidHostnames=true"
	}
	return ""
}

// TLSFileError says why a file named by a TLS option cannot be used. It
// never carries the key password.
type TLSFileError struct {
	// Option is the connection-string option that names the file.
	Option string
	// Path is the file as given.
	Path string
	// Err is the cause: an I/O error, ErrTLSKeyEncrypted,
	// x509.IncorrectPasswordError, or a parse error.
	Err error
}

func (e *TLSFileError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Option, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *TLSFileError) Unwrap() error { return e.Err }

// Errors of TLS files.
var (
	// ErrTLSKeyEncrypted says the private key is encrypted and no
	// tlsCertificateKeyFilePassword was given.
	ErrTLSKeyEncrypted = errors.New("the private key is encrypted: add tlsCertificateKeyFilePassword")
	// ErrTLSNoCertificate says a file holds no PEM certificate.
	ErrTLSNoCertificate = errors.New("no PEM CERTIFICATE block")
	// ErrTLSNoKey says a certificate file holds no PEM private key.
	ErrTLSNoKey = errors.New("no PEM PRIVATE KEY block")
	// ErrTLSFileTooLarge says a file is larger than any PEM bundle.
	ErrTLSFileTooLarge = fmt.Errorf("larger than %d MiB: not a PEM file", maxTLSFileSize>>20)
)

// tlsConfig builds the client TLS configuration for host from the target's
// options, as a driver would: tlsCAFile (else the system roots),
// tlsCertificateKeyFile with tlsCertificateKeyFilePassword (or
// tlsCertificateFile + tlsPrivateKeyFile), tlsInsecure and
// tlsAllowInvalidCertificates (no verification), tlsAllowInvalidHostnames
// (chain verified, name not). ServerName is host. It returns nil, nil when
// TLS is off, and a *TLSFileError when a named file cannot be used.
func (x *run) tlsConfig(host string) (*tls.Config, error) {
	s := tlsSettingsOf(x.t)
	if !s.enabled {
		return nil, nil
	}
	return s.config(host)
}

func (s tlsSettings) config(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host}
	if s.caFile != "" {
		pool, _, err := loadCAFile(s.caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	password := ""
	if s.keyPassword != nil {
		password = s.keyPassword()
	}
	switch {
	case s.certKeyFile != "":
		data, err := readTLSFile("tlsCertificateKeyFile", s.certKeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := parseClientPEM(data, password)
		if err != nil {
			return nil, &TLSFileError{Option: "tlsCertificateKeyFile", Path: s.certKeyFile, Err: err}
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.certFile != "" || s.keyFile != "":
		certData, err := readTLSFile("tlsCertificateFile", s.certFile)
		if err != nil {
			return nil, err
		}
		keyData, err := readTLSFile("tlsPrivateKeyFile", s.keyFile)
		if err != nil {
			return nil, err
		}
		cert, err := parseClientPEM(append(append(certData, '\n'), keyData...), password)
		if err != nil {
			return nil, &TLSFileError{Option: "tlsCertificateFile", Path: s.certFile, Err: err}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	switch {
	case s.skipVerify():
		cfg.InsecureSkipVerify = true
	case s.allowInvalidHosts:
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(st tls.ConnectionState) error {
			if len(st.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			_, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{
				Roots:         roots,
				Intermediates: intermediates(st.PeerCertificates),
			})
			return err
		}
	}
	return cfg, nil
}

// intermediates pools every certificate of chain after the leaf.
func intermediates(chain []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range chain[1:] {
		p.AddCert(c)
	}
	return p
}

// readTLSFile reads the file option names, at most maxTLSFileSize bytes.
func readTLSFile(option, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &TLSFileError{Option: option, Path: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTLSFileSize+1))
	if err != nil {
		return nil, &TLSFileError{Option: option, Path: path, Err: err}
	}
	if len(data) > maxTLSFileSize {
		return nil, &TLSFileError{Option: option, Path: path, Err: ErrTLSFileTooLarge}
	}
	return data, nil
}

// loadCAFile reads tlsCAFile into a pool and returns the certificates it
// holds, to name them in evidence.
func loadCAFile(path string) (*x509.CertPool, []*x509.Certificate, error) {
	data, err := readTLSFile("tlsCAFile", path)
	if err != nil {
		return nil, nil, err
	}
	certs := parseCertsPEM(data)
	if len(certs) == 0 {
		return nil, nil, &TLSFileError{Option: "tlsCAFile", Path: path, Err: ErrTLSNoCertificate}
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, certs, nil
}

// parseCertsPEM returns every certificate in data that parses.
func parseCertsPEM(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// parseClientPEM reads a client certificate and its private key from PEM
// data, as the drivers accept them: certificate and key blocks in any
// order, the key plain, legacy-encrypted (DEK-Info header) or PKCS#8
// encrypted with password.
func parseClientPEM(data []byte, password string) (tls.Certificate, error) {
	var certPEM, keyPEM bytes.Buffer
	var leafDER, keyDER []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			if leafDER == nil {
				leafDER = b.Bytes
			}
			if err := pem.Encode(&certPEM, b); err != nil {
				return tls.Certificate{}, err
			}
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			if keyPEM.Len() > 0 {
				continue // the first key is the one
			}
			blk, err := decryptKeyBlock(b, password)
			if err != nil {
				return tls.Certificate{}, err
			}
			keyDER = blk.Bytes
			if err := pem.Encode(&keyPEM, blk); err != nil {
				return tls.Certificate{}, err
			}
		}
	}
	if certPEM.Len() == 0 {
		return tls.Certificate{}, ErrTLSNoCertificate
	}
	if keyPEM.Len() == 0 {
		return tls.Certificate{}, ErrTLSNoKey
	}
	// A key that is not the certificate's is the file's commonest
	// mistake: say so by type, before crypto/tls says it in words.
	if leaf, err := x509.ParseCertificate(leafDER); err == nil {
		if key, err := clientcert.ParseKey(keyDER); err == nil {
			if err := clientcert.MatchKey(leaf, key); err != nil {
				return tls.Certificate{}, err
			}
		}
	}
	return tls.X509KeyPair(certPEM.Bytes(), keyPEM.Bytes())
}

// decryptKeyBlock returns b decrypted with password when it is encrypted.
func decryptKeyBlock(b *pem.Block, password string) (*pem.Block, error) {
	legacy := x509.IsEncryptedPEMBlock(b) //nolint:staticcheck // drivers still accept DEK-Info keys
	pkcs8Enc := b.Type == "ENCRYPTED PRIVATE KEY"
	if !legacy && !pkcs8Enc {
		return b, nil
	}
	if password == "" {
		return nil, ErrTLSKeyEncrypted
	}
	if legacy {
		der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck // as above
		if err != nil {
			return nil, err
		}
		return &pem.Block{Type: b.Type, Bytes: der}, nil
	}
	key, err := pkcs8.ParsePKCS8PrivateKey(b.Bytes, []byte(password))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt the PKCS#8 private key (wrong tlsCertificateKeyFilePassword?): %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
}
