package diagnose

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// alertInternalError is the TLS alert internal_error (RFC 8446 §6.2):
// what Atlas's front end sends, during the handshake, to an address that
// is not on the project's IP access list.
const alertInternalError = 80

// atlasTLSRejection reports whether err, a TLS handshake's failure after
// the TCP connection opened, is how Atlas treats an address that is not
// on the IP access list: the alert internal_error, or the connection
// reset or closed in mid-handshake. what says which, for evidence. A
// timeout is not one of them: silence has other causes.
func atlasTLSRejection(err error) (what string, ok bool) {
	if code, isAlert := remoteAlert(err); isAlert {
		if code == alertInternalError {
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

// atlasTLSRejected explains a TLS handshake an Atlas host rejected: the
// error that stops the stages (server.not-responding: no MongoDB answer
// came) and atlas.access-list, its likely cause. ok is false when host
// is not an Atlas host or err is another failure.
func atlasTLSRejected(addr string, err error) (summary string, fs []report.Finding, ok bool) {
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

// atlasProbeRejected is atlasTLSRejected for a hello probe whose TLS
// handshake failed.
func atlasProbeRejected(addr string, err error) (string, []report.Finding, bool) {
	var pe *wireprobe.ProbeError
	if !errors.As(err, &pe) || pe.Kind != wireprobe.ProbeTLS {
		return "", nil, false
	}
	return atlasTLSRejected(addr, pe.Err)
}

// atlasPaused adds atlas.cluster-paused when the SRV records of an Atlas
// cluster answered and every target refused or ignored the TCP
// connection: the DNS names of a paused cluster stay, its servers do not
// listen. failed are the seeds dialled; silentOrRefused says whether each
// failure was a refusal or a timeout (not a name that did not resolve).
func (x *run) atlasPaused(seeds []string, failed int, silentOrRefused bool) {
	if !x.t.SRV || len(seeds) == 0 || failed != len(seeds) || !silentOrRefused || !resolve.IsAtlas(seeds) {
		return
	}
	x.mu.Lock()
	srv := x.r.SRV
	var name string
	records := 0
	if srv != nil {
		name, records = srv.Name, len(srv.Records)
	}
	x.mu.Unlock()
	if records == 0 {
		return
	}
	x.addFinding(catalogue.NewFinding(catalogue.IDAtlasClusterPaused, fmt.Sprintf(
		"%s answers with %d SRV record(s), so the cluster exists, but none of its %d member(s) accepts a TCP connection from here: the cluster is paused, or this network blocks port 27017", name, records, len(seeds))))
}

// atlasNotFound returns atlas.cluster-not-found when host, the host of a
// mongodb+srv string, is a well-formed Atlas cluster name, and both its
// SRV name and the host itself do not exist (NXDOMAIN for the SRV
// question, srvErr, and for the TXT question asked beside it, txtErr): a
// name that exists without SRV records is another mistake.
func atlasNotFound(host, qname string, srvErr, txtErr error) (report.Finding, bool) {
	var de, te *resolve.DNSError
	if !errors.As(srvErr, &de) || de.Kind != resolve.DNSNotFound || !errors.As(txtErr, &te) || te.Kind != resolve.DNSNotFound {
		return report.Finding{}, false
	}
	h, ok := connstr.ParseAtlasClusterHost(host)
	if !ok {
		return report.Finding{}, false
	}
	parts := fmt.Sprintf("the cluster name %q (the first label) and the project identifier %q (the label before %s)", h.Cluster, h.ID, h.Domain[1:])
	if h.Legacy {
		parts = fmt.Sprintf("the cluster name %q and the project identifier %q (joined by a hyphen before %s)", h.Cluster, h.ID, h.Domain[1:])
	}
	server := ""
	if de.Server != "" {
		server = " (" + de.Server + ")"
	}
	f := catalogue.NewFinding(catalogue.IDAtlasClusterNotFound,
		fmt.Sprintf("%s: the DNS%s answers that the name does not exist (NXDOMAIN): no Atlas cluster answers to %s", qname, server, host),
		"check "+parts+" against the connection string in the Atlas UI; a deleted cluster's name no longer exists")
	return f, true
}
