package connstr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The rules of the MongoDB "Initial DNS Seedlist Discovery" specification,
// as plain functions over strings: no network here.

const (
	// DefaultSRVServiceName is the SRV service asked when the connection
	// string does not set srvServiceName.
	DefaultSRVServiceName = "mongodb"

	// maxSRVServiceNameLen is the longest srvServiceName the specification
	// allows: 62 characters, 63 with the leading underscore (one DNS label).
	maxSRVServiceNameLen = 62

	// defaultMongoPort is the port of a host written without one.
	defaultMongoPort = "27017"
)

// Parts is a connection string cut where the driver cuts it, without
// decoding: the pieces are put back together as written.
type Parts struct {
	Scheme   string // "mongodb" or "mongodb+srv"
	Userinfo string // as written, "" when absent
	HasUser  bool
	Hosts    []string // as written
	db       string   // as written, without the leading '/'
	Pairs    []string // query pairs, as written, in order
}

// ErrSRVURIShape is returned by Split for strings the driver would not
// have parsed either.
var ErrSRVURIShape = errors.New("not a mongodb:// or mongodb+srv:// connection string")

// Split cuts a connection string into its parts, the way the driver's
// connstring package does (first '@' ends the user information, the
// host list ends at the first '/' or '?').
func Split(raw string) (Parts, error) {
	var p Parts
	switch {
	case strings.HasPrefix(raw, "mongodb+srv://"):
		p.Scheme = "mongodb+srv"
	case strings.HasPrefix(raw, "mongodb://"):
		p.Scheme = "mongodb"
	default:
		return p, ErrSRVURIShape
	}
	rest := raw[len(p.Scheme)+3:]
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		p.Userinfo, p.HasUser = rest[:i], true
		rest = rest[i+1:]
	}
	hosts := rest
	if i := strings.IndexAny(rest, "/?@"); i >= 0 {
		if rest[i] != '/' {
			return p, fmt.Errorf("%w: expected '/' after the hosts", ErrSRVURIShape)
		}
		hosts = rest[:i]
	}
	for _, h := range strings.Split(hosts, ",") {
		if h != "" {
			p.Hosts = append(p.Hosts, h)
		}
	}
	rest = rest[len(hosts):]
	rest = strings.TrimPrefix(rest, "/")
	db, query, _ := strings.Cut(rest, "?")
	p.db = db
	p.Pairs = strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' })
	return p, nil
}

// PairKey is the lower-case key of a query pair.
func PairKey(pair string) string {
	k, _, _ := strings.Cut(pair, "=")
	return strings.ToLower(k)
}

// PairValue is the percent-decoded value of a query pair (as written when
// it cannot be decoded).
func PairValue(pair string) string {
	_, v, _ := strings.Cut(pair, "=")
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// LastValue returns the value of the last pair with key (lower-case).
func LastValue(pairs []string, key string) (string, bool) {
	val, found := "", false
	for _, p := range pairs {
		if PairKey(p) == key {
			val, found = PairValue(p), true
		}
	}
	return val, found
}

// SRVSettings are the SRV-only options of a connection string.
type SRVSettings struct {
	Service  string
	MaxHosts int
}

// SRVSettingsOf reads srvServiceName and srvMaxHosts, checking their
// values as the specification does.
func SRVSettingsOf(pairs []string) (SRVSettings, error) {
	s := SRVSettings{Service: DefaultSRVServiceName}
	if v, ok := LastValue(pairs, "srvservicename"); ok {
		if v == "" || len(v) > maxSRVServiceNameLen || !srvValidService(v) {
			return s, fmt.Errorf("srvServiceName=%q is not a valid SRV service name (1 to %d letters, digits and hyphens)", v, maxSRVServiceNameLen)
		}
		s.Service = v
	}
	if v, ok := LastValue(pairs, "srvmaxhosts"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s, fmt.Errorf("srvMaxHosts=%q must be a non-negative integer", v)
		}
		s.MaxHosts = n
	}
	return s, nil
}

func srvValidService(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// OptionsMap turns query pairs into the report's options: canonical key
// spelling, decoded values, repeated keys joined by ';', secrets masked;
// ssl is shown as tls.
func OptionsMap(pairs []string) map[string]string {
	out := map[string]string{}
	for _, p := range pairs {
		k, _, _ := strings.Cut(p, "=")
		k = srvCanonicalOption(k)
		if k == "ssl" {
			k = "tls"
		}
		v := srvMaskValue(k, PairValue(p))
		if old, ok := out[k]; ok && k == "readPreferenceTags" {
			v = old + ";" + v
		}
		out[k] = v
	}
	return out
}

// srvKnownOptions maps lower-case option names to their connection-string
// spelling (the URI options specification).
var srvKnownOptions = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"appName", "authMechanism", "authMechanismProperties", "authSource", "compressors",
		"connectTimeoutMS", "directConnection", "heartbeatFrequencyMS", "journal", "loadBalanced",
		"localThresholdMS", "maxConnecting", "maxIdleTimeMS", "maxPoolSize", "maxStalenessSeconds",
		"minPoolSize", "proxyHost", "proxyPassword", "proxyPort", "proxyUsername",
		"readConcernLevel", "readPreference", "readPreferenceTags", "replicaSet", "retryReads",
		"retryWrites", "serverMonitoringMode", "serverSelectionTimeoutMS", "serverSelectionTryOnce",
		"socketTimeoutMS", "srvMaxHosts", "srvServiceName", "ssl", "timeoutMS", "tls",
		"tlsAllowInvalidCertificates", "tlsAllowInvalidHostnames", "tlsCAFile", "tlsCertificateKeyFile",
		"tlsCertificateKeyFilePassword", "tlsDisableCertificateRevocationCheck",
		"tlsDisableOCSPEndpointCheck", "tlsInsecure", "uuidRepresentation", "w", "waitQueueTimeoutMS",
		"wTimeoutMS", "zlibCompressionLevel",
	} {
		m[strings.ToLower(k)] = k
	}
	return m
}()

// srvCanonicalOption returns the connection-string spelling of a known
// option, and an unknown one as written.
func srvCanonicalOption(key string) string {
	if k, ok := srvKnownOptions[strings.ToLower(key)]; ok {
		return k
	}
	return key
}

// srvSecretOptions hold a secret as their whole value.
var srvSecretOptions = map[string]bool{"tlsCertificateKeyFilePassword": true, "proxyPassword": true}

// srvMaskValue hides secrets: whole values of secret options, and the
// AWS session token inside authMechanismProperties.
func srvMaskValue(key, val string) string {
	if srvSecretOptions[key] {
		return "****"
	}
	if key == "authMechanismProperties" {
		props := strings.Split(val, ",")
		for i, p := range props {
			if k, _, ok := strings.Cut(p, ":"); ok && strings.EqualFold(k, "AWS_SESSION_TOKEN") {
				props[i] = k + ":****"
			}
		}
		return strings.Join(props, ",")
	}
	return val
}

// srvRedactPairs masks secret option values in raw query pairs.
func srvRedactPairs(pairs []string) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			out[i] = p
			continue
		}
		canon := srvCanonicalOption(k)
		dec, err := url.QueryUnescape(v)
		if err != nil {
			dec = v
		}
		if masked := srvMaskValue(canon, dec); masked != dec {
			out[i] = k + "=" + strings.ReplaceAll(url.QueryEscape(masked), "%2A", "*")
			continue
		}
		out[i] = p
	}
	return out
}

// BuildURI puts a mongodb:// connection string together from the parts of
// the original (user information and database as written), the seeds and
// the query pairs.
func BuildURI(p Parts, seeds, pairs []string) string {
	var b strings.Builder
	b.WriteString("mongodb://")
	if p.HasUser {
		b.WriteString(p.Userinfo)
		b.WriteByte('@')
	}
	b.WriteString(strings.Join(seeds, ","))
	b.WriteByte('/')
	b.WriteString(p.db)
	if len(pairs) > 0 {
		b.WriteByte('?')
		b.WriteString(strings.Join(pairs, "&"))
	}
	return b.String()
}

// RedactedURI is BuildURI with the password and secret options
// masked. The user information is masked from the parts themselves, not
// by searching the string, so that no spelling of it can leak.
func RedactedURI(p Parts, seeds, pairs []string) string {
	if user, _, ok := strings.Cut(p.Userinfo, ":"); ok {
		p.Userinfo = user + ":****"
	}
	return BuildURI(p, seeds, srvRedactPairs(pairs))
}

// HostPort returns h as host:port, adding the default port when h has
// none. Unix socket paths are returned as they are.
func HostPort(h string) string {
	if IsSocket(h) {
		return h
	}
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	return net.JoinHostPort(strings.Trim(h, "[]"), defaultMongoPort)
}

// IsSocket reports whether a host is a Unix domain socket path.
func IsSocket(h string) bool { return strings.HasPrefix(h, "/") || strings.HasSuffix(h, ".sock") }

// IsIP reports whether host (without port) is an IP literal.
func IsIP(host string) bool {
	h := strings.Trim(host, "[]")
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	return net.ParseIP(h) != nil
}
