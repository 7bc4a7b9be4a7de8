package probe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// testPassword holds every character a connection string must
// percent-encode in a password.
const testPassword = "Zq7@p:w/rd%+ x?#[]"

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadFullConfig(t *testing.T) {
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "orders.pw", testPassword+"\n")
	uriFile := writeFile(t, dir, "billing.uri", "  mongodb://billing@127.0.0.1:27018/?tls=false\n")
	cfgFile := writeFile(t, dir, "probe.yml", `
targets:
  orders:
    uri: "mongodb://monitor@db1:27017,db2:27017/?replicaSet=rs0"
    password_file: `+pwFile+`
    module: ping
    primary: true
    timeout: 5s
    dns_server: 10.0.0.2:53
  billing:
    uri_file: `+uriFile+`
    password_env: BILLING_PW
    module: diagnose
  reports.eu-1:
    uri_env: REPORTS_URI
`)
	l := Loader{Getenv: envOf(map[string]string{"BILLING_PW": testPassword, "REPORTS_URI": "mongodb+srv://reader:" + "inline-S3cret" + "@reports.example.net/"})}
	cfg, err := l.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Names(), ","); got != "billing,orders,reports.eu-1" {
		t.Fatalf("names = %s", got)
	}
	o := cfg.Targets["orders"]
	if o.Module != ModulePing || !o.Primary || o.Timeout != 5*time.Second || o.DNSServer != "10.0.0.2:53" || o.Line != 3 {
		t.Errorf("orders = %+v", o)
	}
	b := cfg.Targets["billing"]
	if b.Module != ModuleDiagnose || b.Primary || b.Timeout != DefaultTargetTimeout || b.DNSServer != "" {
		t.Errorf("billing = %+v", b)
	}
	for name, wantUser := range map[string]string{"orders": "monitor", "billing": "billing"} {
		tg := cfg.Targets[name]
		cs, err := connstring.Parse(tg.uri.reveal())
		if err != nil {
			t.Fatalf("%s: the driver refuses the connection string: %v", name, err)
		}
		if cs.Username != wantUser || cs.Password != testPassword {
			t.Errorf("%s: the driver reads user %q password %q, want %q %q", name, cs.Username, cs.Password, wantUser, testPassword)
		}
		if strings.Contains(tg.Redacted, "Zq7") || !strings.Contains(tg.Redacted, wantUser+":****@") {
			t.Errorf("%s: redacted = %q", name, tg.Redacted)
		}
	}
	r := cfg.Targets["reports.eu-1"]
	if strings.Contains(r.Redacted, "inline-S3cret") {
		t.Errorf("redacted = %q", r.Redacted)
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	dir := t.TempDir()
	cfgFile := writeFile(t, dir, "probe.yml", "targets:\n  a:\n    uri: mongodb://u@127.0.0.1/\n    password_env: PW\n")
	cfg, err := (&Loader{Getenv: envOf(map[string]string{"PW": "Hunter2-Sentinel"})}).Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	tg := cfg.Targets["a"]
	for _, s := range []string{
		tg.String(),
		fmt.Sprintf("%v %+v %s %q %#v", tg.uri, tg.uri, tg.uri, tg.uri, tg.uri),
		fmt.Sprintf("%+v %v %s", *tg, tg, []*Target{tg}),
	} {
		if strings.Contains(s, "Hunter2") {
			t.Errorf("a secret printed: %s", s)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.pw", "\n")
	big := writeFile(t, dir, "big.uri", "mongodb://"+strings.Repeat("a", MaxSecretFileSize)+"/")
	for _, tc := range []struct {
		name     string
		yaml     string
		env      map[string]string
		line     int
		contains string
	}{
		{"unknown top-level field", "targets:\n  a:\n    uri: mongodb://h/\nlisten: x\n", nil, 4, `unknown field "listen"`},
		{"unknown target field", "targets:\n  a:\n    uri: mongodb://h/\n    pasword_file: x\n", nil, 4, `unknown field "pasword_file" (did you mean password_file?)`},
		{"no targets", "targets: {}\n", nil, 1, "no targets"},
		{"targets missing", "other: 1\n", nil, 1, `unknown field "other": the config has one field, targets`},
		{"targets misspelt", "target:\n  a:\n    uri: mongodb://h/\n", nil, 1, `unknown field "target": the config has one field, targets (did you mean targets?)`},
		{"not a map", "- a\n- b\n", nil, 1, "a map"},
		{"empty file", "", nil, 0, "empty"},
		{"syntax", "targets:\n  a: [\n", nil, 0, "yaml"},
		{"second document", "targets:\n  a:\n    uri: mongodb://h/\n---\ntargets: {}\n", nil, 4, "second YAML document"},
		{"duplicate target", "targets:\n  a:\n    uri: mongodb://h/\n  a:\n    uri: mongodb://h/\n", nil, 4, "given twice (first on line 2)"},
		{"duplicate field", "targets:\n  a:\n    uri: mongodb://h/\n    uri: mongodb://g/\n", nil, 4, "given twice"},
		{"bad name", "targets:\n  \"a b\":\n    uri: mongodb://h/\n", nil, 2, "may hold only"},
		{"no uri", "targets:\n  a:\n    module: ping\n", nil, 2, "no connection string"},
		{"two uris", "targets:\n  a:\n    uri: mongodb://h/\n    uri_env: X\n", map[string]string{"X": "mongodb://h/"}, 4, "both give the connection string"},
		{"two passwords", "targets:\n  a:\n    uri: mongodb://u@h/\n    password_env: X\n    password_file: /nonexistent\n", map[string]string{"X": "p"}, 5, "keep one"},
		{"bad module", "targets:\n  a:\n    uri: mongodb://h/\n    module: wire-check\n", nil, 4, `module "wire-check"`},
		{"bad timeout", "targets:\n  a:\n    uri: mongodb://h/\n    timeout: soon\n", nil, 4, "positive duration"},
		{"negative timeout", "targets:\n  a:\n    uri: mongodb://h/\n    timeout: -1s\n", nil, 4, "positive duration"},
		{"long timeout", "targets:\n  a:\n    uri: mongodb://h/\n    timeout: 1h\n", nil, 4, "longer than"},
		{"bad primary", "targets:\n  a:\n    uri: mongodb://h/\n    primary: maybe\n", nil, 4, "true or false"},
		{"dns by name", "targets:\n  a:\n    uri: mongodb://h/\n    dns_server: dns.example.net:53\n", nil, 4, "not IP:PORT"},
		{"uri a list", "targets:\n  a:\n    uri: [a, b]\n", nil, 3, "is a string"},
		{"unset env", "targets:\n  a:\n    uri_env: NOPE\n", nil, 3, "NOPE is empty or not set"},
		{"missing uri file", "targets:\n  a:\n    uri_file: /nonexistent/uri\n", nil, 3, "no such file"},
		{"large uri file", "targets:\n  a:\n    uri_file: " + big + "\n", nil, 3, "larger than"},
		{"empty password file", "targets:\n  a:\n    uri: mongodb://u@h/\n    password_file: " + empty + "\n", nil, 4, "is empty"},
		{"password without user", "targets:\n  a:\n    uri: mongodb://h/\n    password_env: X\n", map[string]string{"X": "p"}, 4, "names no user"},
		{"password twice", "targets:\n  a:\n    uri: mongodb://u:inline@h/\n    password_env: X\n", map[string]string{"X": "p"}, 4, "already holds a password"},
		{"unparsable uri", "targets:\n  a:\n    uri: http://h/\n", nil, 3, "cannot be used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "probe.yml", tc.yaml)
			_, err := (&Loader{Getenv: envOf(tc.env)}).Load(file)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *ConfigError", err, err)
			}
			if ce.File != file || ce.Line != tc.line {
				t.Errorf("at %s:%d, want %s:%d (%v)", ce.File, ce.Line, file, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error on several lines: %q", err)
			}
		})
	}
}

// TestConfigErrorsHideSecrets: a connection string the engine refuses,
// with its password inline or from a file, is named redacted.
func TestConfigErrorsHideSecrets(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", "Sentinel-Zx81\n")
	for _, body := range []string{
		"targets:\n  a:\n    uri: mongodb://u:Sentinel-Zx81@h:99999/\n",
		"targets:\n  a:\n    uri: mongodb://u@h:99999/\n    password_file: " + pw + "\n",
		"targets:\n  a:\n    uri: mongodb://u@h/?authMechanism=NOPE\n    password_file: " + pw + "\n",
		"targets:\n  \"mongodb://u:Sentinel-Zx81@h/\":\n    uri: mongodb://h/\n",
		"targets:\n  a:\n    uri: mongodb://h/\n    module: \"mongodb://u:Sentinel-Zx81@h/\"\n",
		"targets:\n  a:\n    uri: mongodb://u:Sentinel-Zx81@h/?authMechanism=NOPE\n",
		"targets:\n  a:\n    uri: mongodb://u:Sentinel-Zx81@h1,h2/?directConnection=true\n",
		"targets:\n  a:\n    uri: \"mongodb://u:Sentinel:Zx81@h/\"\n",
		"targets:\n  a:\n    uri: \"mongodb://u:Sentinel@Zx81@h/\"\n",
		"targets:\n  a:\n    uri: \"mongodb://u:Sentinel%zz@h/\"\n",
	} {
		file := writeFile(t, t.TempDir(), "probe.yml", body)
		_, err := (&Loader{}).Load(file)
		if err == nil {
			t.Fatalf("%q loaded", body)
		}
		if strings.Contains(err.Error(), "Sentinel") {
			t.Errorf("the password is in the error: %v", err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	file := writeFile(t, t.TempDir(), "probe.yml", "targets:\n  a:\n    uri: mongodb://h/\n  b:\n    uri: mongodb://h/\n    timeout: 2s\n    dns_server: 127.0.0.1:5353\n")
	cfg, err := (&Loader{DefaultTimeout: 3 * time.Second, DefaultDNSServer: "127.0.0.1:53"}).Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Targets["a"]; a.Timeout != 3*time.Second || a.DNSServer != "127.0.0.1:53" || a.Module != ModulePing {
		t.Errorf("a = %+v", a)
	}
	if b := cfg.Targets["b"]; b.Timeout != 2*time.Second || b.DNSServer != "127.0.0.1:5353" {
		t.Errorf("b = %+v", b)
	}
}

func TestNormalizeDNSServer(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.2:53": "10.0.0.2:53", "10.0.0.2": "10.0.0.2:53", "[::1]:5353": "[::1]:5353",
		"::1": "[::1]:53", "localhost:53": "127.0.0.1:53", "ns.example:53": "", "1.2.3.4:0": "", "1.2.3.4:x": "",
	} {
		got, ok := NormalizeDNSServer(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeDNSServer(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestWithPassword(t *testing.T) {
	for _, tc := range []struct{ uri, want, err string }{
		{"mongodb://u@h/", "mongodb://u:p%40%3A%2F%25%2B%20@h/", ""},
		{"mongodb+srv://u@c.example.net/?authSource=admin", "mongodb+srv://u:p%40%3A%2F%25%2B%20@c.example.net/?authSource=admin", ""},
		{"mongodb://u@h1,h2/?appName=x@y", "mongodb://u:p%40%3A%2F%25%2B%20@h1,h2/?appName=x@y", ""},
		{"mongodb://h/?appName=x@y", "", "names no user"},
		{"mongodb://h", "", "names no user"},
		{"mongodb://u:q@h/", "", "already holds a password"},
		{"mongodb://@h/", "", "empty user"},
		{"h:27017", "", "no scheme"},
	} {
		got, err := withPassword(tc.uri, "p@:/%+ ")
		if tc.err != "" {
			var pe *PasswordError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("withPassword(%q) = %q, %v; want an error saying %q", tc.uri, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("withPassword(%q) = %q, %v; want %q", tc.uri, got, err, tc.want)
		}
	}
}
