package redact

import (
	"regexp"
	"strings"
	"sync"
)

// The expressions of this file are compiled on first use: every command
// links this package, and most redact no free text (`mongoconn version`
// none at all), so compiling them at start-up would slow every start.

// SchemeRE finds the start of every connection string in a text.
var SchemeRE = schemeFinder{}

// schemeFinder is the scheme's expression, compiled on first use, with the
// methods of a *regexp.Regexp that its users call.
type schemeFinder struct{}

var schemeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)mongodb(?:\+srv)?://`)
})

// FindStringIndex is (*regexp.Regexp).FindStringIndex.
func (schemeFinder) FindStringIndex(s string) []int { return schemeRE().FindStringIndex(s) }

// FindAllStringIndex is (*regexp.Regexp).FindAllStringIndex.
func (schemeFinder) FindAllStringIndex(s string, n int) [][]int {
	return schemeRE().FindAllStringIndex(s, n)
}

// MatchString is (*regexp.Regexp).MatchString.
func (schemeFinder) MatchString(s string) bool { return schemeRE().MatchString(s) }

// exSecretRE finds key=value secrets outside URIs: password=...,
// pwd=..., tlsCertificateKeyFilePassword=... (the key, the separator, the
// value).
var exSecretRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b((?:tlsCertificateKeyFile|sslPEMKey|sslClientPEMKey)?(?:password|passwd|pwd))(\s*=\s*)("[^"\n]*"|'[^'\n]*'|[^\s&,;})\]]+)`)
})

// exQuotedSecretRE finds quoted secrets of JSON, JavaScript and Python
// objects: "password": "...", pwd: '...'. Prose such as "password: wrong"
// is left alone.
var exQuotedSecretRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(["']?\b(?:password|passwd|pwd)["']?)(\s*:\s*)("[^"\n]*"|'[^'\n]*')`)
})

// exEscapeRE finds the invalid percent-escape a URI parser quotes back,
// which is part of the password it failed to decode.
var exEscapeRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(invalid URL escape )"[^"\n]*"`)
})

// URITokenEnd are the characters that end a connection string inside a
// text: white space and the quotes and brackets that usually surround one.
const URITokenEnd = " \t\r\n\"'`<>"

// RedactText replaces every secret in a free text with ****: the password
// of every mongodb:// or mongodb+srv:// connection string it contains (even
// one whose password holds unescaped @ or / characters), and values of
// password=, pwd: and similar keys. It applies Redact, then masks what a
// driver's error can echo besides: the invalid percent-escape a parser
// quotes back from a password, and the whole user information up to the
// last @ of a connection string whose password holds unescaped @ or /.
func RedactText(s string) string {
	return exRedactSecrets(exRedactURIs(Redact(s)))
}

// exRedactURIs masks the password of each connection string in s. The user
// information runs from the scheme to the last @ before the string ends
// (white space, a quote, or the next scheme), so a password with an
// unescaped @ or / is masked whole; a text that is not a URI after all is at
// worst masked too much.
func exRedactURIs(s string) string {
	locs := schemeRE().FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := 0
	for i, loc := range locs {
		start := loc[1]
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if j := strings.IndexAny(s[start:end], URITokenEnd); j >= 0 {
			end = start + j
		}
		at := strings.LastIndexByte(s[start:end], '@')
		if at < 0 {
			continue
		}
		c := strings.IndexByte(s[start:start+at], ':')
		if c < 0 {
			continue // a user name alone is no secret
		}
		b.WriteString(s[prev : start+c+1])
		b.WriteString(exRedactedMark)
		prev = start + at
	}
	b.WriteString(s[prev:])
	return b.String()
}

// exRedactedMark replaces a secret.
const exRedactedMark = "****"

func exRedactSecrets(s string) string {
	s = exEscapeRE().ReplaceAllString(s, `${1}"`+exRedactedMark+`"`)
	s = exQuotedSecretRE().ReplaceAllStringFunc(s, func(m string) string {
		sub := exQuotedSecretRE().FindStringSubmatch(m)
		q := sub[3][:1]
		return sub[1] + sub[2] + q + exRedactedMark + q
	})
	return exSecretRE().ReplaceAllStringFunc(s, func(m string) string {
		sub := exSecretRE().FindStringSubmatch(m)
		if sub == nil {
			return m
		}
		v := sub[3]
		switch {
		case strings.HasPrefix(v, `"`):
			v = `"` + exRedactedMark + `"`
		case strings.HasPrefix(v, `'`):
			v = `'` + exRedactedMark + `'`
		default:
			v = exRedactedMark
		}
		return sub[1] + sub[2] + v
	})
}
