package diagnose

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// optKind is the type of an option's value.
type optKind uint8

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
		m[lowerASCII(knownOptions[i].Name)] = &knownOptions[i]
	}
	return m
}()

// lookupOption finds a known option by its lower-cased key.
func lookupOption(lower string) *optionDef {
	return optionIndex[lower]
}

// maxWarnings caps the evidence lines of the uri.unknown-option finding:
// past a few dozen problems, more lines help nobody.
const maxWarnings = 32

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
	lower := lowerASCII(key)
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
		dist := editDistance(squeezed, lowerASCII(d.Name))
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
			name := lowerASCII(d.Name)
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

// editDistance is the optimal-string-alignment distance (insertions,
// deletions, substitutions, transpositions) between a and b.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// uriCause explains a uri.* catalogue id when the catalogue has no cause.
func uriCause(id string) string {
	switch id {
	case IDURIUnescapedCredentials:
		return "The user name and password sit between \"://\" and \"@\", so '@', ':', '/', '?', '#', '[', ']', '%' and spaces in them must be percent-encoded; otherwise drivers cannot tell where the password ends and the host begins."
	case IDURIUnknownOption:
		return "Drivers ignore connection-string options they do not know and option values they cannot use, with at most a log line, so a misspelt option silently has no effect."
	case IDURIDirectMultipleHosts:
		return "directConnection=true makes the driver talk to one server only, so the connection string must name exactly one host and cannot be a mongodb+srv seed list."
	case IDURISRVWithPort:
		return "A mongodb+srv connection string names one DNS name whose SRV records list the hosts and ports; a port or a second host is not allowed and drivers refuse the string before any DNS lookup."
	default:
		return "Drivers refuse this connection string before connecting, so nothing is tried on the network."
	}
}

// errAt builds a *URIError pointing at raw offset pos (-1: unknown).
func (p *connParts) errAt(id string, pos int, msg, hint string) *URIError {
	e := &URIError{ID: id, Redacted: p.redacted, Pos: -1, Msg: msg, Hint: hint}
	if pos >= 0 {
		e.Pos = p.mapPos(pos)
	}
	return e
}

// restRedacted is the redacted string after the scheme separator.
func (p *connParts) restRedacted() string {
	return p.red(p.restStart, len(p.raw))
}

// checkStructure judges the scheme, user information, hosts and
// database, and the syntax of the options.
func (p *connParts) checkStructure() error {
	raw := p.raw
	if strings.TrimSpace(raw) == "" {
		e := p.errAt(IDURIInvalid, 0, "the connection string is empty",
			"give a connection string such as "+DefaultURI+", or set MONGODB_URI")
		e.SuggestedURI = DefaultURI
		return e
	}
	if len(raw) > MaxURILength {
		return p.errAt(IDURIInvalid, MaxURILength, fmt.Sprintf("the connection string is %d bytes long; mongoconn reads at most %d", len(raw), MaxURILength),
			"check that the value is a connection string and not a file's contents")
	}
	if trimmed := strings.TrimSpace(raw); trimmed != raw {
		pos := 0
		if strings.HasPrefix(raw, trimmed) {
			pos = len(trimmed)
		}
		e := p.errAt(IDURIInvalid, pos, "the connection string starts or ends with white space (a copied newline?)",
			"remove the spaces and newlines around the connection string")
		if t := strings.TrimSpace(raw); t != "" {
			e.SuggestedURI = splitConnString(t).redacted
		}
		return e
	}
	if err := p.checkScheme(); err != nil {
		return err
	}
	if err := p.checkUserinfo(); err != nil {
		return err
	}
	if err := p.checkHosts(); err != nil {
		return err
	}
	if err := p.checkDatabase(); err != nil {
		return err
	}
	return p.checkOptionSyntax()
}

func (p *connParts) checkScheme() error {
	raw := p.raw
	if !p.hasScheme {
		e := p.errAt(IDURIInvalid, 0, `missing scheme: a connection string starts with "mongodb://" (or "mongodb+srv://" for a DNS seed list)`,
			`put "mongodb://" in front`)
		e.SuggestedURI = "mongodb://" + p.redacted
		return e
	}
	scheme := raw[p.schemeSpan.start:p.schemeSpan.end]
	sep := raw[p.sepSpan.start:p.sepSpan.end]
	lower := lowerASCII(scheme)
	switch {
	case lower == SchemeMongoDB || lower == SchemeMongoDBSRV:
		if sep != "://" {
			e := p.errAt(IDURIInvalid, p.sepSpan.start, fmt.Sprintf(`the scheme %q must be followed by "://"`, lower),
				fmt.Sprintf(`write %s:// before the hosts`, lower))
			e.SuggestedURI = lower + "://" + p.restRedacted()
			return e
		}
		if scheme != lower {
			e := p.errAt(IDURIInvalid, 0, fmt.Sprintf("the scheme %q must be lower-case: drivers accept only %q and %q", scheme, SchemeMongoDB, SchemeMongoDBSRV),
				"write the scheme in lower case")
			e.SuggestedURI = lower + "://" + p.restRedacted()
			return e
		}
		p.srv = lower == SchemeMongoDBSRV
		return nil
	}
	want := SchemeMongoDB
	msg := fmt.Sprintf("unknown scheme %q: a connection string starts with \"mongodb://\" or \"mongodb+srv://\"", scheme)
	switch {
	case lower == "http" || lower == "https":
		msg = fmt.Sprintf("%q is a web address scheme; a MongoDB connection string starts with \"mongodb://\" or \"mongodb+srv://\"", scheme)
	case strings.Contains(lower, "srv"):
		want = SchemeMongoDBSRV
	case editDistance(lower, SchemeMongoDBSRV) < editDistance(lower, SchemeMongoDB):
		want = SchemeMongoDBSRV
	}
	e := p.errAt(IDURIInvalid, 0, msg, fmt.Sprintf("did you mean %s://?", want))
	e.SuggestedURI = want + "://" + p.restRedacted()
	return e
}

// credentialProblem describes the first character of a user name or
// password (as written) that must be percent-encoded: its offset and a
// description, or -1.
func credentialProblem(s string, password bool) (int, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				i += 2
				continue
			}
			return i, "a '%' that does not start a %XX escape"
		case c == ':' && password:
			return i, "an unescaped ':'"
		case c == '@' || c == '/' || c == '?' || c == '#' || c == '[' || c == ']':
			return i, fmt.Sprintf("an unescaped '%c'", c)
		case c == ' ':
			return i, "an unescaped space"
		case c < 0x20 || c == 0x7f:
			return i, "a control character"
		case c >= 0x80 || userinfoSafe(c):
		default:
			return i, fmt.Sprintf("an unescaped '%c'", c)
		}
	}
	return -1, ""
}

// encodingAdvice lists, for the characters of s that need encoding, their
// escapes ("'/' as %2F, ':' as %3A").
func encodingAdvice(s string, password bool) string {
	seen := map[byte]bool{}
	var parts []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			i += 2
			continue
		}
		if userinfoSafe(c) || c >= 0x80 || (c == ':' && !password) || seen[c] {
			continue
		}
		seen[c] = true
		name := fmt.Sprintf("'%c'", c)
		if c < 0x20 || c == 0x7f {
			name = fmt.Sprintf("byte 0x%02X", c)
		} else if c == ' ' {
			name = "space"
		}
		parts = append(parts, fmt.Sprintf("%s as %%%02X", name, c))
	}
	return strings.Join(parts, ", ")
}

func (p *connParts) checkUserinfo() error {
	if !p.hasUserinfo {
		return nil
	}
	raw := p.raw
	user := raw[p.userSpan.start:p.userSpan.end]
	pass := ""
	if p.hasPassword {
		pass = raw[p.passSpan.start:p.passSpan.end]
	}
	for _, ph := range []struct {
		text string
		span bspan
		what string
	}{{user, p.userSpan, "user name"}, {pass, p.passSpan, "password"}} {
		if len(ph.text) > 2 && ph.text[0] == '<' && ph.text[len(ph.text)-1] == '>' && !strings.ContainsAny(ph.text[1:len(ph.text)-1], "<>") {
			shownText := ph.text
			if ph.what == "password" {
				shownText = "<" + RedactedSecret + ">"
				if isPlaceholderName(ph.text) {
					shownText = ph.text
				}
			}
			return p.errAt(IDURIInvalid, ph.span.start, fmt.Sprintf("the %s is still the placeholder %s of a copied connection string", ph.what, shorten(shownText, 40)),
				fmt.Sprintf("replace %s, angle brackets included, with the database user's %s, percent-encoded", shorten(shownText, 40), ph.what))
		}
	}
	userAt, userWhat := credentialProblem(user, false)
	passAt, passWhat := -1, ""
	if p.hasPassword {
		passAt, passWhat = credentialProblem(pass, true)
	}
	if userAt >= 0 || passAt >= 0 {
		fixedUser := fixUserinfoEscapes(user)
		suggested := p.red(0, p.restStart) + fixedUser
		if p.hasPassword {
			suggested += ":" + RedactedSecret
		}
		suggested += p.red(p.atPos, len(raw))
		var advice []string
		if a := encodingAdvice(user, false); a != "" {
			advice = append(advice, fmt.Sprintf("in the user name write %s (user name %s)", a, fixedUser))
		}
		if a := encodingAdvice(pass, true); a != "" {
			advice = append(advice, "in the password write "+a)
		}
		hint := "percent-encode the user name and password: " + strings.Join(advice, "; ")
		var e *URIError
		if userAt >= 0 {
			e = p.errAt(IDURIUnescapedCredentials, p.userSpan.start+userAt, "the user name contains "+userWhat, hint)
		} else {
			e = p.errAt(IDURIUnescapedCredentials, p.passSpan.start+passAt, "the password contains "+passWhat, hint)
		}
		e.SuggestedURI = suggested
		return e
	}
	var err error
	if p.username, err = url.PathUnescape(user); err != nil {
		return p.errAt(IDURIUnescapedCredentials, p.userSpan.start, "the user name is not correctly percent-encoded", "percent-encode the user name")
	}
	if p.password, err = url.PathUnescape(pass); err != nil {
		return p.errAt(IDURIUnescapedCredentials, p.passSpan.start, "the password is not correctly percent-encoded", "percent-encode the password")
	}
	if p.username == "" {
		e := p.errAt(IDURIInvalid, p.userSpan.start, "the user information before '@' has no user name",
			"write user:password@ before the host, or remove the '@'")
		e.SuggestedURI = p.red(0, p.restStart) + p.red(p.atPos+1, len(raw))
		return e
	}
	return nil
}

// hostBad reports a character that cannot be part of a host name.
func hostBad(c byte) bool {
	return c <= 0x20 || c == 0x7f || strings.IndexByte("\"<>\\^`{|}@#[]", c) >= 0
}

func (p *connParts) checkHosts() error {
	raw := p.raw
	hs := p.hostsSpan
	if hs.empty() {
		rest := raw[hs.start:]
		if strings.HasPrefix(rest, "/") {
			path := rest
			if k := strings.IndexAny(path[1:], "?"); k >= 0 {
				path = path[:k+1]
			}
			if k := strings.Index(path, ".sock"); k >= 0 {
				sock := path[:k+len(".sock")]
				e := p.errAt(IDURIInvalid, hs.start, fmt.Sprintf("the host is missing; %q looks like a UNIX domain socket path, which must be percent-encoded", sock),
					"write the socket path with %2F for each '/'")
				e.SuggestedURI = p.red(0, hs.start) + strings.ReplaceAll(sock, "/", "%2F") + p.red(hs.start+len(sock), len(raw))
				return e
			}
		}
		e := p.errAt(IDURIInvalid, hs.start, "missing host: no host name follows "+p.schemeText()+"://",
			"add a host, such as localhost:27017")
		e.SuggestedURI = p.red(0, hs.start) + "localhost:27017" + p.red(hs.start, len(raw))
		return e
	}
	text := raw[hs.start:hs.end]
	start := hs.start
	for i, part := range strings.Split(text, ",") {
		sp := bspan{start, start + len(part)}
		start = sp.end + 1
		if part == "" {
			pos := sp.start
			if i > 0 {
				pos = sp.start - 1
			}
			e := p.errAt(IDURIInvalid, pos, "empty host in the seed list (an extra comma?)", "remove the extra comma")
			e.SuggestedURI = p.red(0, hs.start) + joinNonEmpty(strings.Split(text, ",")) + p.red(hs.end, len(raw))
			return e
		}
		h, err := p.parseHost(part, sp)
		if err != nil {
			return err
		}
		p.hosts = append(p.hosts, h)
	}
	if p.srv {
		return p.checkSRVHosts()
	}
	return nil
}

func joinNonEmpty(parts []string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

func (p *connParts) schemeText() string {
	if !p.hasScheme {
		return SchemeMongoDB
	}
	return lowerASCII(p.raw[p.schemeSpan.start:p.schemeSpan.end])
}

// parseHost checks one host identifier (as written at sp).
func (p *connParts) parseHost(part string, sp bspan) (*hostPart, error) {
	h := &hostPart{bspan: sp}
	hostText, portText, portAt := part, "", -1
	if strings.HasPrefix(part, "[") {
		end := strings.IndexByte(part, ']')
		if end < 0 {
			return nil, p.errAt(IDURIInvalid, sp.start, "an IPv6 address is missing its closing ']'", "write IPv6 addresses as [::1]:27017")
		}
		inner, err := url.PathUnescape(part[1:end])
		if err != nil {
			return nil, p.errAt(IDURIInvalid, sp.start+1, "the IPv6 address is not correctly percent-encoded", "write the zone as %25, e.g. [fe80::1%25eth0]")
		}
		if _, err := netip.ParseAddr(inner); err != nil || !strings.Contains(inner, ":") {
			return nil, p.errAt(IDURIInvalid, sp.start+1, fmt.Sprintf("%q is not an IPv6 address", inner), "only IPv6 addresses go in brackets, e.g. [::1]:27017")
		}
		h.host, h.ipv6 = inner, true
		after := part[end+1:]
		switch {
		case after == "":
		case after[0] == ':':
			portText, portAt = after[1:], sp.start+end+2
		default:
			return nil, p.errAt(IDURIInvalid, sp.start+end+1, "unexpected text after the IPv6 address", "write [address]:port")
		}
	} else {
		decoded, err := url.QueryUnescape(part)
		if err != nil {
			k := strings.IndexByte(part, '%')
			return nil, p.errAt(IDURIInvalid, sp.start+max(k, 0), "the host has a '%' that does not start a %XX escape", "percent-encode '%' as %25")
		}
		if strings.Contains(decoded, "/") {
			if !strings.HasSuffix(decoded, ".sock") {
				return nil, p.errAt(IDURIInvalid, sp.start, fmt.Sprintf("the host %q looks like a UNIX domain socket path, which must end in .sock", decoded),
					"name the socket file, such as %2Ftmp%2Fmongodb-27017.sock")
			}
			h.host, h.unix = decoded, true
			return h, nil
		}
		switch n := strings.Count(part, ":"); {
		case n == 1:
			c := strings.IndexByte(part, ':')
			hostText, portText, portAt = part[:c], part[c+1:], sp.start+c+1
		case n > 1:
			c := strings.IndexByte(part, ':')
			fixed := ""
			if _, err := netip.ParseAddr(decoded); err == nil {
				fixed = "[" + part + "]"
			} else if last := strings.LastIndexByte(part, ':'); last > 0 {
				if _, err := netip.ParseAddr(part[:last]); err == nil {
					fixed = "[" + part[:last] + "]" + part[last:]
				}
			}
			if fixed != "" {
				e := p.errAt(IDURIInvalid, sp.start, "an IPv6 address must be written in brackets", "write [address]:port, such as [::1]:27017")
				e.SuggestedURI = p.red(0, sp.start) + fixed + p.red(sp.end, len(p.raw))
				return nil, e
			}
			second := c + 1 + strings.IndexByte(part[c+1:], ':')
			return nil, p.errAt(IDURIInvalid, sp.start+second, fmt.Sprintf("the host %q has more than one ':'", part), "write host:port with a single ':'")
		}
		if hostText == "" {
			return nil, p.errAt(IDURIInvalid, sp.start, "a host name is missing before ':'", "write host:port, such as localhost:27017")
		}
		for i := 0; i < len(hostText); i++ {
			if hostBad(hostText[i]) {
				return nil, p.errAt(IDURIInvalid, sp.start+i, fmt.Sprintf("the host name contains the character %q", hostText[i]), "host names hold letters, digits, '-', '_' and '.'")
			}
		}
		h.host, _ = url.QueryUnescape(hostText)
	}
	if portAt >= 0 {
		port, err := p.parsePort(portText, portAt)
		if err != nil {
			return nil, err
		}
		h.port, h.portSpan = port, bspan{portAt, portAt + len(portText)}
	}
	return h, nil
}

func (p *connParts) parsePort(text string, at int) (int, error) {
	if text == "" {
		return 0, p.errAt(IDURIInvalid, at, "the port after ':' is missing", "write the port number (27017 by default) or remove the ':'")
	}
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0, p.errAt(IDURIInvalid, at+i, "the port is not a number", "write a port number between 1 and 65535 (27017 by default)")
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > 65535 {
		return 0, p.errAt(IDURIInvalid, at, fmt.Sprintf("the port %s is out of range: ports are 1 to 65535", shorten(text, 12)), "write a port number between 1 and 65535 (27017 by default)")
	}
	return n, nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// checkSRVHosts applies the rules the seed-list discovery specification
// checks before any DNS lookup.
func (p *connParts) checkSRVHosts() error {
	raw := p.raw
	first := p.hosts[0]
	fixed := first.host
	if first.ipv6 || first.unix {
		return p.errAt(IDURIInvalid, first.bspan.start, "mongodb+srv needs a DNS host name, not an IP address or socket path",
			"use mongodb:// to connect to an address")
	}
	if len(p.hosts) > 1 {
		e := p.errAt(IDURISRVWithPort, p.hosts[1].bspan.start-1, fmt.Sprintf("mongodb+srv takes exactly one host name (the DNS seed-list name); this string has %d", len(p.hosts)),
			"keep the one SRV name, or use mongodb:// with every host:port of the seed list")
		e.SuggestedURI = p.red(0, p.hostsSpan.start) + fixed + p.red(p.hostsSpan.end, len(raw))
		return e
	}
	if first.port != 0 || !first.portSpan.empty() {
		e := p.errAt(IDURISRVWithPort, first.portSpan.start-1, "a mongodb+srv host name cannot have a port: the SRV records give the ports",
			"remove the port, or use mongodb://host:port to connect to one host")
		e.SuggestedURI = p.red(0, p.hostsSpan.start) + fixed + p.red(p.hostsSpan.end, len(raw))
		return e
	}
	return nil
}

func (p *connParts) checkDatabase() error {
	if p.dbSpan.empty() {
		return nil
	}
	text := p.raw[p.dbSpan.start:p.dbSpan.end]
	db, err := url.PathUnescape(text)
	if err != nil {
		k := strings.IndexByte(text, '%')
		return p.errAt(IDURIInvalid, p.dbSpan.start+max(k, 0), "the database name has a '%' that does not start a %XX escape", "percent-encode '%' as %25")
	}
	if k := strings.IndexAny(db, "/\\ \"$"); k >= 0 {
		return p.errAt(IDURIInvalid, p.dbSpan.start, fmt.Sprintf("the database name %q contains %q, which database names cannot hold", db, db[k]),
			"fix the database name after the '/'; authenticate against another database with authSource=")
	}
	p.database = db
	return nil
}

// checkOptionSyntax checks that every pair is key=value and decodes.
func (p *connParts) checkOptionSyntax() error {
	for _, o := range p.options {
		switch {
		case !o.hasEq:
			e := p.errAt(IDURIInvalid, o.keySpan.start, fmt.Sprintf("the option %q has no value: options are written key=value", o.key),
				fmt.Sprintf("write %s=<value>, or remove it", o.key))
			return e
		case o.rawKey == "":
			return p.errAt(IDURIInvalid, o.bspan.start, "an option has no name before '='", "write key=value")
		case o.keyErr != nil:
			return p.errAt(IDURIInvalid, o.keySpan.start, "the option name is not correctly percent-encoded", "percent-encode '%' as %25")
		case o.valueErr != nil:
			msg := fmt.Sprintf("the value of %s is not correctly percent-encoded", o.key)
			return p.errAt(IDURIInvalid, o.valueSpan.start, msg, "percent-encode '%' as %25 and '&' as %26 in option values")
		}
	}
	return nil
}

// linter checks option values and combinations.
type linter struct {
	p        *connParts
	more     int // warnings past maxWarnings
	warnings []string
	fixes    []string
	renames  map[*rawOption]string
}

func (l *linter) warn(o *rawOption, evidence, fix string) {
	if o != nil {
		o.ignored = true
	}
	if len(l.warnings) >= maxWarnings {
		l.more++
		return
	}
	l.warnings = append(l.warnings, evidence)
	if fix != "" {
		l.fixes = append(l.fixes, fix)
	}
}

// findings returns the warnings as one uri.unknown-option finding.
func (l *linter) findings() []Finding {
	if len(l.warnings) == 0 {
		return nil
	}
	evidence := l.warnings
	if l.more > 0 {
		evidence = append(evidence, fmt.Sprintf("and %d more problems with options", l.more))
	}
	f := NewFinding(IDURIUnknownOption, evidence...)
	if f.Cause == "" {
		f.Cause = uriCause(IDURIUnknownOption)
	}
	f.Fixes = append(append([]string(nil), l.fixes...), f.Fixes...)
	if len(l.renames) > 0 {
		f.SuggestedURI = l.renamed()
	}
	return []Finding{f}
}

// renamed is the redacted string with misspelt keys renamed.
func (l *linter) renamed() string {
	p := l.p
	var b strings.Builder
	last := 0
	for _, o := range p.options {
		if name, ok := l.renames[o]; ok {
			b.WriteString(p.red(last, o.keySpan.start))
			b.WriteString(name)
			last = o.keySpan.end
		}
	}
	b.WriteString(p.red(last, len(p.raw)))
	return b.String()
}

// where says where an option is, for evidence.
func (l *linter) where(o *rawOption) string {
	return fmt.Sprintf("at position %d", l.p.mapPos(o.keySpan.start))
}

// shown is an option value fit for evidence (quoted; **** for secrets).
func shown(o *rawOption) string {
	if o.secret {
		return RedactedSecret
	}
	return strconv.Quote(shorten(o.value, 60))
}

// lintOptions checks every option and the combinations the
// specifications forbid.
func (l *linter) lintOptions() error {
	p := l.p
	for _, o := range p.options {
		if err := l.lintOption(o); err != nil {
			return err
		}
	}
	if err := l.lintRepeats(); err != nil {
		return err
	}
	return l.lintCombinations()
}

func (l *linter) lintOption(o *rawOption) error {
	p := l.p
	d := o.def
	if d == nil {
		if len(l.warnings) >= maxWarnings {
			l.warn(o, "", "")
			return nil
		}
		name, note := suggestOption(o.key)
		ev := fmt.Sprintf("unknown option %q %s: drivers ignore it", shorten(o.key, 60), l.where(o))
		fix := fmt.Sprintf("remove %s, which no driver reads", shorten(o.key, 60))
		if name != "" {
			ev += fmt.Sprintf("; did you mean %s?", name)
			fix = fmt.Sprintf("rename %s to %s", shorten(o.key, 60), name)
			if l.renames == nil {
				l.renames = map[*rawOption]string{}
			}
			l.renames[o] = name
		}
		if note != "" {
			fix += " (" + note + ")"
		}
		l.warn(o, ev, fix)
		return nil
	}
	if d.SRVOnly && !p.srv {
		return p.errAt(IDURIInvalid, o.keySpan.start, fmt.Sprintf("%s is allowed only in mongodb+srv:// connection strings", d.Name),
			fmt.Sprintf("remove %s, or use mongodb+srv://", d.Name))
	}
	if o.value == "" {
		switch d.Kind {
		case kindTags:
			return nil // an empty tag set matches any member
		}
		if d.Name == "authSource" {
			return p.errAt(IDURIInvalid, o.valueSpan.start, "authSource is empty", "write authSource=<database> (usually admin), or remove it")
		}
		o.drop = true
		l.warn(o, fmt.Sprintf("option %s %s has an empty value: drivers ignore it", o.key, l.where(o)),
			fmt.Sprintf("give %s a value, or remove it", d.Name))
		return nil
	}
	switch d.Kind {
	case kindBool:
		switch lowerASCII(o.value) {
		case "true", "false":
			o.norm = lowerASCII(o.value)
		default:
			o.drop = true
			l.warn(o, fmt.Sprintf("option %s %s has the value %s: it must be true or false, so drivers ignore it", o.key, l.where(o), shown(o)),
				fmt.Sprintf("write %s=true or %s=false", d.Name, d.Name))
		}
	case kindInt:
		l.lintInt(o)
	case kindMaxStaleness:
		n, err := strconv.Atoi(o.value)
		switch {
		case err != nil || n < -1:
			o.drop = true
			l.warn(o, fmt.Sprintf("option %s %s has the value %s: it must be -1 (no limit) or a number of seconds of at least 90, so drivers ignore it", o.key, l.where(o), shown(o)),
				fmt.Sprintf("write %s=90 or more, or remove it", d.Name))
		case n == -1:
			o.drop = true // -1 is the default: no limit.
		case n < 90:
			l.warn(nil, fmt.Sprintf("option %s %s is %d: drivers refuse a maximum staleness under 90 seconds when selecting a replica-set member", o.key, l.where(o), n),
				fmt.Sprintf("write %s=90 or more", d.Name))
		}
	case kindEnum:
		if v, ok := enumValue(d, o.value); ok {
			o.norm = v
			return nil
		}
		o.drop = true
		l.warn(o, fmt.Sprintf("option %s %s has the value %s: it must be one of %s, so drivers ignore it", o.key, l.where(o), shown(o), strings.Join(d.Enum, ", ")),
			fmt.Sprintf("write %s=%s", d.Name, d.Enum[0]))
	case kindReadPreference:
		if _, ok := enumValue(d, o.value); !ok {
			hint := "use one of " + strings.Join(d.Enum, ", ")
			if s := nearest(o.value, d.Enum); s != "" {
				hint = fmt.Sprintf("did you mean readPreference=%s? (modes: %s)", s, strings.Join(d.Enum, ", "))
			}
			return p.errAt(IDURIInvalid, o.valueSpan.start, fmt.Sprintf("unknown read preference %s", shown(o)), hint)
		}
	case kindAuthMechanism:
		ok := false
		for _, m := range authMechanisms {
			ok = ok || strings.EqualFold(m, o.value)
		}
		if !ok {
			hint := "use one of " + strings.Join(authMechanisms[:], ", ")
			if strings.EqualFold(o.value, "MONGODB-CR") {
				hint = "MONGODB-CR was removed in MongoDB 4.0: use SCRAM-SHA-256 (or leave authMechanism out to negotiate)"
			} else if s := nearest(o.value, authMechanisms[:]); s != "" {
				hint = fmt.Sprintf("did you mean authMechanism=%s?", s)
			}
			return p.errAt(IDURIInvalid, o.valueSpan.start, fmt.Sprintf("unknown authentication mechanism %s", shown(o)), hint)
		}
	case kindKeyValues:
		for _, pair := range strings.Split(o.value, ",") {
			k, _, found := strings.Cut(pair, ":")
			if !found || k == "" {
				o.drop = true
				l.warn(o, fmt.Sprintf("option %s %s is not a list of KEY:value pairs separated by ',' (a ',' inside a value?): drivers ignore it", o.key, l.where(o)),
					"write authMechanismProperties=KEY:value,KEY2:value2; a value cannot contain ','")
				return nil
			}
		}
	case kindTags:
		for _, pair := range strings.Split(o.value, ",") {
			if strings.Count(pair, ":") != 1 || strings.HasPrefix(pair, ":") {
				o.drop = true
				l.warn(o, fmt.Sprintf("option %s %s has the value %s: it must be tag:value pairs separated by ',', so drivers ignore it", o.key, l.where(o), shown(o)),
					"write readPreferenceTags=dc:ny,rack:1")
				return nil
			}
		}
	case kindList:
		for _, c := range strings.Split(o.value, ",") {
			switch c {
			case "snappy", "zlib", "zstd", "noop":
			default:
				l.warn(nil, fmt.Sprintf("compressor %q %s is not one drivers know (snappy, zlib, zstd): it is ignored", shorten(c, 40), l.where(o)),
					"list compressors from snappy, zlib and zstd")
			}
		}
	case kindW:
		if n, err := strconv.Atoi(o.value); err == nil && n < 0 {
			o.drop = true
			l.warn(o, fmt.Sprintf("option w %s is %d: it must be a number of at least 0 or a tag such as majority, so drivers ignore it", l.where(o), n),
				"write w=majority or w=1")
		}
	case kindSRVServiceName:
		if len(o.value) > 62 || !validServiceName(o.value) {
			return p.errAt(IDURIInvalid, o.valueSpan.start, fmt.Sprintf("srvServiceName %s is not a valid SRV service name (letters, digits and '-', at most 62)", shown(o)),
				"write srvServiceName=mongodb, or the service name your DNS publishes")
		}
	}
	return nil
}

// lintInt checks an integer option against its bounds.
func (l *linter) lintInt(o *rawOption) {
	d := o.def
	n, err := strconv.ParseInt(o.value, 10, 64)
	limit := int64(1<<31 - 1)
	if d.Name == "wTimeoutMS" {
		limit = 1<<63 - 1
	}
	if d.Max != 0 {
		limit = d.Max
	}
	if err == nil && n >= d.Min && n <= limit {
		return
	}
	o.drop = true
	what := fmt.Sprintf("a number from %d to %d", d.Min, limit)
	if d.Max == 0 {
		what = fmt.Sprintf("a number of at least %d", d.Min)
	}
	if d.Unit != "" {
		what += " (" + d.Unit + ")"
	}
	l.warn(o, fmt.Sprintf("option %s %s has the value %s: it must be %s, so drivers ignore it", o.key, l.where(o), shown(o), what),
		fmt.Sprintf("write %s as %s, or remove it", d.Name, what))
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
	lv := lowerASCII(v)
	if len(lv) > 64 {
		return ""
	}
	for _, c := range candidates {
		d := editDistance(lv, lowerASCII(c))
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
		case isAlpha(c):
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

// lintRepeats reports options given more than once.
func (l *linter) lintRepeats() error {
	p := l.p
	groups := map[string][]*rawOption{}
	var order []string
	for _, o := range p.options {
		if o.def == nil {
			continue
		}
		g := lowerASCII(o.def.canonical())
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], o)
	}
	for _, g := range order {
		opts := groups[g]
		if len(opts) < 2 || opts[0].def.Kind == kindTags {
			continue
		}
		name := opts[0].def.canonical()
		if strings.HasPrefix(name, "proxy") {
			return p.errAt(IDURIInvalid, opts[1].keySpan.start, fmt.Sprintf("%s is given more than once", name), fmt.Sprintf("keep one %s", name))
		}
		if name == "tls" {
			if err := l.lintTLSValues(opts); err != nil {
				return err
			}
			continue
		}
		var live []*rawOption
		for _, o := range opts {
			if !o.drop {
				live = append(live, o)
			}
		}
		last := opts[len(opts)-1]
		used := ""
		if len(live) > 0 {
			last = live[len(live)-1]
			used = fmt.Sprintf("; the Go driver uses the last one, %s", shown(last))
		}
		for _, o := range opts {
			if o != last {
				o.ignored = true
			}
		}
		l.warn(nil, fmt.Sprintf("option %s is given %d times (first %s): which one wins is not defined by the connection-string specification%s", name, len(opts), l.where(opts[0]), used),
			fmt.Sprintf("keep one %s", name))
	}
	return nil
}

// lintTLSValues applies the URI options rule: every tls and ssl must
// have the same value.
func (l *linter) lintTLSValues(opts []*rawOption) error {
	var first *rawOption
	for _, o := range opts {
		if o.drop {
			continue
		}
		if first == nil {
			first = o
			continue
		}
		if o.norm != first.norm {
			return l.p.errAt(IDURIInvalid, o.keySpan.start, fmt.Sprintf("%s=%s conflicts with %s=%s: every tls and ssl option must have the same value", o.key, o.norm, first.key, first.norm),
				"keep one of them: tls=true or tls=false")
		}
	}
	return nil
}

// live returns the last valid occurrence of the option named name.
func (p *connParts) live(name string) *rawOption {
	var found *rawOption
	g := lowerASCII(name)
	for _, o := range p.options {
		if o.def != nil && !o.drop && lowerASCII(o.def.canonical()) == g {
			found = o
		}
	}
	return found
}

func (o *rawOption) isTrue() bool { return o != nil && o.norm == "true" }

// lintCombinations applies the rules of the URI options, seed-list,
// load-balancer, SOCKS5, server-selection and auth specifications that
// involve several options.
func (l *linter) lintCombinations() error {
	p := l.p
	later := func(a, b *rawOption) *rawOption {
		if a.keySpan.start > b.keySpan.start {
			return a
		}
		return b
	}
	// Insecure TLS options that must not be combined.
	tlsPairs := [][2]string{
		{"tlsInsecure", "tlsAllowInvalidCertificates"},
		{"tlsInsecure", "tlsAllowInvalidHostnames"},
		{"tlsInsecure", "tlsDisableOCSPEndpointCheck"},
		{"tlsInsecure", "tlsDisableCertificateRevocationCheck"},
		{"tlsAllowInvalidCertificates", "tlsDisableOCSPEndpointCheck"},
		{"tlsAllowInvalidCertificates", "tlsDisableCertificateRevocationCheck"},
		{"tlsDisableOCSPEndpointCheck", "tlsDisableCertificateRevocationCheck"},
	}
	for _, pair := range tlsPairs {
		a, b := p.live(pair[0]), p.live(pair[1])
		if a == nil || b == nil {
			continue
		}
		o := later(a, b)
		keep := pair[0]
		if pair[0] == "tlsInsecure" {
			keep = pair[1] + " (tlsInsecure relaxes everything it does and more)"
		}
		return p.errAt(IDURIInvalid, o.keySpan.start, fmt.Sprintf("%s and %s cannot both be given (whatever their values)", pair[0], pair[1]),
			"keep only "+keep)
	}
	direct := p.live("directConnection")
	directOn := direct.isTrue()
	if c := p.live("connect"); direct == nil && c != nil && c.norm == "direct" {
		direct, directOn = c, true
	}
	if directOn {
		if len(p.hosts) > 1 {
			e := p.errAt(IDURIDirectMultipleHosts, direct.keySpan.start, fmt.Sprintf("directConnection=true needs exactly one host; this string has %d", len(p.hosts)),
				"connect to one member with directConnection=true, or remove directConnection=true to use the whole seed list")
			e.SuggestedURI = p.red(0, p.hostsSpan.start) + p.raw[p.hosts[0].bspan.start:p.hosts[0].bspan.end] + p.red(p.hostsSpan.end, len(p.raw))
			return e
		}
		if p.srv {
			e := p.errAt(IDURIDirectMultipleHosts, direct.keySpan.start, "directConnection=true cannot be used with mongodb+srv: the SRV records may list several hosts",
				"remove directConnection=true, or use mongodb://host:port/?directConnection=true with one host of the seed list")
			return e
		}
	}
	lb := p.live("loadBalanced")
	if lb.isTrue() {
		switch {
		case len(p.hosts) > 1:
			return p.errAt(IDURIInvalid, lb.keySpan.start, "loadBalanced=true needs exactly one host (the load balancer)", "name only the load balancer's address, or remove loadBalanced=true")
		case p.live("replicaSet") != nil:
			return p.errAt(IDURIInvalid, p.later(lb, p.live("replicaSet")), "loadBalanced=true cannot be combined with replicaSet", "remove replicaSet (or loadBalanced)")
		case directOn:
			return p.errAt(IDURIInvalid, p.later(lb, direct), "loadBalanced=true cannot be combined with directConnection=true", "remove directConnection=true (or loadBalanced)")
		}
	}
	if m := p.live("srvMaxHosts"); m != nil {
		if n, _ := strconv.Atoi(m.value); n > 0 {
			if rs := p.live("replicaSet"); rs != nil {
				return p.errAt(IDURIInvalid, p.later(m, rs), "srvMaxHosts greater than 0 cannot be combined with replicaSet", "remove replicaSet, or set srvMaxHosts=0")
			}
			if lb.isTrue() {
				return p.errAt(IDURIInvalid, p.later(m, lb), "srvMaxHosts greater than 0 cannot be combined with loadBalanced=true", "remove srvMaxHosts, or set srvMaxHosts=0")
			}
		}
	}
	if err := l.lintProxy(); err != nil {
		return err
	}
	if err := l.lintAuth(); err != nil {
		return err
	}
	if err := l.lintReadPreference(); err != nil {
		return err
	}
	minPool, maxPool := p.live("minPoolSize"), p.live("maxPoolSize")
	if minPool != nil && maxPool != nil {
		lo, _ := strconv.Atoi(minPool.value)
		hi, _ := strconv.Atoi(maxPool.value)
		if hi != 0 && lo > hi {
			return p.errAt(IDURIInvalid, p.later(minPool, maxPool), fmt.Sprintf("minPoolSize=%d is greater than maxPoolSize=%d", lo, hi), "make minPoolSize at most maxPoolSize")
		}
	}
	if w, j := p.live("w"), p.live("journal"); w != nil && j.isTrue() && w.value == "0" {
		return p.errAt(IDURIInvalid, p.later(w, j), "w=0 (unacknowledged writes) cannot be combined with journal=true", "remove journal=true, or use w=1")
	}
	return nil
}

// later returns the raw offset of the key of whichever option comes last.
func (p *connParts) later(a, b *rawOption) int {
	if a.keySpan.start > b.keySpan.start {
		return a.keySpan.start
	}
	return b.keySpan.start
}

func (l *linter) lintProxy() error {
	p := l.p
	host := p.live("proxyHost")
	user, pass := p.live("proxyUsername"), p.live("proxyPassword")
	for _, name := range []string{"proxyPort", "proxyUsername", "proxyPassword"} {
		if o := p.live(name); o != nil && host == nil {
			return p.errAt(IDURIInvalid, o.keySpan.start, name+" needs proxyHost", "add proxyHost=<SOCKS5 proxy host>, or remove "+name)
		}
	}
	if (user == nil) != (pass == nil) {
		o, missing := user, "proxyPassword"
		if o == nil {
			o, missing = pass, "proxyUsername"
		}
		return p.errAt(IDURIInvalid, o.keySpan.start, fmt.Sprintf("%s needs %s", o.def.Name, missing), "give both proxyUsername and proxyPassword, or neither")
	}
	return nil
}

// lintReadPreference applies the server-selection rule: mode primary
// takes no tag sets and no maxStalenessSeconds.
func (l *linter) lintReadPreference() error {
	p := l.p
	mode := "primary"
	rp := p.live("readPreference")
	if rp != nil {
		mode = canonicalEnum(rp.def, rp.value)
	}
	if mode != "primary" {
		return nil
	}
	where := "readPreference is not set, so the mode is primary"
	if rp != nil {
		where = "readPreference=primary"
	}
	for _, o := range p.options {
		if o.def == nil || o.drop || o.def.Kind != kindTags || o.value == "" {
			continue
		}
		return p.errAt(IDURIInvalid, o.keySpan.start, "readPreferenceTags cannot be used with the primary mode ("+where+")",
			"add readPreference=primaryPreferred (or secondary, secondaryPreferred, nearest), or remove the tags")
	}
	if ms := p.live("maxStalenessSeconds"); ms != nil {
		return p.errAt(IDURIInvalid, ms.keySpan.start, "maxStalenessSeconds cannot be used with the primary mode ("+where+")",
			"add readPreference=secondaryPreferred (or another non-primary mode), or remove maxStalenessSeconds")
	}
	return nil
}

// driverString writes the connection string the Go driver can parse:
// options it would refuse (ignored values) are left out, values are
// normalised, and with forParse the scheme is mongodb:// (so that the
// driver does no DNS) without the options mongoconn applies itself.
func (p *connParts) driverString(forParse bool) string {
	var b strings.Builder
	scheme := p.schemeName()
	if forParse {
		scheme = SchemeMongoDB
	}
	b.WriteString(scheme)
	b.WriteString("://")
	if p.hasUserinfo {
		b.WriteString(p.raw[p.restStart:p.atPos])
		b.WriteByte('@')
	}
	b.WriteString(p.hostsText())
	b.WriteByte('/')
	if !p.dbSpan.empty() {
		b.WriteString(p.raw[p.dbSpan.start:p.dbSpan.end])
	}
	sep := "?"
	for _, o := range p.options {
		if o.drop || (forParse && o.def != nil && o.def.SRVOnly) {
			continue
		}
		v := o.rawValue
		if o.norm != "" {
			v = o.norm
		}
		b.WriteString(sep)
		b.WriteString(o.rawKey)
		b.WriteByte('=')
		b.WriteString(v)
		sep = "&"
	}
	return b.String()
}

// DriverURI is the connection string (raw: it holds the password) in a
// form the Go driver accepts: options drivers ignore because of invalid
// or empty values are left out and boolean values are lower-cased. A
// mongodb+srv string stays one (the driver resolves it).
func (t *Target) DriverURI() string {
	if t.parts == nil {
		return t.Raw
	}
	return t.parts.driverString(false)
}

// driverParse runs the driver's parser and validation on the string
// without DNS and completes what it cannot know (SRV defaults, options it
// does not read).
func (p *connParts) driverParse(l *linter) (*connstring.ConnString, error) {
	cs, err := connstring.ParseAndValidate(p.driverString(true))
	if err != nil {
		return nil, p.driverError(err)
	}
	cs.Original = p.raw
	tlsSet := p.live("tls") != nil
	if p.srv {
		cs.Scheme = SchemeMongoDBSRV
		if !tlsSet {
			cs.SSL = true
			cs.SSLSet = true
		}
		if o := p.live("srvMaxHosts"); o != nil {
			cs.SRVMaxHosts, _ = strconv.Atoi(o.value)
		}
		if o := p.live("srvServiceName"); o != nil {
			cs.SRVServiceName = o.value
		}
	}
	// Go's TLS cannot relax certificate and host-name checks separately:
	// either option means InsecureSkipVerify, as tlsInsecure does.
	if p.live("tlsAllowInvalidCertificates").isTrue() || p.live("tlsAllowInvalidHostnames").isTrue() {
		cs.SSLInsecure = true
		cs.SSLInsecureSet = true
	}
	return cs, nil
}

// driverError turns an error of the driver's parser into a *URIError,
// pointing at the option it names when it names one. The text is
// redacted: the driver may quote option values.
func (p *connParts) driverError(err error) *URIError {
	msg := err.Error()
	for _, prefix := range []string{"error parsing uri: ", "error validating uri: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	var secrets []string
	if p.hasPassword {
		secrets = append(secrets, p.password, p.raw[p.passSpan.start:p.passSpan.end])
	}
	for _, sp := range p.secretSpans {
		secrets = append(secrets, p.raw[sp.start:sp.end])
	}
	msg = RedactSecrets(msg, secrets...)
	pos := -1
	hint := "fix the connection string as the message says"
	lowerMsg := lowerASCII(msg)
	auth := strings.Contains(lowerMsg, "password") || strings.Contains(lowerMsg, "username") ||
		strings.Contains(lowerMsg, "auth") || strings.Contains(lowerMsg, "mechanism")
	switch {
	case errors.Is(err, connstring.ErrLoadBalancedWithDirectConnection), errors.Is(err, connstring.ErrLoadBalancedWithMultipleHosts), errors.Is(err, connstring.ErrLoadBalancedWithReplicaSet):
		if o := p.live("loadBalanced"); o != nil {
			pos = o.keySpan.start
		}
	case auth:
		hint = "give the credentials the authentication mechanism needs (see the authentication docs)"
		if o := p.live("authMechanism"); o != nil {
			pos = o.keySpan.start
		} else if p.hasUserinfo {
			pos = p.userSpan.start
		}
	}
	if pos < 0 {
		for _, o := range p.options {
			if o.def != nil && strings.Contains(lowerMsg, lowerASCII(o.def.Name)) {
				pos = o.keySpan.start
				break
			}
		}
	}
	return p.errAt(IDURIInvalid, pos, msg, hint)
}

// mechanismProperties returns the live authMechanismProperties, in order.
func (p *connParts) mechanismProperties() (*rawOption, [][2]string) {
	o := p.live("authMechanismProperties")
	if o == nil {
		return nil, nil
	}
	var props [][2]string
	for _, pair := range strings.Split(o.value, ",") {
		k, v, _ := strings.Cut(pair, ":")
		props = append(props, [2]string{k, v})
	}
	return o, props
}

// lintAuth applies the authentication specification's rules on
// credentials, authSource and mechanism properties, before the driver
// does, so that the message can point at the option and never quotes a
// password.
func (l *linter) lintAuth() error {
	p := l.p
	mech := p.live("authMechanism")
	propsOpt, props := p.mechanismProperties()
	src := p.live("authSource")
	name := ""
	if mech != nil {
		name = strings.ToUpper(mech.value)
	}
	at := -1
	if mech != nil {
		at = mech.keySpan.start
	}
	user := p.hasUserinfo && p.username != ""
	pass := p.hasPassword && p.password != ""
	fail := func(pos int, msg, hint string) error {
		if pos < 0 {
			pos = at
		}
		return p.errAt(IDURIInvalid, pos, msg, hint)
	}
	propPos := -1
	if propsOpt != nil {
		propPos = propsOpt.keySpan.start
	}
	allowProps := func(allowed ...string) error {
		for _, kv := range props {
			ok := false
			for _, a := range allowed {
				ok = ok || kv[0] == a
			}
			if !ok {
				what := "no mechanism properties"
				if len(allowed) > 0 {
					what = "only " + strings.Join(allowed, ", ")
				}
				return fail(propPos, fmt.Sprintf("%s does not take the mechanism property %q", name, shorten(kv[0], 40)),
					fmt.Sprintf("%s takes %s in authMechanismProperties", name, what))
			}
		}
		return nil
	}
	external := func() error {
		if src != nil && src.value != "$external" {
			return fail(src.keySpan.start, fmt.Sprintf("%s authenticates against $external, not %s", name, shown(src)), "write authSource=$external, or remove authSource")
		}
		return nil
	}
	switch name {
	case "":
		if propsOpt != nil && !user {
			return nil
		}
	case "SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN":
		if !user {
			return fail(-1, name+" needs a user name", "write mongodb://user:password@host")
		}
		if !pass {
			return fail(-1, name+" needs a password", "write mongodb://user:password@host")
		}
		return allowProps()
	case "MONGODB-X509":
		if p.hasPassword {
			return fail(-1, "MONGODB-X509 takes no password: the client certificate proves who you are", "remove the password (keep the user name, the certificate subject, or nothing)")
		}
		if err := allowProps(); err != nil {
			return err
		}
		return external()
	case "MONGODB-AWS":
		if user && !pass {
			return fail(-1, "MONGODB-AWS needs the secret access key as the password when a user name (access key id) is given", "write mongodb://<access key id>:<secret key>@host, or give neither")
		}
		if pass && !user {
			return fail(-1, "MONGODB-AWS needs the access key id as the user name when a password is given", "write mongodb://<access key id>:<secret key>@host, or give neither")
		}
		if err := allowProps("AWS_SESSION_TOKEN"); err != nil {
			return err
		}
		if len(props) > 0 && !user {
			return fail(propPos, "AWS_SESSION_TOKEN needs the access key id and secret key in the user information", "write mongodb://<access key id>:<secret key>@host, or remove the token")
		}
		return external()
	case "GSSAPI":
		if !user {
			return fail(-1, "GSSAPI needs a user name (the Kerberos principal)", "write mongodb://user%40REALM@host")
		}
		if err := allowProps("SERVICE_NAME", "CANONICALIZE_HOST_NAME", "SERVICE_REALM", "SERVICE_HOST"); err != nil {
			return err
		}
		for _, kv := range props {
			if kv[0] == "CANONICALIZE_HOST_NAME" {
				switch kv[1] {
				case "none", "forward", "forwardAndReverse", "true", "false":
				default:
					return fail(propPos, fmt.Sprintf("CANONICALIZE_HOST_NAME %q is not none, forward or forwardAndReverse", shorten(kv[1], 40)), "write CANONICALIZE_HOST_NAME:none, forward or forwardAndReverse")
				}
			}
		}
		return external()
	case "MONGODB-OIDC":
		if p.hasPassword {
			return fail(-1, "MONGODB-OIDC takes no password: the identity provider's token proves who you are", "remove the password")
		}
		if err := allowProps("ENVIRONMENT", "TOKEN_RESOURCE"); err != nil {
			for _, kv := range props {
				if kv[0] == "ALLOWED_HOSTS" {
					return fail(propPos, "ALLOWED_HOSTS cannot be set in the connection string", "set ALLOWED_HOSTS in the driver's client options")
				}
			}
			return err
		}
		env, resource := "", false
		for _, kv := range props {
			switch kv[0] {
			case "ENVIRONMENT":
				env = kv[1]
			case "TOKEN_RESOURCE":
				resource = true
			}
		}
		switch env {
		case "", "test", "k8s":
			if env != "" && user {
				return fail(propPos, fmt.Sprintf("MONGODB-OIDC with ENVIRONMENT:%s takes no user name", env), "remove the user name")
			}
		case "azure", "gcp":
			if !resource {
				return fail(propPos, fmt.Sprintf("MONGODB-OIDC with ENVIRONMENT:%s needs TOKEN_RESOURCE (the token audience)", env), "add TOKEN_RESOURCE:<audience> to authMechanismProperties")
			}
		default:
			return fail(propPos, fmt.Sprintf("MONGODB-OIDC ENVIRONMENT %q is not test, azure, gcp or k8s", shorten(env, 40)), "write ENVIRONMENT:azure, gcp, k8s or test")
		}
		return external()
	}
	return nil
}

// isPlaceholderName reports whether s is one of the placeholders of
// connection strings copied from MongoDB Atlas and the documentation,
// which can be named without revealing a password.
func isPlaceholderName(s string) bool {
	switch lowerASCII(s) {
	case "<password>", "<db_password>", "<dbpassword>", "<pwd>", "<pass>", "<username>", "<user>", "<db_username>":
		return true
	}
	return false
}
