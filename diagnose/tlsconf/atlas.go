package tlsconf

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// AlertInternalError is the TLS alert internal_error (RFC 8446 §6.2):
// what Atlas's front end sends, during the handshake, to an address that
// is not on the project's IP access list.
const AlertInternalError = 80

// atlasTLSRejection reports whether err, a TLS handshake's failure after
// the TCP connection opened, is how Atlas treats an address that is not
// on the IP access list: the alert internal_error, or the connection
// reset or closed in mid-handshake. what says which, for evidence. A
// timeout is not one of them: silence has other causes.
func atlasTLSRejection(err error) (what string, ok bool) {
	if code, isAlert := RemoteAlert(err); isAlert {
		if code == AlertInternalError {
			return "ended the TLS handshake with the alert internal_error (80)", true
		}
		return "", false
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "reset the connection during the TLS handshake", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "closed the connection during the TLS handshake", true
	}
	return "", false
}

// atlasAccessListFinding is atlas.access-list for an Atlas member that
// accepted TCP and then rejected the TLS handshake.
func atlasAccessListFinding(addr, what string) report.Finding {
	return catalogue.NewFinding(catalogue.IDAtlasAccessList, fmt.Sprintf(
		"%s: the Atlas host accepted the TCP connection, then %s: Atlas does so to addresses that are not on the project's IP access list", addr, what))
}

// AtlasTLSRejected explains a TLS handshake an Atlas host rejected: the
// error that stops the stages (server.not-responding: no MongoDB answer
// came) and atlas.access-list, its likely cause. ok is false when host
// is not an Atlas host or err is another failure.
func AtlasTLSRejected(addr string, err error) (summary string, fs []report.Finding, ok bool) {
	if !resolve.IsAtlas([]string{addr}) {
		return "", nil, false
	}
	what, ok := atlasTLSRejection(err)
	if !ok {
		return "", nil, false
	}
	stop := catalogue.NewFinding(catalogue.IDServerNotResponding, fmt.Sprintf(
		"%s: the server accepted the TCP connection, then %s: no MongoDB answer came", addr, what))
	return "the Atlas host " + what, []report.Finding{stop, atlasAccessListFinding(addr, what)}, true
}
