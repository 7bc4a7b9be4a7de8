package tlsconf

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// NotTLSFinding is tls.server-not-tls with the corrected string.
func NotTLSFinding(t *connstr.Target, ev ...string) report.Finding {
	f := catalogue.NewFinding(catalogue.IDTLSServerNotTLS, ev...)
	if t != nil && !t.SRV {
		f = report.WithSuggestedURI(f, SuggestURI(t.Raw, connstr.Edit{Drop: []string{"tls*", "ssl*"}, Set: []connstr.Setting{{Key: "tls", Value: "false"}}}))
	}
	return f
}

// SuggestURI is the connection string raw with e applied, redacted: the
// corrected string a finding suggests, or "" when raw cannot be
// rewritten (it is not a mongodb:// or mongodb+srv:// string).
func SuggestURI(raw string, e connstr.Edit) string {
	u, err := connstr.RewriteRedacted(raw, e)
	if err != nil {
		return ""
	}
	return u
}

// tlsRecordTypeAlert starts a TLS alert record: what a TLS-only server
// or terminator often sends to a plain client.
const tlsRecordTypeAlert = 0x15

// PlainRejected reports whether err is how a TLS-only server treats a
// plain client: it sends a TLS alert record, closes, or resets. It also
// says whether the TLS alert was seen (which needs no confirmation).
func PlainRejected(err error) (rejected, alert bool) {
	var pe *wireprobe.ProbeError
	if errors.As(err, &pe) {
		switch {
		case pe.Peer == wireprobe.PeerTLS:
			return true, true
		case pe.Kind == wireprobe.ProbeClosed:
			return true, false
		case pe.Kind != wireprobe.ProbeNotMongoDB:
			return false, false
		}
	}
	var fe *wire.FrameError
	if errors.As(err, &fe) && len(fe.Prefix) >= 3 && fe.Prefix[0] == tlsRecordTypeAlert && fe.Prefix[1] == 3 && fe.Prefix[2] <= 4 {
		return true, true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true, false
	}
	return false, false
}

// maxConfirmReply bounds the reply of a confirmation hello: a hello reply
// is a few hundred bytes, a large replica set's a few KB.
const maxConfirmReply = 1 << 20

// confirmRequestID is the request id of every confirmation hello: each is
// alone on its connection, so any fixed value works.
const confirmRequestID = 1

// HelloRoundTrip sends a legacy OP_QUERY isMaster (which every server from
// 2.6 on answers, before and after OP_MSG) over conn and returns the reply
// document.
func HelloRoundTrip(ctx context.Context, conn net.Conn, timeout time.Duration) (bson.Raw, error) {
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
