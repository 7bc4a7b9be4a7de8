// Package clientcert judges a TLS client certificate as a MongoDB server
// will: valid now, usable for client authentication, sent with its own
// private key; and it writes the certificate's subject in RFC 2253 form,
// the name of the $external user MONGODB-X509 authenticates. It imports
// no package of mongoconn.
package clientcert

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ProblemKind names what is wrong with a client certificate.
type ProblemKind int

// The problems a server refuses a client certificate for.
const (
	// Expired: the certificate's validity ended.
	Expired ProblemKind = iota + 1
	// NotYetValid: the certificate's validity has not begun.
	NotYetValid
	// NoClientAuth: the certificate lists extended key usages, and
	// client authentication is not among them.
	NoClientAuth
)

// Problem is one reason a server refuses the certificate.
type Problem struct {
	Kind ProblemKind
	// At is the boundary of the validity that was crossed (NotAfter for
	// Expired, NotBefore for NotYetValid).
	At time.Time
	// Usages names the extended key usages the certificate does list
	// (NoClientAuth).
	Usages []string
}

// String says what is wrong in a sentence.
func (p Problem) String() string {
	switch p.Kind {
	case Expired:
		return "it expired on " + p.At.UTC().Format("2006-01-02 15:04:05 UTC")
	case NotYetValid:
		return "it is not valid before " + p.At.UTC().Format("2006-01-02 15:04:05 UTC") + " (or this machine's clock is behind)"
	case NoClientAuth:
		return "its extended key usage allows " + strings.Join(p.Usages, ", ") + ", not client authentication (clientAuth)"
	}
	return "unknown problem"
}

// Problems returns what a server would refuse c for at time now. A
// certificate without the extended key usage extension may serve any
// purpose, as OpenSSL (and so mongod) reads it.
func Problems(c *x509.Certificate, now time.Time) []Problem {
	var out []Problem
	switch {
	case now.After(c.NotAfter):
		out = append(out, Problem{Kind: Expired, At: c.NotAfter})
	case now.Before(c.NotBefore):
		out = append(out, Problem{Kind: NotYetValid, At: c.NotBefore})
	}
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		ok := false
		var names []string
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
				ok = true
			}
			names = append(names, usageName(u))
		}
		for _, oid := range c.UnknownExtKeyUsage {
			names = append(names, oid.String())
		}
		if !ok {
			out = append(out, Problem{Kind: NoClientAuth, Usages: names})
		}
	}
	return out
}

func usageName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	case x509.ExtKeyUsageAny:
		return "anyExtendedKeyUsage"
	}
	return fmt.Sprintf("usage %d", int(u))
}

// KeyMismatchError says the private key is not the certificate's.
type KeyMismatchError struct {
	// Subject is the certificate's subject (RFC 2253).
	Subject string
	// CertKey and Key name the two keys' algorithms ("ECDSA P-256",
	// "RSA 2048").
	CertKey, Key string
}

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("the private key (%s) is not the key of the certificate %q (%s)", e.Key, e.Subject, e.CertKey)
}

// ErrUnknownKey says a key's DER is none of PKCS#8, PKCS#1 or SEC 1.
var ErrUnknownKey = errors.New("the private key is not PKCS#8, PKCS#1 (RSA) or SEC 1 (EC)")

// ParseKey reads a private key's DER in any of the layouts PEM files hold
// it in: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY").
func ParseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, ErrUnknownKey
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// MatchKey returns a *KeyMismatchError when key is not the private key of
// c's public key, nil when it is.
func MatchKey(c *x509.Certificate, key crypto.Signer) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); ok && pub.Equal(c.PublicKey) {
		return nil
	}
	subject, err := SubjectRFC2253(c.RawSubject)
	if err != nil {
		subject = c.Subject.String()
	}
	return &KeyMismatchError{Subject: subject, CertKey: keyName(c.PublicKey), Key: keyName(key.Public())}
}

func keyName(k crypto.PublicKey) string {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}

// attrName is the short name of an attribute type, as OpenSSL prints it
// in RFC 2253 form (and so as mongod names $external users).
func attrName(oid string) (string, bool) {
	switch oid {
	case "2.5.4.3":
		return "CN", true
	case "2.5.4.4":
		return "SN", true
	case "2.5.4.5":
		return "serialNumber", true
	case "2.5.4.6":
		return "C", true
	case "2.5.4.7":
		return "L", true
	case "2.5.4.8":
		return "ST", true
	case "2.5.4.9":
		return "street", true
	case "2.5.4.10":
		return "O", true
	case "2.5.4.11":
		return "OU", true
	case "2.5.4.12":
		return "title", true
	case "2.5.4.17":
		return "postalCode", true
	case "2.5.4.42":
		return "GN", true
	case "0.9.2342.19200300.100.1.1":
		return "UID", true
	case "0.9.2342.19200300.100.1.25":
		return "DC", true
	case "1.2.840.113549.1.9.1":
		return "emailAddress", true
	}
	return oid, false
}

// maxSubjectBytes bounds the subject SubjectRFC2253 reads: real subjects
// are a few hundred bytes, and a certificate file is outside input.
const maxSubjectBytes = 64 << 10

// SubjectRFC2253 writes a certificate's DER subject (RawSubject) in RFC
// 2253 form as OpenSSL does: the last RDN first, the values of a
// multi-valued RDN joined by "+", short attribute names, special
// characters escaped, values of unknown types as #hex. It never panics.
func SubjectRFC2253(raw []byte) (string, error) {
	if len(raw) > maxSubjectBytes {
		return "", fmt.Errorf("subject of %d bytes, more than %d", len(raw), maxSubjectBytes)
	}
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &rdns)
	if err != nil {
		return "", fmt.Errorf("subject: %w", err)
	}
	if len(rest) > 0 {
		return "", errors.New("subject: trailing bytes")
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i < len(rdns)-1 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			writeATV(&b, atv)
		}
	}
	return b.String(), nil
}

func writeATV(b *strings.Builder, atv pkix.AttributeTypeAndValue) {
	name, known := attrName(atv.Type.String())
	b.WriteString(name)
	b.WriteByte('=')
	s, isString := atv.Value.(string)
	if !known || !isString || !utf8.ValidString(s) {
		der, err := asn1.Marshal(atv.Value)
		if err != nil {
			der = nil
		}
		b.WriteByte('#')
		b.WriteString(hex.EncodeToString(der))
		return
	}
	b.WriteString(escapeValue(s))
}

// escapeValue escapes an attribute value as RFC 2253 §2.4 asks: a
// leading space or #, a trailing space, and any of , + " \ < > ; with a
// backslash; control characters as \XX.
func escapeValue(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';',
			i == 0 && (c == ' ' || c == '#'),
			i == len(s)-1 && c == ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
