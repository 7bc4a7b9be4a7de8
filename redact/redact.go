// Package redact replaces secrets with **** in strings, connection
// strings and free text: passwords in user information, secret option
// values (proxyPassword, tlsCertificateKeyFilePassword, AWS session
// tokens) and any spelling of them a driver may echo. Every output path
// of mongoconn goes through it. It imports no package of mongoconn but
// internal/ascii.
package redact

import (
	"net/url"
	"sort"
	"strings"

	"github.com/mongoconn/mongoconn/internal/ascii"
)

// RedactedSecret replaces every secret mongoconn prints.
const RedactedSecret = "****"

// minWholeSecret is the shortest secret RedactSecrets replaces wherever it
// occurs. Shorter secrets (one to three bytes) would turn ordinary text such
// as port numbers into noise, so they are replaced only where they stand as
// a word of their own.
const minWholeSecret = 4

// Redact replaces, with ****, every secret in s:
//
//   - the password of any connection string found anywhere in s
//     (mongodb://, mongodb+srv:// or any other scheme://user:password@),
//     also when the whole connection string is percent-encoded
//     (mongodb%3A%2F%2Fuser%3Apassword%40host);
//   - the value of tlsCertificateKeyFilePassword,
//     sslClientCertificateKeyPassword, proxyPassword and of any key=value
//     whose key names a password, passphrase, secret or token;
//   - the AWS_SESSION_TOKEN entry of authMechanismProperties.
//
// s may be a whole error message holding several connection strings. User
// names, hosts and options stay readable. Redact is idempotent.
func Redact(s string) string {
	return Apply(s, findSecretSpans(s))
}

// maxPasswordExtension bounds how far past a space Redact looks for the
// '@' that ends a password holding white space: no real password is that
// long, and the bound keeps Redact linear on texts with many "scheme://".
const maxPasswordExtension = 256

// RedactSecrets is Redact plus the literal replacement of known secrets
// (as written and in their percent-encoded forms): use it on error texts
// from the driver or the network, which may echo a password outside any
// connection string. Empty secrets are ignored; secrets shorter than four
// bytes are replaced only where they stand as a word of their own.
func RedactSecrets(s string, secrets ...string) string {
	forms := secretForms(secrets)
	for _, f := range forms {
		s = replaceSecret(s, f)
	}
	return Redact(s)
}

// Span is a half-open byte range [start, end).
type Span struct{ Start, End int }

// Apply replaces the spans (in any order, possibly overlapping)
// of s with RedactedSecret. Empty spans are kept as they are.
func Apply(s string, spans []Span) string {
	spans = MergeSpans(spans)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.Start])
		b.WriteString(RedactedSecret)
		last = sp.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// MergeSpans sorts spans, drops empty ones and merges overlapping or
// touching ones.
func MergeSpans(spans []Span) []Span {
	out := make([]Span, 0, len(spans))
	for _, sp := range spans {
		if sp.End > sp.Start {
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, sp := range out {
		if n := len(merged); n > 0 && sp.Start <= merged[n-1].End {
			if sp.End > merged[n-1].End {
				merged[n-1].End = sp.End
			}
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// findSecretSpans returns the byte ranges of every secret Redact hides.
func findSecretSpans(s string) []Span {
	var spans []Span
	spans = append(spans, uriPasswordSpans(s)...)
	spans = append(spans, keyValueSecretSpans(s)...)
	spans = append(spans, AWSTokenSpans(s)...)
	spans = append(spans, escapeErrorSpans(s)...)
	return spans
}

// escapeErrorSpans finds the text Go's URL decoder quotes in
// `invalid URL escape "%zz"`: it is a piece of the value it failed to
// decode, often a password.
func escapeErrorSpans(s string) []Span {
	const marker = `invalid url escape "`
	lower := ascii.Lower(s)
	var spans []Span
	for i := 0; ; {
		k := strings.Index(lower[i:], marker)
		if k < 0 {
			return spans
		}
		start := i + k + len(marker)
		end := strings.IndexByte(s[start:], '"')
		if end < 0 {
			end = len(s) - start
		}
		spans = append(spans, Span{start, start + end})
		i = start + end
	}
}

// unit is one character of a possibly percent-encoded text: the byte it
// stands for and where it is written.
type unit struct {
	b          byte
	start, end int
	raw        bool // written as itself, not as %XX
}

// isTextTerminator reports whether a raw byte ends a connection string
// embedded in free text.
func isTextTerminator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '"', '<', '>', '`':
		return true
	}
	return false
}

// uriPasswordSpans finds "scheme://" (plain or percent-encoded) in s and
// returns the password range of each connection string that follows.
func uriPasswordSpans(s string) []Span {
	var spans []Span
	for i := 0; i < len(s); {
		// Every separator starts with ':' or '%': skip to the next one.
		k := strings.IndexAny(s[i:], ":%")
		if k < 0 {
			break
		}
		i += k
		sepLen, encoded := schemeSeparatorAt(s, i)
		if sepLen == 0 || !schemeBefore(s, i) {
			i++
			continue
		}
		start := i + sepLen
		units, end := collectUnits(s, start, encoded)
		sp, ok := passwordInUnits(s, units, end, encoded)
		if !ok {
			// No password here: a connection string may still hide inside
			// this one, percent-encoded (mongodb://mongodb%3A%2F%2Fu%3Ap%40h).
			i = start
			continue
		}
		spans = append(spans, sp)
		if sp.End > end {
			end = sp.End
		}
		if end <= i {
			end = i + 1
		}
		i = end
	}
	return spans
}

// schemeSeparatorAt reports whether "://" (or its percent-encoded forms
// "%3A%2F%2F" and "%3A//") starts at i, and its length.
func schemeSeparatorAt(s string, i int) (n int, encoded bool) {
	switch {
	case strings.HasPrefix(s[i:], "://"):
		return 3, false
	case ascii.HasPrefixFold(s[i:], "%3A%2F%2F"):
		return 9, true
	case ascii.HasPrefixFold(s[i:], "%3A//"):
		return 5, true
	}
	return 0, false
}

// schemeBefore reports whether a URI scheme (a letter, then letters,
// digits, '+', '-' or '.') ends at i. A '+' may also be written %2B.
func schemeBefore(s string, i int) bool {
	j := i
	for j > 0 {
		c := s[j-1]
		if ascii.IsAlnum(c) || c == '+' || c == '-' || c == '.' {
			j--
			continue
		}
		if j >= 3 && ascii.HasPrefixFold(s[j-3:], "%2B") {
			j -= 3
			continue
		}
		break
	}
	for j < i && !ascii.IsAlpha(s[j]) {
		j++
	}
	return j < i
}

// collectUnits reads the characters of a connection string starting at
// start until the end of s or a terminator, decoding %XX when encoded.
// It returns the units and the byte offset where reading stopped.
func collectUnits(s string, start int, encoded bool) ([]unit, int) {
	var units []unit
	i := start
	for i < len(s) {
		c := s[i]
		if isTextTerminator(c) || (encoded && c == '&') {
			break
		}
		if encoded && c == '%' && i+2 < len(s) && ascii.IsHex(s[i+1]) && ascii.IsHex(s[i+2]) {
			units = append(units, unit{b: ascii.Unhex(s[i+1])<<4 | ascii.Unhex(s[i+2]), start: i, end: i + 3})
			i += 3
			continue
		}
		units = append(units, unit{b: c, start: i, end: i + 1, raw: true})
		i++
	}
	return units, i
}

// passwordInUnits finds the password of the connection string whose
// characters (after "://") are units. end is where the units stop in s.
func passwordInUnits(s string, units []unit, end int, encoded bool) (Span, bool) {
	text := make([]byte, len(units))
	for k, u := range units {
		text[k] = u.b
	}
	at := UserinfoEnd(string(text))
	if at < 0 {
		return extendedPassword(s, units, end, encoded)
	}
	colon := strings.IndexByte(string(text[:at]), ':')
	if colon < 0 || colon+1 == at {
		return Span{}, false
	}
	return Span{units[colon+1].start, units[at].start}, true
}

// extendedPassword handles a connection string cut short by a terminator
// inside its password ("mongodb://user:pass word@host"): when the text
// read so far looks like "user:password" rather than "host:port", the
// password runs to the next '@' on the same line.
func extendedPassword(s string, units []unit, end int, encoded bool) (Span, bool) {
	colon := -1
	for k, u := range units {
		if u.b == ':' {
			colon = k
			break
		}
		if u.b == '/' || u.b == '?' || u.b == ',' || u.b == '[' {
			return Span{}, false
		}
	}
	if colon < 0 || end >= len(s) {
		return Span{}, false
	}
	// "host:27017" followed by text is a port, not a password.
	digits := true
	for _, u := range units[colon+1:] {
		if u.b == '/' || u.b == '?' || u.b == ',' {
			break
		}
		if u.b < '0' || u.b > '9' {
			digits = false
			break
		}
	}
	if digits {
		return Span{}, false
	}
	line := s[end:]
	if nl := strings.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	if len(line) > maxPasswordExtension {
		line = line[:maxPasswordExtension]
	}
	at := strings.IndexByte(line, '@')
	if encoded {
		if k := ascii.IndexFold(line, "%40"); k >= 0 && (at < 0 || k < at) {
			at = k
		}
	}
	if at < 0 {
		return Span{}, false
	}
	start := end
	if colon+1 < len(units) {
		start = units[colon+1].start
	}
	return Span{start, end + at}, true
}

// UserinfoEnd returns the index of the '@' that ends the user information
// in rest (a connection string after "://"), or -1. It is the last '@'
// that is not inside an option value, where an '@' is inside an option
// value when an '=' lies between the first '?' and it. Valid strings have
// at most one such '@'; for invalid ones (a password holding a raw '@' or
// '/'), taking the last keeps the whole password in the user information.
//
// One exception: when no '@' comes before the first '?' and the text before
// it reads "user:password" rather than "host:port", that '?' is taken to be
// part of a password, and the last '@' of all ends the user information.
func UserinfoEnd(rest string) int {
	limit := len(rest)
	if q := strings.IndexByte(rest, '?'); q >= 0 && !(strings.IndexByte(rest[:q], '@') < 0 && passwordColon(rest[:q])) {
		if eq := strings.IndexByte(rest[q+1:], '='); eq >= 0 {
			limit = q + 1 + eq
		}
	}
	return strings.LastIndexByte(rest[:limit], '@')
}

// passwordColon reports whether s has a ':' (outside brackets) followed by
// something other than a port number.
func passwordColon(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth > 0 {
				continue
			}
			after := s[i+1:]
			if k := strings.IndexAny(after, "/,"); k >= 0 {
				after = after[:k]
			}
			if after == "" {
				return false
			}
			for j := 0; j < len(after); j++ {
				if after[j] < '0' || after[j] > '9' {
					return true
				}
			}
			return false
		}
	}
	return false
}

// secretKeyWords mark a key=value whose value is a secret.
var secretKeyWords = [...]string{"password", "passwd", "passphrase", "secret", "token"}

// IsSecretKey reports whether an option or variable named key holds a
// secret (key in any case).
func IsSecretKey(key string) bool {
	k := ascii.Lower(key)
	for _, w := range secretKeyWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// keyValueSecretSpans finds key=value pairs (also key%3Dvalue) whose key
// names a secret and returns the value ranges.
func keyValueSecretSpans(s string) []Span {
	var spans []Span
	for i := 0; i < len(s); i++ {
		sepLen := 0
		switch {
		case s[i] == '=':
			sepLen = 1
		case s[i] == '%' && ascii.HasPrefixFold(s[i:], "%3D"):
			sepLen = 3
		default:
			continue
		}
		k := keyStart(s, i)
		if k == i || !IsSecretKey(decodeKeyChars(s[k:i])) {
			continue
		}
		if sp, ok := secretValue(s, i+sepLen, false); ok {
			spans = append(spans, sp)
			i = sp.End - 1 // the value is hidden whole: skip it
		}
	}
	return spans
}

// keyStart returns where the key that ends at i starts: the run of key
// characters before i, each written as itself or percent-encoded (the
// driver decodes option keys, so tlsCertificateKeyFile%50assword is
// tlsCertificateKeyFilePassword).
func keyStart(s string, i int) int {
	k := i
	for k > 0 {
		switch {
		case k >= 3 && s[k-3] == '%' && ascii.IsHex(s[k-2]) && ascii.IsHex(s[k-1]) && isKeyChar(ascii.Unhex(s[k-2])<<4|ascii.Unhex(s[k-1])):
			k -= 3
		case isKeyChar(s[k-1]):
			k--
		default:
			return k
		}
	}
	return k
}

// decodeKeyChars decodes the %XX escapes of a key found by keyStart.
func decodeKeyChars(key string) string {
	if !strings.Contains(key, "%") {
		return key
	}
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		if key[i] == '%' && i+2 < len(key) && ascii.IsHex(key[i+1]) && ascii.IsHex(key[i+2]) {
			b = append(b, ascii.Unhex(key[i+1])<<4|ascii.Unhex(key[i+2]))
			i += 2
			continue
		}
		b = append(b, key[i])
	}
	return string(b)
}

// AWSTokenSpans finds AWS_SESSION_TOKEN:value (or =, %3A, %3D) and returns
// the value ranges. The name may be percent-encoded (AWS_SESSION_T%4FKEN),
// since the driver decodes the option value before reading its entries.
func AWSTokenSpans(s string) []Span {
	const key = "aws_session_token"
	var spans []Span
	for i := 0; i < len(s); i++ {
		sepLen := 0
		switch {
		case s[i] == ':' || s[i] == '=':
			sepLen = 1
		case s[i] == '%' && (ascii.HasPrefixFold(s[i:], "%3A") || ascii.HasPrefixFold(s[i:], "%3D")):
			sepLen = 3
		default:
			continue
		}
		if !strings.HasSuffix(ascii.Lower(decodeKeyChars(s[keyStart(s, i):i])), key) {
			continue
		}
		if sp, ok := secretValue(s, i+sepLen, true); ok {
			spans = append(spans, sp)
			i = sp.End - 1
		}
	}
	return spans
}

// secretValue returns the range of a secret value starting at start: up to
// the next separator of options ('&', ';', their encoded forms, and ','
// when inList), whitespace or quote. A quoted value runs to its closing
// quote.
func secretValue(s string, start int, inList bool) (Span, bool) {
	if start >= len(s) {
		return Span{}, false
	}
	if q := s[start]; q == '"' || q == '\'' {
		if end := strings.IndexByte(s[start+1:], q); end >= 0 {
			return Span{start + 1, start + 1 + end}, end > 0
		}
	}
	end := start
	for end < len(s) {
		c := s[end]
		if c == '&' || c == ';' || c == '\'' || isTextTerminator(c) || (inList && c == ',') {
			break
		}
		if c == '%' && (ascii.HasPrefixFold(s[end:], "%26") || (inList && ascii.HasPrefixFold(s[end:], "%2C"))) {
			break
		}
		end++
	}
	return Span{start, end}, end > start
}

// secretForms returns every way the secrets may be written, longest first.
func secretForms(secrets []string) []string {
	seen := map[string]bool{}
	var forms []string
	add := func(f string) {
		if f != "" && f != RedactedSecret && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), EscapeUserinfo(sec)} {
			add(f)
			add(lowerHexEscapes(f))
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// replaceSecret replaces secret in s with RedactedSecret: everywhere when
// it is long enough to be unmistakable, else only as a word of its own.
func replaceSecret(s, secret string) string {
	if len(secret) >= minWholeSecret {
		return strings.ReplaceAll(s, secret, RedactedSecret)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], secret)
		if k < 0 {
			b.WriteString(s[i:])
			break
		}
		p := i + k
		q := p + len(secret)
		if (p == 0 || !ascii.IsAlnum(s[p-1])) && (q == len(s) || !ascii.IsAlnum(s[q])) {
			b.WriteString(s[i:p])
			b.WriteString(RedactedSecret)
		} else {
			b.WriteString(s[i:q])
		}
		i = q
	}
	return b.String()
}

// lowerHexEscapes rewrites %XX escapes with lower-case hex digits.
func lowerHexEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && ascii.IsHex(b[i+1]) && ascii.IsHex(b[i+2]) {
			b[i+1] = ascii.LowerByte(b[i+1])
			b[i+2] = ascii.LowerByte(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func isKeyChar(c byte) bool { return ascii.IsAlnum(c) || c == '_' || c == '-' || c == '.' }
