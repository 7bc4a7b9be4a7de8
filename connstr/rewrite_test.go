package connstr

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// set is a shorthand for the Set of an Edit.
func set(kv ...string) []Setting {
	var out []Setting
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Setting{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// directTo is the edit of a direct connection to one member.
func directTo(host string) Edit {
	return Edit{Hosts: []string{host}, Set: set("directConnection", "true"), Drop: []string{"replicaSet"}}
}

func TestRewrite(t *testing.T) {
	direct := directTo("127.0.0.1:4000")
	cases := []struct {
		name string
		raw  string
		edit Edit
		want string
	}{
		{"seed alone, replicaSet removed, other options kept", "mongodb://alice:s3cret@mongo-a.internal:27017,mongo-b.internal:27017/app?replicaSet=rs0&authSource=admin&w=majority",
			direct, "mongodb://alice:s3cret@127.0.0.1:4000/app?authSource=admin&w=majority&directConnection=true"},
		{"no path, no options", "mongodb://localhost:4000", direct, "mongodb://127.0.0.1:4000/?directConnection=true"},
		{"existing directConnection=false replaced in place", "mongodb://h:1/?directConnection=false&appName=x", direct,
			"mongodb://127.0.0.1:4000/?directConnection=true&appName=x"},
		// A replaced pair is written in Set's spelling, whatever the
		// string's was (Target.WithOptions did so; Rewrite kept the
		// string's spelling).
		{"option keys match whatever their case", "mongodb://h:1/?REPLICASET=rs0&DirectConnection=false", direct,
			"mongodb://127.0.0.1:4000/?directConnection=true"},
		{"SRV becomes a plain string with TLS", "mongodb+srv://u:p@cluster0.example.net/db?retryWrites=true&srvMaxHosts=2", direct,
			"mongodb://u:p@127.0.0.1:4000/db?retryWrites=true&directConnection=true&tls=true"},
		{"SRV with tls=false keeps it", "mongodb+srv://cluster0.example.net/?tls=false", direct,
			"mongodb://127.0.0.1:4000/?tls=false&directConnection=true"},
		{"only set an option", "mongodb://a:1,b:2/?replicaSet=prod", Edit{Set: set("replicaSet", "rs0")},
			"mongodb://a:1,b:2/?replicaSet=rs0"},
		{"semicolon separators", "mongodb://a:1/?replicaSet=rs0;w=1", direct, "mongodb://127.0.0.1:4000/?w=1&directConnection=true"},
		{"percent-encoded option keys are the options they decode to", "mongodb://h:1/?replica%53et=rs0&direct%43onnection=false&0replicaSet=x", direct,
			"mongodb://127.0.0.1:4000/?directConnection=true&0replicaSet=x"},
		{"at sign in an encoded password", "mongodb://u:p%40ss@a:1/", direct, "mongodb://u:p%40ss@127.0.0.1:4000/?directConnection=true"},
		{"several hosts, IPv6 in brackets", "mongodb://u:pw@a:27017,b:27017/admin?replicaSet=rs0", Edit{Hosts: []string{"127.0.0.1:40001", "[::1]:27018"}},
			"mongodb://u:pw@127.0.0.1:40001,[::1]:27018/admin?replicaSet=rs0"},
		{"SRV seeds drop both SRV-only options", "mongodb+srv://u:pw@c.example.net/db?srvMaxHosts=1&srvServiceName=db&retryWrites=true", Edit{Hosts: []string{"s1.example.net:27017", "[::1]:27018"}},
			"mongodb://u:pw@s1.example.net:27017,[::1]:27018/db?retryWrites=true&tls=true"},
		{"ssl=false counts as tls", "mongodb+srv://c.example.net/?ssl=false", Edit{Hosts: []string{"s1.example.net:27017"}},
			"mongodb://s1.example.net:27017/?ssl=false"},
		{"a UNIX socket is percent-encoded", "mongodb://h", Edit{Hosts: []string{"/tmp/mongodb-27017.sock"}},
			"mongodb://%2Ftmp%2Fmongodb-27017.sock/"},
		{"keep the first host as written", "mongodb://h1:27017,h2:27017/?directConnection=true", Edit{KeepHosts: 1, Set: set("directConnection", "true")},
			"mongodb://h1:27017/?directConnection=true"},
		{"the SRV host name replaced, the scheme kept", "mongodb+srv://c0.example.net:27017/", Edit{SRVHost: "c0.example.net"},
			"mongodb+srv://c0.example.net/"},
		{"SRVHost leaves a mongodb:// string alone", "mongodb://c0.example.net:27017/", Edit{SRVHost: "c0.example.net"},
			"mongodb://c0.example.net:27017/"},
		{"new keys in Set's order, values escaped", "mongodb://h", Edit{Set: set("b", "2", "a", "x y&z")},
			"mongodb://h/?b=2&a=x%20y%26z"},
		{"a value from a server cannot add options", "mongodb://h/?replicaSet=a", Edit{Set: set("replicaSet", "rs0&tls=false")},
			"mongodb://h/?replicaSet=rs0%26tls%3Dfalse"},
		{"several pairs of one key", "mongodb://h/?readPreferenceTags=dc:east&readPreference=nearest", Edit{Drop: []string{"readPreferenceTags"}, Set: set("readPreferenceTags", "dc:east,rack:1", "readPreferenceTags", "")},
			"mongodb://h/?readPreference=nearest&readPreferenceTags=dc:east,rack:1&readPreferenceTags="},
		{"several pairs replace the first in place", "mongodb://h/?readPreferenceTags=dc:east&readPreference=nearest&readPreferenceTags=dc:west", Edit{Set: set("readPreferenceTags", "dc:north", "readPreferenceTags", "")},
			"mongodb://h/?readPreferenceTags=dc:north&readPreferenceTags=&readPreference=nearest"},
		// connstr.WithOptions wrote ',' as %2C; Target.WithOptions kept
		// it in readPreferenceTags. Both are kept.
		{"a list's commas are encoded, a tag set's are not", "mongodb://h/?compressors=zlib&readPreference=nearest", Edit{Set: set("compressors", "snappy,zstd", "readPreferenceTags", "dc:east,rack:1", "authMechanismProperties", "SERVICE_NAME:a,CANONICALIZE_HOST_NAME:true")},
			"mongodb://h/?compressors=snappy%2Czstd&readPreference=nearest&readPreferenceTags=dc:east,rack:1&authMechanismProperties=SERVICE_NAME:a,CANONICALIZE_HOST_NAME:true"},
		{"a dropped key that is set moves to the end", "mongodb://h:1/?tls=true&tlsCAFile=/a&replicaSet=rs", Edit{Drop: []string{"tls*", "ssl*"}, Set: set("tls", "false")},
			"mongodb://h:1/?replicaSet=rs&tls=false"},
		{"the scheme is written in lower case", "MONGODB://h/?ssl=false", Edit{Set: set("tls", "true")}, "mongodb://h/?tls=true"},
		{"no '/' before the query", "mongodb://a?x=1", Edit{}, "mongodb://a/?x=1"},
	}
	for _, c := range cases {
		got, err := Rewrite(c.raw, c.edit)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
		if _, err := ParseTarget(got); err != nil {
			t.Errorf("%s: the rewritten string does not parse: %v", c.name, err)
		}
	}
	// A pair without a value is kept as written (Rewrite wrote it with
	// an '=' appended); drivers ignore it either way.
	if got, _ := Rewrite("mongodb://h/?journal&w=1", Edit{Drop: []string{"w"}}); got != "mongodb://h/?journal" {
		t.Errorf("valueless pair: %q", got)
	}
	for _, bad := range []string{"http://example.com", "cluster0.example.test", "mongodb:/h/", ""} {
		var se *SchemeError
		if _, err := Rewrite(bad, direct); !errors.As(err, &se) {
			t.Errorf("Rewrite(%q) = %v, want a *SchemeError", bad, err)
		}
	}
}

// TestRewriteSRVSeeds pins the mongodb:// string an SRV seed list stands
// for: the TXT record's options first, unless the string writes them,
// then the string's own without the SRV-only ones, then tls=true unless
// tls or ssl is written (initial DNS seed-list discovery specification).
func TestRewriteSRVSeeds(t *testing.T) {
	cases := []struct {
		name     string
		query    string
		txt      []Setting
		want     string
		redacted string // "" when as want
	}{
		{"txt options and tls by default", "", set("replicaSet", "rs0", "authSource", "admin"),
			"replicaSet=rs0&authSource=admin&tls=true", ""},
		{"uri overrides txt", "authSource=otherDB", set("replicaSet", "rs0", "authSource", "thisDB"),
			"replicaSet=rs0&authSource=otherDB&tls=true", ""},
		{"override ignores key case", "AUTHSOURCE=otherDB", set("authSource", "thisDB"),
			"AUTHSOURCE=otherDB&tls=true", ""},
		// Target.WithSeeds appended the TXT options in sorted order after
		// the string's; the srv command's uri line has always put them
		// first.
		{"txt before the string's own", "authSource=db1", set("authSource", "admin", "replicaSet", "atlas-x"),
			"replicaSet=atlas-x&authSource=db1&tls=true", ""},
		{"tls=false in the uri stays", "tls=false", nil, "tls=false", ""},
		{"ssl=false in the uri stays", "ssl=false", nil, "ssl=false", ""},
		{"srv options are dropped", "srvServiceName=custom&srvMaxHosts=2&retryWrites=true", nil,
			"retryWrites=true&tls=true", ""},
		{"secrets are masked where shown", "tlsCertificateKeyFilePassword=s3cret&authMechanismProperties=AWS_SESSION_TOKEN:tok,SERVICE_NAME:x", nil,
			"tlsCertificateKeyFilePassword=s3cret&authMechanismProperties=AWS_SESSION_TOKEN:tok,SERVICE_NAME:x&tls=true",
			"tlsCertificateKeyFilePassword=****&authMechanismProperties=AWS_SESSION_TOKEN:****,SERVICE_NAME:x&tls=true"},
		{"unknown keys keep their spelling", "fooBar=1&readpreference=nearest", nil,
			"fooBar=1&readpreference=nearest&tls=true", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := "mongodb+srv://alice:p%40ss@cluster0.example.test/app?" + c.query
			e := Edit{Hosts: []string{"a.example.test:27017", "b.example.test:27018"}, Defaults: c.txt}
			got, err := Rewrite(raw, e)
			if err != nil {
				t.Fatal(err)
			}
			if want := "mongodb://alice:p%40ss@a.example.test:27017,b.example.test:27018/app?" + c.want; got != want {
				t.Errorf("Rewrite:\n got  %s\n want %s", got, want)
			}
			red, err := RewriteRedacted(raw, e)
			if err != nil {
				t.Fatal(err)
			}
			wantRed := c.redacted
			if wantRed == "" {
				wantRed = c.want
			}
			if want := "mongodb://alice:****@a.example.test:27017,b.example.test:27018/app?" + wantRed; red != want {
				t.Errorf("RewriteRedacted:\n got  %s\n want %s", red, want)
			}
		})
	}
}

// TestRewriteRedacted covers the corrected strings of the TLS and auth
// findings.
func TestRewriteRedacted(t *testing.T) {
	withoutTLS := Edit{Drop: []string{"tls*", "ssl*"}, Set: set("tls", "false")}
	tests := []struct {
		name, raw string
		edit      Edit
		want      string
	}{
		{"add to bare host", "mongodb://h:1", Edit{Set: set("tls", "true")}, "mongodb://h:1/?tls=true"},
		// The old string-based rewriter of these findings removed the
		// pair and appended the new one; it now keeps its place, as in
		// every other rewrite.
		{"replace synonym in place", "mongodb://h/?ssl=false&w=1", Edit{Set: set("tls", "true")}, "mongodb://h/?tls=true&w=1"},
		{"case-insensitive, in place", "mongodb://h/db?TLSCAFile=/a&x=1", Edit{Set: set("tlsCAFile", "/b c")}, "mongodb://h/db?tlsCAFile=/b%20c&x=1"},
		{"redacts password", "mongodb://u:secret@h/?authSource=x", Edit{Set: set("authSource", "admin")}, "mongodb://u:****@h/?authSource=admin"},
		{"masks key password", "mongodb://h/?tlsCertificateKeyFilePassword=pw", Edit{Set: set("tls", "true")}, "mongodb://h/?tlsCertificateKeyFilePassword=****&tls=true"},
		{"masks proxy password and session token", "mongodb://h/?proxyPassword=hunter2&authMechanismProperties=AWS_SESSION_TOKEN:t0k3n", Edit{},
			"mongodb://h/?proxyPassword=****&authMechanismProperties=AWS_SESSION_TOKEN:****"},
		{"masks a secret that is set", "mongodb://h/", Edit{Set: set("tlsCertificateKeyFilePassword", "hunter2")}, "mongodb://h/?tlsCertificateKeyFilePassword=****"},
		{"without TLS", "mongodb://h:1/?tls=true&tlsCAFile=/a&replicaSet=rs", withoutTLS, "mongodb://h:1/?replicaSet=rs&tls=false"},
		{"percent-encoded keys", "mongodb://h:1/?t%6Cs=true&tlsCertificateKeyFile%50assword=pw&w=1", withoutTLS, "mongodb://h:1/?w=1&tls=false"},
		{"masks percent-encoded key password", "mongodb://h/?tlsCertificateKeyFile%50assword=pw", Edit{Set: set("tls", "true")}, "mongodb://h/?tlsCertificateKeyFile%50assword=****&tls=true"},
		{"without option", "mongodb://h/?authMechanism=SCRAM-SHA-1&w=1", Edit{Drop: []string{"authmechanism"}}, "mongodb://h/?w=1"},
		{"without last option", "mongodb://h/?authMechanism=SCRAM-SHA-1", Edit{Drop: []string{"authMechanism"}}, "mongodb://h/"},
		{"host", "mongodb://u:p@127.0.0.1:27017/db?tls=true", Edit{Hosts: []string{"db.example:27017"}}, "mongodb://u:****@db.example:27017/db?tls=true"},
		{"already redacted text stays so", "mongodb://alice:****@localhost:27017/app?replicaSet=rs0&tls=false", Edit{KeepHosts: 1, Drop: []string{"replicaSet"}, Set: set("directConnection", "true")},
			"mongodb://alice:****@localhost:27017/app?tls=false&directConnection=true"},
	}
	for _, tt := range tests {
		got, err := RewriteRedacted(tt.raw, tt.edit)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTargetRewriteRedacted: a parsed target leaves out the pairs drivers
// ignore, so that the suggested string also works with the Go driver.
func TestTargetRewriteRedacted(t *testing.T) {
	tests := []struct {
		in   string
		edit Edit
		want string
	}{
		{"mongodb://a:27017/?replicaSet=rs0", Edit{Set: set("directConnection", "true"), Drop: []string{"replicaSet"}},
			"mongodb://a:27017/?directConnection=true"},
		{"mongodb://u:p%40w@h/db?ssl=true&w=1", Edit{Set: set("tls", "false")},
			"mongodb://u:****@h/db?tls=false&w=1"},
		{"mongodb://h", Edit{Set: set("a", "x y&z", "b", "2")},
			"mongodb://h/?a=x%20y%26z&b=2"},
		{"mongodb://h/?READPREFERENCE=nearest&journal=bad&foo=1", Edit{Set: set("readPreference", "secondary"), Drop: []string{"FOO"}},
			"mongodb://h/?readPreference=secondary"},
		{"mongodb+srv://u:pw@c.example.net/?retryWrites=true", Edit{Set: set("appName", "mongoconn")},
			"mongodb+srv://u:****@c.example.net/?retryWrites=true&appName=mongoconn"},
		{"mongodb://h?w=1", Edit{Drop: []string{"w"}}, "mongodb://h/"},
		{"mongodb://h/?maxStaleness=10&readPreference=secondary", Edit{Set: set("maxStalenessSeconds", "90")},
			"mongodb://h/?maxStalenessSeconds=90&readPreference=secondary"},
	}
	for _, tc := range tests {
		tg, err := ParseTarget(tc.in)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", tc.in, err)
		}
		got := tg.RewriteRedacted(tc.edit)
		if got != tc.want {
			t.Errorf("RewriteRedacted(%q, %+v) = %q, want %q", tc.in, tc.edit, got, tc.want)
		}
		if _, err := ParseTarget(got); err != nil {
			t.Errorf("result %q does not parse: %v", got, err)
		}
	}
	// A Target not built by ParseTarget is rewritten from Raw, invalid
	// pairs included.
	hand := &Target{Raw: "mongodb://u:pw@h/?journal=bad"}
	if got, want := hand.RewriteRedacted(Edit{Set: set("tls", "true")}), "mongodb://u:****@h/?journal=bad&tls=true"; got != want {
		t.Errorf("hand-built target: %q, want %q", got, want)
	}
}

func TestCutURI(t *testing.T) {
	u, err := CutURI("mongodb+srv://alice:p%40ss@cluster0.example.test,,x%2Fy:1/app?retryWrites=true;&authSource=admin")
	if err != nil {
		t.Fatal(err)
	}
	if !u.SRV() {
		t.Error("SRV() = false")
	}
	if got := strings.Join(u.Hosts(), " "); got != "cluster0.example.test x%2Fy:1" {
		t.Errorf("Hosts() = %q", got)
	}
	if got := strings.Join(u.Pairs(), " "); got != "retryWrites=true authSource=admin" {
		t.Errorf("Pairs() = %q", got)
	}
	var se *SchemeError
	if _, err := CutURI("https://cluster0.example.test/"); !errors.As(err, &se) || se.Scheme != "https" {
		t.Errorf("CutURI(https) = %v", err)
	}
	var zero URI
	if zero.SRV() || zero.Hosts() != nil || zero.Pairs() != nil {
		t.Error("the zero URI is not empty")
	}
}

// FuzzTunnelRewriteURI checks the direct connection to one member: the
// rewritten string names that member alone, without replicaSet and with
// one directConnection=true.
func FuzzTunnelRewriteURI(f *testing.F) {
	for _, s := range []string{
		"mongodb://alice:s3cret@h:1,h:2/db?replicaSet=rs0&w=1",
		"mongodb+srv://u:p@cluster0.example.net/?srvMaxHosts=1",
		"mongodb://",
		"mongodb://@/?&&=",
		"mongodb://a/?directConnection",
		"mongodb://u:p@@h?x=y;z",
		"mongodb://u:p?x@h/?a=b@c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Rewrite(raw, directTo("127.0.0.1:1"))
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "mongodb://") {
			t.Fatalf("rewrite of %q gave %q", raw, got)
		}
		// Options are read the way connstr reads them (split on & and ;,
		// keys percent-decoded and case-folded), not as substrings: an
		// unrelated key such as "0replicaSet" merely contains the name and
		// must be kept, while "replica%53et" is replicaSet and must go.
		u, err := CutURI(got)
		if err != nil {
			t.Fatalf("rewrite of %q gave %q, which does not cut: %v", raw, got, err)
		}
		if h := u.Hosts(); len(h) != 1 || h[0] != "127.0.0.1:1" {
			t.Fatalf("rewrite of %q has hosts %q: %q", raw, h, got)
		}
		direct := 0
		for _, kv := range u.Pairs() {
			k, v, _ := strings.Cut(kv, "=")
			switch decodedKey(k) {
			case "replicaset":
				t.Fatalf("rewrite of %q kept replicaSet: %q", raw, got)
			case "directconnection":
				if v != "true" {
					t.Fatalf("rewrite of %q gave directConnection=%q: %q", raw, v, got)
				}
				direct++
			}
		}
		if direct != 1 {
			t.Fatalf("rewrite of %q has %d directConnection options: %q", raw, direct, got)
		}
	})
}

// decodedKey is an option key the way a driver reads it: percent-decoded,
// then lower-cased; a key that does not decode is taken as written.
func decodedKey(raw string) string {
	if k, err := url.QueryUnescape(raw); err == nil {
		raw = k
	}
	return strings.ToLower(raw)
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
		edits := []Edit{
			{Set: set("tls", "true", "tlsCAFile", "/path/to/ca.pem")},
			{Drop: []string{"tls*", "ssl*"}, Set: set("tls", "false")},
			{Drop: []string{"authMechanism"}},
			{Hosts: []string{"db.example:27017"}},
			{Hosts: []string{"127.0.0.1:1"}, Set: set("directConnection", "true"), Drop: []string{"replicaSet"}},
		}
		mk := func(pw string) (outs, parsed []string) {
			// In the query the password is an option value, which '&' or
			// ';' would end: a real string encodes it, as done here.
			raw := "mongodb://alice:" + pw + "@127.0.0.1:27017/db?" + query + "&tlsCertificateKeyFilePassword=" + url.QueryEscape(pw)
			tg, _ := ParseTarget(raw)
			for _, e := range edits {
				s, err := RewriteRedacted(raw, e)
				if err != nil {
					t.Fatalf("RewriteRedacted(%q): %v", raw, err)
				}
				outs = append(outs, s)
				if tg != nil {
					parsed = append(parsed, tg.RewriteRedacted(e))
				}
			}
			return outs, parsed
		}
		a, pa := mk(pass)
		b, pb := mk("other-password")
		if len(pa) == len(pb) {
			a, b = append(a, pa...), append(b, pb...)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("output depends on the password:\n%q\n%q", a[i], b[i])
			}
		}
	})
}

// FuzzSplitURI checks that the mongodb:// string of an SRV seed list
// shows the user name and ****, whatever the password was, and that it
// does not depend on the password.
func FuzzSplitURI(f *testing.F) {
	for _, s := range []string{
		"mongodb+srv://alice:secret@cluster0.example.test/db?authSource=admin",
		"mongodb://a:1,b:2/?replicaSet=rs0", "mongodb+srv://x", "mongodb://u:p@/", "mongodb+srv://@@/??&&",
	} {
		f.Add(s, "secret")
	}
	f.Fuzz(func(t *testing.T, raw, password string) {
		u, err := CutURI(raw)
		if err != nil {
			return
		}
		seeds := Edit{Hosts: []string{"a.example.test:27017"}}
		out, err := RewriteRedacted(raw, seeds)
		if err != nil {
			t.Fatalf("RewriteRedacted(%q): %v", raw, err)
		}
		if !strings.HasPrefix(out, "mongodb://") {
			t.Fatalf("redacted URI %q", out)
		}
		p := u.p
		if !p.hasPassword {
			return
		}
		// The same string with another password gives the same string,
		// without the password.
		pw := "Zq7" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, password) + "Xw9"
		other := raw[:p.passSpan.Start] + pw + raw[p.passSpan.End:]
		out2, err := RewriteRedacted(other, seeds)
		if err != nil {
			t.Fatalf("RewriteRedacted(%q): %v", other, err)
		}
		if strings.Contains(out2, pw) {
			t.Fatalf("the password shows in %q", out2)
		}
		if raw[p.passSpan.Start:p.passSpan.End] != "" && out != out2 {
			t.Fatalf("the output depends on the password:\n%q\n%q", out, out2)
		}
		// A plain user name is shown as it is, followed by :****.
		user := raw[p.userSpan.Start:p.userSpan.End]
		if strings.Trim(user, "abcdefghijklmnopqrstuvwxyz0123456789._-") == "" {
			info, _, found := strings.Cut(strings.TrimPrefix(out2, "mongodb://"), "@a.example.test:27017/")
			if !found || info != user+":****" {
				t.Fatalf("user information of %q is %q, want %q", out2, info, user+":****")
			}
		}
	})
}
