package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/description"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// classifyDriverError turns an error returned by the driver into findings,
// walking its chain with errors.As: the server-selection error carries the
// topology the driver saw, with each server's last error.
func (e *Engine) classifyDriverError(err error, t *connstr.Target) []report.Finding {
	if err == nil {
		return nil
	}
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) {
		return classifyTopology(sel.Desc, err)
	}
	if f, ok := classifyOne(err, ""); ok {
		return []report.Finding{f}
	}
	return []report.Finding{catalogue.NewFinding(catalogue.IDSelectTimeout, firstLine(connfind.DriverErrorText(err)))}
}

// classifyTopology explains a server-selection failure from the topology
// the driver had when it gave up.
func classifyTopology(desc description.Topology, err error) []report.Finding {
	var out []report.Finding
	if desc.CompatibilityErr != nil {
		id := catalogue.IDWireServerTooOld
		for _, s := range connfind.BoundedServers(desc) {
			if s.WireVersion != nil && s.WireVersion.Min > topology.SupportedWireVersions.Max {
				id = catalogue.IDWireServerTooNew
			}
		}
		out = append(out, catalogue.NewFinding(id, redact.Redact(desc.CompatibilityErr.Error())))
	}
	for _, s := range connfind.BoundedServers(desc) {
		if s.LastError == nil {
			continue
		}
		if f, ok := classifyOne(s.LastError, s.Addr.String()); ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		var ev []string
		for _, s := range connfind.BoundedServers(desc) {
			ev = append(ev, fmt.Sprintf("%s is %s", s.Addr, s.Kind))
		}
		ev = append(ev, "driver: "+firstLine(connfind.DriverErrorText(err)))
		if desc.Kind == description.TopologyKindReplicaSetNoPrimary {
			return []report.Finding{catalogue.NewFinding(catalogue.IDTopologyNoPrimary, ev...)}
		}
		out = append(out, catalogue.NewFinding(catalogue.IDSelectTimeout, ev...))
	}
	return out
}

// classifyOne maps one connection-level error to a finding.
func classifyOne(err error, addr string) (report.Finding, bool) {
	prefix := ""
	if addr != "" {
		prefix = addr + ": "
	}
	if f, ok := pathFinding(err); ok {
		return f, true
	}
	msg := prefix + firstLine(connfind.DriverErrorText(err))
	var (
		unknownCA  x509.UnknownAuthorityError
		unknownCAP *x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		hostErrP   *x509.HostnameError
		invalid    x509.CertificateInvalidError
		invalidP   *x509.CertificateInvalidError
		recErr     tls.RecordHeaderError
		recErrP    *tls.RecordHeaderError
		authErr    *auth.Error
		cmdErr     mongo.CommandError
		dnsErr     *net.DNSError
	)
	if f, ok := localFinding(addr, err); ok {
		return f, true
	}
	switch {
	case errors.As(err, &authErr):
		return catalogue.NewFinding(catalogue.IDAuthFailed, msg), true
	case errors.As(err, &cmdErr) && cmdErr.Code == 18:
		return catalogue.NewFinding(catalogue.IDAuthFailed, msg), true
	case errors.As(err, &unknownCA), errors.As(err, &unknownCAP):
		return catalogue.NewFinding(catalogue.IDTLSUnknownAuthority, msg), true
	case errors.As(err, &hostErr), errors.As(err, &hostErrP):
		return catalogue.NewFinding(catalogue.IDTLSHostnameMismatch, msg), true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired,
		errors.As(err, &invalidP) && invalidP.Reason == x509.Expired:
		return catalogue.NewFinding(catalogue.IDTLSExpired, msg), true
	case errors.As(err, &recErr), errors.As(err, &recErrP):
		return catalogue.NewFinding(catalogue.IDTLSServerNotTLS, msg), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return catalogue.NewFinding(catalogue.IDTCPRefused, msg), true
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return catalogue.NewFinding(catalogue.IDDNSNoSuchHost, msg), true
	case errors.As(err, &dnsErr):
		// A lookup that timed out or failed says nothing of the name.
		return catalogue.NewFinding(catalogue.IDDNSNoAnswer, msg), true
	case isTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return catalogue.NewFinding(catalogue.IDServerNotResponding, msg), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return catalogue.NewFinding(catalogue.IDServerNotMongoDB, msg+" (the peer closed the connection during the MongoDB handshake)"), true
	}
	return report.Finding{}, false
}
