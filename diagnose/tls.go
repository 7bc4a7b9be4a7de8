package diagnose

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// TLS stage timeouts.
const (
	// tlsHandshakeTimeout caps one handshake probe: a handshake is two
	// round trips, so even a server across an ocean with a long chain
	// finishes far inside it; the command budget cuts it shorter.
	tlsHandshakeTimeout = 5 * time.Second

	// tlsConfirmTimeout caps the one extra probe that tells why a
	// handshake or a plain hello failed (the other protocol on the same
	// port); it is a single round trip to a server already reached.
	tlsConfirmTimeout = 2 * time.Second
)

// TLS alert descriptions (RFC 8446 §6) the stage explains.
const (
	alertHandshakeFailure    = 40
	alertBadCertificate      = 42
	alertCertificateRevoked  = 44
	alertCertificateExpired  = 45
	alertCertificateUnknown  = 46
	alertUnknownCA           = 48
	alertProtocolVersion     = 70
	alertCertificateRequired = 116
)

// tlsStage handshakes with every address in parallel, through the engine's
// Dialer, and adds one check per address with the TLS version, cipher
// suite and certificate chain, and the findings that explain a failure. It
// verifies the chain itself with crypto/x509, even when the options turn
// verification off, so that it can name the exact problem.
//
// ok[addr] is true when the next stages may use addr: TLS is off (then
// the stage is one skip check), or the handshake succeeded and the
// certificate is valid or its checks are turned off by the options.
func (x *run) tlsStage(ctx context.Context, addrs []string) map[string]bool {
	ok := make(map[string]bool, len(addrs))
	s := tlsSettingsOf(x.t)
	if !s.enabled {
		for _, a := range addrs {
			ok[a] = true
		}
		x.addCheck(report.Check{Stage: report.StageTLS, Status: report.StatusSkip, Summary: "TLS is off: the connection string does not ask for it (no tls=true)"})
		return ok
	}
	x.clientCertStage(s)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pass := x.tlsProbe(ctx, s, addr)
			mu.Lock()
			ok[addr] = pass
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ok
}

// tlsProbe handshakes with one address and records what it saw.
func (x *run) tlsProbe(ctx context.Context, s tlsSettings, addr string) bool {
	defer x.waiting(report.StageTLS, addr, "the TLS handshake")()
	start := x.now()
	host := hostOf(addr)
	c := report.Check{Stage: report.StageTLS, Address: addr}
	done := func(st report.Status, summary string) bool {
		c.Status, c.Summary, c.DurationMs = st, summary, x.since(start)
		x.addCheck(c)
		return st != report.StatusFail
	}

	cfg, err := s.config(host)
	if err != nil {
		x.addFinding(tlsFileFinding(x.t, err))
		return done(report.StatusFail, "cannot build the TLS configuration: "+redact.Redact(err.Error()))
	}
	probe := cfg.Clone()
	probe.InsecureSkipVerify = true
	probe.VerifyConnection = nil
	var requested bool
	probe.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		requested = true
		if len(cfg.Certificates) > 0 {
			return &cfg.Certificates[0], nil
		}
		return &tls.Certificate{}, nil
	}

	hctx, cancel := context.WithTimeout(ctx, min(tlsHandshakeTimeout, remaining(ctx)))
	defer cancel()
	conn, err := x.e.dialer().DialContext(hctx, "tcp", addr)
	if err != nil && interrupted(ctx) {
		x.skipInterrupted(report.StageTLS, addr, x.since(start))
		return false
	}
	if err != nil {
		x.tlsDialFailed(addr, err)
		return done(report.StatusFail, "cannot connect: "+redact.Redact(unwrapOp(err).Error()))
	}
	tc := tls.Client(conn, probe)
	defer tc.Close()
	if dl, ok := hctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = conn.Close()
		if interrupted(ctx) {
			// "context canceled" says nothing of the certificate.
			x.skipInterrupted(report.StageTLS, addr, x.since(start))
			return false
		}
		if summary, fs, ok := atlasTLSRejected(addr, err); ok {
			for _, f := range fs {
				x.addFinding(f)
			}
			return done(report.StatusFail, summary)
		}
		summary, f := x.handshakeFailure(ctx, s, addr, err)
		x.addFinding(f)
		return done(report.StatusFail, summary)
	}
	st := tc.ConnectionState()
	chain := st.PeerCertificates
	if x.e.Verbose {
		c.Detail = chainDetail(chain)
	}
	summary := fmt.Sprintf("%s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if len(chain) == 0 {
		f := catalogue.NewFinding(catalogue.IDTLSUnknownAuthority, addr+": the server sent no certificate")
		x.addFinding(f)
		return done(report.StatusFail, summary+"; no certificate")
	}
	summary += "; " + chainSummary(chain)

	findings := verifyServerChain(x.t, s, addr, host, chain, time.Now())
	if requested && len(cfg.Certificates) == 0 {
		if f, ok := x.clientCertRequired(ctx, tc, addr); ok {
			findings = append(findings, f)
		}
	}
	status := report.StatusPass
	var waived []string
	for _, f := range findings {
		if f.Severity != report.SeverityError {
			// A problem the options waive: drivers that honour them
			// connect, so it is no finding (whose severity the catalogue
			// fixes at error) but a loud warning on the check.
			waived = append(waived, f.ID)
			c.Detail = append(c.Detail, fmt.Sprintf("WAIVED %s: %s: %s", f.ID, f.Title, strings.Join(f.Evidence, "; ")))
			if status == report.StatusPass {
				status = report.StatusWarn
			}
			continue
		}
		x.addFinding(f)
		status = report.StatusFail
	}
	if len(waived) > 0 {
		summary += "; waived by the options: " + strings.Join(waived, ", ")
	}
	if by := s.disabledBy(); by != "" {
		if status == report.StatusPass {
			status = report.StatusWarn
		}
		warn := fmt.Sprintf("WARNING: %s turns certificate checks off: anyone on the network path can impersonate this server; remove it once the certificate is fixed", by)
		if !s.insecure {
			warn += " (the Go driver ignores " + strings.SplitN(by, "=", 2)[0] + "; it honours tlsInsecure)"
		}
		c.Detail = append([]string{warn}, c.Detail...)
		summary += "; certificate checks disabled by " + by
	}
	return done(status, summary)
}

// tlsDialFailed adds the TCP finding when the TCP stage has not already
// explained why addr cannot be reached.
func (x *run) tlsDialFailed(addr string, err error) {
	var f report.Finding
	if lf, ok := localFinding(addr, err); ok {
		x.addFinding(lf)
		return
	}
	if pf, ok := x.pathFinding(err); ok {
		x.addFinding(pf)
		return
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		if x.hasFinding(catalogue.IDTCPRefused) {
			return
		}
		f = catalogue.NewFinding(catalogue.IDTCPRefused, addr+": connection refused")
	default:
		if x.hasFinding(catalogue.IDTCPTimeout) || x.hasFinding(catalogue.IDTCPRefused) || x.hasFinding(catalogue.IDDNSNoSuchHost) {
			return
		}
		f = catalogue.NewFinding(catalogue.IDTCPTimeout, addr+": "+redact.Redact(unwrapOp(err).Error()))
	}
	x.addFinding(f)
}

// tlsFileFinding explains an unusable file named by a TLS option.
func tlsFileFinding(t *connstr.Target, err error) report.Finding {
	if f, ok := x509KeyMismatch(err); ok {
		return f
	}
	f := catalogue.NewFinding(catalogue.IDURIInvalid, redact.Redact(err.Error()))
	var fe *TLSFileError
	if errors.As(err, &fe) {
		switch {
		case errors.Is(fe.Err, ErrTLSKeyEncrypted):
			f.Fixes = append([]string{"Add the key's password: &tlsCertificateKeyFilePassword=<password> (percent-encoded)"}, f.Fixes...)
		case fe.Option == "tlsCAFile":
			f.Fixes = append([]string{fmt.Sprintf("Point tlsCAFile at a readable PEM file holding the CA certificate that signed the server's certificate (now %q)", fe.Path)}, f.Fixes...)
		default:
			f.Fixes = append([]string{fmt.Sprintf("Point %s at a readable PEM file holding the client certificate and its private key (now %q)", fe.Option, fe.Path)}, f.Fixes...)
		}
	}
	return f
}

// handshakeFailure explains a failed handshake: the server answered plain
// bytes, closed the connection, stayed silent, or sent a TLS alert.
func (x *run) handshakeFailure(ctx context.Context, s tlsSettings, addr string, err error) (string, report.Finding) {
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		got := fmt.Sprintf("% x", rec.RecordHeader[:])
		if plain, perr := x.plainHello(ctx, addr); perr == nil {
			return "the server answered the TLS ClientHello with plain bytes: it does not speak TLS",
				tlsNotTLSFinding(x.t, fmt.Sprintf("%s: the server answered the TLS ClientHello with bytes that are not a TLS record (%s), and %s", addr, got, plain))
		}
		if looksHTTP(rec.RecordHeader[:]) {
			return "the server answered the TLS ClientHello with HTTP",
				catalogue.NewFinding(catalogue.IDServerNotMongoDB, fmt.Sprintf("%s: the server answered the TLS ClientHello with HTTP (%q): this port serves a web server, not MongoDB", addr, string(rec.RecordHeader[:])))
		}
		return "the server answered the TLS ClientHello with bytes that are not TLS",
			tlsNotTLSFinding(x.t, fmt.Sprintf("%s: the server answered the TLS ClientHello with bytes that are not a TLS record (%s): first record does not look like a TLS handshake", addr, got))
	}
	if code, ok := remoteAlert(err); ok {
		return x.alertFailure(s, addr, code)
	}
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	silent := isTimeout(err)
	if closed || silent {
		what := "closed the connection when it received the TLS ClientHello"
		if silent {
			what = fmt.Sprintf("did not answer the TLS ClientHello within %s", report.FormatMs(x.since(x.started)))
		}
		if plain, perr := x.plainHello(ctx, addr); perr == nil {
			return "the server " + what + " but " + plain + ": it does not speak TLS",
				tlsNotTLSFinding(x.t, fmt.Sprintf("%s: the server %s, but %s: TLS is not enabled on this port", addr, what, plain))
		} else if silent {
			return "the server " + what, catalogue.NewFinding(catalogue.IDServerNotResponding,
				fmt.Sprintf("%s: the server accepted the TCP connection but %s, and a plain hello got no answer either (%v)", addr, what, redact.Redact(unwrapOp(perr).Error())))
		} else {
			return "the server " + what, catalogue.NewFinding(catalogue.IDServerNotMongoDB,
				fmt.Sprintf("%s: the server %s, and a plain MongoDB hello failed too (%v)", addr, what, redact.Redact(unwrapOp(perr).Error())))
		}
	}
	msg := redact.Redact(unwrapOp(err).Error())
	return "TLS handshake failed: " + msg, catalogue.NewFinding(catalogue.IDTLSUnknownAuthority,
		fmt.Sprintf("%s: the TLS handshake failed: %s", addr, msg))
}

// alertFailure explains a fatal alert the server sent during the handshake.
func (x *run) alertFailure(s tlsSettings, addr string, code uint8) (string, report.Finding) {
	name := alertName(code)
	hasCert := s.certKeyFile != "" || s.certFile != ""
	switch code {
	case alertCertificateRequired, alertHandshakeFailure, alertBadCertificate, alertUnknownCA,
		alertCertificateExpired, alertCertificateRevoked, alertCertificateUnknown:
		ev := fmt.Sprintf("%s: the server ended the handshake with the TLS alert %q", addr, name)
		f := catalogue.NewFinding(catalogue.IDTLSUnknownAuthority)
		// The catalogue entry speaks of the server's certificate; here
		// the server judges this machine's: say so in the title.
		if hasCert {
			f.Title = "The server does not accept this machine's client certificate"
			ev += ": it rejects this machine's client certificate (tlsCertificateKeyFile); it must be signed by a CA the server trusts (net.tls.CAFile) and be valid now"
			f.Fixes = append([]string{"Use a client certificate signed by the CA the server trusts (mongod net.tls.CAFile) and still valid"}, f.Fixes...)
		} else {
			f.Title = "The server requires a client certificate"
			ev += ": the server requires a client certificate and the connection string gives none"
			f = report.WithSuggestedURI(f, suggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}, {Key: "tlsCertificateKeyFile", Value: "/path/to/client.pem"}}}))
			f.Fixes = append([]string{"Pass a client certificate and key the server trusts: &tlsCertificateKeyFile=/path/to/client.pem"}, f.Fixes...)
		}
		f.Evidence = []string{redact.Redact(ev)}
		return "the server rejected the handshake: TLS alert " + name, f
	case alertProtocolVersion:
		return "the server rejected the TLS version", catalogue.NewFinding(catalogue.IDTLSUnknownAuthority,
			fmt.Sprintf("%s: the server ended the handshake with the TLS alert %q: it accepts no TLS version this tool offers (1.2 and 1.3); TLS 1.0 and 1.1 are obsolete, so upgrade the server's TLS settings (net.tls.disabledProtocols)", addr, name))
	}
	return "the server ended the handshake with the TLS alert " + name, catalogue.NewFinding(catalogue.IDTLSUnknownAuthority,
		fmt.Sprintf("%s: the server ended the handshake with the TLS alert %q", addr, name))
}

// clientCertRequired finds out, with one hello over the new connection,
// whether a server that asked for a client certificate during the
// handshake insists on one. TLS 1.3 servers say so only after the client
// thinks the handshake is done.
func (x *run) clientCertRequired(ctx context.Context, tc *tls.Conn, addr string) (report.Finding, bool) {
	_, err := helloRoundTrip(ctx, tc, tlsConfirmTimeout)
	code, ok := remoteAlert(err)
	if !ok {
		return report.Finding{}, false
	}
	_, f := x.alertFailure(tlsSettingsOf(x.t), addr, code)
	return f, true
}

// remoteAlert returns the alert a peer sent, when err is one. crypto/tls
// reports it as a *net.OpError "remote error" holding an unexported
// uint8 type, so its value is read through reflection rather than text.
func remoteAlert(err error) (uint8, bool) {
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

func alertName(code uint8) string {
	switch code {
	case alertHandshakeFailure:
		return "handshake failure"
	case alertBadCertificate:
		return "bad certificate"
	case alertCertificateRevoked:
		return "certificate revoked"
	case alertCertificateExpired:
		return "certificate expired"
	case alertCertificateUnknown:
		return "certificate unknown"
	case alertUnknownCA:
		return "unknown certificate authority"
	case alertProtocolVersion:
		return "protocol version not supported"
	case alertCertificateRequired:
		return "certificate required"
	case alertInternalError:
		return "internal error"
	}
	return fmt.Sprintf("alert(%d)", code)
}

func looksHTTP(b []byte) bool {
	return strings.HasPrefix(string(b), "HTTP/") || strings.HasPrefix(string(b), "<")
}

// tlsNotTLSFinding is tls.server-not-tls with the corrected string.
func tlsNotTLSFinding(t *connstr.Target, ev ...string) report.Finding {
	f := catalogue.NewFinding(catalogue.IDTLSServerNotTLS, ev...)
	if t != nil && !t.SRV {
		f = report.WithSuggestedURI(f, suggestURI(t.Raw, connstr.Edit{Drop: []string{"tls*", "ssl*"}, Set: []connstr.Setting{{Key: "tls", Value: "false"}}}))
	}
	return f
}

// verifyServerChain checks the server's chain for host at time now, each
// problem on its own (validity, name, trust), and returns one finding per
// problem. Findings the options waive are warnings, which the TLS stage
// reports on its check rather than as findings.
func verifyServerChain(t *connstr.Target, s tlsSettings, addr, host string, chain []*x509.Certificate, now time.Time) []report.Finding {
	leaf := chain[0]
	var out []report.Finding
	waive := func(f report.Finding, waived bool) report.Finding {
		if waived {
			f.Severity = report.SeverityWarning
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s turns this check off, so drivers that honour it connect anyway", addr, s.disabledBy()))
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
		out = append(out, waive(catalogue.NewFinding(catalogue.IDTLSExpired, expired...), s.skipVerify()))
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
			f = report.WithSuggestedURI(f, suggestURI(t.Raw, connstr.Edit{Hosts: []string{net.JoinHostPort(alt, port)}}))
			f.Fixes = append([]string{fmt.Sprintf("Connect with the name the certificate gives, %s (through a tunnel: map %s to 127.0.0.1 in /etc/hosts)", alt, alt)}, f.Fixes...)
		}
		out = append(out, waive(f, s.skipHostname()))
	}

	// Trust: does the chain lead to a root this machine trusts? Checked at
	// a moment when every certificate is valid, so that an expired
	// certificate does not hide an unknown CA.
	var roots *x509.CertPool
	var rootCerts []*x509.Certificate
	if s.caFile != "" {
		var err error
		if roots, rootCerts, err = loadCAFile(s.caFile); err != nil {
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
	if s.caFile != "" {
		var names []string
		for _, c := range rootCerts {
			names = append(names, fmt.Sprintf("%q", certName(c)))
		}
		trusted = fmt.Sprintf("tlsCAFile %s (which holds %s)", s.caFile, strings.Join(names, ", "))
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
		f = report.WithSuggestedURI(f, suggestURI(t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}, {Key: "tlsCAFile", Value: "/path/to/ca.pem"}}}))
		f.Fixes = append([]string{fmt.Sprintf("Get the certificate of the CA %q (from whoever runs the server) and pass it with tlsCAFile", nameOf(top.Issuer))}, f.Fixes...)
	}
	out = append(out, waive(f, s.skipVerify()))
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

// chainSummary is "CN=a, issued by CN=b, valid until 2026-01-02".
func chainSummary(chain []*x509.Certificate) string {
	leaf := chain[0]
	return fmt.Sprintf("certificate %q issued by %q, valid until %s", certName(leaf), nameOf(leaf.Issuer), leaf.NotAfter.UTC().Format("2006-01-02"))
}

// chainDetail is one line per certificate, for verbose output.
func chainDetail(chain []*x509.Certificate) []string {
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
