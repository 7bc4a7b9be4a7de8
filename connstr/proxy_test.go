package connstr

import (
	"strings"
	"testing"
)

func TestTargetProxy(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want Proxy
	}{
		{"mongodb://db0.internal:27017/?replicaSet=rs0", Proxy{}},
		{"mongodb://db0.internal:27017/?proxyHost=localhost", Proxy{Host: "localhost"}},
		{"mongodb://db0.internal/?proxyHost=127.0.0.1&proxyPort=1081&proxyUsername=bob&proxyPassword=s%40cr%2Fet",
			Proxy{Host: "127.0.0.1", Port: 1081, Username: "bob", Password: "s@cr/et"}},
		{"mongodb://db0.internal/?PROXYHOST=%5B%3A%3A1%5D&proxyport=1080", Proxy{Host: "[::1]", Port: 1080}},
		{"mongodb+srv://alice:pw@cluster0.example.net/?proxyHost=proxy.example.net", Proxy{Host: "proxy.example.net"}},
	} {
		tg, err := ParseTarget(tc.uri)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if got := tg.Proxy(); got != tc.want {
			t.Errorf("%s: Proxy() = %+v, want %+v", tc.uri, got, tc.want)
		}
	}
}

func TestProxyCredentialTooLong(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'x'
	}
	for _, opts := range []string{
		"proxyUsername=" + string(long) + "&proxyPassword=pw",
		"proxyUsername=bob&proxyPassword=" + string(long),
	} {
		if _, err := ParseTarget("mongodb://db0.internal/?proxyHost=localhost&" + opts); err == nil {
			t.Errorf("a 256-byte credential was accepted: %.40s...", opts)
		}
	}
	if _, err := ParseTarget("mongodb://db0.internal/?proxyHost=localhost&proxyUsername=bob&proxyPassword=" + string(long[:255])); err != nil {
		t.Errorf("a 255-byte password was refused: %v", err)
	}
}

// FuzzTargetProxy: whatever the string, the proxy password it gives is
// masked in the redacted string, and a proxy needs a host.
func FuzzTargetProxy(f *testing.F) {
	f.Add("mongodb://db0/?proxyHost=127.0.0.1&proxyPort=1080&proxyUsername=bob&proxyPassword=s%40cret")
	f.Add("mongodb://db0/?proxyHost=%5B%3A%3A1%5D&PROXYPASSWORD=x&proxyUsername=y")
	f.Add("mongodb+srv://u:p@c.example.net/?proxyHost=h&proxyPort=99999")
	f.Fuzz(func(t *testing.T, uri string) {
		tg, err := ParseTarget(uri)
		if err != nil {
			return
		}
		px := tg.Proxy()
		if px.Host == "" && px != (Proxy{}) {
			t.Fatalf("proxy options without a host: %+v", px)
		}
		if px.Port < 0 || px.Port > 65535 {
			t.Fatalf("proxyPort %d", px.Port)
		}
		if px.Password != "" && !strings.Contains(strings.ToLower(tg.Redacted), "proxypassword=****") {
			t.Fatalf("proxyPassword not masked in %q", tg.Redacted)
		}
	})
}
