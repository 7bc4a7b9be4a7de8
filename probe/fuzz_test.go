package probe

import (
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// FuzzParseConfig: any file is a config or a *ConfigError on one line,
// never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"targets:\n  a:\n    uri: mongodb://u@h/\n    password_env: PW\n    module: diagnose\n    primary: true\n    timeout: 5s\n    dns_server: 10.0.0.2:53\n",
		"targets:\n  a:\n    uri_env: URI\n  b:\n    uri: mongodb+srv://c.example.net/\n",
		"targets: {a: {uri: 'mongodb://h/', colour: x}}\n",
		"targets:\n  a: &x\n    uri: mongodb://h/\n  b: *x\n",
		"targets:\n  a:\n    uri: [1, 2]\n---\nx: 1\n",
		"- 1\n", "", "targets:\n  \"\":\n    uri: x\n", "{",
	} {
		f.Add([]byte(seed))
	}
	l := &Loader{Getenv: func(k string) string {
		switch k {
		case "PW":
			return "p@ss:w/rd"
		case "URI":
			return "mongodb://u@127.0.0.1/"
		}
		return ""
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := l.Parse("fuzz.yml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T: %v", err, err)
			}
			if strings.Contains(ce.Error(), "p@ss:w/rd") {
				t.Fatalf("the password is in the error: %v", err)
			}
			return
		}
		if len(cfg.Targets) == 0 {
			t.Fatal("a config without targets loaded")
		}
		for name, tg := range cfg.Targets {
			if badName(name) != "" || tg.parsed == nil || tg.Timeout <= 0 {
				t.Fatalf("target %q loaded as %+v", name, tg)
			}
			if strings.Contains(tg.Redacted, "p@ss") || strings.Contains(tg.Redacted, "p%40ss") {
				t.Fatalf("redacted %q holds the password", tg.Redacted)
			}
		}
	})
}

// FuzzWithPassword: whatever the password, the driver reads back exactly
// that password from the connection string withPassword builds.
func FuzzWithPassword(f *testing.F) {
	for _, seed := range []string{"p@ss:w/rd%", "", " ", "%41", "a+b", "\x00\xff", "é🔑", "?#[]"} {
		f.Add("mongodb://monitor@127.0.0.1:27017/?replicaSet=rs0", seed)
	}
	f.Add("mongodb+srv://u%40x@c.example.net/", "secret")
	f.Fuzz(func(t *testing.T, uri, password string) {
		full, err := withPassword(uri, password)
		if err != nil {
			var pe *PasswordError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if !strings.Contains(full, ":"+escapePassword(password)+"@") {
			t.Fatalf("the password is not in the user information of %q", full)
		}
		cs, err := connstring.Parse(full)
		if err != nil {
			return // the string was bad before the password went in
		}
		if cs.Password != password {
			t.Fatalf("the driver reads password %q from %q, want %q", cs.Password, full, password)
		}
	})
}

// FuzzProbeRequest: any query and scrape-timeout header is a request or a
// one-line *RequestError that echoes only target-name characters.
func FuzzProbeRequest(f *testing.F) {
	cfg, err := (&Loader{}).Parse("fuzz.yml", []byte("targets:\n  orders:\n    uri: mongodb://h/\n    timeout: 5s\n"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ q, h string }{
		{"target=orders", ""}, {"target=orders&module=diagnose&debug=true", "10"},
		{"uri=mongodb://u:p@h/", ""}, {"target=x%zz", "0.4"}, {"target=orders&debug=1", "NaN"},
		{"target=mongodb%3A%2F%2Fu%3Ap%40h", "-1"},
	} {
		f.Add(seed.q, seed.h)
	}
	f.Fuzz(func(t *testing.T, query, header string) {
		req, err := parseProbeRequest(cfg, query, header)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error %T: %v", err, err)
			}
			if strings.ContainsAny(re.Msg, "\n\r@%") {
				t.Fatalf("the reason %q echoes the request", re.Msg)
			}
			parts := strings.Split(re.Msg, `"`)
			for i := 1; i < len(parts); i += 2 {
				if !safeName(parts[i]) {
					t.Fatalf("the reason %q quotes %q, which is not a name", re.Msg, parts[i])
				}
			}
			return
		}
		if req.target == nil || req.budget <= 0 || req.budget > req.target.Timeout {
			t.Fatalf("request %+v", req)
		}
		if req.module != ModulePing && req.module != ModuleDiagnose {
			t.Fatalf("module %q", req.module)
		}
	})
}

// FuzzCertNotAfter: any line (a certificate's names come from the peer) is
// read or refused, never a panic, and an expiry read is one the line
// holds.
func FuzzCertNotAfter(f *testing.F) {
	f.Add(`certificate 0: subject "CN=localhost", issuer "CN=ca", valid 2026-01-02 03:04:05 UTC to 2027-02-03 04:05:06 UTC, names localhost`)
	f.Add(`certificate 1: subject "CN=\"x", issuer "", valid 2026-01-02 03:04:05 UTC to 2027-02-03 04:05:06 UTC, CA`)
	f.Add(`certificate 0: subject "`)
	f.Fuzz(func(t *testing.T, line string) {
		at, ok := certNotAfter(line)
		if ok && !strings.Contains(line, at.Format(certTimeLayout)) {
			t.Fatalf("certNotAfter(%q) = %v, which the line does not hold", line, at)
		}
	})
}
