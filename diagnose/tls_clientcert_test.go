package diagnose

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// x509Server is a TLS fake mongod that checks client certificates
// against the test CA and authenticates users as the subjects listed.
func x509Server(t *testing.T, certs *mongotest.Certs, users ...string) *mongotest.FakeMongod {
	t.Helper()
	return mongotest.StartFakeMongod(t, mongotest.Options{
		TLS: &tls.Config{
			Certificates: []tls.Certificate{certs.Server(mongotest.CertValid).TLS},
			ClientCAs:    certs.Pool(),
			ClientAuth:   tls.VerifyClientCertIfGiven,
			MinVersion:   tls.VersionTLS12,
		},
		X509Users: users,
	})
}

func TestX509ClientCert(t *testing.T) {
	certs := mongotest.NewCerts(t)
	srv := x509Server(t, certs, certs.ClientSubject)
	without := x509Server(t, certs)
	e := NewEngine()
	e.Timeout = tlsTestBudget
	base := func(s *mongotest.FakeMongod, file string) string {
		return "mongodb://" + s.Addr() + "/?tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile) + "&tlsCertificateKeyFile=" + url.QueryEscape(file)
	}
	x509 := "&authMechanism=MONGODB-X509"
	cases := []struct {
		name     string
		uri      string
		evidence []string // nil: no auth.x509-client-cert and a healthy report
	}{
		{"valid, user exists", base(srv, certs.Client.PEMFile) + x509, nil},
		{"valid certificate, TLS only", base(without, certs.Client.PEMFile), nil},
		{"expired", base(srv, certs.ClientExpired.PEMFile), []string{"expired on", "$external user MONGODB-X509 authenticates: " + certs.ClientSubject}},
		{"no clientAuth usage", base(srv, certs.ClientNoClientAuth.PEMFile), []string{"allows serverAuth, not client authentication"}},
		{"key of another certificate", base(srv, certs.ClientKeyMismatchFile), []string{"is not the key of the certificate", certs.ClientSubject}},
		{"no such $external user", base(without, certs.Client.PEMFile) + x509, []string{"no $external user named by its subject", certs.ClientSubject, "AuthenticationFailed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := diagnoseURI(t, e, c.uri)
			f, ok := findingOf(r, catalogue.IDAuthX509ClientCert)
			if c.evidence == nil {
				if ok {
					t.Fatalf("unexpected auth.x509-client-cert: %v", f.Evidence)
				}
				if !r.OK {
					t.Errorf("not ok: %s", findingsText(r))
				}
				if strings.Contains(c.uri, x509) {
					if cs := stageChecks(r, report.StageAuth); len(cs) != 1 || !strings.Contains(cs[0].Summary, "authenticated as") {
						t.Errorf("auth checks %+v", cs)
					}
				}
				return
			}
			if !ok || f.Severity != report.SeverityError || r.OK {
				t.Fatalf("no auth.x509-client-cert error: %s", findingsText(r))
			}
			// The certificate is the cause: the server is MongoDB, and
			// it spoke TLS.
			for _, other := range r.Findings {
				if other.Severity == report.SeverityError && other.ID != catalogue.IDAuthX509ClientCert {
					t.Errorf("also %s: %s", other.ID, findingsText(r))
				}
			}
			ev := strings.Join(f.Evidence, "\n")
			for _, w := range c.evidence {
				if !strings.Contains(ev, w) {
					t.Errorf("evidence lacks %q:\n%s", w, ev)
				}
			}
			// The createUser fix names this certificate's subject, once,
			// and none of the catalogue's example names are left.
			fixes := strings.Join(f.Fixes, "\n")
			if want := fmt.Sprintf(`createUser: %q, roles: [{role: "readWrite", db: "<database>"}]`, certs.ClientSubject); strings.Count(fixes, "createUser") != 1 || !strings.Contains(fixes, want) {
				t.Errorf("fixes lack one %q:\n%s", want, fixes)
			}
			for _, example := range []string{"CN=client,OU=apps,O=example", `db: "shop"`, "mongodb://host:27017", "/path/to/client.pem"} {
				if strings.Contains(fixes, example) {
					t.Errorf("fixes carry the catalogue's example %q:\n%s", example, fixes)
				}
			}
		})
	}
}

func TestX509UserNameDiffers(t *testing.T) {
	certs := mongotest.NewCerts(t)
	srv := x509Server(t, certs, certs.ClientSubject)
	e := NewEngine()
	e.Timeout = tlsTestBudget
	uri := "mongodb://CN=someone-else@" + srv.Addr() + "/?tls=true&authMechanism=MONGODB-X509&tlsCAFile=" + url.QueryEscape(certs.CAFile) + "&tlsCertificateKeyFile=" + url.QueryEscape(certs.Client.PEMFile)
	r := diagnoseURI(t, e, uri)
	f, ok := findingOf(r, catalogue.IDAuthX509ClientCert)
	if !ok || !strings.Contains(strings.Join(f.Evidence, "\n"), `names the user "CN=someone-else"`) {
		t.Fatalf("no auth.x509-client-cert about the user name: %s", findingsText(r))
	}
	if want := fmt.Sprintf(`Drop the user name "CN=someone-else" from the connection string (MONGODB-X509 takes the user from the certificate), or write the subject exactly: %q`, certs.ClientSubject); len(f.Fixes) == 0 || f.Fixes[0] != want {
		t.Errorf("first fix %q, want %q", f.Fixes, want)
	}
}

// TestX509FixesNameTheDatabase: the createUser fix gives the role on the
// database of the string's path.
func TestX509FixesNameTheDatabase(t *testing.T) {
	certs := mongotest.NewCerts(t)
	e := NewEngine()
	e.Timeout = tlsTestBudget
	for _, tt := range []struct {
		name string
		srv  *mongotest.FakeMongod
		file string
	}{
		{"no such $external user", x509Server(t, certs), certs.Client.PEMFile},
		{"expired", x509Server(t, certs, certs.ClientSubject), certs.ClientExpired.PEMFile},
		{"key of another certificate", x509Server(t, certs, certs.ClientSubject), certs.ClientKeyMismatchFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			uri := "mongodb://" + tt.srv.Addr() + "/orders?tls=true&authMechanism=MONGODB-X509&tlsCAFile=" + url.QueryEscape(certs.CAFile) + "&tlsCertificateKeyFile=" + url.QueryEscape(tt.file)
			r := diagnoseURI(t, e, uri)
			f, ok := findingOf(r, catalogue.IDAuthX509ClientCert)
			if !ok {
				t.Fatalf("no auth.x509-client-cert: %s", findingsText(r))
			}
			want := fmt.Sprintf(`db.getSiblingDB("$external").runCommand({createUser: %q, roles: [{role: "readWrite", db: "orders"}]})`, certs.ClientSubject)
			if fixes := strings.Join(f.Fixes, "\n"); !strings.Contains(fixes, want) {
				t.Errorf("fixes lack %q:\n%s", want, fixes)
			}
		})
	}
}
