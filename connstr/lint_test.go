package connstr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
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
		if got := ascii.EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLintWarnings(t *testing.T) {
	const (
		unknown = catalogue.IDURIUnknownOption
		value   = catalogue.IDURIInvalidValue
	)
	tests := []struct {
		name     string
		in       string
		id       string   // the warning's id, "" for no finding at all
		evidence []string // pieces that must appear, one per evidence line in order
		suggest  string   // SuggestedURI of the warning, else of driver.refused; "" for none
		refused  string   // a piece of driver.refused's evidence, "" when the Go driver accepts the string
	}{
		{"case-insensitive option is fine", "mongodb://h/?replicaset=rs0&SSL=true&AppName=x", "", nil, "", ""},
		{"ssl alias is fine", "mongodb://h/?ssl=true", "", nil, "", ""},
		{"tls and ssl agreeing is fine", "mongodb://h/?tls=true&ssl=true&tls=true", "", nil, "", ""},
		{"unknown with suggestion", "mongodb://u:pw@h/?serverSelectionTimeout=5000&readPref=secondary", unknown,
			[]string{`unknown option "serverSelectionTimeout" at position 20`, `unknown option "readPref" at position 48`},
			"mongodb://u:****@h/?serverSelectionTimeoutMS=5000&readPreference=secondary", ""},
		{"unknown without suggestion", "mongodb://h/?foo=bar", unknown, []string{`unknown option "foo" at position 13: drivers ignore it`}, "", ""},
		{"empty value", "mongodb://h/?replicaSet=&w=1", value, []string{"replicaSet at position 13 has an empty value"}, "mongodb://h/?w=1", ""},
		{"invalid boolean", "mongodb://h/?retryWrites=yes", value, []string{`retryWrites at position 13 has the value "yes": it must be true or false`}, "mongodb://h/?retryWrites=true", `invalid value for "retryWrites": "yes"`},
		{"mistyped boolean", "mongodb://h/?retryWrites=ture", value, []string{`"ture"`}, "mongodb://h/?retryWrites=true", "write retryWrites=true"},
		{"integer too low", "mongodb://h/?heartbeatFrequencyMS=100", value, []string{"at least 500 (milliseconds)"}, "mongodb://h/?heartbeatFrequencyMS=500", "minimum heartbeat interval"},
		{"integer not a number", "mongodb://u:pw@h?connectTimeoutMS=10s&appName=x", value, []string{`"10s"`}, "mongodb://u:****@h/?connectTimeoutMS=10000&appName=x", "put a '/' between the hosts"},
		{"integer that no correction saves", "mongodb://h/?connectTimeoutMS=abc", value, []string{`"abc"`}, "mongodb://h/", "remove connectTimeoutMS"},
		{"integer out of range", "mongodb://h/?zlibCompressionLevel=10", value, []string{"from -1 to 9"}, "mongodb://h/?zlibCompressionLevel=9", "write zlibCompressionLevel=9"},
		{"integer overflow", "mongodb://h/?maxPoolSize=99999999999", value, []string{"maxPoolSize"}, "mongodb://h/", ""},
		{"enum", "mongodb://h/?serverMonitoringMode=fast", value, []string{"auto, stream, poll"}, "mongodb://h/", "remove serverMonitoringMode"},
		{"mistyped enum", "mongodb://h/?serverMonitoringMode=strem", value, []string{"auto, stream, poll"}, "mongodb://h/?serverMonitoringMode=stream", "write serverMonitoringMode=stream"},
		{"repeated", "mongodb://h/?replicaSet=a&replicaSet=b", value, []string{`replicaSet is given 2 times (first at position 13)`, `the Go driver uses the last one, "b"`}, "", ""},
		{"repeated secret", "mongodb://h/?tlsCertificateKeyFilePassword=a1&tlsCertificateKeyFilePassword=b2", value, []string{"uses the last one, ****"}, "", ""},
		{"repeated through an alias", "mongodb://h/?tlsCAFile=a&sslCertificateAuthorityFile=b", value, []string{"tlsCAFile is given 2 times"}, "", ""},
		{"negative w", "mongodb://h/?w=-1", value, []string{"option w at position 13 is -1"}, "mongodb://h/", `invalid value for "w"`},
		{"mechanism properties with a comma in a value", "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=TOKEN_RESOURCE:a%2Cb,ENVIRONMENT:azure", value,
			[]string{"KEY:value pairs"}, "mongodb://h/?authMechanism=MONGODB-OIDC", "invalid authMechanism property"},
		{"unknown compressor", "mongodb://h/?compressors=zlib,lz4", value, []string{`compressor "lz4"`}, "", ""},
		{"low max staleness", "mongodb://h/?readPreference=nearest&maxStalenessSeconds=30", value, []string{"under 90 seconds"}, "mongodb://h/?readPreference=nearest&maxStalenessSeconds=90", ""},
		{"empty tags with primary", "mongodb://h/?readPreferenceTags=", value, []string{"does nothing with the primary mode"}, "mongodb://h/", "unknown read preference"},
		{"bad tags", "mongodb://h/?readPreferenceTags=dc", value, []string{"tag:value pairs"}, "mongodb://h/", `invalid value for "readPreferenceTags"`},
		{"upper-case boolean", "mongodb://h/?journal=TRUE", "", nil, "mongodb://h/?journal=true", "write journal=true"},
		{"no slash before the options", "mongodb://h?w=1", "", nil, "mongodb://h/?w=1", "must have a / before the query ?"},
		{"no limit on staleness", "mongodb://h/?readPreference=nearest&maxStalenessSeconds=-1", "", nil, "mongodb://h/?readPreference=nearest", "remove maxStalenessSeconds"},
		{"unknown secret-looking key", "mongodb://h/?sslPEMKeyPassword=hunter2", unknown, []string{"did you mean tlsCertificateKeyFilePassword?"},
			"mongodb://h/?tlsCertificateKeyFilePassword=****", ""},
		{"AWS credentials in the string", "mongodb://AKIDEXAMPLE:hunter2@h/?authMechanism=MONGODB-AWS", value, []string{"newer drivers refuse such a string"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := ParseTarget(tc.in)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tc.in, err)
			}
			var warning, refusal *report.Finding
			for i, f := range tg.Findings {
				switch {
				case f.ID == catalogue.IDDriverRefused && f.Severity == report.SeverityError:
					refusal = &tg.Findings[i]
				case f.ID == tc.id && f.Severity == report.SeverityWarning:
					warning = &tg.Findings[i]
				default:
					t.Errorf("unexpected finding %s/%s %q", f.ID, f.Severity, f.Evidence)
				}
			}
			if (refusal != nil) != (tc.refused != "") || (refusal != nil) != (tg.DriverRefusal != nil) {
				t.Fatalf("driver.refused %+v (DriverRefusal %+v), want one with %q", refusal, tg.DriverRefusal, tc.refused)
			}
			if refusal != nil {
				all := strings.Join(append(refusal.Evidence, refusal.Fixes...), "\n")
				if !strings.Contains(all, tc.refused) || !strings.Contains(all, GoDriver) {
					t.Errorf("driver.refused says %q, want %q", all, tc.refused)
				}
				if refusal.SuggestedURI != "" && refusal.SuggestedURI != tc.suggest {
					t.Errorf("driver.refused suggests %q, want %q", refusal.SuggestedURI, tc.suggest)
				}
			}
			if tc.id == "" {
				if warning != nil {
					t.Errorf("warning %+v, want none", warning)
				}
				return
			}
			if warning == nil {
				t.Fatalf("findings %+v, want a %s warning", tg.Findings, tc.id)
			}
			f := warning
			if f.Cause == "" || len(f.Fixes) == 0 {
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
			for _, g := range tg.Findings {
				if s := fmt.Sprint(g); strings.Contains(s, "hunter2") {
					t.Errorf("a secret value is shown: %s", s)
				}
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
