package connstr

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

func TestSuggestOption(t *testing.T) {
	tests := []struct {
		key, want string
		note      string // a piece of the note, "" for none
	}{
		{"serverSelectionTimeout", "serverSelectionTimeoutMS", "milliseconds"},
		{"connectTimeout", "connectTimeoutMS", "milliseconds"},
		{"wtimeout", "wTimeoutMS", "milliseconds"},
		{"readPref", "readPreference", ""},
		{"readPrefference", "readPreference", ""},
		{"authDb", "authSource", ""},
		{"authDatabase", "authSource", ""},
		{"replSet", "replicaSet", ""},
		{"replica_set", "replicaSet", "case-insensitive"},
		{"retry_writes", "retryWrites", "case-insensitive"},
		{"server_selection_timeout_ms", "serverSelectionTimeoutMS", "case-insensitive"},
		{"retryWrite", "retryWrites", ""},
		{"tlsAllowInvalidCertificate", "tlsAllowInvalidCertificates", ""},
		{"sslInsecur", "tlsInsecure", ""},
		{"authMechanismProperty", "authMechanismProperties", ""},
		{"readConcern", "readConcernLevel", ""},
		{"authMech", "authMechanism", ""},
		{"ssl_cert_reqs", "tlsAllowInvalidCertificates", "CERT_NONE"},
		{"slaveOk", "readPreference", "secondaryPreferred"},
		{"uuidRepresentation", "", "Go driver ignores"},
		{"j", "journal", ""},
		{"foo", "", ""},
		{"fsync", "", ""},
		{"x", "", ""},
		{strings.Repeat("a", 100), "", ""},
	}
	for _, tc := range tests {
		got, note := suggestOption(tc.key)
		if got != tc.want {
			t.Errorf("suggestOption(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
			t.Errorf("suggestOption(%q) note = %q, want one mentioning %q", tc.key, note, tc.note)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"replicaset", "replicaset", 0},
		{"replicaste", "replicaset", 1}, // transposition
		{"kitten", "sitting", 3},
		{"tls", "ssl", 2},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLintWarnings(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		evidence []string // pieces that must appear, one per evidence line in order
		suggest  string   // SuggestedURI, "" for none
	}{
		{"case-insensitive option is fine", "mongodb://h/?replicaset=rs0&SSL=true&AppName=x", nil, ""},
		{"ssl alias is fine", "mongodb://h/?ssl=true", nil, ""},
		{"tls and ssl agreeing is fine", "mongodb://h/?tls=true&ssl=true&tls=true", nil, ""},
		{"unknown with suggestion", "mongodb://u:pw@h/?serverSelectionTimeout=5000&readPref=secondary",
			[]string{`unknown option "serverSelectionTimeout" at position 20`, `unknown option "readPref" at position 48`},
			"mongodb://u:****@h/?serverSelectionTimeoutMS=5000&readPreference=secondary"},
		{"unknown without suggestion", "mongodb://h/?foo=bar", []string{`unknown option "foo" at position 13: drivers ignore it`}, ""},
		{"empty value", "mongodb://h/?replicaSet=&w=1", []string{"replicaSet at position 13 has an empty value"}, "mongodb://h/?w=1"},
		{"invalid boolean", "mongodb://h/?retryWrites=yes", []string{`retryWrites at position 13 has the value "yes": it must be true or false`}, "mongodb://h/"},
		{"integer too low", "mongodb://h/?heartbeatFrequencyMS=100", []string{"at least 500 (milliseconds)"}, "mongodb://h/"},
		{"integer not a number", "mongodb://u:pw@h?connectTimeoutMS=10s&appName=x", []string{`"10s"`}, "mongodb://u:****@h?appName=x"},
		{"integer out of range", "mongodb://h/?zlibCompressionLevel=10", []string{"from -1 to 9"}, "mongodb://h/"},
		{"integer overflow", "mongodb://h/?maxPoolSize=99999999999", []string{"maxPoolSize"}, "mongodb://h/"},
		{"enum", "mongodb://h/?serverMonitoringMode=fast", []string{"auto, stream, poll"}, "mongodb://h/"},
		{"repeated", "mongodb://h/?replicaSet=a&replicaSet=b", []string{`replicaSet is given 2 times (first at position 13)`, `the Go driver uses the last one, "b"`}, ""},
		{"repeated secret", "mongodb://h/?tlsCertificateKeyFilePassword=a1&tlsCertificateKeyFilePassword=b2", []string{"uses the last one, ****"}, ""},
		{"repeated through an alias", "mongodb://h/?tlsCAFile=a&sslCertificateAuthorityFile=b", []string{"tlsCAFile is given 2 times"}, ""},
		{"negative w", "mongodb://h/?w=-1", []string{"option w at position 13 is -1"}, "mongodb://h/"},
		{"mechanism properties with a comma in a value", "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=TOKEN_RESOURCE:a%2Cb,ENVIRONMENT:azure",
			[]string{"KEY:value pairs"}, "mongodb://h/?authMechanism=MONGODB-OIDC"},
		{"unknown compressor", "mongodb://h/?compressors=zlib,lz4", []string{`compressor "lz4"`}, ""},
		{"low max staleness", "mongodb://h/?readPreference=nearest&maxStalenessSeconds=30", []string{"under 90 seconds"}, ""},
		{"empty tags with primary", "mongodb://h/?readPreferenceTags=", []string{"does nothing with the primary mode"}, "mongodb://h/"},
		{"bad tags", "mongodb://h/?readPreferenceTags=dc", []string{"tag:value pairs"}, "mongodb://h/"},
		{"unknown secret-looking key", "mongodb://h/?sslPEMKeyPassword=hunter2", []string{"did you mean tlsCertificateKeyFilePassword?"},
			"mongodb://h/?tlsCertificateKeyFilePassword=****"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := ParseTarget(tc.in)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tc.in, err)
			}
			if len(tc.evidence) == 0 {
				if len(tg.Findings) != 0 {
					t.Fatalf("findings %+v, want none", tg.Findings)
				}
				return
			}
			if len(tg.Findings) != 1 {
				t.Fatalf("findings %+v, want one", tg.Findings)
			}
			f := tg.Findings[0]
			if f.ID != catalogue.IDURIUnknownOption || f.Severity != report.SeverityWarning || f.Cause == "" || len(f.Fixes) == 0 {
				t.Errorf("finding %s/%s cause %q fixes %q", f.ID, f.Severity, f.Cause, f.Fixes)
			}
			all := strings.Join(f.Evidence, "\n")
			for _, piece := range tc.evidence {
				if !strings.Contains(all, piece) {
					t.Errorf("evidence %q lacks %q", f.Evidence, piece)
				}
			}
			if f.SuggestedURI != tc.suggest {
				t.Errorf("SuggestedURI = %q, want %q", f.SuggestedURI, tc.suggest)
			}
			if strings.Contains(all, "hunter2") || strings.Contains(f.SuggestedURI, "hunter2") {
				t.Errorf("a secret value is shown: %q %q", f.Evidence, f.SuggestedURI)
			}
		})
	}
}

func TestLintWarningsAreCapped(t *testing.T) {
	in := "mongodb://h/?" + strings.Repeat("foo=1&", maxWarnings+10)
	tg, err := ParseTarget(in)
	if err != nil {
		t.Fatal(err)
	}
	ev := tg.Findings[0].Evidence
	if len(ev) != maxWarnings+1 || ev[len(ev)-1] != "and 10 more problems with options" {
		t.Errorf("%d evidence lines ending %q", len(ev), ev[len(ev)-1])
	}
}

func TestValidServiceName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"mongodb", true}, {"custom-name", true}, {"a1", true},
		{"", false}, {"-a", false}, {"a-", false}, {"a--b", false}, {"123", false}, {"a_b", false},
	}
	for _, tc := range tests {
		if got := validServiceName(tc.in); got != tc.want {
			t.Errorf("validServiceName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
