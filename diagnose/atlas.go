package diagnose

import (
	"errors"
	"fmt"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/wireprobe"
)

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

// atlasProbeRejected is AtlasTLSRejected for a hello probe whose TLS
// handshake failed.
func atlasProbeRejected(addr string, err error) (string, []report.Finding, bool) {
	var pe *wireprobe.ProbeError
	if !errors.As(err, &pe) || pe.Kind != wireprobe.ProbeTLS {
		return "", nil, false
	}
	return tlsconf.AtlasTLSRejected(addr, pe.Err)
}
