package redact

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EchoLimit is how many characters of a rejected input a message echoes:
// enough to recognise it, never the megabytes a hostile file or argument
// can hold.
const EchoLimit = 80

// Excerpt returns s when it has at most n characters (runes), else its
// first n, "…" and the length of the whole in bytes. Cut text can hide
// what marks a secret as one (the @ after a password), so s must be
// redacted before it is cut.
func Excerpt(s string, n int) string {
	if n < 0 || len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i >= len(s) {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:i], len(s))
}

// ShortenWords cuts every word of s (a run of characters other than white
// space) longer than n characters to its Excerpt, so that a message that
// quotes its input stays short however long the input is. As with
// Excerpt, s must be redacted first.
func ShortenWords(s string, n int) string {
	if len(s) <= n {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		b.WriteString(Excerpt(s[:end], n))
		s = s[end:]
		space := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) })
		if space < 0 {
			space = len(s)
		}
		b.WriteString(s[:space])
		s = s[space:]
	}
	return b.String()
}
