package redact

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no secret", "dial tcp 127.0.0.1:27017: connect: connection refused", "dial tcp 127.0.0.1:27017: connect: connection refused"},
		{"plain", "mongodb://alice:s3cret@localhost:27017/admin", "mongodb://alice:****@localhost:27017/admin"},
		{"srv", "mongodb+srv://alice:s3cret@cluster0.example.net/?retryWrites=true", "mongodb+srv://alice:****@cluster0.example.net/?retryWrites=true"},
		{"user only", "mongodb://alice@localhost", "mongodb://alice@localhost"},
		{"empty password", "mongodb://alice:@localhost", "mongodb://alice:@localhost"},
		{"percent-encoded password", "mongodb://alice:p%40ss%3Aw%2Frd@h", "mongodb://alice:****@h"},
		{"unescaped at-sign", "mongodb://alice:p@ss@h/db", "mongodb://alice:****@h/db"},
		{"unescaped slash", "mongodb://alice:pa/ss@h/db", "mongodb://alice:****@h/db"},
		{"unescaped colon", "mongodb://alice:foo:bar@h", "mongodb://alice:****@h"},
		{"unescaped question mark", "mongodb://alice:pa?ss@h/?w=1", "mongodb://alice:****@h/?w=1"},
		{"question mark and equals sign", "mongodb://alice:pa?s=s@h", "mongodb://alice:****@h"},
		{"port then options with at-sign", "mongodb://h:27017?appname=me@x", "mongodb://h:27017?appname=me@x"},
		{"IPv6 then options with at-sign", "mongodb://[::1]?appname=me@x", "mongodb://[::1]?appname=me@x"},
		{"at-sign in an option", "mongodb://alice:secret@h/admin?replicaset=my@rs", "mongodb://alice:****@h/admin?replicaset=my@rs"},
		{"at-sign in an option, no user", "mongodb://h/admin?appname=me@host", "mongodb://h/admin?appname=me@host"},
		{"sub-delimiters", "mongodb://!$&'()*+,;=:!$&'()*+,;=@127.0.0.1/admin", "mongodb://!$&'()*+,;=:****@127.0.0.1/admin"},
		{"in a message", `connection() error occurred during connection handshake: auth error: mongodb://bob:hunter2@db.example.com:27017 said no`, `connection() error occurred during connection handshake: auth error: mongodb://bob:****@db.example.com:27017 said no`},
		{"quoted", `error parsing uri "mongodb://bob:hunter2@db:27017/?x=1": bad`, `error parsing uri "mongodb://bob:****@db:27017/?x=1": bad`},
		{"two strings", "from mongodb://a:one@h1 to mongodb+srv://b:two@h2", "from mongodb://a:****@h1 to mongodb+srv://b:****@h2"},
		{"upper-case scheme", "MONGODB://a:pw@h", "MONGODB://a:****@h"},
		{"other scheme", "proxy http://user:pw@proxy:3128 failed", "proxy http://user:****@proxy:3128 failed"},
		{"host and port, then an e-mail address", "mongodb://db:27017 is down, write to admin@example.com", "mongodb://db:27017 is down, write to admin@example.com"},
		{"password with a space", "mongodb://alice:pa ss@h/db", "mongodb://alice:****@h/db"},
		{"percent-encoded string", "uri=mongodb%3A%2F%2Falice%3As3cret%40h%3A27017%2Fadmin&x=1", "uri=mongodb%3A%2F%2Falice%3A****%40h%3A27017%2Fadmin&x=1"},
		{"percent-encoded srv, lower-case hex", "mongodb%2bsrv%3a%2f%2falice%3as3cret%40h", "mongodb%2bsrv%3a%2f%2falice%3a****%40h"},
		{"half-encoded", "mongodb%3A//alice%3As3cret%40h/db", "mongodb%3A//alice%3A****%40h/db"},
		{"tls key password", "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=hunter2&w=1", "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=****&w=1"},
		{"ssl key password alias", "mongodb://h/?sslClientCertificateKeyPassword=hunter2", "mongodb://h/?sslClientCertificateKeyPassword=****"},
		{"key password any case", "TLSCERTIFICATEKEYFILEPASSWORD=hunter2;x", "TLSCERTIFICATEKEYFILEPASSWORD=****;x"},
		{"proxy password", "mongodb://h/?proxyHost=p&proxyUsername=u&proxyPassword=pw1", "mongodb://h/?proxyHost=p&proxyUsername=u&proxyPassword=****"},
		{"key password, key percent-encoded", "mongodb://h/?tlsCertificateKeyFile%50assword=hunter2&w=1", "mongodb://h/?tlsCertificateKeyFile%50assword=****&w=1"},
		{"encoded separator before a key is no key character", "passwor%64%3Dx%26w%3D1", "passwor%64%3D****%26w%3D1"},
		{"encoded key password", "tlsCertificateKeyFilePassword%3Dhunter2%26w%3D1", "tlsCertificateKeyFilePassword%3D****%26w%3D1"},
		{"aws token", "mongodb://u:p@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:FwoGZX+/abc=,X:y", "mongodb://u:****@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:****,X:y"},
		{"aws token encoded", "authMechanismProperties=AWS_SESSION_TOKEN%3AFwoG%2Fabc%2CX%3Ay", "authMechanismProperties=AWS_SESSION_TOKEN%3A****%2CX%3Ay"},
		{"aws token, name percent-encoded", "authMechanismProperties=AWS_SESSION_T%4FKEN:FwoG,X:y", "authMechanismProperties=AWS_SESSION_T%4FKEN:****,X:y"},
		{"aws token environment", "AWS_SESSION_TOKEN=FwoGZXIvYXdz env", "AWS_SESSION_TOKEN=**** env"},
		{"quoted secret value", `password="a b c" rest`, `password="****" rest`},
		{"url escape error", `invalid password: invalid URL escape "%w:"`, `invalid password: invalid URL escape "****"`},
		{"already redacted", "mongodb://alice:****@h", "mongodb://alice:****@h"},
		{"token resource is no secret", "authMechanismProperties=TOKEN_RESOURCE:mongodb://api,ENVIRONMENT:azure", "authMechanismProperties=TOKEN_RESOURCE:mongodb://api,ENVIRONMENT:azure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if got := Redact(tc.want); got != tc.want {
				t.Errorf("Redact is not idempotent on %q: %q", tc.want, got)
			}
		})
	}
}

func TestRedactSecrets(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"echoed password", "auth error: password p@ss/w0rd rejected", []string{"p@ss/w0rd"}, "auth error: password **** rejected"},
		{"query-encoded", "bad value p%40ss%2Fw0rd", []string{"p@ss/w0rd"}, "bad value ****"},
		{"lower-case hex", "bad value p%40ss%2fw0rd", []string{"p@ss/w0rd"}, "bad value ****"},
		{"path-encoded space", "got pa%20ss", []string{"pa ss"}, "got ****"},
		{"query-encoded space", "got pa+ss", []string{"pa ss"}, "got ****"},
		{"and Redact", "mongodb://u:other@h says hunter22", []string{"hunter22"}, "mongodb://u:****@h says ****"},
		{"short secret as a word", "port 27017 pw 12 end", []string{"12"}, "port 27017 pw **** end"},
		{"short secret inside a word stays", "port 27012", []string{"12"}, "port 27012"},
		{"empty secret ignored", "nothing to hide", []string{""}, "nothing to hide"},
		{"longest first", "abcdef", []string{"abc", "abcdef"}, "****"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactSecrets(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("RedactSecrets(%q, %q) = %q, want %q", tc.in, tc.secrets, got, tc.want)
			}
		})
	}
}

// sentinel wraps a fuzzed password so that it cannot occur by chance.
func redactSentinel(pw string) string { return "Zq7" + pw + "Xw9" }

// rawPasswordSafe reports whether a password written unescaped can still be
// told apart from the rest of a text: Redact does not promise to find the
// end of a password holding white space, quotes, '?' or '='.
func rawPasswordSafe(pw string) bool {
	return !strings.ContainsAny(pw, " \t\r\n\v\f\"'<>`?=&;%") && !strings.Contains(strings.ToLower(pw), "://")
}

func FuzzRedact(f *testing.F) {
	f.Add("alice", "s3cret", "localhost:27017", "error: ", " failed", false)
	f.Add("bob", "p@ss/w:rd", "h1,h2/admin?replicaSet=rs0", "", "", false)
	f.Add("", "x", "h", "mongodb://", "@", true)
	f.Add("u", "%41", "[::1]:27017", "\"", "\"", false)
	f.Add("u", "a b", "h", "x", "y@z", true)
	f.Fuzz(func(t *testing.T, user, pw, rest, prefix, suffix string, encode bool) {
		secret := redactSentinel(pw)
		user = strings.NewReplacer("?", "", "=", "", "@", "", ":", "").Replace(user)
		if !rawPasswordSafe(pw) || strings.ContainsAny(user, " \t\r\n\v\f\"<>`") {
			encode = true
		}
		written := secret
		if encode {
			written = EscapeUserinfo(secret)
		}
		uri := "mongodb://" + EscapeUserinfo(user) + ":" + written + "@" + rest
		text := prefix + " " + uri + " " + suffix
		for _, out := range []string{Redact(text), Redact(uri), RedactSecrets(text, secret)} {
			if strings.Contains(out, secret) || strings.Contains(out, EscapeUserinfo(secret)) {
				t.Fatalf("password survived:\n in  %q\n out %q", text, out)
			}
		}
	})
}

func TestRedactEncodedInsidePlain(t *testing.T) {
	for _, s := range []string{
		"mongodb://mongodb%3A%2F%2Falice%3AS3ntinel-P4ss%40127.0.0.1%3A1234%2F",
		"mongodb+srv://mongodb%3A%2F%2Falice%3AS3ntinel-P4ss%40127.0.0.1%3A1234%2F/",
		"try: mongodb://h/?x=mongodb%3A%2F%2Fu%3AS3ntinel-P4ss%40h",
	} {
		if got := Redact(s); strings.Contains(got, "S3ntinel") {
			t.Errorf("Redact(%q) = %q: the password survives", s, got)
		}
	}
}
