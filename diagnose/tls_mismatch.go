package diagnose

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/report"
)

// plainHello dials addr without TLS and sends one hello. On success it
// says what answered ("a plain MongoDB hello got an answer (maxWireVersion
// 21)").
func (x *run) plainHello(ctx context.Context, addr string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, min(tlsConfirmTimeout, remaining(ctx)))
	defer cancel()
	conn, err := x.e.dialer().DialContext(cctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	doc, err := tlsconf.HelloRoundTrip(cctx, conn, tlsConfirmTimeout)
	if err != nil {
		return "", err
	}
	what := "a plain MongoDB hello on the same port got an answer"
	if v, ok := doc.Lookup("maxWireVersion").AsInt64OK(); ok {
		what += fmt.Sprintf(" (maxWireVersion %d)", v)
	}
	return what, nil
}

// tlsHandshakeAnswers dials addr and completes a TLS handshake without
// verifying anything: it only asks whether the port speaks TLS.
func (x *run) tlsHandshakeAnswers(ctx context.Context, addr string) (tls.ConnectionState, error) {
	cctx, cancel := context.WithTimeout(ctx, min(tlsConfirmTimeout, remaining(ctx)))
	defer cancel()
	conn, err := x.e.dialer().DialContext(cctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	if dl, ok := cctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: hostOf(addr), InsecureSkipVerify: true})
	if err := tc.HandshakeContext(cctx); err != nil {
		return tls.ConnectionState{}, err
	}
	return tc.ConnectionState(), nil
}

// tlsRequiredAfterHello is for the hello stage when TLS is off: given the
// error of a plain hello to addr (HelloResult.Err of ProbeHello, or any
// error of a plain round trip), it finds out whether the server requires
// TLS (it answered with a TLS alert, or it closed the connection and a TLS
// handshake on the same port succeeds). When it does, it adds
// tls.server-requires-tls, with the corrected connection string, and a
// failed tls check, and returns true. Errors that are not such a refusal
// (timeouts, refused connections, malformed replies) return false at once.
func (x *run) tlsRequiredAfterHello(ctx context.Context, addr string, helloErr error) bool {
	if helloErr == nil || tlsSettingsOf(x.t).enabled {
		return false
	}
	rejected, alert := tlsconf.PlainRejected(helloErr)
	if !rejected {
		return false
	}
	start := x.now()
	var ev string
	state, err := x.tlsHandshakeAnswers(ctx, addr)
	switch {
	case err == nil:
		how := "closed the connection"
		if alert {
			how = "answered with a TLS alert record"
		}
		ev = fmt.Sprintf("%s: the server %s when it got a plain MongoDB hello, and a TLS handshake on the same port succeeds (%s)", addr, how, tls.VersionName(state.Version))
	case alert:
		ev = fmt.Sprintf("%s: the server answered a plain MongoDB hello with a TLS alert record: it only speaks TLS", addr)
	default:
		return false
	}
	f := catalogue.NewFinding(catalogue.IDTLSServerRequiresTLS, ev)
	if x.t != nil && !x.t.SRV {
		f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}}}))
	}
	x.addFinding(f)
	x.addCheck(report.Check{Stage: report.StageTLS, Address: addr, Status: report.StatusFail, DurationMs: x.since(start),
		Summary: "the server requires TLS; the connection string does not enable it"})
	return true
}
