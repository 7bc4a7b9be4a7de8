package connstr

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The rules of the MongoDB "Initial DNS Seedlist Discovery" specification,
// as plain functions over strings (the query pairs of URI.Pairs): no
// network here.

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
	// An srvMaxHosts that is not a non-negative integer is ignored (all
	// hosts): the URI-options tests call such a string valid with a
	// warning, which the lint gives (uri.invalid-value).
	if v, ok := LastValue(pairs, "srvmaxhosts"); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			s.MaxHosts = n
		}
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
