package tlsconf

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

// maxFileSize bounds every file a TLS option names: a PEM bundle of all
// public root CAs is about 250 KB, so 4 MiB is generous and still keeps a
// mistaken path (a disk image, /dev/zero) from eating memory.
const maxFileSize = 4 << 20

// Settings are the connection-string options that shape TLS, apart from
// whether TLS is on (Enabled).
type Settings struct {
	// Explicit is true when tls= or ssl= appears in the string (as
	// opposed to TLS turned on by mongodb+srv:// or by a tls* file option).
	Explicit bool

	CAFile      string
	CertKeyFile string // tlsCertificateKeyFile: certificate and key in one PEM
	CertFile    string // tlsCertificateFile (with tlsPrivateKeyFile)
	KeyFile     string // tlsPrivateKeyFile
	KeyPassword func() string

	Insecure          bool // tlsInsecure
	AllowInvalidCerts bool // tlsAllowInvalidCertificates
	AllowInvalidHosts bool // tlsAllowInvalidHostnames
}

// Enabled reports whether t turns TLS on. mongodb+srv:// turns TLS on
// unless tls=false or ssl=false says otherwise (initial-dns-seedlist-
// discovery spec).
func Enabled(t *connstr.Target) bool {
	if t == nil || t.Conn == nil {
		return false
	}
	return t.Conn.SSL || (t.SRV && !t.Conn.SSLSet)
}

// SettingsOf reads the TLS options of t.
func SettingsOf(t *connstr.Target) Settings {
	var s Settings
	if t == nil || t.Conn == nil {
		return s
	}
	cs := t.Conn
	_, hasTLS := cs.Options["tls"]
	_, hasSSL := cs.Options["ssl"]
	s.Explicit = hasTLS || hasSSL
	s.CAFile = cs.SSLCaFile
	s.CertKeyFile = cs.SSLClientCertificateKeyFile
	s.CertFile = cs.SSLCertificateFile
	s.KeyFile = cs.SSLPrivateKeyFile
	if cs.SSLClientCertificateKeyPasswordSet {
		s.KeyPassword = cs.SSLClientCertificateKeyPassword
	}
	// Read the options as written: the target may fold the
	// tlsAllowInvalid* options into the driver's SSLInsecure.
	s.Insecure = optionTrue(cs.Options, "tlsinsecure") || optionTrue(cs.Options, "sslinsecure")
	s.AllowInvalidCerts = optionTrue(cs.Options, "tlsallowinvalidcertificates") || optionTrue(cs.Options, "sslallowinvalidcertificates")
	s.AllowInvalidHosts = optionTrue(cs.Options, "tlsallowinvalidhostnames") || optionTrue(cs.Options, "sslallowinvalidhostnames")
	return s
}

// optionTrue reports whether the last value of the lower-case option key
// is "true".
func optionTrue(opts map[string][]string, key string) bool {
	v := opts[key]
	return len(v) > 0 && strings.EqualFold(strings.TrimSpace(v[len(v)-1]), "true")
}

// SkipVerify is true when the options turn every certificate check off.
func (s Settings) SkipVerify() bool { return s.Insecure || s.AllowInvalidCerts }

// SkipHostname is true when the options turn the host name check off.
func (s Settings) SkipHostname() bool { return s.SkipVerify() || s.AllowInvalidHosts }

// DisabledBy names the option that turns certificate checks off ("" when
// none does). Only tlsInsecure is honoured by the Go driver; the
// tlsAllowInvalid* options are honoured by PyMongo, Node.js, Java and the
// shell, and named as such.
func (s Settings) DisabledBy() string {
	switch {
	case s.Insecure:
		return "tlsInsecure=true"
	case s.AllowInvalidCerts:
		return "tlsAllowInvalidCertificates=true"
	case s.AllowInvalidHosts:
		return "tlsAllowInvalidHostnames=true"
	}
	return ""
}

// FileError says why a file named by a TLS option cannot be used. It
// never carries the key password.
type FileError struct {
	// Option is the connection-string option that names the file.
	Option string
	// Path is the file as given.
	Path string
	// Err is the cause: an I/O error, ErrKeyEncrypted,
	// x509.IncorrectPasswordError, or a parse error.
	Err error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Option, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// Errors of TLS files.
var (
	// ErrKeyEncrypted says the private key is encrypted and no
	// tlsCertificateKeyFilePassword was given.
	ErrKeyEncrypted = errors.New("the private key is encrypted: add tlsCertificateKeyFilePassword")
	// ErrNoCertificate says a file holds no PEM certificate.
	ErrNoCertificate = errors.New("no PEM CERTIFICATE block")
	// ErrNoKey says a certificate file holds no PEM private key.
	ErrNoKey = errors.New("no PEM PRIVATE KEY block")
	// ErrFileTooLarge says a file is larger than any PEM bundle.
	ErrFileTooLarge = fmt.Errorf("larger than %d MiB: not a PEM file", maxFileSize>>20)
)

func (s Settings) Config(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host}
	if s.CAFile != "" {
		pool, _, err := loadCAFile(s.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	password := ""
	if s.KeyPassword != nil {
		password = s.KeyPassword()
	}
	switch {
	case s.CertKeyFile != "":
		data, err := readFile("tlsCertificateKeyFile", s.CertKeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := ClientCertificate(data, password)
		if err != nil {
			return nil, &FileError{Option: "tlsCertificateKeyFile", Path: s.CertKeyFile, Err: err}
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.CertFile != "" || s.KeyFile != "":
		certData, err := readFile("tlsCertificateFile", s.CertFile)
		if err != nil {
			return nil, err
		}
		keyData, err := readFile("tlsPrivateKeyFile", s.KeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := ClientCertificate(append(append(certData, '\n'), keyData...), password)
		if err != nil {
			return nil, &FileError{Option: "tlsCertificateFile", Path: s.CertFile, Err: err}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	switch {
	case s.SkipVerify():
		cfg.InsecureSkipVerify = true
	case s.AllowInvalidHosts:
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

// readFile reads the file option names, at most maxFileSize bytes.
func readFile(option, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Option: option, Path: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &FileError{Option: option, Path: path, Err: err}
	}
	if len(data) > maxFileSize {
		return nil, &FileError{Option: option, Path: path, Err: ErrFileTooLarge}
	}
	return data, nil
}

// loadCAFile reads tlsCAFile into a pool and returns the certificates it
// holds, to name them in evidence.
func loadCAFile(path string) (*x509.CertPool, []*x509.Certificate, error) {
	data, err := readFile("tlsCAFile", path)
	if err != nil {
		return nil, nil, err
	}
	certs := Certificates(data)
	if len(certs) == 0 {
		return nil, nil, &FileError{Option: "tlsCAFile", Path: path, Err: ErrNoCertificate}
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, certs, nil
}

// Certificates returns every certificate in PEM data that parses, as
// the TLS stage reads tlsCAFile.
func Certificates(data []byte) []*x509.Certificate {
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

// ClientCertificate reads a client certificate and its private key from PEM
// data, as the drivers accept them: certificate and key blocks in any
// order, the key plain, legacy-encrypted (DEK-Info header) or PKCS#8
// encrypted with password.
func ClientCertificate(data []byte, password string) (tls.Certificate, error) {
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
		return tls.Certificate{}, ErrNoCertificate
	}
	if keyPEM.Len() == 0 {
		return tls.Certificate{}, ErrNoKey
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
		return nil, ErrKeyEncrypted
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
