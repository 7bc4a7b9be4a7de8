package dnsfind

import (
	"errors"
	"fmt"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// AtlasNotFound returns atlas.cluster-not-found when host, the host of a
// mongodb+srv string, is a well-formed Atlas cluster name, and both its
// SRV name and the host itself do not exist (NXDOMAIN for the SRV
// question, srvErr, and for the TXT question asked beside it, txtErr): a
// name that exists without SRV records is another mistake.
func AtlasNotFound(host, qname string, srvErr, txtErr error) (report.Finding, bool) {
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
	f.Fixes = catalogue.AtlasNotFoundFixes(host) // this name, not the catalogue's example
	return f, true
}
