package netpath

import (
	"fmt"
	"strings"
	"testing"
)

const envSecret = "env-S3CRET"

func TestEnvProxies(t *testing.T) {
	env := map[string]string{
		"HTTP_PROXY":  "http://corp:" + envSecret + "@proxy.corp:3128",
		"HTTPS_PROXY": "proxy.corp:3129",
		"ALL_PROXY":   "socks5h://bob:" + envSecret + "@127.0.0.1:1081",
		"all_proxy":   "socks5://[::1]",
		"http_proxy":  "",
		"NO_PROXY":    "localhost",
	}
	got := EnvProxies(func(k string) string { return env[k] })
	want := []EnvProxy{
		{Name: "HTTP_PROXY", Value: "http://corp:****@proxy.corp:3128", Scheme: "http", Host: "proxy.corp", Port: 3128, Username: "corp", HasPassword: true},
		{Name: "HTTPS_PROXY", Value: "proxy.corp:3129", Scheme: "http", Host: "proxy.corp", Port: 3129},
		{Name: "ALL_PROXY", Value: "socks5h://bob:****@127.0.0.1:1081", Scheme: "socks5h", SOCKS5: true, Host: "127.0.0.1", Port: 1081, Username: "bob", HasPassword: true},
		{Name: "all_proxy", Value: "socks5://[::1]", Scheme: "socks5", SOCKS5: true, Host: "::1", Port: 1080},
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	opts := []string{"", "", "proxyHost=127.0.0.1&proxyPort=1081&proxyUsername=bob&proxyPassword=****", "proxyHost=%3A%3A1&proxyPort=1080"}
	for i, p := range got {
		if p.Options() != opts[i] {
			t.Errorf("%s: Options() = %q, want %q", p.Name, p.Options(), opts[i])
		}
		noSecret(t, envSecret, fmt.Sprintf("%+v %s", p, p.Options()))
	}
	if EnvProxies(nil) != nil {
		t.Error("a nil getenv lists proxies")
	}
}

func TestMaskProxyValue(t *testing.T) {
	cases := map[string]string{
		"http://u:" + envSecret + "@h:1":           "http://u:****@h:1",
		"http://u:pa/ss" + envSecret + "@h:1/path": "http://u:****@h:1/path",
		"http://u:p@ss" + envSecret + "@h":         "http://u:****@h",
		"u:" + envSecret + "@h:8080":               "u:****@h:8080",
		"u:" + envSecret + "@h://x":                "u:****@h://x",
		"http://user@h":                            "http://user@h",
		"http://h:3128":                            "http://h:3128",
		"":                                         "",
	}
	for in, want := range cases {
		if got := maskProxyValue(in); got != want {
			t.Errorf("maskProxyValue(%q) = %q, want %q", in, got, want)
		}
		p := ParseEnvProxy("HTTP_PROXY", in)
		noSecret(t, envSecret, fmt.Sprintf("%+v", p), p.Options())
		if strings.Contains(in, envSecret) && !p.HasPassword {
			t.Errorf("%q: HasPassword false", in)
		}
	}
	for _, v := range []string{"socks5://h:99999", "socks5://u:1234/x@h"} {
		if p := ParseEnvProxy("ALL_PROXY", v); p.Host != "" || p.Port != 0 || p.Options() != "" {
			t.Errorf("%q: %+v", v, p)
		}
	}
}
