package connfind

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/description"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// ClassifyTopology explains a server-selection failure from the topology
// the driver had when it gave up.
func ClassifyTopology(desc description.Topology, err error) []report.Finding {
	var out []report.Finding
	if desc.CompatibilityErr != nil {
		id := catalogue.IDWireServerTooOld
		for _, s := range BoundedServers(desc) {
			if s.WireVersion != nil && s.WireVersion.Min > topology.SupportedWireVersions.Max {
				id = catalogue.IDWireServerTooNew
			}
		}
		out = append(out, catalogue.NewFinding(id, redact.Redact(desc.CompatibilityErr.Error())))
	}
	for _, s := range BoundedServers(desc) {
		if s.LastError == nil {
			continue
		}
		if f, ok := Classify(s.LastError, s.Addr.String()); ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		var ev []string
		for _, s := range BoundedServers(desc) {
			ev = append(ev, fmt.Sprintf("%s is %s", s.Addr, s.Kind))
		}
		ev = append(ev, "driver: "+FirstLine(DriverErrorText(err)))
		if desc.Kind == description.TopologyKindReplicaSetNoPrimary {
			return []report.Finding{catalogue.NewFinding(catalogue.IDTopologyNoPrimary, ev...)}
		}
		out = append(out, catalogue.NewFinding(catalogue.IDSelectTimeout, ev...))
	}
	return out
}

// Classify maps one connection-level error to a finding.
func Classify(err error, addr string) (report.Finding, bool) {
	prefix := ""
	if addr != "" {
		prefix = addr + ": "
	}
	if f, _, ok := PathFinding(err); ok {
		return f, true
	}
	msg := prefix + FirstLine(DriverErrorText(err))
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
	if f, ok := LocalFinding(addr, err); ok {
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
	case IsTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return catalogue.NewFinding(catalogue.IDServerNotResponding, msg), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return catalogue.NewFinding(catalogue.IDServerNotMongoDB, msg+" (the peer closed the connection during the MongoDB handshake)"), true
	}
	return report.Finding{}, false
}

func IsTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// UnwrapOp drops the "dial tcp a->b:" prefix of a *net.OpError.
func UnwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// LocalFinding is local.resources when err says this machine ran out of
// file descriptors, ports, buffers or memory: such a failure never reached
// the network, so it is never a tcp, tls, dns or server finding. A lookup
// that failed so (the dial resolves names too) says the DNS question
// could not be sent.
func LocalFinding(addr string, err error) (report.Finding, bool) {
	var de *resolve.DNSError
	var ne *net.DNSError
	if errors.As(err, &de) || errors.As(err, &ne) {
		name := addr
		if name == "" {
			name = "a host name lookup"
		}
		return LocalDNSFinding(name, err)
	}
	errno, ok := netpath.LocalResourceError(err)
	if !ok {
		return report.Finding{}, false
	}
	ev := netpath.LocalResourceReason(errno)
	if addr != "" {
		ev = addr + ": the connection could not be opened: " + ev
	}
	return catalogue.NewFinding(catalogue.IDLocalResources, ev), true
}

// LocalOr is local.resources in place of f, a DNS finding about name,
// when err says the lookup's socket could not be opened: the question
// never reached a DNS server, so nothing is known of the name.
func LocalOr(f report.Finding, name string, err error) report.Finding {
	if lf, ok := LocalDNSFinding(name, err); ok {
		return lf
	}
	return f
}

// LocalDNSFinding is local.resources when err, a failed lookup of name,
// says the question was never sent (resolve.DNSLocal): this machine had
// no descriptor, port or memory for the socket, or to read resolv.conf
// or the hosts file.
func LocalDNSFinding(name string, err error) (report.Finding, bool) {
	errno, ok := resolve.IsLocal(err)
	if !ok {
		return report.Finding{}, false
	}
	return catalogue.NewFinding(catalogue.IDLocalResources, name+": the DNS question could not be sent: "+netpath.LocalResourceReason(errno)), true
}

func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
