package diagnose

import (
	"errors"
	"fmt"
	"net"

	"github.com/mongoconn/mongoconn/catalogue"
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
	host, port, err := net.SplitHostPort(seeds[0])
	if err != nil {
		host, port = seeds[0], "27017"
	}
	f := catalogue.NewFinding(catalogue.IDAtlasClusterPaused, fmt.Sprintf(
		"%s answers with %d SRV record(s), so the cluster exists, but none of its %d member(s) accepts a TCP connection from here: the cluster is paused, or this network blocks port 27017", name, records, len(seeds)))
	// A member and the cluster's name, not the catalogue's HOST.
	f.Fixes = catalogue.AtlasPausedFixes(host, port, x.t.SRVHost)
	x.addFinding(f)
}

// atlasProbeRejected is tlsconf.AtlasTLSRejected for a hello probe whose TLS
// handshake failed.
func atlasProbeRejected(addr string, err error) (string, []report.Finding, bool) {
	var pe *wireprobe.ProbeError
	if !errors.As(err, &pe) || pe.Kind != wireprobe.ProbeTLS {
		return "", nil, false
	}
	return tlsconf.AtlasTLSRejected(addr, pe.Err)
}
