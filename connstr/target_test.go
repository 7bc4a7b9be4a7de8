package connstr

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

func TestParseTargetErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		id      string
		pos     int    // in the redacted string
		msg     string // a piece of Msg
		suggest string // SuggestedURI, "" for none
	}{
		{"empty", "", catalogue.IDURIInvalid, 0, "empty", DefaultURI},
		{"blank", "  ", catalogue.IDURIInvalid, 0, "empty", DefaultURI},
		{"trailing newline", "mongodb://localhost:27017\n", catalogue.IDURIInvalid, 25, "white space", "mongodb://localhost:27017"},
		{"leading space", " mongodb://localhost", catalogue.IDURIInvalid, 0, "white space", "mongodb://localhost"},
		{"missing scheme", "localhost:27017", catalogue.IDURIInvalid, 0, "missing scheme", "mongodb://localhost:27017"},
		{"docker service named mongodb", "mongodb:27017", catalogue.IDURIInvalid, 0, "missing scheme", "mongodb://mongodb:27017"},
		{"missing scheme with credentials", "alice:s3cret@db:27017", catalogue.IDURIInvalid, 0, "missing scheme", "mongodb://alice:****@db:27017"},
		{"mongo scheme", "mongo://localhost:27017", catalogue.IDURIInvalid, 0, `"mongo"`, "mongodb://localhost:27017"},
		{"http scheme", "http://localhost:27017", catalogue.IDURIInvalid, 0, "web address", "mongodb://localhost:27017"},
		{"srv typo", "mongodb-srv://cluster0.example.net", catalogue.IDURIInvalid, 0, "unknown scheme", "mongodb+srv://cluster0.example.net"},
		{"upper-case scheme", "MongoDB://localhost", catalogue.IDURIInvalid, 0, "lower-case", "mongodb://localhost"},
		{"double quotes", `"mongodb://alice:s3cret@db:27017/"`, catalogue.IDURIInvalid, 0, "wrapped in double quotes", "mongodb://alice:****@db:27017/"},
		{"single quotes", `'mongodb+srv://cluster0.example.net/?w=1'`, catalogue.IDURIInvalid, 0, "wrapped in single quotes", "mongodb+srv://cluster0.example.net/?w=1"},
		{"opening quote only", `"mongodb://db:27017`, catalogue.IDURIInvalid, 0, "wrapped in double quotes", "mongodb://db:27017"},
		{"colon missing", "mongodb//localhost:27017", catalogue.IDURIInvalid, 7, "':' after \"mongodb\" is missing", "mongodb://localhost:27017"},
		{"colon missing, srv", "mongodb+srv//alice:s3cret@cluster0.example.net/", catalogue.IDURIInvalid, 11, "':' after \"mongodb+srv\" is missing", "mongodb+srv://alice:****@cluster0.example.net/"},
		{"one slash", "mongodb:/localhost", catalogue.IDURIInvalid, 7, `followed by "://"`, "mongodb://localhost"},
		{"no slash", "mongodb+srv:cluster0.example.net", catalogue.IDURIInvalid, 11, `followed by "://"`, "mongodb+srv://cluster0.example.net"},
		{"missing host", "mongodb://", catalogue.IDURIInvalid, 10, "missing host", "mongodb://localhost:27017"},
		{"missing host with credentials", "mongodb://a:b@/db", catalogue.IDURIInvalid, 17, "missing host", "mongodb://a:****@localhost:27017/db"},
		{"unescaped socket path", "mongodb:///tmp/mongodb-27017.sock/?w=1", catalogue.IDURIInvalid, 10, "UNIX domain socket", "mongodb://%2Ftmp%2Fmongodb-27017.sock/?w=1"},
		{"socket without .sock", "mongodb://%2Ftmp%2Fmongodb", catalogue.IDURIInvalid, 10, ".sock", ""},
		{"port zero", "mongodb://localhost:0/", catalogue.IDURIInvalid, 20, "out of range", ""},
		{"port too big", "mongodb://a,localhost:65536", catalogue.IDURIInvalid, 22, "out of range", ""},
		{"huge port", "mongodb://localhost:99999999999999999999999", catalogue.IDURIInvalid, 20, "out of range", ""},
		{"port not a number", "mongodb://localhost:27o17", catalogue.IDURIInvalid, 22, "not a number", ""},
		{"negative port", "mongodb://localhost:-1", catalogue.IDURIInvalid, 20, "not a number", ""},
		{"plus sign port", "mongodb://localhost:+80", catalogue.IDURIInvalid, 20, "not a number", ""},
		{"empty port", "mongodb://localhost:/", catalogue.IDURIInvalid, 20, "missing", ""},
		{"double colon", "mongodb://localhost::27017", catalogue.IDURIInvalid, 20, "more than one ':'", ""},
		{"bare IPv6", "mongodb://::1:27017", catalogue.IDURIInvalid, 10, "brackets", "mongodb://[::1]:27017"},
		{"unclosed bracket", "mongodb://[::1:27017", catalogue.IDURIInvalid, 10, "']'", ""},
		{"not IPv6 in brackets", "mongodb://[localhost]:27017", catalogue.IDURIInvalid, 11, "not an IPv6", ""},
		{"junk after bracket", "mongodb://[::1]x", catalogue.IDURIInvalid, 15, "after the IPv6", ""},
		{"empty host between commas", "mongodb://a,,b", catalogue.IDURIInvalid, 11, "extra comma", "mongodb://a,b"},
		{"trailing comma", "mongodb://a:1,/", catalogue.IDURIInvalid, 13, "extra comma", "mongodb://a:1/"},
		{"space in host", "mongodb://local host", catalogue.IDURIInvalid, 15, "character", ""},
		{"colon without host", "mongodb://:27017", catalogue.IDURIInvalid, 10, "missing before", ""},
		{"bad escape in host", "mongodb://ho%zzst", catalogue.IDURIInvalid, 12, "%XX", ""},
		{"srv with port", "mongodb+srv://cluster0.example.net:27017/", catalogue.IDURISRVWithPort, 34, "cannot have a port", "mongodb+srv://cluster0.example.net/"},
		{"srv with two hosts", "mongodb+srv://a.example.net,b.example.net/?w=1", catalogue.IDURISRVWithPort, 27, "exactly one host", "mongodb+srv://a.example.net/?w=1"},
		{"srv with an address", "mongodb+srv://[::1]", catalogue.IDURIInvalid, 14, "DNS host name", ""},
		{"password with colon", "mongodb://alice:foo:bar@h", catalogue.IDURIUnescapedCredentials, 16, "unescaped ':'", "mongodb://alice:****@h"},
		{"password with slash", "mongodb://alice:a/b@h/db", catalogue.IDURIUnescapedCredentials, 16, "unescaped '/'", "mongodb://alice:****@h/db"},
		{"password with at-sign", "mongodb://alice:p@ss@h", catalogue.IDURIUnescapedCredentials, 16, "unescaped '@'", "mongodb://alice:****@h"},
		{"password with hash", "mongodb://alice:p#ss@h", catalogue.IDURIUnescapedCredentials, 16, "unescaped '#'", "mongodb://alice:****@h"},
		{"password with stray percent", "mongodb://alice:100%@h", catalogue.IDURIUnescapedCredentials, 16, "'%'", "mongodb://alice:****@h"},
		{"user with at-sign", "mongodb://alice@corp:pw@h", catalogue.IDURIUnescapedCredentials, 15, "unescaped '@'", "mongodb://alice%40corp:****@h"},
		{"user with slash", "mongodb://dom/alice@h", catalogue.IDURIUnescapedCredentials, 13, "unescaped '/'", "mongodb://dom%2Falice@h"},
		{"user with space", "mongodb://al ice:pw@h", catalogue.IDURIUnescapedCredentials, 12, "space", "mongodb://al%20ice:****@h"},
		{"user keeps valid escapes", "mongodb://a%40b%:pw@h", catalogue.IDURIUnescapedCredentials, 15, "'%'", "mongodb://a%40b%25:****@h"},
		{"atlas placeholder password", "mongodb+srv://alice:<db_password>@cluster0.example.net/", catalogue.IDURIInvalid, 20, "placeholder <db_password>", ""},
		{"other placeholder password", "mongodb://alice:<my secret>@h", catalogue.IDURIInvalid, 16, "placeholder <****>", ""},
		{"placeholder user name", "mongodb://<username>:pw@h", catalogue.IDURIInvalid, 10, "placeholder <username>", ""},
		{"empty user", "mongodb://:pw@h", catalogue.IDURIInvalid, 10, "no user name", "mongodb://h"},
		{"at-sign alone", "mongodb://@h", catalogue.IDURIInvalid, 10, "no user name", "mongodb://h"},
		{"bad database escape", "mongodb://h/ad%zzmin", catalogue.IDURIInvalid, 14, "%XX", ""},
		{"database with space", "mongodb://h/my%20db", catalogue.IDURIInvalid, 12, "database name", ""},
		{"database with dollar", "mongodb://h/$external", catalogue.IDURIInvalid, 12, "database name", ""},
		{"option without value", "mongodb://h/?w", catalogue.IDURIInvalid, 13, "has no value", ""},
		{"option without name", "mongodb://h/?=1", catalogue.IDURIInvalid, 13, "no name", ""},
		{"bad escape in value", "mongodb://h/?appName=a%zz", catalogue.IDURIInvalid, 21, "percent-encoded", ""},
		{"bad escape in key", "mongodb://h/?app%zz=1", catalogue.IDURIInvalid, 13, "percent-encoded", ""},
		{"direct with two hosts", "mongodb://a:1,b:2/?directConnection=true", catalogue.IDURIDirectMultipleHosts, 19, "exactly one host", "mongodb://a:1/?directConnection=true"},
		{"connect=direct with two hosts", "mongodb://a,b/?connect=direct", catalogue.IDURIDirectMultipleHosts, 15, "exactly one host", "mongodb://a/?connect=direct"},
		{"direct with srv", "mongodb+srv://c.example.net/?directConnection=TRUE", catalogue.IDURIDirectMultipleHosts, 29, "mongodb+srv", ""},
		{"tls and ssl differ", "mongodb://h/?ssl=true&tls=false", catalogue.IDURIInvalid, 22, "same value", ""},
		{"tlsInsecure with allow invalid hostnames", "mongodb://h/?tlsAllowInvalidHostnames=false&tlsInsecure=false", catalogue.IDURIInvalid, 44, "cannot both", ""},
		{"srv option on mongodb://", "mongodb://h/?srvServiceName=custom", catalogue.IDURIInvalid, 13, "mongodb+srv", ""},
		{"bad srv service name", "mongodb+srv://c.example.net/?srvServiceName=a_b", catalogue.IDURIInvalid, 44, "service name", ""},
		{"srvMaxHosts with loadBalanced", "mongodb+srv://c.example.net/?loadBalanced=true&srvMaxHosts=3", catalogue.IDURIInvalid, 47, "loadBalanced", ""},
		{"loadBalanced with two hosts", "mongodb://a,b/?loadBalanced=true", catalogue.IDURIInvalid, 15, "exactly one host", ""},
		{"loadBalanced with replicaSet", "mongodb://a/?replicaSet=rs&loadBalanced=true", catalogue.IDURIInvalid, 27, "replicaSet", ""},
		{"loadBalanced with direct", "mongodb://a/?loadBalanced=true&directConnection=true", catalogue.IDURIInvalid, 31, "directConnection", ""},
		{"proxy user without password", "mongodb://h/?proxyHost=p&proxyUsername=u", catalogue.IDURIInvalid, 25, "proxyPassword", ""},
		{"proxy repeated", "mongodb://h/?proxyHost=p&proxyHost=q", catalogue.IDURIInvalid, 25, "more than once", ""},
		{"unknown read preference", "mongodb://h/?readPreference=secundary", catalogue.IDURIInvalid, 28, "read preference", ""},
		{"tags with primary", "mongodb://h/?readPreference=primary&readPreferenceTags=dc:ny", catalogue.IDURIInvalid, 36, "primary", ""},
		{"max staleness with primary", "mongodb://h/?maxStalenessSeconds=120", catalogue.IDURIInvalid, 13, "primary", ""},
		{"min pool above max", "mongodb://h/?maxPoolSize=5&minPoolSize=10", catalogue.IDURIInvalid, 27, "minPoolSize", ""},
		{"w=0 with journal", "mongodb://h/?w=0&journal=true", catalogue.IDURIInvalid, 17, "w=0", ""},
		{"unknown mechanism", "mongodb://u:p@h/?authMechanism=SCRAM-SHA-512", catalogue.IDURIInvalid, 34, "mechanism", ""},
		{"removed mechanism", "mongodb://u:p@h/?authMechanism=MONGODB-CR", catalogue.IDURIInvalid, 34, "mechanism", ""},
		{"scram without user", "mongodb://h/?authMechanism=SCRAM-SHA-256", catalogue.IDURIInvalid, 13, "user name", ""},
		{"scram without password", "mongodb://u@h/?authMechanism=SCRAM-SHA-1", catalogue.IDURIInvalid, 15, "password", ""},
		{"x509 with password", "mongodb://u:p@h/?authMechanism=MONGODB-X509", catalogue.IDURIInvalid, 20, "no password", ""},
		{"gssapi wrong source", "mongodb://u@h/?authMechanism=GSSAPI&authSource=admin", catalogue.IDURIInvalid, 36, "$external", ""},
		{"gssapi bad canonicalization", "mongodb://u@h/?authMechanism=GSSAPI&authMechanismProperties=CANONICALIZE_HOST_NAME:maybe", catalogue.IDURIInvalid, 36, "CANONICALIZE_HOST_NAME", ""},
		{"aws user without password", "mongodb://AKIA@h/?authMechanism=MONGODB-AWS", catalogue.IDURIInvalid, 18, "secret access key", ""},
		{"oidc allowed hosts", "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ALLOWED_HOSTS:x", catalogue.IDURIInvalid, 40, "ALLOWED_HOSTS", ""},
		{"oidc azure without audience", "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure", catalogue.IDURIInvalid, 40, "TOKEN_RESOURCE", ""},
		{"empty authSource", "mongodb://u:p@h/?authSource=", catalogue.IDURIInvalid, 31, "authSource", ""},
		{"key file with cert file", "mongodb://h/?tlsCertificateKeyFile=a.pem&tlsCertificateFile=b.pem&tlsPrivateKeyFile=c.pem", catalogue.IDURIInvalid, 13, "tlsCertificateKeyFile", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, err := ParseTarget(tc.in)
			var ue *URIError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseTarget(%q) = %+v, %v; want a *URIError", tc.in, target, err)
			}
			if ue.ID != tc.id {
				t.Errorf("ID = %q, want %q (%s)", ue.ID, tc.id, ue.Msg)
			}
			if ue.Pos != tc.pos {
				t.Errorf("Pos = %d, want %d (%s)\n%s", ue.Pos, tc.pos, ue.Msg, ue.Caret())
			}
			if !strings.Contains(ue.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to mention %q", ue.Msg, tc.msg)
			}
			if ue.Hint == "" {
				t.Errorf("no hint for %q", tc.in)
			}
			if ue.SuggestedURI != tc.suggest {
				t.Errorf("SuggestedURI = %q, want %q", ue.SuggestedURI, tc.suggest)
			}
			if ue.Redacted != redact.Redact(ue.Redacted) && !strings.Contains(ue.Redacted, "****") {
				t.Errorf("Redacted %q is not redacted", ue.Redacted)
			}
			if !strings.HasPrefix(ue.Error(), "invalid connection string") {
				t.Errorf("Error() = %q", ue.Error())
			}
		})
	}
}

func TestURIErrorCaret(t *testing.T) {
	tests := []struct {
		name string
		e    URIError
		want string
	}{
		{"start", URIError{Redacted: "mongo://h", Pos: 0}, "mongo://h\n^"},
		{"middle", URIError{Redacted: "mongodb://h:0", Pos: 12}, "mongodb://h:0\n            ^"},
		{"end", URIError{Redacted: "mongodb://", Pos: 10}, "mongodb://\n          ^"},
		{"multi-byte before", URIError{Redacted: "mongodb://bücher:x", Pos: 18}, "mongodb://bücher:x\n                 ^"},
		{"control characters shown as ?", URIError{Redacted: "mongodb://h\n", Pos: 11}, "mongodb://h?\n           ^"},
		{"unknown position", URIError{Redacted: "mongodb://h", Pos: -1}, "mongodb://h"},
		{"position past the end", URIError{Redacted: "ab", Pos: 9}, "ab"},
		{"long, problem at the start", URIError{Redacted: "mongo://" + strings.Repeat("q", 200), Pos: 0},
			"mongo://" + strings.Repeat("q", 72) + "… (208 bytes)\n^"},
		{"long, problem in the middle", URIError{Redacted: strings.Repeat("a", 100) + "^" + strings.Repeat("b", 100), Pos: 100},
			"…" + strings.Repeat("a", 40) + "^" + strings.Repeat("b", 39) + "… (201 bytes)\n" + strings.Repeat(" ", 41) + "^"},
		{"long, problem at the end", URIError{Redacted: strings.Repeat("é", 100), Pos: 200},
			"…" + strings.Repeat("é", 40) + " (200 bytes)\n" + strings.Repeat(" ", 41) + "^"},
		{"long, control characters", URIError{Redacted: strings.Repeat("\x1b", 100), Pos: 1},
			strings.Repeat("?", 80) + "… (100 bytes)\n ^"},
		{"long, unknown position", URIError{Redacted: strings.Repeat("q", 100), Pos: -1},
			strings.Repeat("q", 80) + "… (100 bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Caret(); got != tc.want {
				t.Errorf("Caret() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestURIErrorCaretPointsAtProblem(t *testing.T) {
	tests := []struct{ in, under string }{
		{"mongodb://localhost:0/", "0"},
		{"mongodb://alice:p@ss@h", "*"},
		{"mongodb://a:secret@h:99999", "9"},
		{"mongodb://u:pw@h/?w", "w"},
		{"mongodb+srv://c.example.net:27017", ":"},
	}
	for _, tc := range tests {
		_, err := ParseTarget(tc.in)
		var ue *URIError
		if !errors.As(err, &ue) {
			t.Fatalf("ParseTarget(%q): %v", tc.in, err)
		}
		lines := strings.Split(ue.Caret(), "\n")
		if len(lines) != 2 {
			t.Fatalf("Caret() of %q = %q", tc.in, ue.Caret())
		}
		col := strings.Index(lines[1], "^")
		if got := string([]rune(lines[0])[col]); got != tc.under {
			t.Errorf("caret of %q is under %q, want %q\n%s", tc.in, got, tc.under, ue.Caret())
		}
	}
}

func TestURIErrorFinding(t *testing.T) {
	_, err := ParseTarget("mongodb://alice:p@ss@db.example.net:27017/admin")
	var ue *URIError
	if !errors.As(err, &ue) {
		t.Fatalf("want a *URIError, got %v", err)
	}
	f := ue.Finding()
	if f.ID != catalogue.IDURIUnescapedCredentials || f.Severity != report.SeverityError {
		t.Errorf("finding %s/%s, want %s/error", f.ID, f.Severity, catalogue.IDURIUnescapedCredentials)
	}
	if f.SuggestedURI != "mongodb://alice:****@db.example.net:27017/admin" {
		t.Errorf("SuggestedURI = %q", f.SuggestedURI)
	}
	if len(f.Fixes) == 0 || !strings.Contains(f.Fixes[0], "'@' as %40") {
		t.Errorf("first fix %q should say how to encode '@'", f.Fixes)
	}
	if f.Cause == "" || len(f.Evidence) < 3 || !strings.Contains(f.Evidence[0], "position 16") {
		t.Errorf("finding lacks cause or evidence: %+v", f)
	}
	fs := ue.Findings()
	if len(fs) != 2 || fs[0].ID != catalogue.IDURIUnescapedCredentials || fs[1].ID != catalogue.IDURIInvalid || fs[1].SuggestedURI != f.SuggestedURI {
		t.Errorf("Findings() = %+v, want %s then uri.invalid", fs, catalogue.IDURIUnescapedCredentials)
	}
	blank := (&URIError{Msg: "x", Pos: -1}).Finding()
	if fs := (&URIError{Msg: "x", Pos: -1}).Findings(); len(fs) != 1 || fs[0].ID != catalogue.IDURIInvalid {
		t.Errorf("Findings() of a uri.invalid error = %+v", fs)
	}
	if blank.ID != catalogue.IDURIInvalid {
		t.Errorf("an error without ID gives %q, want %q", blank.ID, catalogue.IDURIInvalid)
	}
}

func TestParseTargetFields(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		in    string
		check func(t *testing.T, tg *Target)
	}{
		{DefaultURI, func(t *testing.T, tg *Target) {
			wantField(t, "Hosts", tg.Hosts, []string{"localhost:27017"})
			wantField(t, "Scheme", tg.Scheme, SchemeMongoDB)
			wantField(t, "TLS", tg.TLS, false)
			wantField(t, "LocalThreshold", tg.LocalThreshold, 15*time.Millisecond)
			wantField(t, "ReadPreference", tg.ReadPreference, "primary")
			wantField(t, "MaxStalenessSeconds", tg.MaxStalenessSeconds, -1)
			wantField(t, "DirectConnection", tg.DirectConnection, (*bool)(nil))
			wantField(t, "AuthSource", tg.AuthSource, "")
			wantField(t, "Findings", len(tg.Findings), 0)
		}},
		{"mongodb://alice:p%40ss@a,b:27018,[::1],%2Ftmp%2Fm.sock/app?replicaSet=rs0&localThresholdMS=30&directConnection=false", func(t *testing.T, tg *Target) {
			wantField(t, "Hosts", tg.Hosts, []string{"a:27017", "b:27018", "[::1]:27017", "/tmp/m.sock"})
			wantField(t, "Username", tg.Username, "alice")
			wantField(t, "HasPassword", tg.HasPassword, true)
			wantField(t, "Database", tg.Database, "app")
			wantField(t, "AuthSource", tg.AuthSource, "app")
			wantField(t, "ReplicaSet", tg.ReplicaSet, "rs0")
			wantField(t, "LocalThreshold", tg.LocalThreshold, 30*time.Millisecond)
			wantField(t, "DirectConnection", tg.DirectConnection, &no)
			wantField(t, "Redacted", tg.Redacted, "mongodb://alice:****@a,b:27018,[::1],%2Ftmp%2Fm.sock/app?replicaSet=rs0&localThresholdMS=30&directConnection=false")
		}},
		{"mongodb+srv://u:pw@Cluster0.example.net/?authSource=admin&srvServiceName=custom&srvMaxHosts=2", func(t *testing.T, tg *Target) {
			wantField(t, "SRV", tg.SRV, true)
			wantField(t, "Scheme", tg.Scheme, SchemeMongoDBSRV)
			wantField(t, "SRVHost", tg.SRVHost, "Cluster0.example.net")
			wantField(t, "Hosts", tg.Hosts, []string{"Cluster0.example.net"})
			wantField(t, "SRVServiceName", tg.SRVServiceName, "custom")
			wantField(t, "SRVMaxHosts", tg.SRVMaxHosts, 2)
			wantField(t, "TLS", tg.TLS, true)
			wantField(t, "TLSSet", tg.TLSSet, false)
			wantField(t, "Conn.Scheme", tg.Conn.Scheme, SchemeMongoDBSRV)
			wantField(t, "Conn.SRVServiceName", tg.Conn.SRVServiceName, "custom")
		}},
		{"mongodb+srv://c.example.net/?tls=false", func(t *testing.T, tg *Target) {
			wantField(t, "TLS", tg.TLS, false)
			wantField(t, "TLSSet", tg.TLSSet, true)
			wantField(t, "SRVServiceName", tg.SRVServiceName, DefaultSRVServiceName)
		}},
		{"mongodb://h/?ssl=TRUE&tlsCAFile=%2Fetc%2Fca.pem&tlsAllowInvalidHostnames=true&tlsCertificateKeyFilePassword=k3y", func(t *testing.T, tg *Target) {
			wantField(t, "TLS", tg.TLS, true)
			wantField(t, "TLSSet", tg.TLSSet, true)
			wantField(t, "CAFile", tg.TLSOptions.CAFile, "/etc/ca.pem")
			wantField(t, "AllowInvalidHostnames", tg.TLSOptions.AllowInvalidHostnames, true)
			wantField(t, "HasCertificateKeyFilePassword", tg.TLSOptions.HasCertificateKeyFilePassword, true)
			wantField(t, "Conn.SSLInsecure", tg.Conn.SSLInsecure, true)
			wantField(t, "Redacted", tg.Redacted, "mongodb://h/?ssl=TRUE&tlsCAFile=%2Fetc%2Fca.pem&tlsAllowInvalidHostnames=true&tlsCertificateKeyFilePassword=****")
		}},
		{"mongodb://h/?tlsCAFile=ca.pem", func(t *testing.T, tg *Target) {
			wantField(t, "TLS (enabled by a tls file option)", tg.TLS, true)
		}},
		{"mongodb://h/?connect=direct", func(t *testing.T, tg *Target) {
			wantField(t, "DirectConnection", tg.DirectConnection, &yes)
		}},
		{"mongodb://h/?readPreference=SECONDARYpreferred&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=&maxStalenessSeconds=120", func(t *testing.T, tg *Target) {
			wantField(t, "ReadPreference", tg.ReadPreference, "secondaryPreferred")
			wantField(t, "ReadPreferenceTags", tg.ReadPreferenceTags, []map[string]string{{"dc": "ny", "rack": "1"}, {}})
			wantField(t, "MaxStalenessSeconds", tg.MaxStalenessSeconds, 120)
		}},
		{"mongodb://h/?readPreference=nearest&maxStalenessSeconds=-1", func(t *testing.T, tg *Target) {
			wantField(t, "MaxStalenessSeconds", tg.MaxStalenessSeconds, -1)
			// No warning: -1 means no limit. The Go driver refuses it all
			// the same.
			wantField(t, "Findings", len(tg.Findings), 1)
			wantField(t, "Findings[0].ID", tg.Findings[0].ID, catalogue.IDDriverRefused)
		}},
		{"mongodb://u:p@h/?authMechanism=scram-sha-256&appName=my%20app&loadBalanced=true", func(t *testing.T, tg *Target) {
			wantField(t, "AuthMechanism", tg.AuthMechanism, "scram-sha-256")
			wantField(t, "AuthSource", tg.AuthSource, "admin")
			wantField(t, "AppName", tg.AppName, "my app")
			wantField(t, "LoadBalanced", tg.LoadBalanced, true)
		}},
		{"mongodb://h?w=majority", func(t *testing.T, tg *Target) {
			wantField(t, "Conn.WString", tg.Conn.WString, "majority")
		}},
		{"mongodb://u:pw@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok%2Fen", func(t *testing.T, tg *Target) {
			wantField(t, "Redacted", tg.Redacted, "mongodb://u:****@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:****")
			wantField(t, "Options[1].Value", tg.Options[1].Value, "AWS_SESSION_TOKEN:****")
			wantField(t, "AuthSource", tg.AuthSource, "$external")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			tg, err := ParseTarget(tc.in)
			if err != nil {
				t.Fatalf("ParseTarget: %v", err)
			}
			tc.check(t, tg)
		})
	}
}

// want compares with the deep equality of the values' printed forms.
func wantField[T any](t *testing.T, what string, got, wanted T) {
	t.Helper()
	if !fieldEqual(got, wanted) {
		t.Errorf("%s = %#v, want %#v", what, got, wanted)
	}
}

func fieldEqual(a, b any) bool {
	pa, pb := fieldString(a), fieldString(b)
	return pa == pb
}

func fieldString(v any) string {
	if p, ok := v.(*bool); ok {
		if p == nil {
			return "<nil>"
		}
		if *p {
			return "&true"
		}
		return "&false"
	}
	return strings.ReplaceAll(fmt.Sprint(v), " ", "")
}

func TestTargetOptions(t *testing.T) {
	tg, err := ParseTarget("mongodb://h/?replicaSet=a&replicaSet=b&journal=maybe&foo=1&tlsCertificateKeyFilePassword=k3y")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(tg.Options))
	for i, o := range tg.Options {
		got[i] = fmt.Sprintf("%s %s %s %d %v", o.Key, o.Name, o.Value, o.Pos, o.Ignored)
	}
	wantOpts := []string{
		"replicaSet replicaSet a 13 true",
		"replicaSet replicaSet b 26 false",
		"journal journal maybe 39 true",
		"foo  1 53 true",
		"tlsCertificateKeyFilePassword tlsCertificateKeyFilePassword **** 59 false",
	}
	if !slices.Equal(got, wantOpts) {
		t.Errorf("Options =\n%q\nwant\n%q", got, wantOpts)
	}
	for _, o := range tg.Options {
		if !strings.HasPrefix(tg.Redacted[o.Pos:], o.Key+"=") {
			t.Errorf("Pos %d of %s does not point at its key in %q", o.Pos, o.Key, tg.Redacted)
		}
	}
}

func TestTargetSecrets(t *testing.T) {
	tg, err := ParseTarget("mongodb://u:p%40ss@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:t0k3n&tlsCertificateKeyFilePassword=k%2By")
	if err != nil {
		t.Fatal(err)
	}
	secrets := tg.Secrets()
	for _, s := range []string{"p@ss", "p%40ss", "t0k3n", "k+y", "k%2By"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() = %q lacks %q", secrets, s)
		}
	}
	msg := "server said: user u with p@ss and key k+y and token t0k3n"
	if out := redact.RedactSecrets(msg, secrets...); strings.ContainsAny(out, "@+") || strings.Contains(out, "t0k3n") {
		t.Errorf("RedactSecrets left a secret: %q", out)
	}
	none, _ := ParseTarget("mongodb://h")
	if s := none.Secrets(); len(s) != 0 {
		t.Errorf("Secrets() of a string without secrets = %q", s)
	}
}

// TestDriverURI checks that the driver gets the user's exact string,
// whatever the Go driver thinks of it.
func TestDriverURI(t *testing.T) {
	for _, in := range []string{
		"mongodb://h?journal=TRUE&maxIdleTimeMS=&serverMonitoringMode=fast&foo=bar",
		"mongodb+srv://u:pw@c.example.net/?srvMaxHosts=2",
		"mongodb://h/?readPreference=nearest&maxStalenessSeconds=-1",
		"mongodb://u:p%40ss@h/?retryWrites=ture",
	} {
		tg, err := ParseTarget(in)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", in, err)
		}
		if got := tg.DriverURI(); got != in {
			t.Errorf("DriverURI(%q) = %q, want the string itself", in, got)
		}
	}
}

// FuzzParseTarget checks that ParseTarget never panics, that every error
// is a *URIError, and that a password (written raw or percent-encoded)
// never shows in what ParseTarget returns.
func FuzzParseTarget(f *testing.F) {
	f.Add("mongodb://", "alice", "s3cret", "localhost:27017/admin?replicaSet=rs0", false)
	f.Add("mongodb+srv://", "u", "p@ss/w:rd", "c.example.net:27017,x/?tls=false", false)
	f.Add("", "u", "pw", "h", true)
	f.Add("mongo://", "", "x", "[::1]:0/?w", false)
	f.Add("\"mongodb://", "alice", "s3cret", "db:27017/\"", false)
	f.Add("'mongodb+srv://", "u", "p'w", "c.example.net", false)
	f.Add("mongodb//", "u", "pw", "h:1/?w=1", false)
	f.Add("mongodb://", "u", "pw", "h/?tlsCertificateKeyFilePassword=hunter2&authMechanismProperties=AWS_SESSION_TOKEN:tok", true)
	f.Fuzz(func(t *testing.T, scheme, user, pw, rest string, encode bool) {
		secret := redactSentinel(pw)
		// Redact does not promise to find a password preceded by a '?'
		// and an '=' (it reads them as options): keep them out of the
		// scheme and the user name.
		scheme = strings.ReplaceAll(scheme, "?", "")
		user = strings.NewReplacer("?", "", "=", "", "@", "", ":", "").Replace(user)
		written := secret
		if encode || strings.ContainsAny(pw, "?=") {
			written = url.PathEscape(secret)
		}
		raw := scheme + user + ":" + written + "@" + rest
		tg, err := ParseTarget(raw)
		leak := func(where, s string) {
			if strings.Contains(s, secret) || strings.Contains(s, written) {
				t.Fatalf("password in %s: %q (input %q)", where, s, raw)
			}
		}
		if err != nil {
			var ue *URIError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseTarget(%q) returned %T %v, want *URIError", raw, err, err)
			}
			leak("Error()", ue.Error())
			leak("Caret()", ue.Caret())
			leak("SuggestedURI", ue.SuggestedURI)
			f := ue.Finding()
			leak("finding", fmt.Sprint(f))
			if ue.Pos > len(ue.Redacted) {
				t.Fatalf("Pos %d beyond %q", ue.Pos, ue.Redacted)
			}
			return
		}
		leak("Redacted", tg.Redacted)
		for _, fd := range tg.Findings {
			leak("finding", fmt.Sprint(fd))
		}
		for _, o := range tg.Options {
			leak("option", o.Value)
		}
		if !tg.HasPassword {
			t.Fatalf("ParseTarget(%q) found no password", raw)
		}
	})
}

var updateURIGolden = flag.Bool("update-uri", false, "rewrite testdata/uri/invalid.golden")

// TestURIErrorGolden renders, for every string of testdata/uri/invalid.txt,
// what the command line shows: the error, the caret, the hint and the
// corrected string.
func TestURIErrorGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "uri", "invalid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		_, perr := ParseTarget(in)
		var ue *URIError
		if !errors.As(perr, &ue) {
			t.Fatalf("ParseTarget(%q) = %v, want a *URIError", in, perr)
		}
		fmt.Fprintf(&b, "== %s\n%s: %s\n%s\nhint: %s\n", strconv.Quote(ue.Redacted), ue.ID, ue.Error(), ue.Caret(), ue.Hint)
		if ue.SuggestedURI != "" {
			fmt.Fprintf(&b, "try: %s\n", ue.SuggestedURI)
		}
		b.WriteString("\n")
	}
	golden := filepath.Join("testdata", "uri", "invalid.golden")
	if *updateURIGolden {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-uri to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("output differs from %s (run with -update-uri and review the diff):\n%s", golden, b.String())
	}
	for _, secret := range []string{"p@ssw0rd", "pass/word", "s3cret", "foo:bar"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("a password (%q) shows in the output", secret)
		}
	}
}

// redactSentinel wraps a fuzzed password so that it cannot occur by chance.
func redactSentinel(pw string) string { return "Zq7" + pw + "Xw9" }

func TestEscapeUserinfoRoundTrip(t *testing.T) {
	for _, s := range []string{"p@ss:w/rd", "100%", "a b?c#d[e]", "ümlaut", "!$&'()*+,;="} {
		got, err := url.PathUnescape(redact.EscapeUserinfo(s))
		if err != nil || got != s {
			t.Errorf("PathUnescape(redact.EscapeUserinfo(%q)) = %q, %v", s, got, err)
		}
		if at, what := credentialProblem(redact.EscapeUserinfo(s), true); at >= 0 {
			t.Errorf("redact.EscapeUserinfo(%q) = %q still has %s", s, redact.EscapeUserinfo(s), what)
		}
	}
}

// TestURIErrorEchoIsShort checks that a rejected string, however long, is
// echoed as a short excerpt at most: in the message, the hint, the caret
// lines, the finding's evidence and the excerpt a report names.
func TestURIErrorEchoIsShort(t *testing.T) {
	long := strings.Repeat("q", 60<<10)
	for _, in := range []string{
		"mongodb://" + long + ":27017/" + long,
		"mongodb://h:" + long + "/",
		"mongodb://h/?" + long + "=1&" + long,
		"mongodb+srv://" + long + ".test:1/",
		"mongodb://h/?" + long,
		"mongodb://[" + long + "]/",
		"mongodb://" + long + "/" + long + "\x00",
		"mongodb://h:1/" + long + "$",
		"mongo://" + long,
		long,
		" " + long,
	} {
		_, err := ParseTarget(in)
		var ue *URIError
		if !errors.As(err, &ue) {
			t.Errorf("ParseTarget(%.40q…) = %v, want a *URIError", in, err)
			continue
		}
		f := ue.Finding()
		for name, text := range map[string]string{
			"Error()":   ue.Error(),
			"Hint":      ue.Hint,
			"Caret()":   ue.Caret(),
			"Excerpt()": ue.Excerpt(),
			"evidence":  strings.Join(f.Evidence, "\n"),
			"fixes":     strings.Join(f.Fixes, "\n"),
		} {
			if n := strings.Count(text, "q"); n > 2*redact.EchoLimit {
				t.Errorf("%.40q…: %s echoes %d characters of the input: %.200q", in, name, n, text)
			}
		}
	}
}

// TestTooLongHidesUserinfo checks that the excerpt of a string too long to
// read never shows user information: its password is masked only once
// the @ that ends it is found, and that may lie anywhere in the rest.
func TestTooLongHidesUserinfo(t *testing.T) {
	long := strings.Repeat("q", MaxURILength)
	for _, in := range []string{
		"mongodb://alice:s3cret" + long + "@h/",
		"mongodb://alice:s3cret@h/" + long,
		"mongodb+srv://alice:s3cret/" + long + "@h/",
		"mongodb%3A%2F%2Falice%3As3cret" + long,
		"uri: password=s3cret " + long,
	} {
		_, err := ParseTarget(in)
		var ue *URIError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "bytes long") {
			t.Fatalf("ParseTarget(%.40q…) = %v, want the too-long error", in, err)
		}
		for name, text := range map[string]string{"Redacted": ue.Redacted, "Caret()": ue.Caret(), "Excerpt()": ue.Excerpt(), "Error()": ue.Error()} {
			if strings.Contains(text, "s3cret") || strings.Contains(text, "alice") {
				t.Errorf("%.40q…: %s = %q shows the user information", in, name, text)
			}
		}
	}
}
