package connstr

import (
	"net/url"
	"strings"
	"testing"
)

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
				WithOptions(raw, "tls", "true", "tlsCAFile", "/path/to/ca.pem"),
				WithoutTLS(raw),
				WithoutOptions(raw, "authMechanism"),
			}
			s, _ := WithHost(raw, "db.example:27017")
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
