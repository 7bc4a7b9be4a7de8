package tlsconf

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
)

// TLS alert descriptions (RFC 8446 §6) the stage explains.
const (
	AlertHandshakeFailure    = 40
	AlertBadCertificate      = 42
	AlertCertificateRevoked  = 44
	AlertCertificateExpired  = 45
	AlertCertificateUnknown  = 46
	AlertUnknownCA           = 48
	AlertProtocolVersion     = 70
	AlertCertificateRequired = 116
)

// RemoteAlert returns the alert a peer sent, when err is one. crypto/tls
// reports it as a *net.OpError "remote error" holding an unexported
// uint8 type, so its value is read through reflection rather than text.
func RemoteAlert(err error) (uint8, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 {
		return 0, false
	}
	return uint8(v.Uint()), true
}

// AlertName is the RFC 8446 name of a TLS alert code.
func AlertName(code uint8) string {
	switch code {
	case AlertHandshakeFailure:
		return "handshake failure"
	case AlertBadCertificate:
		return "bad certificate"
	case AlertCertificateRevoked:
		return "certificate revoked"
	case AlertCertificateExpired:
		return "certificate expired"
	case AlertCertificateUnknown:
		return "certificate unknown"
	case AlertUnknownCA:
		return "unknown certificate authority"
	case AlertProtocolVersion:
		return "protocol version not supported"
	case AlertCertificateRequired:
		return "certificate required"
	case AlertInternalError:
		return "internal error"
	}
	return fmt.Sprintf("alert(%d)", code)
}

// LooksHTTP reports whether b starts like an HTTP or HTML answer.
func LooksHTTP(b []byte) bool {
	return strings.HasPrefix(string(b), "HTTP/") || strings.HasPrefix(string(b), "<")
}

// VerifyChain checks the server's chain for host at time now, each
// problem on its own (validity, name, trust), and returns one finding per
// problem. Findings the options waive are warnings, which the TLS stage
// reports on its check rather than as findings.
func VerifyChain(t *connstr.Target, s Settings, addr, host string, chain []*x509.Certificate, now time.Time) []report.Finding {
	leaf := chain[0]
	var out []report.Finding
	waive := func(f report.Finding, waived bool) report.Finding {
		if waived {
			f.Severity = report.SeverityWarning
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s turns this check off, so drivers that honour it connect anyway", addr, s.DisabledBy()))
		}
		return f
	}

	// Validity period, for every certificate the server sent.
	var expired []string
	for i, c := range chain {
		role := "the server certificate"
		if i > 0 {
			role = "intermediate certificate"
		}
		switch {
		case now.After(c.NotAfter):
			expired = append(expired, fmt.Sprintf("%s: %s %q expired on %s (%s ago)", addr, role, certName(c), fmtCertTime(c.NotAfter), fmtAge(now.Sub(c.NotAfter))))
		case now.Before(c.NotBefore):
			expired = append(expired, fmt.Sprintf("%s: %s %q is not valid before %s (in %s); this machine's clock says %s", addr, role, certName(c), fmtCertTime(c.NotBefore), fmtAge(c.NotBefore.Sub(now)), fmtCertTime(now)))
		}
	}
	if len(expired) > 0 {
		out = append(out, waive(catalogue.NewFinding(catalogue.IDTLSExpired, expired...), s.SkipVerify()))
	}

	// Host name.
	if err := leaf.VerifyHostname(host); err != nil {
		names := certNames(leaf)
		ev := fmt.Sprintf("%s: the certificate is valid for %s, not %q", addr, strings.Join(names, ", "), host)
		if len(names) == 0 {
			ev = fmt.Sprintf("%s: the certificate names no host (no subject alternative names), so it is valid for no host, not %q", addr, host)
		}
		f := catalogue.NewFinding(catalogue.IDTLSHostnameMismatch, ev)
		if alt := suggestHost(leaf); alt != "" && t != nil && !t.SRV && len(t.Hosts) == 1 {
			port := "27017"
			if _, p, err := net.SplitHostPort(addr); err == nil {
				port = p
			}
			f = report.WithSuggestedURI(f, SuggestURI(t.Raw, connstr.Edit{Hosts: []string{net.JoinHostPort(alt, port)}}))
			f.Fixes = append([]string{fmt.Sprintf("Connect with the name the certificate gives, %s (through a tunnel: map %s to 127.0.0.1 in /etc/hosts)", alt, alt)}, f.Fixes...)
		}
		out = append(out, waive(f, s.SkipHostname()))
	}

	// Trust: does the chain lead to a root this machine trusts? Checked at
	// a moment when every certificate is valid, so that an expired
	// certificate does not hide an unknown CA.
	var roots *x509.CertPool
	var rootCerts []*x509.Certificate
	if s.CAFile != "" {
		var err error
		if roots, rootCerts, err = loadCAFile(s.CAFile); err != nil {
			return out // tlsConfig reported the file already
		}
	}
	at := now
	if len(expired) > 0 {
		at = validMoment(chain, now)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates(chain), CurrentTime: at})
	if err == nil {
		return out
	}
	var (
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		sysErr  x509.SystemRootsError
	)
	top := chain[len(chain)-1]
	trusted := "this machine's system trust store (no tlsCAFile given)"
	if s.CAFile != "" {
		var names []string
		for _, c := range rootCerts {
			names = append(names, fmt.Sprintf("%q", certName(c)))
		}
		trusted = fmt.Sprintf("tlsCAFile %s (which holds %s)", s.CAFile, strings.Join(names, ", "))
	}
	var ev string
	switch {
	case errors.As(err, &unknown), errors.As(err, &sysErr):
		missing := top.Issuer
		if isSelfSigned(top) {
			missing = top.Subject
		}
		ev = fmt.Sprintf("%s: the chain ends at %q, issued by %q, which is not in %s", addr, certName(top), nameOf(missing), trusted)
		if len(chain) == 1 {
			ev = fmt.Sprintf("%s: the certificate %q is issued by %q, which is not in %s", addr, certName(top), nameOf(missing), trusted)
		}
		if isSelfSigned(leaf) {
			ev = fmt.Sprintf("%s: the server certificate %q is self-signed and not in %s", addr, certName(leaf), trusted)
		}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && len(expired) > 0:
		// A CA is not valid at any moment the server's certificates are:
		// tls.expired already says what to renew.
		return out
	case errors.As(err, &invalid):
		ev = fmt.Sprintf("%s: the chain cannot be verified against %s: %v", addr, trusted, invalid)
	default:
		ev = fmt.Sprintf("%s: the chain cannot be verified against %s: %v", addr, trusted, err)
	}
	f := catalogue.NewFinding(catalogue.IDTLSUnknownAuthority, ev)
	if t != nil {
		f = report.WithSuggestedURI(f, SuggestURI(t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}, {Key: "tlsCAFile", Value: "/path/to/ca.pem"}}}))
		f.Fixes = append([]string{fmt.Sprintf("Get the certificate of the CA %q (from whoever runs the server) and pass it with tlsCAFile", nameOf(top.Issuer))}, f.Fixes...)
	}
	out = append(out, waive(f, s.SkipVerify()))
	return out
}

// validMoment returns a time at which every certificate of chain is valid,
// or now when there is none.
func validMoment(chain []*x509.Certificate, now time.Time) time.Time {
	lo, hi := chain[0].NotBefore, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	if lo.After(hi) {
		return now
	}
	return lo.Add(hi.Sub(lo) / 2)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// suggestHost returns the first concrete DNS name the certificate lists.
func suggestHost(c *x509.Certificate) string {
	for _, n := range c.DNSNames {
		if n != "" && !strings.Contains(n, "*") {
			return n
		}
	}
	return ""
}

// certNames lists the names a certificate is valid for: DNS and IP
// subject alternative names.
func certNames(c *x509.Certificate) []string {
	var out []string
	for _, n := range c.DNSNames {
		out = append(out, "DNS:"+n)
	}
	for _, ip := range c.IPAddresses {
		out = append(out, "IP:"+ip.String())
	}
	return out
}

// certName is the common name of c, or its whole subject.
func certName(c *x509.Certificate) string { return nameOf(c.Subject) }

// nameOf is the common name of n, or all of n when it has none.
func nameOf(n pkix.Name) string {
	if n.CommonName != "" {
		return n.CommonName
	}
	return n.String()
}

// ChainSummary is "CN=a, issued by CN=b, valid until 2026-01-02".
func ChainSummary(chain []*x509.Certificate) string {
	leaf := chain[0]
	return fmt.Sprintf("certificate %q issued by %q, valid until %s", certName(leaf), nameOf(leaf.Issuer), leaf.NotAfter.UTC().Format("2006-01-02"))
}

// ChainDetail is one line per certificate, for verbose output.
func ChainDetail(chain []*x509.Certificate) []string {
	var out []string
	for i, c := range chain {
		names := certNames(c)
		sort.Strings(names)
		line := fmt.Sprintf("certificate %d: subject %q, issuer %q, valid %s to %s", i, c.Subject.String(), c.Issuer.String(), fmtCertTime(c.NotBefore), fmtCertTime(c.NotAfter))
		if len(names) > 0 {
			line += ", names " + strings.Join(names, " ")
		}
		if c.IsCA {
			line += ", CA"
		}
		out = append(out, line)
	}
	return out
}

func fmtCertTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// fmtAge is a coarse duration for people: "3 days", "5 hours", "12 minutes".
func fmtAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}
