package netpath

import (
	"net/url"
	"strconv"
	"strings"
)

// maxEnvValue bounds the length of a proxy variable read: a proxy URL is
// short, and a longer value is not one.
const maxEnvValue = 4096

// EnvProxy is a proxy set in the environment. Drivers ignore these: they
// use only the proxyHost options of the connection string.
type EnvProxy struct {
	// Name is the variable: HTTP_PROXY, https_proxy, ALL_PROXY, ...
	Name string
	// Value is its value with any password replaced by ****.
	Value string
	// Scheme is the URL scheme, lower case ("http" when the value has
	// none, as curl reads it).
	Scheme string
	// SOCKS5 is true for socks5:// and socks5h://: the proxy can be given
	// to drivers as proxyHost and proxyPort.
	SOCKS5 bool
	// Host, Port and Username are the proxy's, when the value parses.
	Host     string
	Port     int
	Username string
	// HasPassword is true when the value carries a password.
	HasPassword bool
}

// Options returns the connection-string options that send drivers
// through this proxy, with the password as ****; "" unless SOCKS5.
func (p EnvProxy) Options() string {
	if !p.SOCKS5 || p.Host == "" {
		return ""
	}
	s := "proxyHost=" + url.QueryEscape(p.Host) + "&proxyPort=" + strconv.Itoa(p.Port)
	if p.Username != "" {
		s += "&proxyUsername=" + url.QueryEscape(p.Username)
		if p.HasPassword {
			s += "&proxyPassword=****"
		}
	}
	return s
}

// EnvProxies lists the proxy variables set in the environment read by
// getenv (os.Getenv when nil): HTTP_PROXY, HTTPS_PROXY and ALL_PROXY,
// then their lower-case forms. Empty ones are left out.
func EnvProxies(getenv func(string) string) []EnvProxy {
	if getenv == nil {
		return nil
	}
	var out []EnvProxy
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		if v := getenv(name); v != "" {
			out = append(out, ParseEnvProxy(name, v))
		}
	}
	return out
}

// ParseEnvProxy reads one proxy variable's value. A value that does not
// parse keeps only Name, Value (masked) and Scheme.
func ParseEnvProxy(name, value string) EnvProxy {
	if len(value) > maxEnvValue {
		value = value[:maxEnvValue]
	}
	p := EnvProxy{Name: name, Value: maskProxyValue(value), Scheme: "http"}
	p.HasPassword = p.Value != value
	raw := value
	if scheme, _, ok := splitScheme(value); ok {
		p.Scheme = strings.ToLower(scheme)
	} else {
		raw = "http://" + value
	}
	p.SOCKS5 = p.Scheme == "socks5" || p.Scheme == "socks5h"
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || p.HasPassword && u.User == nil {
		// Unparsable, or read another way than the masking did (a
		// password with an unescaped /): keep only the masked value.
		return p
	}
	p.Host = u.Hostname()
	switch port := u.Port(); {
	case port != "":
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			p.Host = ""
			return p
		}
		p.Port = n
	case p.SOCKS5:
		p.Port = DefaultProxyPort
	case p.Scheme == "https":
		p.Port = 443
	default:
		p.Port = 80
	}
	if u.User != nil {
		p.Username = u.User.Username()
		_, hasPassword := u.User.Password()
		p.HasPassword = p.HasPassword || hasPassword
	}
	return p
}

// splitScheme splits "scheme://rest" when scheme is a URL scheme
// (RFC 3986: a letter, then letters, digits, +, - or .).
func splitScheme(v string) (scheme, rest string, ok bool) {
	i := strings.Index(v, "://")
	if i < 1 {
		return "", v, false
	}
	for j, r := range v[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", v, false
		}
	}
	return v[:i], v[i+3:], true
}

// maskProxyValue replaces the password of a proxy URL by ****: whatever
// lies between the first colon of the user information and the last @
// before the path, so that a password with unescaped characters is
// masked whole. A value with no user information is returned as it is.
func maskProxyValue(v string) string {
	prefix, rest := "", v
	if scheme, r, ok := splitScheme(v); ok {
		prefix, rest = scheme+"://", r
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return v
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return v
	}
	return prefix + rest[:colon+1] + "****" + rest[at:]
}
