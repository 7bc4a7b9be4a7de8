package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/netpath"
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

	cfg, err := s.Config(host)
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
		return done(report.StatusFail, "cannot connect: "+redact.Redact(connfind.UnwrapOp(err).Error()))
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
		if summary, fs, ok := tlsconf.AtlasTLSRejected(addr, err); ok {
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
		c.Detail = tlsconf.ChainDetail(chain)
	}
	summary := fmt.Sprintf("%s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if len(chain) == 0 {
		f := catalogue.NewFinding(catalogue.IDTLSUnknownAuthority, addr+": the server sent no certificate")
		x.addFinding(f)
		return done(report.StatusFail, summary+"; no certificate")
	}
	summary += "; " + tlsconf.ChainSummary(chain)

	findings := tlsconf.VerifyChain(x.t, s.Settings, addr, host, chain, time.Now())
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
	if by := s.DisabledBy(); by != "" {
		if status == report.StatusPass {
			status = report.StatusWarn
		}
		warn := fmt.Sprintf("WARNING: %s turns certificate checks off: anyone on the network path can impersonate this server; remove it once the certificate is fixed", by)
		if !s.Insecure {
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
	if lf, ok := connfind.LocalFinding(addr, err); ok {
		x.addFinding(lf)
		return
	}
	if pf, ok := x.pathFinding(err); ok {
		x.addFinding(pf)
		return
	}
	if x.hasCheck(report.StageTCP, addr) {
		return // ping and diagnose: the tcp stage judged the address
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f = catalogue.NewFinding(catalogue.IDTCPRefused, addr+": connection refused")
	case errors.As(err, &dnsErr):
		if x.hasFinding(catalogue.IDDNSNoSuchHost) {
			return // the dns stage said it
		}
		f = catalogue.NewFinding(catalogue.IDDNSNoSuchHost, fmt.Sprintf("%s: host %q does not resolve: %s", addr, hostOf(addr), dnsErr.Err))
	default:
		f = catalogue.NewFinding(catalogue.IDTCPTimeout, addr+": "+redact.Redact(connfind.UnwrapOp(err).Error()))
	}
	if f.ID == catalogue.IDTCPRefused || f.ID == catalogue.IDTCPTimeout {
		x.mu.Lock()
		if x.tlsUnanswered == nil {
			x.tlsUnanswered = map[string]bool{}
		}
		x.tlsUnanswered[addr] = true
		x.mu.Unlock()
	}
	x.addFinding(f)
}

// handshakeFailure explains a failed handshake: the server answered plain
// bytes, closed the connection, stayed silent, or sent a TLS alert.
func (x *run) handshakeFailure(ctx context.Context, s tlsSettings, addr string, err error) (string, report.Finding) {
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		got := fmt.Sprintf("% x", rec.RecordHeader[:])
		if plain, perr := x.plainHello(ctx, addr); perr == nil {
			return "the server answered the TLS ClientHello with plain bytes: it does not speak TLS",
				tlsconf.NotTLSFinding(x.t, fmt.Sprintf("%s: the server answered the TLS ClientHello with bytes that are not a TLS record (%s), and %s", addr, got, plain))
		}
		if tlsconf.LooksHTTP(rec.RecordHeader[:]) {
			return "the server answered the TLS ClientHello with HTTP",
				catalogue.NewFinding(catalogue.IDServerNotMongoDB, fmt.Sprintf("%s: the server answered the TLS ClientHello with HTTP (%q): this port serves a web server, not MongoDB", addr, string(rec.RecordHeader[:])))
		}
		return "the server answered the TLS ClientHello with bytes that are not TLS",
			tlsconf.NotTLSFinding(x.t, fmt.Sprintf("%s: the server answered the TLS ClientHello with bytes that are not a TLS record (%s): first record does not look like a TLS handshake", addr, got))
	}
	if code, ok := tlsconf.RemoteAlert(err); ok {
		return x.alertFailure(s, addr, code)
	}
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	silent := connfind.IsTimeout(err)
	if closed || silent {
		what := "closed the connection when it received the TLS ClientHello"
		if silent {
			what = fmt.Sprintf("did not answer the TLS ClientHello within %s", report.FormatMs(x.since(x.started)))
		}
		if plain, perr := x.plainHello(ctx, addr); perr == nil {
			return "the server " + what + " but " + plain + ": it does not speak TLS",
				tlsconf.NotTLSFinding(x.t, fmt.Sprintf("%s: the server %s, but %s: TLS is not enabled on this port", addr, what, plain))
		} else if silent {
			return "the server " + what, catalogue.NewFinding(catalogue.IDServerNotResponding,
				fmt.Sprintf("%s: the server accepted the TCP connection but %s, and a plain hello got no answer either (%v)", addr, what, redact.Redact(connfind.UnwrapOp(perr).Error())))
		} else {
			return "the server " + what, catalogue.NewFinding(catalogue.IDServerNotMongoDB,
				fmt.Sprintf("%s: the server %s, and a plain MongoDB hello failed too (%v)", addr, what, redact.Redact(connfind.UnwrapOp(perr).Error())))
		}
	}
	msg := redact.Redact(connfind.UnwrapOp(err).Error())
	return "TLS handshake failed: " + msg, catalogue.NewFinding(catalogue.IDTLSUnknownAuthority,
		fmt.Sprintf("%s: the TLS handshake failed: %s", addr, msg))
}

// alertFailure explains a fatal alert the server sent during the handshake.
func (x *run) alertFailure(s tlsSettings, addr string, code uint8) (string, report.Finding) {
	name := tlsconf.AlertName(code)
	hasCert := s.CertKeyFile != "" || s.CertFile != ""
	switch code {
	case tlsconf.AlertCertificateRequired, tlsconf.AlertHandshakeFailure, tlsconf.AlertBadCertificate, tlsconf.AlertUnknownCA,
		tlsconf.AlertCertificateExpired, tlsconf.AlertCertificateRevoked, tlsconf.AlertCertificateUnknown:
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
			f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}, {Key: "tlsCertificateKeyFile", Value: "/path/to/client.pem"}}}))
			f.Fixes = append([]string{"Pass a client certificate and key the server trusts: &tlsCertificateKeyFile=/path/to/client.pem"}, f.Fixes...)
		}
		f.Evidence = []string{redact.Redact(ev)}
		return "the server rejected the handshake: TLS alert " + name, f
	case tlsconf.AlertProtocolVersion:
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
	_, err := tlsconf.HelloRoundTrip(ctx, tc, tlsConfirmTimeout)
	code, ok := tlsconf.RemoteAlert(err)
	if !ok {
		return report.Finding{}, false
	}
	_, f := x.alertFailure(tlsSettingsOf(x.t), addr, code)
	return f, true
}

// tlsFileFinding explains an unusable file named by a TLS option. A file
// this machine had no descriptor (or memory) to read is local.resources:
// the option is fine, the file may be too.
func tlsFileFinding(t *connstr.Target, err error) report.Finding {
	if f, ok := tlsFileLocal(err); ok {
		return f
	}
	if f, ok := tlsconf.X509KeyMismatch(err, appDatabaseOf(t)); ok {
		return f
	}
	f := catalogue.NewFinding(catalogue.IDURIInvalid, redact.Redact(err.Error()))
	var fe *tlsconf.FileError
	if errors.As(err, &fe) {
		switch {
		case errors.Is(fe.Err, tlsconf.ErrKeyEncrypted):
			f.Fixes = append([]string{"Add the key's password: &tlsCertificateKeyFilePassword=<password> (percent-encoded)"}, f.Fixes...)
		case fe.Option == "tlsCAFile":
			f.Fixes = append([]string{fmt.Sprintf("Point tlsCAFile at a readable PEM file holding the CA certificate that signed the server's certificate (now %q)", fe.Path)}, f.Fixes...)
		default:
			f.Fixes = append([]string{fmt.Sprintf("Point %s at a readable PEM file holding the client certificate and its private key (now %q)", fe.Option, fe.Path)}, f.Fixes...)
		}
	}
	return f
}

// tlsFileLocal is local.resources when err says a file named by a TLS
// option could not be read because this machine ran out of file
// descriptors or memory.
func tlsFileLocal(err error) (report.Finding, bool) {
	errno, ok := netpath.LocalResourceError(err)
	if !ok {
		return report.Finding{}, false
	}
	what := "a file named by a TLS option"
	var fe *tlsconf.FileError
	if errors.As(err, &fe) {
		what = fmt.Sprintf("%s %q", fe.Option, fe.Path)
	}
	return catalogue.NewFinding(catalogue.IDLocalResources, redact.Redact(what+" could not be read: "+netpath.LocalResourceReason(errno))), true
}
