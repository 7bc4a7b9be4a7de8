package diagnose

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/clientcert"
	"github.com/mongoconn/mongoconn/report"
)

// mechX509 is the authentication mechanism of client certificates.
const mechX509 = "MONGODB-X509"

// clientLeaf is the client certificate of cfg, nil when it has none.
func clientLeaf(cfg *tls.Config) *x509.Certificate {
	if cfg == nil || len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil
	}
	if leaf := cfg.Certificates[0].Leaf; leaf != nil {
		return leaf
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// certFileOption names the option and file the client certificate came
// from, for evidence.
func (s tlsSettings) certFileOption() string {
	if s.certKeyFile != "" {
		return "tlsCertificateKeyFile " + s.certKeyFile
	}
	return "tlsCertificateFile " + s.certFile
}

// subjectOf is leaf's subject in RFC 2253 form, the $external user name.
func subjectOf(leaf *x509.Certificate) string {
	if s, err := clientcert.SubjectRFC2253(leaf.RawSubject); err == nil {
		return s
	}
	return leaf.Subject.String()
}

// x509CreateUserFix is the command that creates the $external user a
// certificate authenticates as.
func x509CreateUserFix(subject string) string {
	return fmt.Sprintf("Create the $external user the certificate authenticates as (its subject in RFC 2253 form, exactly): db.getSiblingDB(\"$external\").runCommand({createUser: %q, roles: [{role: \"readWrite\", db: \"<database>\"}]})", subject)
}

// clientCertStage judges the client certificate of the connection string
// before any handshake, as the server will: valid now, usable for client
// authentication, and, with MONGODB-X509, a user name that is its
// subject. A certificate that does not match its key never gets this far:
// building the TLS configuration fails (tlsFileFinding). It adds at most
// one auth.x509-client-cert and reports whether it did.
func (x *run) clientCertStage(s tlsSettings) bool {
	if s.certKeyFile == "" && s.certFile == "" {
		return false
	}
	cfg, err := s.config("")
	leaf := clientLeaf(cfg)
	if err != nil || leaf == nil {
		return false
	}
	subject := subjectOf(leaf)
	var ev []string
	for _, p := range clientcert.Problems(leaf, x.now()) {
		ev = append(ev, fmt.Sprintf("%s: the client certificate %q is refused by the server: %s", s.certFileOption(), subject, p))
	}
	cs := x.t.Conn
	if cs != nil && strings.EqualFold(cs.AuthMechanism, mechX509) && cs.Username != "" && cs.Username != subject {
		ev = append(ev, fmt.Sprintf("%s: the connection string names the user %q, but MONGODB-X509 authenticates the certificate's subject %q; the server refuses a user name that differs", s.certFileOption(), cs.Username, subject))
	}
	if len(ev) == 0 {
		return false
	}
	ev = append(ev, fmt.Sprintf("%s: the certificate's subject in RFC 2253 form, the $external user MONGODB-X509 authenticates: %s", s.certFileOption(), subject))
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert, ev...)
	f.Fixes = append(f.Fixes, x509CreateUserFix(subject))
	x.addFinding(f)
	return true
}

// x509KeyMismatch is auth.x509-client-cert for a certificate file whose
// private key is not the certificate's.
func x509KeyMismatch(err error) (report.Finding, bool) {
	var km *clientcert.KeyMismatchError
	if !errors.As(err, &km) {
		return report.Finding{}, false
	}
	var fe *TLSFileError
	where := "the client certificate file"
	if errors.As(err, &fe) {
		where = fe.Option + " " + fe.Path
	}
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert,
		fmt.Sprintf("%s: %v: the TLS handshake cannot prove the certificate is this machine's", where, km),
		fmt.Sprintf("%s: the certificate's subject in RFC 2253 form, the $external user MONGODB-X509 authenticates: %s", where, km.Subject))
	f.Fixes = append([]string{"Put the certificate together with its own private key in the file (cat client.crt client.key > client.pem); the key that was issued with the certificate, not another one"}, f.Fixes...)
	return f, true
}

// x509AuthFailed is auth.x509-client-cert for a MONGODB-X509
// authentication the server refused: no $external user is named by the
// certificate's subject.
func x509AuthFailed(addr string, cfg *tls.Config, used, serverSaid string) (report.Finding, bool) {
	leaf := clientLeaf(cfg)
	if leaf == nil {
		return report.Finding{}, false
	}
	subject := subjectOf(leaf)
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert, used, addr+": the server answered: "+serverSaid,
		fmt.Sprintf("%s: the server accepted the certificate in the TLS handshake but has no $external user named by its subject, in RFC 2253 form: %s", addr, subject))
	f.Fixes = append([]string{x509CreateUserFix(subject)}, f.Fixes...)
	return f, true
}
