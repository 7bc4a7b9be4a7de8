package connstr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// specFile is one test file of MongoDB's connection-string, URI options
// or authentication specification (testdata/spec, copied unchanged).
type specFile struct {
	Tests []specTest `json:"tests"`
}

// specTest is one case: connection-string and URI options files give
// hosts, auth and options; the authentication file gives credential.
type specTest struct {
	Description string `json:"description"`
	URI         string `json:"uri"`
	Valid       bool   `json:"valid"`
	Warning     bool   `json:"warning"`
	Hosts       []struct {
		Type string `json:"type"`
		Host string `json:"host"`
		Port *int   `json:"port"`
	} `json:"hosts"`
	Auth *struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
		DB       *string `json:"db"`
	} `json:"auth"`
	Options    map[string]any `json:"options"`
	Credential *struct {
		Username   *string        `json:"username"`
		Password   *string        `json:"password"`
		Source     *string        `json:"source"`
		Mechanism  *string        `json:"mechanism"`
		Properties map[string]any `json:"mechanism_properties"`
	} `json:"credential"`
}

// specOutcome is what ParseTarget does with a string.
type specOutcome int

const (
	specValid   specOutcome = iota // parses without a warning
	specWarns                      // parses with uri.unknown-option or uri.invalid-value
	specInvalid                    // *URIError
)

func (o specOutcome) String() string {
	return [...]string{"valid", "valid with a warning", "invalid"}[o]
}

// specDepartures are the cases mongoconn answers differently from the
// specification's files on purpose, keyed "file/description", with the
// outcome it gives and why. The table can only shrink: a departure that
// no longer departs fails the test, so that it is removed.
var specDepartures = map[string]struct {
	got    specOutcome
	reason string
}{
	"auth/connection-string.json/should throw an exception if username and password provided (MONGODB-AWS)": {specWarns,
		"the same file accepts a user name and password for localhost (\"should use username and password if specified\") and refuses them for localhost.com; the authentication specification is removing credentials from MONGODB-AWS strings, so mongoconn warns (uri.invalid-value) that newer drivers refuse them, whatever the host"},
	"auth/connection-string.json/should use username and password if specified (MONGODB-AWS)": {specWarns,
		"as above: valid today, with a warning that newer drivers refuse credentials in a MONGODB-AWS string"},
	"auth/connection-string.json/should use username, password and session token if specified (MONGODB-AWS)": {specWarns,
		"as above, with a session token"},
}

// specFiles reads every test file of testdata/spec.
func specFiles(t *testing.T) map[string]specFile {
	t.Helper()
	out := map[string]specFile{}
	err := filepath.WalkDir(filepath.Join("testdata", "spec"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var f specFile
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(filepath.Join("testdata", "spec"), path)
		out[filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("only %d specification files under testdata/spec", len(out))
	}
	return out
}

// outcomeOf runs ParseTarget as a user would and says what it did.
func outcomeOf(uri string) (specOutcome, *Target, error) {
	target, err := ParseTarget(uri)
	if err != nil {
		return specInvalid, nil, err
	}
	for _, f := range target.Findings {
		if (f.ID == catalogue.IDURIUnknownOption || f.ID == catalogue.IDURIInvalidValue) && f.Severity == report.SeverityWarning {
			return specWarns, target, nil
		}
	}
	return specValid, target, nil
}

func hasFinding(t *Target, id string) bool {
	for _, f := range t.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// goDriverRefuses asks the linked driver itself about a mongodb:// string:
// its parser and client validation, file errors aside (the files the
// tests name do not exist here).
func goDriverRefuses(uri string) error {
	err := options.Client().ApplyURI(uri).Validate()
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return nil
	}
	return err
}

// TestSpecFiles runs every case of the specifications' files through
// ParseTarget and checks the outcome, the hosts, the credentials and the
// options it reads, and that driver.refused appears exactly when the Go
// driver this tool links refuses the string.
func TestSpecFiles(t *testing.T) {
	used := map[string]bool{}
	for name, file := range specFiles(t) {
		for _, tc := range file.Tests {
			key := name + "/" + tc.Description
			t.Run(key, func(t *testing.T) {
				want := specValid
				switch {
				case !tc.Valid:
					want = specInvalid
				case tc.Warning:
					want = specWarns
				}
				got, target, err := outcomeOf(tc.URI)
				if d, ok := specDepartures[key]; ok {
					used[key] = true
					if d.got == want {
						t.Fatalf("listed as a departure (%s) but the specification says %s too: remove it from specDepartures", d.reason, want)
					}
					want = d.got
				}
				if got != want {
					t.Fatalf("ParseTarget(%q) is %s (%v), want %s (findings %+v)", tc.URI, got, err, want, findingIDs(target))
				}
				if got == specInvalid {
					var ue *URIError
					if !errors.As(err, &ue) || ue.Msg == "" || ue.Hint == "" {
						t.Errorf("error %v: want a *URIError with a message and a hint", err)
					}
					return
				}
				checkSpecHosts(t, tc, target)
				checkSpecAuth(t, tc, target)
				checkSpecOptions(t, tc, target)
				if !target.SRV {
					refused := goDriverRefuses(tc.URI)
					if (refused != nil) != hasFinding(target, catalogue.IDDriverRefused) {
						t.Errorf("the Go driver says %v, findings %v", refused, findingIDs(target))
					}
				}
			})
		}
	}
	for key := range specDepartures {
		if !used[key] {
			t.Errorf("departure %q names no case of the files", key)
		}
	}
}

func findingIDs(t *Target) []string {
	if t == nil {
		return nil
	}
	var ids []string
	for _, f := range t.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func checkSpecHosts(t *testing.T, tc specTest, target *Target) {
	t.Helper()
	if tc.Hosts == nil {
		return
	}
	var want []string
	for _, h := range tc.Hosts {
		port := DefaultPort
		if h.Port != nil {
			port = *h.Port
		}
		switch h.Type {
		case "unix":
			want = append(want, h.Host)
		case "ip_literal":
			want = append(want, "["+h.Host+"]:"+strconv.Itoa(port))
		default:
			want = append(want, h.Host+":"+strconv.Itoa(port))
		}
	}
	if strings.Join(target.Hosts, " ") != strings.Join(want, " ") {
		t.Errorf("hosts = %q, want %q", target.Hosts, want)
	}
}

func checkSpecAuth(t *testing.T, tc specTest, target *Target) {
	t.Helper()
	if a := tc.Auth; a != nil {
		if a.Username != nil && target.Username != *a.Username {
			t.Errorf("user = %q, want %q", target.Username, *a.Username)
		}
		if a.Password != nil && (!target.HasPassword || target.Conn.Password != *a.Password) {
			t.Errorf("password set %v, want %q", target.HasPassword, *a.Password)
		}
		if a.Password == nil && a.Username != nil && target.HasPassword {
			t.Errorf("password set, want none")
		}
		if a.DB != nil && target.Database != *a.DB {
			t.Errorf("database = %q, want %q", target.Database, *a.DB)
		}
	}
	c := tc.Credential
	if c == nil {
		return
	}
	cs := target.Conn
	if c.Username != nil && cs.Username != *c.Username {
		t.Errorf("credential user = %q, want %q", cs.Username, *c.Username)
	}
	if c.Password != nil && cs.Password != *c.Password {
		t.Errorf("credential password differs")
	}
	if c.Source != nil && target.AuthSource != *c.Source {
		t.Errorf("authSource = %q, want %q", target.AuthSource, *c.Source)
	}
	if c.Mechanism != nil && !strings.EqualFold(target.AuthMechanism, *c.Mechanism) {
		t.Errorf("mechanism = %q, want %q", target.AuthMechanism, *c.Mechanism)
	}
	for k, v := range c.Properties {
		if got := cs.AuthMechanismProperties[k]; got != specValue(v) {
			t.Errorf("mechanism property %s = %q, want %q", k, got, specValue(v))
		}
	}
}

func checkSpecOptions(t *testing.T, tc specTest, target *Target) {
	t.Helper()
	for key, v := range tc.Options {
		want := specValue(v)
		got, ok := specOptionValue(target, key)
		if !ok || got != want {
			t.Errorf("option %s = %q (found %v), want %q", key, got, ok, want)
		}
	}
}

// specValue writes a JSON value of the files in the notation of
// specOptionValue: numbers and booleans as written, lists joined with
// ',', maps as sorted key:value pairs, tag-set lists joined with ';'.
func specValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		m := map[string]string{}
		for k, e := range x {
			m[k] = specValue(e)
		}
		return joinMap(m)
	case []any:
		var parts []string
		sep := ","
		for _, e := range x {
			if _, ok := e.(map[string]any); ok {
				sep = ";"
			}
			parts = append(parts, specValue(e))
		}
		return strings.Join(parts, sep)
	}
	return fmt.Sprint(v)
}

// specNoCorrection are the refused strings no correction can save, and why.
var specNoCorrection = map[string]string{
	"connection-string/valid-warnings.json/Comma in a key value pair causes a warning": "the TOKEN_RESOURCE value holds a ',', which no mechanism property can hold, and without the property MONGODB-OIDC has no ENVIRONMENT",
}

// TestSpecValidWithWarning checks DESIGN.md's figure: of the strings the
// specifications' files mark valid with a warning, the Go driver this tool
// links refuses 34 of 44. Every one of them must get a warning, and those
// the driver refuses driver.refused as well, with a corrected string the
// driver accepts.
func TestSpecValidWithWarning(t *testing.T) {
	total, refused := 0, 0
	for name, file := range specFiles(t) {
		for _, tc := range file.Tests {
			if !tc.Valid || !tc.Warning {
				continue
			}
			total++
			got, target, err := outcomeOf(tc.URI)
			if got != specWarns {
				t.Errorf("%s/%s: %s (%v), want a warning", name, tc.Description, got, err)
				continue
			}
			if !hasFinding(target, catalogue.IDDriverRefused) {
				continue
			}
			refused++
			r := target.DriverRefusal
			if r == nil || r.Reason == "" || len(r.Corrections) == 0 || !r.SpecWarns {
				t.Errorf("%s/%s: refusal %+v lacks its reason, corrections or the specification's word", name, tc.Description, r)
				continue
			}
			if r.SuggestedURI == "" {
				if _, ok := specNoCorrection[name+"/"+tc.Description]; !ok {
					t.Errorf("%s/%s: no corrected string", name, tc.Description)
				}
			} else if !target.SRV {
				if err := goDriverRefuses(r.SuggestedURI); err != nil {
					t.Errorf("%s/%s: the driver refuses the corrected %q too: %v", name, tc.Description, r.SuggestedURI, err)
				}
			}
		}
	}
	if total != 44 || refused != 34 {
		t.Errorf("%d strings valid with a warning, %d refused by the Go driver; DESIGN.md §4 says 44 and 34", total, refused)
	}
}

// specOptionValue reads an option back from what ParseTarget produced:
// the driver's ConnString for the options it reads, the Target for the
// others, in the spec tests' value notation.
func specOptionValue(t *Target, key string) (string, bool) {
	cs := t.Conn
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	b := strconv.FormatBool
	switch strings.ToLower(key) {
	case "appname":
		return cs.AppName, true
	case "authmechanism":
		return cs.AuthMechanism, true
	case "authmechanismproperties":
		return joinMap(cs.AuthMechanismProperties), true
	case "authsource":
		return cs.AuthSource, true
	case "compressors":
		return strings.Join(cs.Compressors, ","), true
	case "connecttimeoutms":
		return ms(cs.ConnectTimeout), cs.ConnectTimeoutSet
	case "directconnection":
		if t.DirectConnection == nil {
			return "", false
		}
		return b(*t.DirectConnection), true
	case "heartbeatfrequencyms":
		return ms(cs.HeartbeatInterval), cs.HeartbeatIntervalSet
	case "journal":
		return b(cs.J), cs.JSet
	case "loadbalanced":
		return b(cs.LoadBalanced), cs.LoadBalancedSet
	case "localthresholdms":
		return ms(t.LocalThreshold), cs.LocalThresholdSet
	case "maxidletimems":
		return ms(cs.MaxConnIdleTime), cs.MaxConnIdleTimeSet
	case "maxpoolsize":
		return strconv.FormatUint(cs.MaxPoolSize, 10), cs.MaxPoolSizeSet
	case "minpoolsize":
		return strconv.FormatUint(cs.MinPoolSize, 10), cs.MinPoolSizeSet
	case "maxconnecting":
		return strconv.FormatUint(cs.MaxConnecting, 10), cs.MaxConnectingSet
	case "maxstalenessseconds":
		return strconv.Itoa(t.MaxStalenessSeconds), t.MaxStalenessSeconds != -1
	case "readpreference":
		return t.ReadPreference, true
	case "readpreferencetags":
		var sets []string
		for _, m := range t.ReadPreferenceTags {
			sets = append(sets, joinMap(m))
		}
		return strings.Join(sets, ";"), true
	case "readconcernlevel":
		return cs.ReadConcernLevel, true
	case "replicaset":
		return t.ReplicaSet, true
	case "retrywrites":
		return b(cs.RetryWrites), cs.RetryWritesSet
	case "serverselectiontimeoutms":
		return ms(cs.ServerSelectionTimeout), cs.ServerSelectionTimeoutSet
	case "sockettimeoutms":
		return ms(cs.SocketTimeout), cs.SocketTimeoutSet
	case "srvmaxhosts":
		return strconv.Itoa(t.SRVMaxHosts), true
	case "srvservicename":
		return t.SRVServiceName, true
	case "tls", "ssl":
		return b(t.TLS), true
	case "tlscafile":
		return t.TLSOptions.CAFile, cs.SSLCaFileSet
	case "tlscertificatekeyfile":
		return t.TLSOptions.CertificateKeyFile, cs.SSLClientCertificateKeyFileSet
	case "tlscertificatekeyfilepassword":
		if !cs.SSLClientCertificateKeyPasswordSet {
			return "", false
		}
		return cs.SSLClientCertificateKeyPassword(), true
	case "tlsallowinvalidcertificates":
		return b(t.TLSOptions.AllowInvalidCertificates), true
	case "tlsallowinvalidhostnames":
		return b(t.TLSOptions.AllowInvalidHostnames), true
	case "tlsinsecure":
		return b(t.TLSOptions.Insecure), cs.SSLInsecureSet
	case "tlsdisablecertificaterevocationcheck":
		return b(t.TLSOptions.DisableCertificateRevocationCheck), cs.SSLDisableCertificateRevocationCheckSet
	case "tlsdisableocspendpointcheck":
		return b(t.TLSOptions.DisableOCSPEndpointCheck), cs.SSLDisableOCSPEndpointCheckSet
	case "w":
		if cs.WNumberSet {
			return strconv.Itoa(cs.WNumber), true
		}
		return cs.WString, cs.WString != ""
	case "zlibcompressionlevel":
		return strconv.Itoa(cs.ZlibLevel), cs.ZlibLevelSet
	case "servermonitoringmode":
		return cs.ServerMonitoringMode, true
	case "timeoutms":
		return ms(cs.Timeout), cs.TimeoutSet
	case "maxadaptiveretries":
		return strconv.FormatUint(uint64(cs.MaxAdaptiveRetries), 10), cs.MaxAdaptiveRetriesSet
	case "enableoverloadretargeting":
		return b(cs.EnableOverloadRetargeting), cs.EnableOverloadRetargetingSet
	}
	// Options the Go driver does not read (wTimeoutMS,
	// serverSelectionTryOnce): the last value drivers use.
	for i := len(t.Options) - 1; i >= 0; i-- {
		o := t.Options[i]
		if strings.EqualFold(o.Name, key) && !o.Ignored {
			return o.Value, true
		}
	}
	return "", false
}

func joinMap(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, fmt.Sprintf("%s:%s", k, v))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}
