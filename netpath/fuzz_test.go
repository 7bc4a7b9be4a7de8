package netpath

import (
	"net/url"
	"strings"
	"testing"
)

// The parsers of outside input: --ssh values, proxy variables of the
// environment, and the bytes a SOCKS5 proxy answers.

func FuzzParseBastion(f *testing.F) {
	for _, s := range []string{"bastion", "ops@bastion:2222", "[::1]:22", "::1", "ssh://a@b:1/", "a@b@c", "[::ffff:1.2.3.4]:9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBastion(s)
		if err != nil {
			return
		}
		if b.Host == "" || b.Port < 1 || b.Port > 65535 {
			t.Fatalf("%q -> %+v", s, b)
		}
		again, err := ParseBastion(b.String())
		if err != nil || again != b {
			t.Fatalf("%q -> %q -> %+v, %v", s, b.String(), again, err)
		}
	})
}

func FuzzParseEnvProxy(f *testing.F) {
	for _, s := range []string{"http://u:p@h:3128", "socks5h://h", "h:1", "u:p@h://x", "http://[::1]:8080/", "%zz", "socks5://u@h:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p := ParseEnvProxy("ALL_PROXY", v)
		if len(p.Value) > len(v)+4 {
			t.Fatalf("%q masked to the longer %q", v, p.Value)
		}
		if p.Host != "" && (p.Port < 1 || p.Port > 65535) {
			t.Fatalf("%q -> %+v", v, p)
		}
		// Whatever the value, a password it still holds is ****.
		raw := p.Value
		if _, _, ok := splitScheme(raw); !ok {
			raw = "http://" + raw
		}
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && pw != "****" {
				t.Fatalf("%q -> %q keeps password %q", v, p.Value, pw)
			}
		}
		if o := p.Options(); o != "" {
			if q, err := url.ParseQuery(o); err != nil || q.Get("proxyHost") != p.Host {
				t.Fatalf("%q -> options %q", v, o)
			}
		}
	})
}

// A password written into a proxy URL never survives masking, whatever
// its characters and whatever surrounds it.
func FuzzMaskProxyPassword(f *testing.F) {
	f.Add("http", "user", "pa:ss", "proxy:3128/")
	f.Add("", "u", "p/w?#", "h")
	f.Add("socks5h", "a@b", "x@y", "h@i:1")
	f.Fuzz(func(t *testing.T, scheme, user, pass, host string) {
		if len(pass) < 4 || strings.Contains(scheme+"://"+user+":", pass) || strings.Contains("@"+host, pass) || strings.Contains(pass, "****") {
			return
		}
		v := user + ":" + pass + "@" + host
		if scheme != "" {
			v = scheme + "://" + v
		} else if _, _, ok := splitScheme(v); ok {
			// "http://secret@h" written as user "http", password
			// "//secret": a URL reads a user there, not a password.
			return
		}
		if got := maskProxyValue(v); strings.Contains(got, pass) {
			t.Fatalf("%q masked to %q", v, got)
		}
	})
}

func FuzzParseReplies(f *testing.F) {
	f.Add([]byte{5, 0, 5, 4, 0, 1}, false)
	f.Add([]byte{5, 2, 1, 1}, true)
	f.Add([]byte{5, 2, 1, 0, 5, 0, 0, 1}, true)
	f.Add([]byte{5, 0xff}, false)
	f.Fuzz(func(t *testing.T, b []byte, offered bool) {
		r := parseReplies(b, offered)
		for _, v := range []int{r.method, r.auth, r.reply} {
			if v < -1 || v > 255 {
				t.Fatalf("%v -> %+v", b, r)
			}
		}
		if r.reply >= 0 && r.method < 0 || r.auth >= 0 && r.method != 2 {
			t.Fatalf("%v -> %+v: a later reply without the earlier ones", b, r)
		}
	})
}
