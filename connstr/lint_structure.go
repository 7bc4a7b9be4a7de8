package connstr

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
	"github.com/mongoconn/mongoconn/redact"
)

// uriCause explains a uri.* catalogue id when the catalogue has no cause.
func uriCause(id string) string {
	switch id {
	case catalogue.IDURIUnescapedCredentials:
		return "The user name and password sit between \"://\" and \"@\", so '@', ':', '/', '?', '#', '[', ']', '%' and spaces in them must be percent-encoded; otherwise drivers cannot tell where the password ends and the host begins."
	case catalogue.IDURIUnknownOption:
		return "Drivers ignore connection-string options they do not know and option values they cannot use, with at most a log line, so a misspelt option silently has no effect."
	case catalogue.IDURIDirectMultipleHosts:
		return "directConnection=true makes the driver talk to one server only, so the connection string must name exactly one host and cannot be a mongodb+srv seed list."
	case catalogue.IDURISRVWithPort:
		return "A mongodb+srv connection string names one DNS name whose SRV records list the hosts and ports; a port or a second host is not allowed and drivers refuse the string before any DNS lookup."
	default:
		return "Drivers refuse this connection string before connecting, so nothing is tried on the network."
	}
}

// errAt builds a *URIError pointing at raw offset pos (-1: unknown).
func (p *connParts) errAt(id string, pos int, msg, hint string) *URIError {
	// Redact once more: a string that is not a connection string at all
	// (a whole one percent-encoded, say) has no user information for the
	// structural redaction to hide.
	// Words quoted from the input are cut to a short excerpt.
	e := &URIError{ID: id, Redacted: redact.Redact(p.redacted), Pos: -1,
		Msg:  redact.ShortenWords(redact.Redact(msg), redact.EchoLimit),
		Hint: redact.ShortenWords(redact.Redact(hint), redact.EchoLimit)}
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
		e := p.errAt(catalogue.IDURIInvalid, 0, "the connection string is empty",
			"give a connection string such as "+DefaultURI+", or set MONGODB_URI")
		e.SuggestedURI = DefaultURI
		return e
	}
	if trimmed := strings.TrimSpace(raw); trimmed != raw {
		pos := 0
		if strings.HasPrefix(raw, trimmed) {
			pos = len(trimmed)
		}
		e := p.errAt(catalogue.IDURIInvalid, pos, "the connection string starts or ends with white space (a copied newline?)",
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
		if e := p.quotedOrColonless(); e != nil {
			return e
		}
		e := p.errAt(catalogue.IDURIInvalid, 0, `missing scheme: a connection string starts with "mongodb://" (or "mongodb+srv://" for a DNS seed list)`,
			`put "mongodb://" in front`)
		e.SuggestedURI = "mongodb://" + p.redacted
		return e
	}
	scheme := raw[p.schemeSpan.Start:p.schemeSpan.End]
	sep := raw[p.sepSpan.Start:p.sepSpan.End]
	lower := ascii.Lower(scheme)
	switch {
	case lower == SchemeMongoDB || lower == SchemeMongoDBSRV:
		if sep != "://" {
			e := p.errAt(catalogue.IDURIInvalid, p.sepSpan.Start, fmt.Sprintf(`the scheme %q must be followed by "://"`, lower),
				fmt.Sprintf(`write %s:// before the hosts`, lower))
			e.SuggestedURI = lower + "://" + p.restRedacted()
			return e
		}
		if scheme != lower {
			e := p.errAt(catalogue.IDURIInvalid, 0, fmt.Sprintf("the scheme %q must be lower-case: drivers accept only %q and %q", scheme, SchemeMongoDB, SchemeMongoDBSRV),
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
	case ascii.EditDistance(lower, SchemeMongoDBSRV) < ascii.EditDistance(lower, SchemeMongoDB):
		want = SchemeMongoDBSRV
	}
	e := p.errAt(catalogue.IDURIInvalid, 0, msg, fmt.Sprintf("did you mean %s://?", want))
	e.SuggestedURI = want + "://" + p.restRedacted()
	return e
}

// quotedOrColonless names two shapes of a string that has no scheme
// because of a slip rather than a misunderstanding: a connection string
// inside quotes (docker run --env-file and kubectl create configmap
// --from-env-file keep the quotes of KEY="VALUE" as part of the value),
// and "mongodb//host" with the colon missing. It returns nil for any
// other string.
func (p *connParts) quotedOrColonless() *URIError {
	raw := p.raw
	if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'') {
		q := raw[0]
		inner := raw[1:]
		if inner[len(inner)-1] == q {
			inner = inner[:len(inner)-1]
		}
		if ascii.HasPrefixFold(inner, SchemeMongoDB+":") || ascii.HasPrefixFold(inner, SchemeMongoDBSRV+":") {
			e := p.errAt(catalogue.IDURIInvalid, 0, fmt.Sprintf("the connection string is wrapped in %s quotes, which are part of the value", quoteName(q)),
				"remove the quotes: docker run --env-file and kubectl create configmap --from-env-file keep them when a line reads KEY=\"VALUE\"; write KEY=VALUE")
			e.SuggestedURI = splitConnString(inner).redacted
			// Mask the password as the string without quotes would.
			e.Redacted = redact.Redact(raw[:1] + e.SuggestedURI + raw[1+len(inner):])
			return e
		}
	}
	for _, sch := range []string{SchemeMongoDBSRV, SchemeMongoDB} {
		if ascii.HasPrefixFold(raw, sch+"//") {
			e := p.errAt(catalogue.IDURIInvalid, len(sch), fmt.Sprintf(`the ':' after %q is missing: a connection string starts with "%s://"`, raw[:len(sch)], sch),
				fmt.Sprintf("write %s:// (with the colon)", sch))
			e.SuggestedURI = splitConnString(sch + "://" + raw[len(sch)+2:]).redacted
			return e
		}
	}
	return nil
}

func quoteName(q byte) string {
	if q == '"' {
		return "double"
	}
	return "single"
}

// credentialProblem describes the first character of a user name or
// password (as written) that must be percent-encoded: its offset and a
// description, or -1.
func credentialProblem(s string, password bool) (int, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 < len(s) && ascii.IsHex(s[i+1]) && ascii.IsHex(s[i+2]) {
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
		case c >= 0x80 || redact.UserinfoSafe(c):
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
		if c == '%' && i+2 < len(s) && ascii.IsHex(s[i+1]) && ascii.IsHex(s[i+2]) {
			i += 2
			continue
		}
		if redact.UserinfoSafe(c) || c >= 0x80 || (c == ':' && !password) || seen[c] {
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
	user := raw[p.userSpan.Start:p.userSpan.End]
	pass := ""
	if p.hasPassword {
		pass = raw[p.passSpan.Start:p.passSpan.End]
	}
	for _, ph := range []struct {
		text string
		span redact.Span
		what string
	}{{user, p.userSpan, "user name"}, {pass, p.passSpan, "password"}} {
		if len(ph.text) > 2 && ph.text[0] == '<' && ph.text[len(ph.text)-1] == '>' && !strings.ContainsAny(ph.text[1:len(ph.text)-1], "<>") {
			shownText := ph.text
			if ph.what == "password" {
				shownText = "<" + redact.RedactedSecret + ">"
				if isPlaceholderName(ph.text) {
					shownText = ph.text
				}
			}
			return p.errAt(catalogue.IDURIInvalid, ph.span.Start, fmt.Sprintf("the %s is still the placeholder %s of a copied connection string", ph.what, shorten(shownText, 40)),
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
			suggested += ":" + redact.RedactedSecret
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
			e = p.errAt(catalogue.IDURIUnescapedCredentials, p.userSpan.Start+userAt, "the user name contains "+userWhat, hint)
		} else {
			e = p.errAt(catalogue.IDURIUnescapedCredentials, p.passSpan.Start+passAt, "the password contains "+passWhat, hint)
		}
		e.SuggestedURI = suggested
		return e
	}
	var err error
	if p.username, err = url.PathUnescape(user); err != nil {
		return p.errAt(catalogue.IDURIUnescapedCredentials, p.userSpan.Start, "the user name is not correctly percent-encoded", "percent-encode the user name")
	}
	if p.password, err = url.PathUnescape(pass); err != nil {
		return p.errAt(catalogue.IDURIUnescapedCredentials, p.passSpan.Start, "the password is not correctly percent-encoded", "percent-encode the password")
	}
	if p.username == "" {
		e := p.errAt(catalogue.IDURIInvalid, p.userSpan.Start, "the user information before '@' has no user name",
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
	if hs.Empty() {
		rest := raw[hs.Start:]
		if strings.HasPrefix(rest, "/") {
			path := rest
			if k := strings.IndexAny(path[1:], "?"); k >= 0 {
				path = path[:k+1]
			}
			if k := strings.Index(path, ".sock"); k >= 0 {
				sock := path[:k+len(".sock")]
				e := p.errAt(catalogue.IDURIInvalid, hs.Start, fmt.Sprintf("the host is missing; %q looks like a UNIX domain socket path, which must be percent-encoded", sock),
					"write the socket path with %2F for each '/'")
				e.SuggestedURI = p.red(0, hs.Start) + strings.ReplaceAll(sock, "/", "%2F") + p.red(hs.Start+len(sock), len(raw))
				return e
			}
		}
		e := p.errAt(catalogue.IDURIInvalid, hs.Start, "missing host: no host name follows "+p.schemeText()+"://",
			"add a host, such as localhost:27017")
		e.SuggestedURI = p.red(0, hs.Start) + "localhost:27017" + p.red(hs.Start, len(raw))
		return e
	}
	text := raw[hs.Start:hs.End]
	start := hs.Start
	for i, part := range strings.Split(text, ",") {
		sp := redact.Span{Start: start, End: start + len(part)}
		start = sp.End + 1
		if part == "" {
			pos := sp.Start
			if i > 0 {
				pos = sp.Start - 1
			}
			e := p.errAt(catalogue.IDURIInvalid, pos, "empty host in the seed list (an extra comma?)", "remove the extra comma")
			e.SuggestedURI = p.red(0, hs.Start) + joinNonEmpty(strings.Split(text, ",")) + p.red(hs.End, len(raw))
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
	return ascii.Lower(p.raw[p.schemeSpan.Start:p.schemeSpan.End])
}

// parseHost checks one host identifier (as written at sp).
func (p *connParts) parseHost(part string, sp redact.Span) (*hostPart, error) {
	h := &hostPart{bspan: sp}
	hostText, portText, portAt := part, "", -1
	if strings.HasPrefix(part, "[") {
		end := strings.IndexByte(part, ']')
		if end < 0 {
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start, "an IPv6 address is missing its closing ']'", "write IPv6 addresses as [::1]:27017")
		}
		inner, err := url.PathUnescape(part[1:end])
		if err != nil {
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+1, "the IPv6 address is not correctly percent-encoded", "write the zone as %25, e.g. [fe80::1%25eth0]")
		}
		if _, err := netip.ParseAddr(inner); err != nil || !strings.Contains(inner, ":") {
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+1, fmt.Sprintf("%q is not an IPv6 address", inner), "only IPv6 addresses go in brackets, e.g. [::1]:27017")
		}
		h.host, h.ipv6 = inner, true
		after := part[end+1:]
		switch {
		case after == "":
		case after[0] == ':':
			portText, portAt = after[1:], sp.Start+end+2
		default:
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+end+1, "unexpected text after the IPv6 address", "write [address]:port")
		}
	} else {
		decoded, err := url.QueryUnescape(part)
		if err != nil {
			k := strings.IndexByte(part, '%')
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+max(k, 0), "the host has a '%' that does not start a %XX escape", "percent-encode '%' as %25")
		}
		if strings.Contains(decoded, "/") {
			if !strings.HasSuffix(decoded, ".sock") {
				return nil, p.errAt(catalogue.IDURIInvalid, sp.Start, fmt.Sprintf("the host %q looks like a UNIX domain socket path, which must end in .sock", decoded),
					"name the socket file, such as %2Ftmp%2Fmongodb-27017.sock")
			}
			h.host, h.unix = decoded, true
			return h, nil
		}
		switch n := strings.Count(part, ":"); {
		case n == 1:
			c := strings.IndexByte(part, ':')
			hostText, portText, portAt = part[:c], part[c+1:], sp.Start+c+1
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
				e := p.errAt(catalogue.IDURIInvalid, sp.Start, "an IPv6 address must be written in brackets", "write [address]:port, such as [::1]:27017")
				e.SuggestedURI = p.red(0, sp.Start) + fixed + p.red(sp.End, len(p.raw))
				return nil, e
			}
			second := c + 1 + strings.IndexByte(part[c+1:], ':')
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+second, fmt.Sprintf("the host %q has more than one ':'", part), "write host:port with a single ':'")
		}
		if hostText == "" {
			return nil, p.errAt(catalogue.IDURIInvalid, sp.Start, "a host name is missing before ':'", "write host:port, such as localhost:27017")
		}
		for i := 0; i < len(hostText); i++ {
			if hostBad(hostText[i]) {
				return nil, p.errAt(catalogue.IDURIInvalid, sp.Start+i, fmt.Sprintf("the host name contains the character %q", hostText[i]), "host names hold letters, digits, '-', '_' and '.'")
			}
		}
		h.host, _ = url.QueryUnescape(hostText)
	}
	if portAt >= 0 {
		port, err := p.parsePort(portText, portAt)
		if err != nil {
			return nil, err
		}
		h.port, h.portSpan = port, redact.Span{Start: portAt, End: portAt + len(portText)}
	}
	return h, nil
}

func (p *connParts) parsePort(text string, at int) (int, error) {
	if text == "" {
		return 0, p.errAt(catalogue.IDURIInvalid, at, "the port after ':' is missing", "write the port number (27017 by default) or remove the ':'")
	}
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0, p.errAt(catalogue.IDURIInvalid, at+i, "the port is not a number", "write a port number between 1 and 65535 (27017 by default)")
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > 65535 {
		return 0, p.errAt(catalogue.IDURIInvalid, at, fmt.Sprintf("the port %s is out of range: ports are 1 to 65535", shorten(text, 12)), "write a port number between 1 and 65535 (27017 by default)")
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
		return p.errAt(catalogue.IDURIInvalid, first.bspan.Start, "mongodb+srv needs a DNS host name, not an IP address or socket path",
			"use mongodb:// to connect to an address")
	}
	if len(p.hosts) > 1 {
		e := p.errAt(catalogue.IDURISRVWithPort, p.hosts[1].bspan.Start-1, fmt.Sprintf("mongodb+srv takes exactly one host name (the DNS seed-list name); this string has %d", len(p.hosts)),
			"keep the one SRV name, or use mongodb:// with every host:port of the seed list")
		e.SuggestedURI = p.red(0, p.hostsSpan.Start) + fixed + p.red(p.hostsSpan.End, len(raw))
		return e
	}
	if first.port != 0 || !first.portSpan.Empty() {
		e := p.errAt(catalogue.IDURISRVWithPort, first.portSpan.Start-1, "a mongodb+srv host name cannot have a port: the SRV records give the ports",
			"remove the port, or use mongodb://host:port to connect to one host")
		e.SuggestedURI = p.red(0, p.hostsSpan.Start) + fixed + p.red(p.hostsSpan.End, len(raw))
		return e
	}
	return nil
}

func (p *connParts) checkDatabase() error {
	if p.dbSpan.Empty() {
		return nil
	}
	text := p.raw[p.dbSpan.Start:p.dbSpan.End]
	db, err := url.PathUnescape(text)
	if err != nil {
		k := strings.IndexByte(text, '%')
		return p.errAt(catalogue.IDURIInvalid, p.dbSpan.Start+max(k, 0), "the database name has a '%' that does not start a %XX escape", "percent-encode '%' as %25")
	}
	if k := strings.IndexAny(db, "/\\ \"$"); k >= 0 {
		return p.errAt(catalogue.IDURIInvalid, p.dbSpan.Start, fmt.Sprintf("the database name %q contains %q, which database names cannot hold", db, db[k]),
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
			e := p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("the option %q has no value: options are written key=value", o.key),
				fmt.Sprintf("write %s=<value>, or remove it", o.key))
			return e
		case o.rawKey == "":
			return p.errAt(catalogue.IDURIInvalid, o.bspan.Start, "an option has no name before '='", "write key=value")
		case o.keyErr != nil:
			return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, "the option name is not correctly percent-encoded", "percent-encode '%' as %25")
		case o.valueErr != nil:
			msg := fmt.Sprintf("the value of %s is not correctly percent-encoded", o.key)
			return p.errAt(catalogue.IDURIInvalid, o.valueSpan.Start, msg, "percent-encode '%' as %25 and '&' as %26 in option values")
		}
	}
	return nil
}

// isPlaceholderName reports whether s is one of the placeholders of
// connection strings copied from MongoDB Atlas and the documentation,
// which can be named without revealing a password.
func isPlaceholderName(s string) bool {
	switch ascii.Lower(s) {
	case "<password>", "<db_password>", "<dbpassword>", "<pwd>", "<pass>", "<username>", "<user>", "<db_username>":
		return true
	}
	return false
}
