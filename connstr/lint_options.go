package connstr

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/internal/ascii"
)

// optKind is the type of an option's value.
type optKind uint8

// The kinds of option values.
const (
	kindString optKind = iota
	kindBool
	kindInt
	kindEnum
	kindAuthMechanism
	kindReadPreference
	kindKeyValues // authMechanismProperties
	kindTags      // readPreferenceTags, repeatable
	kindList      // compressors
	kindW
	kindMaxStaleness
	kindSRVServiceName
)

// optionDef describes a known option: the URI options specification's
// list plus the aliases the Go driver reads.
type optionDef struct {
	Name string
	Kind optKind
	// Min and Max bound integers (Max 0: no upper bound).
	Min, Max int64
	// Enum holds the allowed values of kindEnum (compared ignoring case
	// when EnumFold).
	Enum     []string
	EnumFold bool
	// Alias names the canonical option this one is another name for.
	Alias string
	// Secret values are redacted.
	Secret bool
	// SRVOnly options are allowed with mongodb+srv only.
	SRVOnly bool
	// GoIgnores is set for options of the specification that the Go driver
	// does not read (mongoconn applies some of them itself).
	GoIgnores bool
	// Unit is said when suggesting the option ("milliseconds").
	Unit string
}

func (d *optionDef) canonical() string {
	if d.Alias != "" {
		return d.Alias
	}
	return d.Name
}

const unitMS = "milliseconds"

// knownOptions is read-only.
var knownOptions = [...]optionDef{
	{Name: "appName", Kind: kindString},
	{Name: "authMechanism", Kind: kindAuthMechanism},
	{Name: "authMechanismProperties", Kind: kindKeyValues},
	{Name: "authSource", Kind: kindString},
	{Name: "compressors", Kind: kindList},
	{Name: "connectTimeoutMS", Kind: kindInt, Unit: unitMS},
	{Name: "directConnection", Kind: kindBool},
	{Name: "heartbeatFrequencyMS", Kind: kindInt, Min: 500, Unit: unitMS},
	{Name: "heartbeatIntervalMS", Kind: kindInt, Min: 500, Alias: "heartbeatFrequencyMS", Unit: unitMS},
	{Name: "journal", Kind: kindBool},
	{Name: "loadBalanced", Kind: kindBool},
	{Name: "localThresholdMS", Kind: kindInt, Unit: unitMS},
	{Name: "maxIdleTimeMS", Kind: kindInt, Unit: unitMS},
	{Name: "maxPoolSize", Kind: kindInt},
	{Name: "minPoolSize", Kind: kindInt},
	{Name: "maxConnecting", Kind: kindInt, Min: 1},
	{Name: "maxStalenessSeconds", Kind: kindMaxStaleness, Unit: "seconds"},
	{Name: "maxStaleness", Kind: kindMaxStaleness, Alias: "maxStalenessSeconds", Unit: "seconds"},
	{Name: "proxyHost", Kind: kindString, GoIgnores: true},
	{Name: "proxyPort", Kind: kindInt, Max: 65535, GoIgnores: true},
	{Name: "proxyUsername", Kind: kindString, GoIgnores: true},
	{Name: "proxyPassword", Kind: kindString, Secret: true, GoIgnores: true},
	{Name: "readConcernLevel", Kind: kindString},
	{Name: "readPreference", Kind: kindReadPreference, Enum: []string{"primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"}, EnumFold: true},
	{Name: "readPreferenceTags", Kind: kindTags},
	{Name: "replicaSet", Kind: kindString},
	{Name: "retryReads", Kind: kindBool},
	{Name: "retryWrites", Kind: kindBool},
	{Name: "serverMonitoringMode", Kind: kindEnum, Enum: []string{"auto", "stream", "poll"}},
	{Name: "serverSelectionTimeoutMS", Kind: kindInt, Unit: unitMS},
	{Name: "serverSelectionTryOnce", Kind: kindBool, GoIgnores: true},
	{Name: "socketTimeoutMS", Kind: kindInt, Unit: unitMS},
	{Name: "srvMaxHosts", Kind: kindInt, SRVOnly: true},
	{Name: "srvServiceName", Kind: kindSRVServiceName, SRVOnly: true},
	{Name: "tls", Kind: kindBool},
	// ssl is the URI options specification's other name of tls ("same as
	// tls"), not a deprecated one: it is accepted without a finding.
	{Name: "ssl", Kind: kindBool, Alias: "tls"},
	{Name: "tlsAllowInvalidCertificates", Kind: kindBool, GoIgnores: true},
	{Name: "tlsAllowInvalidHostnames", Kind: kindBool, GoIgnores: true},
	{Name: "tlsCAFile", Kind: kindString},
	{Name: "sslCertificateAuthorityFile", Kind: kindString, Alias: "tlsCAFile"},
	{Name: "tlsCertificateKeyFile", Kind: kindString},
	{Name: "sslClientCertificateKeyFile", Kind: kindString, Alias: "tlsCertificateKeyFile"},
	{Name: "tlsCertificateKeyFilePassword", Kind: kindString, Secret: true},
	{Name: "sslClientCertificateKeyPassword", Kind: kindString, Secret: true, Alias: "tlsCertificateKeyFilePassword"},
	{Name: "tlsCertificateFile", Kind: kindString},
	{Name: "tlsPrivateKeyFile", Kind: kindString},
	{Name: "tlsDisableCertificateRevocationCheck", Kind: kindBool},
	{Name: "tlsDisableOCSPEndpointCheck", Kind: kindBool},
	{Name: "tlsInsecure", Kind: kindBool},
	{Name: "sslInsecure", Kind: kindBool, Alias: "tlsInsecure"},
	{Name: "w", Kind: kindW},
	{Name: "waitQueueTimeoutMS", Kind: kindInt, Min: 1, GoIgnores: true, Unit: unitMS},
	{Name: "wTimeoutMS", Kind: kindInt, GoIgnores: true, Unit: unitMS},
	{Name: "zlibCompressionLevel", Kind: kindInt, Min: -1, Max: 9},
	{Name: "zstdCompressionLevel", Kind: kindInt, Min: -1, Max: 22},
	{Name: "timeoutMS", Kind: kindInt, Unit: unitMS},
	{Name: "maxAdaptiveRetries", Kind: kindInt},
	{Name: "enableOverloadRetargeting", Kind: kindBool},
	{Name: "connect", Kind: kindEnum, Enum: []string{"automatic", "direct"}, EnumFold: true},
}

// authMechanisms are the mechanisms of the authentication specification.
var authMechanisms = [...]string{"SCRAM-SHA-256", "SCRAM-SHA-1", "MONGODB-X509", "MONGODB-AWS", "MONGODB-OIDC", "GSSAPI", "PLAIN"}

// optionIndex maps lower-cased option names to knownOptions; it is built
// once and only read.
var optionIndex = func() map[string]*optionDef {
	m := make(map[string]*optionDef, len(knownOptions))
	for i := range knownOptions {
		m[ascii.Lower(knownOptions[i].Name)] = &knownOptions[i]
	}
	return m
}()

// lookupOption finds a known option by its lower-cased key.
func lookupOption(lower string) *optionDef {
	return optionIndex[lower]
}

// optionHints maps keys people write (lower-case, without '_' and '-')
// to the option they mean, with a note when the mapping needs one.
var optionHints = map[string][2]string{
	"readpref":                  {"readPreference", ""},
	"readpreferences":           {"readPreference", ""},
	"authdb":                    {"authSource", ""},
	"authdatabase":              {"authSource", ""},
	"authenticationdatabase":    {"authSource", ""},
	"authsrc":                   {"authSource", ""},
	"replset":                   {"replicaSet", ""},
	"rs":                        {"replicaSet", ""},
	"replicasetname":            {"replicaSet", ""},
	"sslcacerts":                {"tlsCAFile", ""},
	"cafile":                    {"tlsCAFile", ""},
	"sslcafile":                 {"tlsCAFile", ""},
	"sslcertfile":               {"tlsCertificateKeyFile", ""},
	"sslpemkeyfile":             {"tlsCertificateKeyFile", ""},
	"sslpemkeypassword":         {"tlsCertificateKeyFilePassword", ""},
	"sslpempassphrase":          {"tlsCertificateKeyFilePassword", ""},
	"sslcertreqs":               {"tlsAllowInvalidCertificates", "ssl_cert_reqs=CERT_NONE means tlsAllowInvalidCertificates=true"},
	"direct":                    {"directConnection", ""},
	"directconnect":             {"directConnection", ""},
	"slaveok":                   {"readPreference", "slaveOk was replaced by readPreference=secondaryPreferred"},
	"gssapiservicename":         {"authMechanismProperties", "write authMechanismProperties=SERVICE_NAME:<name>"},
	"safe":                      {"w", "safe=true was replaced by w=1"},
	"j":                         {"journal", ""},
	"writeconcern":              {"w", ""},
	"compression":               {"compressors", ""},
	"maxpool":                   {"maxPoolSize", ""},
	"poolsize":                  {"maxPoolSize", ""},
	"uuidrepresentation":        {"", "uuidRepresentation is read by the Java, C# and Python drivers only; the Go driver ignores it"},
	"tzaware":                   {"", "tz_aware is a PyMongo MongoClient argument, not a connection-string option"},
	"unicodedecodeerrorhandler": {"", "unicode_decode_error_handler is a PyMongo MongoClient argument, not a connection-string option"},
}

// suggestOption returns the known option a mistyped key most likely
// means, and a note. Keys match in any case: option names are
// case-insensitive in the connection-string specification.
func suggestOption(key string) (string, string) {
	lower := ascii.Lower(key)
	squeezed := strings.NewReplacer("_", "", "-", "").Replace(lower)
	if h, ok := optionHints[squeezed]; ok {
		return h[0], h[1]
	}
	if squeezed != lower {
		if d := lookupOption(squeezed); d != nil {
			return d.canonical(), "option names are case-insensitive, but '_' and '-' are not ignored"
		}
	}
	if d := lookupOption(squeezed + "ms"); d != nil {
		return d.canonical(), fmt.Sprintf("the value is in %s", unitMS)
	}
	if len(squeezed) > 64 {
		return "", ""
	}
	best, bestDist := "", 0
	for i := range knownOptions {
		d := &knownOptions[i]
		dist := ascii.EditDistance(squeezed, ascii.Lower(d.Name))
		if dist > maxTypoDistance(len(squeezed)) {
			continue
		}
		if best == "" || dist < bestDist {
			best, bestDist = d.canonical(), dist
		}
	}
	if best != "" {
		return best, ""
	}
	if len(squeezed) >= 4 {
		for i := range knownOptions {
			d := &knownOptions[i]
			name := ascii.Lower(d.Name)
			if strings.HasPrefix(name, squeezed) && (best == "" || len(name) < len(best)) {
				best = d.canonical()
			}
		}
	}
	return best, ""
}

// maxTypoDistance is how many edits a key of length n may be from an
// option to count as a typo of it.
func maxTypoDistance(n int) int {
	switch {
	case n < 3:
		return 0
	case n < 6:
		return 1
	case n < 12:
		return 2
	default:
		return 3
	}
}

// enumValue returns the allowed spelling of v, if v is allowed.
func enumValue(d *optionDef, v string) (string, bool) {
	for _, e := range d.Enum {
		if e == v || (d.EnumFold && strings.EqualFold(e, v)) {
			return e, true
		}
	}
	return "", false
}

func canonicalEnum(d *optionDef, v string) string {
	if c, ok := enumValue(d, v); ok {
		return c
	}
	return v
}

// nearest returns the candidate closest to v (ignoring case) when it is
// close enough to be a typo.
func nearest(v string, candidates []string) string {
	best, bestDist := "", 0
	lv := ascii.Lower(v)
	if len(lv) > 64 {
		return ""
	}
	for _, c := range candidates {
		d := ascii.EditDistance(lv, ascii.Lower(c))
		if d <= maxTypoDistance(len(lv)) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// validServiceName follows RFC 6335 §5.1 (without its 15-character limit,
// as the seed-list specification allows).
func validServiceName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case ascii.IsAlpha(c):
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}
