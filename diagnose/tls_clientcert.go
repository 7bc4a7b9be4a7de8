package diagnose

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/internal/clientcert"
)

// clientCertStage judges the client certificate of the connection string
// before any handshake, as the server will: valid now, usable for client
// authentication, and, with MONGODB-X509, a user name that is its
// subject. A certificate that does not match its key never gets this far:
// building the TLS configuration fails (tlsFileFinding). It adds at most
// one auth.x509-client-cert and reports whether it did.
func (x *run) clientCertStage(s tlsSettings) bool {
	if s.CertKeyFile == "" && s.CertFile == "" {
		return false
	}
	cfg, err := s.Config("")
	leaf := tlsconf.ClientLeaf(cfg)
	if err != nil || leaf == nil {
		return false
	}
	subject := tlsconf.SubjectOf(leaf)
	var ev []string
	for _, p := range clientcert.Problems(leaf, x.now()) {
		ev = append(ev, fmt.Sprintf("%s: the client certificate %q is refused by the server: %s", s.CertFileOption(), subject, p))
	}
	if len(ev) > 0 {
		x.mu.Lock()
		x.certRefused = true
		x.mu.Unlock()
	}
	cs := x.t.Conn
	userDiffers := cs != nil && strings.EqualFold(cs.AuthMechanism, tlsconf.MechX509) && cs.Username != "" && cs.Username != subject
	if userDiffers {
		ev = append(ev, fmt.Sprintf("%s: the connection string names the user %q, but MONGODB-X509 authenticates the certificate's subject %q; the server refuses a user name that differs", s.CertFileOption(), cs.Username, subject))
	}
	if len(ev) == 0 {
		return false
	}
	ev = append(ev, fmt.Sprintf("%s: the certificate's subject in RFC 2253 form, the $external user MONGODB-X509 authenticates: %s", s.CertFileOption(), subject))
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert, ev...)
	f.Fixes = tlsconf.X509Fixes(subject, x.appDatabase())
	if userDiffers {
		f.Fixes = append([]string{fmt.Sprintf("Drop the user name %q from the connection string (MONGODB-X509 takes the user from the certificate), or write the subject exactly: %q", cs.Username, subject)}, f.Fixes...)
	}
	x.addFinding(f)
	return true
}

// clientCertRefused reports whether clientCertStage found a problem for
// which the server refuses the client certificate in the TLS handshake.
func (x *run) clientCertRefused() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.certRefused
}
