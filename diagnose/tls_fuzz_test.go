package diagnose

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// FuzzParseClientPEM feeds arbitrary bytes to the tlsCertificateKeyFile
// parser: it must return a certificate or an error, never panic. Seeds are
// real files of each layout. No password is given, so encrypted keys stop
// before key derivation (whose cost the file chooses).
func FuzzParseClientPEM(f *testing.F) {
	certs := mongotest.NewCerts(f)
	for _, p := range []string{certs.Client.PEMFile, certs.Client.KeyFile, certs.Client.CertFile, certs.ClientEncryptedFile, certs.CAFile} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cert, err := parseClientPEM(data, "")
		if err == nil && len(cert.Certificate) == 0 {
			t.Fatalf("no error and no certificate")
		}
		_ = parseCertsPEM(data)
	})
}

// FuzzURIRewrite checks that the corrected connection strings do not
// depend on the passwords in the input (so never show them): the same
// string with other passwords must give the same outputs.
func FuzzURIRewrite(f *testing.F) {
	f.Add("s3cret", "tls=true&authSource=db")
	f.Add("p4ss", "replicaSet=rs0;ssl=true")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, pass, query string) {
		if pass == "" || strings.ContainsAny(query, "@#") {
			return
		}
		// Only strings that parse reach the rewrites: ParseTarget rejects
		// passwords with characters that must be escaped.
		if _, err := ParseTarget("mongodb://alice:" + pass + "@127.0.0.1:27017/db?" + query); err != nil {
			return
		}
		mk := func(pw string) []string {
			// In the query the password is an option value, which '&' or
			// ';' would end: a real string encodes it, as done here.
			raw := "mongodb://alice:" + pw + "@127.0.0.1:27017/db?" + query + "&tlsCertificateKeyFilePassword=" + url.QueryEscape(pw)
			outs := []string{
				uriWithOptions(raw, "tls", "true", "tlsCAFile", "/path/to/ca.pem"),
				uriWithoutTLS(raw),
				uriWithoutOptions(raw, "authMechanism"),
			}
			s, _ := uriWithHost(raw, "db.example:27017")
			return append(outs, s)
		}
		a, b := mk(pass), mk("other-password")
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("output depends on the password:\n%q\n%q", a[i], b[i])
			}
		}
	})
}
