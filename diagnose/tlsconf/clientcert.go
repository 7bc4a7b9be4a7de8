package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/clientcert"
	"github.com/mongoconn/mongoconn/report"
)

// MechX509 is the authentication mechanism of client certificates.
const MechX509 = "MONGODB-X509"

// ClientLeaf is the client certificate of cfg, nil when it has none.
func ClientLeaf(cfg *tls.Config) *x509.Certificate {
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
func (s Settings) CertFileOption() string {
	if s.CertKeyFile != "" {
		return "tlsCertificateKeyFile " + s.CertKeyFile
	}
	return "tlsCertificateFile " + s.CertFile
}

// SubjectOf is leaf's subject in RFC 2253 form, the $external user name.
func SubjectOf(leaf *x509.Certificate) string {
	if s, err := clientcert.SubjectRFC2253(leaf.RawSubject); err == nil {
		return s
	}
	return leaf.Subject.String()
}

// X509Fixes are auth.x509-client-cert's fixes for the certificate whose
// RFC 2253 subject is subject, used by an application of the database db
// ("" when unknown): the catalogue's, with this subject rather than its
// example, and without its example string, since the connection string
// already names the certificate.
func X509Fixes(subject, db string) []string {
	return catalogue.X509ClientCertFixes(subject, db, "")
}

// X509KeyMismatch is auth.x509-client-cert for a certificate file whose
// private key is not the certificate's; db is the application's database
// ("" when unknown).
func X509KeyMismatch(err error, db string) (report.Finding, bool) {
	var km *clientcert.KeyMismatchError
	if !errors.As(err, &km) {
		return report.Finding{}, false
	}
	var fe *FileError
	where := "the client certificate file"
	if errors.As(err, &fe) {
		where = fe.Option + " " + fe.Path
	}
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert,
		fmt.Sprintf("%s: %v: the TLS handshake cannot prove the certificate is this machine's", where, km),
		fmt.Sprintf("%s: the certificate's subject in RFC 2253 form, the $external user MONGODB-X509 authenticates: %s", where, km.Subject))
	f.Fixes = append([]string{"Put the certificate together with its own private key in the file (cat client.crt client.key > client.pem); the key that was issued with the certificate, not another one"}, X509Fixes(km.Subject, db)...)
	return f, true
}

// X509AuthFailed is auth.x509-client-cert for a MONGODB-X509
// authentication the server refused: no $external user is named by the
// certificate's subject. db is the application's database ("" when
// unknown), for the user's role.
func X509AuthFailed(addr string, cfg *tls.Config, used, serverSaid, db string) (report.Finding, bool) {
	leaf := ClientLeaf(cfg)
	if leaf == nil {
		return report.Finding{}, false
	}
	subject := SubjectOf(leaf)
	f := catalogue.NewFinding(catalogue.IDAuthX509ClientCert, used, addr+": the server answered: "+serverSaid,
		fmt.Sprintf("%s: the server accepted the certificate in the TLS handshake but has no $external user named by its subject, in RFC 2253 form: %s", addr, subject))
	// The server took the certificate in the handshake: the user is what
	// is missing, not a new certificate.
	f.Fixes = []string{catalogue.X509CreateUserFix(subject, db)}
	return f, true
}
