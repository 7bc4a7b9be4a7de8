package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/report"
)

// maxConfirmReply bounds the reply of a confirmation hello: a hello reply
// is a few hundred bytes, a large replica set's a few KB.
const maxConfirmReply = 1 << 20

// confirmRequestID is the request id of every confirmation hello: each is
// alone on its connection, so any fixed value works.
const confirmRequestID = 1

// helloRoundTrip sends a legacy OP_QUERY isMaster (which every server from
// 2.6 on answers, before and after OP_MSG) over conn and returns the reply
// document.
func helloRoundTrip(ctx context.Context, conn net.Conn, timeout time.Duration) (bson.Raw, error) {
	q, err := bson.Marshal(bson.D{{Key: "isMaster", Value: 1}})
	if err != nil {
		return nil, err
	}
	const id = confirmRequestID
	req := wire.AppendQuery(nil, id, "admin.$cmd", q)
	m, err := wire.RoundTripLimit(ctx, conn, id, req, timeout, maxConfirmReply)
	if err != nil {
		return nil, err
	}
	if m.Body == nil {
		return nil, errors.New("the reply holds no document")
	}
	return m.Body, nil
}

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
	doc, err := helloRoundTrip(cctx, conn, tlsConfirmTimeout)
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
