package diagnose

import (
	"errors"
	"fmt"
	"math/rand/v2"
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

// atlasDomain is the domain of every MongoDB Atlas cluster host.
const atlasDomain = ".mongodb.net"

// srvTXTAllowed are the only options a TXT record may set, lower-case, with
// their connection-string spelling.
var srvTXTAllowed = map[string]string{
	"authsource":   "authSource",
	"replicaset":   "replicaSet",
	"loadbalanced": "loadBalanced",
}

// TXTOption is one key=value pair of a TXT record.
type TXTOption struct {
	// Key is in connection-string spelling (authSource); Value is
	// percent-decoded. Raw is the pair as written in the record.
	Key   string
	Value string
	Raw   string
}

// TXTProblemKind says what is wrong with one part of a TXT record.
type TXTProblemKind int

// TXT record problems.
const (
	// TXTMalformed: the part is not key=value.
	TXTMalformed TXTProblemKind = iota + 1
	// TXTNotAllowed: the key is not one a TXT record may set.
	TXTNotAllowed
	// TXTBadValue: the value cannot be decoded or has the wrong type.
	TXTBadValue
)

// TXTProblem is one offending part of a TXT record.
type TXTProblem struct {
	Kind TXTProblemKind
	// Pair is the part as written; Key is its key (may be empty).
	Pair string
	Key  string
	// Detail says what a valid part looks like.
	Detail string
}

func (p TXTProblem) String() string {
	switch p.Kind {
	case TXTMalformed:
		return fmt.Sprintf("%q is not key=value", p.Pair)
	case TXTNotAllowed:
		return fmt.Sprintf("%q sets %s, but a TXT record may set only authSource, replicaSet and loadBalanced", p.Pair, p.Key)
	default:
		return fmt.Sprintf("%q: %s", p.Pair, p.Detail)
	}
}

// TXTError is a TXT record the specification does not accept.
type TXTError struct {
	// Record is the record's text (its strings concatenated).
	Record   string
	Problems []TXTProblem
}

func (e *TXTError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("TXT record %q: %s", e.Record, strings.Join(parts, "; "))
}

// ParseTXT parses the text of one TXT record (its strings concatenated)
// into options. Pairs are separated by '&' (or ';', as in a connection
// string). It returns the acceptable options, and a *TXTError listing
// every part the specification forbids.
func ParseTXT(text string) ([]TXTOption, error) {
	var opts []TXTOption
	var problems []TXTProblem
	for _, pair := range strings.FieldsFunc(text, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			problems = append(problems, TXTProblem{Kind: TXTMalformed, Pair: pair, Key: k})
			continue
		}
		canon, allowed := srvTXTAllowed[strings.ToLower(k)]
		if !allowed {
			problems = append(problems, TXTProblem{Kind: TXTNotAllowed, Pair: pair, Key: k})
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: "the value is not validly percent-encoded"})
			continue
		}
		switch {
		case val == "":
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: canon + " needs a value"})
			continue
		case canon == "loadBalanced" && val != "true" && val != "false":
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: "loadBalanced must be true or false"})
			continue
		}
		opts = append(opts, TXTOption{Key: canon, Value: val, Raw: pair})
	}
	if len(problems) > 0 {
		return opts, &TXTError{Record: text, Problems: problems}
	}
	return opts, nil
}

// srvDomain returns the part of an SRV host name that targets must share
// and whether the host has fewer than three labels (then the domain is the
// whole host, and targets need at least one more label).
func srvDomain(host string) (domain string, short bool) {
	h := dnsNormalize(host)
	labels := strings.Split(h, ".")
	if len(labels) < 3 {
		return h, true
	}
	return strings.Join(labels[1:], "."), false
}

// SRVMismatchError says an SRV target is outside the host's domain.
type SRVMismatchError struct {
	Host, Target string
	// Suffix is what the target had to end with (".example.com").
	Suffix string
	// SameAsHost is true when the target is the host itself and the host
	// has fewer than three labels.
	SameAsHost bool
}

func (e *SRVMismatchError) Error() string {
	if e.SameAsHost {
		return fmt.Sprintf("SRV target %q is the host itself; for a host with fewer than three labels every target needs one more label, ending in %q", e.Target, e.Suffix)
	}
	return fmt.Sprintf("SRV target %q does not end with %q, the domain of %s", e.Target, e.Suffix, e.Host)
}

// CheckSRVTarget applies the specification's parent-domain rule: a target
// must end with "."+domain, where domain is the host minus its first label
// when the host has three or more labels, else the whole host (so the
// target has at least one more label and is not the host itself). Case
// and trailing dots do not matter.
func CheckSRVTarget(host, target string) error {
	h, t := dnsNormalize(host), dnsNormalize(target)
	domain, short := srvDomain(h)
	suffix := "." + domain
	if strings.HasSuffix(t, suffix) && len(t) > len(suffix) {
		return nil
	}
	return &SRVMismatchError{Host: h, Target: t, Suffix: suffix, SameAsHost: short && t == h}
}

// isAtlas reports whether every host (host or host:port) is an Atlas
// cluster host, under .mongodb.net.
func isAtlas(hosts []string) bool {
	if len(hosts) == 0 {
		return false
	}
	for _, h := range hosts {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		if !strings.HasSuffix(dnsNormalize(h), atlasDomain) {
			return false
		}
	}
	return true
}

// uriParts is a connection string cut where the driver cuts it, without
// decoding: the pieces are put back together as written.
type uriParts struct {
	scheme   string // "mongodb" or "mongodb+srv"
	userinfo string // as written, "" when absent
	hasUser  bool
	hosts    []string // as written
	db       string   // as written, without the leading '/'
	pairs    []string // query pairs, as written, in order
}

// errSRVURIShape is returned by splitURI for strings the driver would not
// have parsed either.
var errSRVURIShape = errors.New("not a mongodb:// or mongodb+srv:// connection string")

// splitURI cuts a connection string into its parts, the way the driver's
// connstring package does (first '@' ends the user information, the
// host list ends at the first '/' or '?').
func splitURI(raw string) (uriParts, error) {
	var p uriParts
	switch {
	case strings.HasPrefix(raw, "mongodb+srv://"):
		p.scheme = "mongodb+srv"
	case strings.HasPrefix(raw, "mongodb://"):
		p.scheme = "mongodb"
	default:
		return p, errSRVURIShape
	}
	rest := raw[len(p.scheme)+3:]
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		p.userinfo, p.hasUser = rest[:i], true
		rest = rest[i+1:]
	}
	hosts := rest
	if i := strings.IndexAny(rest, "/?@"); i >= 0 {
		if rest[i] != '/' {
			return p, fmt.Errorf("%w: expected '/' after the hosts", errSRVURIShape)
		}
		hosts = rest[:i]
	}
	for _, h := range strings.Split(hosts, ",") {
		if h != "" {
			p.hosts = append(p.hosts, h)
		}
	}
	rest = rest[len(hosts):]
	rest = strings.TrimPrefix(rest, "/")
	db, query, _ := strings.Cut(rest, "?")
	p.db = db
	p.pairs = strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' })
	return p, nil
}

// srvPairKey is the lower-case key of a query pair.
func srvPairKey(pair string) string {
	k, _, _ := strings.Cut(pair, "=")
	return strings.ToLower(k)
}

// srvPairValue is the percent-decoded value of a query pair (as written when
// it cannot be decoded).
func srvPairValue(pair string) string {
	_, v, _ := strings.Cut(pair, "=")
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// srvLastValue returns the value of the last pair with key (lower-case).
func srvLastValue(pairs []string, key string) (string, bool) {
	val, found := "", false
	for _, p := range pairs {
		if srvPairKey(p) == key {
			val, found = srvPairValue(p), true
		}
	}
	return val, found
}

// srvSettings are the SRV-only options of a connection string.
type srvSettings struct {
	service  string
	maxHosts int
}

// srvSettingsOf reads srvServiceName and srvMaxHosts, checking their
// values as the specification does.
func srvSettingsOf(pairs []string) (srvSettings, error) {
	s := srvSettings{service: DefaultSRVServiceName}
	if v, ok := srvLastValue(pairs, "srvservicename"); ok {
		if v == "" || len(v) > maxSRVServiceNameLen || !srvValidService(v) {
			return s, fmt.Errorf("srvServiceName=%q is not a valid SRV service name (1 to %d letters, digits and hyphens)", v, maxSRVServiceNameLen)
		}
		s.service = v
	}
	if v, ok := srvLastValue(pairs, "srvmaxhosts"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s, fmt.Errorf("srvMaxHosts=%q must be a non-negative integer", v)
		}
		s.maxHosts = n
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

// srvMerged is the outcome of combining TXT and URI options.
type srvMerged struct {
	// pairs are the query pairs of the equivalent mongodb:// string, raw.
	pairs []string
	// options are the effective options in connection-string spelling,
	// values decoded, secrets masked: for the report.
	options map[string]string
}

// mergeSRVOptions combines the TXT options with the URI's: URI options
// override TXT ones (by key, case-insensitively), tls defaults to true,
// and the SRV-only options are dropped (the seed list already reflects
// them).
func mergeSRVOptions(txt []TXTOption, uriPairs []string) srvMerged {
	inURI := map[string]bool{}
	for _, p := range uriPairs {
		inURI[srvPairKey(p)] = true
	}
	var pairs []string
	for _, o := range txt {
		if !inURI[strings.ToLower(o.Key)] {
			pairs = append(pairs, o.Raw)
		}
	}
	for _, p := range uriPairs {
		switch srvPairKey(p) {
		case "srvservicename", "srvmaxhosts":
			continue
		}
		pairs = append(pairs, p)
	}
	if !inURI["tls"] && !inURI["ssl"] {
		pairs = append(pairs, "tls=true")
	}
	return srvMerged{pairs: pairs, options: srvOptionsMap(pairs)}
}

// srvOptionsMap turns query pairs into the report's options: canonical key
// spelling, decoded values, repeated keys joined by ';', secrets masked;
// ssl is shown as tls.
func srvOptionsMap(pairs []string) map[string]string {
	out := map[string]string{}
	for _, p := range pairs {
		k, _, _ := strings.Cut(p, "=")
		k = srvCanonicalOption(k)
		if k == "ssl" {
			k = "tls"
		}
		v := srvMaskValue(k, srvPairValue(p))
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

// srvBuildURI puts a mongodb:// connection string together from the parts of
// the original (user information and database as written), the seeds and
// the query pairs.
func srvBuildURI(p uriParts, seeds, pairs []string) string {
	var b strings.Builder
	b.WriteString("mongodb://")
	if p.hasUser {
		b.WriteString(p.userinfo)
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

// srvRedactedURI is srvBuildURI with the password and secret options
// masked. The user information is masked from the parts themselves, not
// by searching the string, so that no spelling of it can leak.
func srvRedactedURI(p uriParts, seeds, pairs []string) string {
	if user, _, ok := strings.Cut(p.userinfo, ":"); ok {
		p.userinfo = user + ":****"
	}
	return srvBuildURI(p, seeds, srvRedactPairs(pairs))
}

// srvSelectSeeds applies srvMaxHosts: when it is positive and smaller than the
// number of seeds, that many are picked at random (Fisher-Yates, as the
// specification recommends).
func srvSelectSeeds(seeds []string, maxHosts int) []string {
	out := append([]string(nil), seeds...)
	if maxHosts <= 0 || maxHosts >= len(out) {
		return out
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:maxHosts]
}

// seedHostPort returns h as host:port, adding the default port when h has
// none. Unix socket paths are returned as they are.
func seedHostPort(h string) string {
	if seedIsSocket(h) {
		return h
	}
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	return net.JoinHostPort(strings.Trim(h, "[]"), defaultMongoPort)
}

// seedIsSocket reports whether a host is a Unix domain socket path.
func seedIsSocket(h string) bool { return strings.HasPrefix(h, "/") || strings.HasSuffix(h, ".sock") }

// seedIsIP reports whether host (without port) is an IP literal.
func seedIsIP(host string) bool {
	h := strings.Trim(host, "[]")
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	return net.ParseIP(h) != nil
}
