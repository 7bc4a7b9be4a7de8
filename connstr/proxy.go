package connstr

import "strconv"

// Proxy is the SOCKS5 proxy a connection string names with proxyHost,
// proxyPort, proxyUsername and proxyPassword, as the drivers that support
// them read it. The Go driver ignores these options: mongoconn applies
// them itself.
type Proxy struct {
	// Host is proxyHost, decoded; "" when the string names no proxy.
	Host string
	// Port is proxyPort; 0 when the string gives none (1080 then).
	Port int
	// Username is proxyUsername, decoded.
	Username string
	// Password is proxyPassword, decoded: a secret, never print it.
	Password string
}

// Proxy returns the proxy options of the string. Options drivers ignore
// (an empty or invalid value, a repeated key that lost) are left out.
func (t *Target) Proxy() Proxy {
	p := t.parts
	if p == nil {
		return Proxy{}
	}
	value := func(name string) string {
		if o := p.live(name); o != nil {
			return o.value
		}
		return ""
	}
	px := Proxy{Host: value("proxyHost"), Username: value("proxyUsername"), Password: value("proxyPassword")}
	if px.Host == "" {
		return Proxy{}
	}
	if n, err := strconv.Atoi(value("proxyPort")); err == nil {
		px.Port = n
	}
	return px
}

// maxSOCKS5Credential is the longest proxyUsername or proxyPassword a
// SOCKS5 proxy can be sent (RFC 1929).
const maxSOCKS5Credential = 255
