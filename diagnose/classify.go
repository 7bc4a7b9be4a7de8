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

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/description"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// classifyDriverError turns an error returned by the driver into findings,
// walking its chain with errors.As: the server-selection error carries the
// topology the driver saw, with each server's last error.
func (e *Engine) classifyDriverError(err error, t *Target) []Finding {
	if err == nil {
		return nil
	}
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) {
		return classifyTopology(sel.Desc, err)
	}
	if f, ok := classifyOne(err, ""); ok {
		return []Finding{f}
	}
	return []Finding{NewFinding(IDSelectTimeout, firstLine(Redact(err.Error())))}
}

// classifyTopology explains a server-selection failure from the topology
// the driver had when it gave up.
func classifyTopology(desc description.Topology, err error) []Finding {
	var out []Finding
	if desc.CompatibilityErr != nil {
		id := IDWireServerTooOld
		for _, s := range desc.Servers {
			if s.WireVersion != nil && s.WireVersion.Min > topology.SupportedWireVersions.Max {
				id = IDWireServerTooNew
			}
		}
		out = append(out, NewFinding(id, Redact(desc.CompatibilityErr.Error())))
	}
	for _, s := range desc.Servers {
		if s.LastError == nil {
			continue
		}
		if f, ok := classifyOne(s.LastError, s.Addr.String()); ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		var ev []string
		for _, s := range desc.Servers {
			ev = append(ev, fmt.Sprintf("%s is %s", s.Addr, s.Kind))
		}
		ev = append(ev, "driver: "+firstLine(Redact(err.Error())))
		if desc.Kind == description.TopologyKindReplicaSetNoPrimary {
			return []Finding{NewFinding(IDTopologyNoPrimary, ev...)}
		}
		out = append(out, NewFinding(IDSelectTimeout, ev...))
	}
	return out
}

// classifyOne maps one connection-level error to a finding.
func classifyOne(err error, addr string) (Finding, bool) {
	prefix := ""
	if addr != "" {
		prefix = addr + ": "
	}
	msg := prefix + firstLine(Redact(err.Error()))
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
	switch {
	case errors.As(err, &authErr):
		return NewFinding(IDAuthFailed, msg), true
	case errors.As(err, &cmdErr) && cmdErr.Code == 18:
		return NewFinding(IDAuthFailed, msg), true
	case errors.As(err, &unknownCA), errors.As(err, &unknownCAP):
		return NewFinding(IDTLSUnknownAuthority, msg), true
	case errors.As(err, &hostErr), errors.As(err, &hostErrP):
		return NewFinding(IDTLSHostnameMismatch, msg), true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired,
		errors.As(err, &invalidP) && invalidP.Reason == x509.Expired:
		return NewFinding(IDTLSExpired, msg), true
	case errors.As(err, &recErr), errors.As(err, &recErrP):
		return NewFinding(IDTLSServerNotTLS, msg), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return NewFinding(IDTCPRefused, msg), true
	case errors.As(err, &dnsErr):
		return NewFinding(IDDNSNoSuchHost, msg), true
	case isTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return NewFinding(IDServerNotResponding, msg), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return NewFinding(IDServerNotMongoDB, msg+" (the peer closed the connection during the MongoDB handshake)"), true
	}
	return Finding{}, false
}
