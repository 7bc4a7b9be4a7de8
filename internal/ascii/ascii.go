// Package ascii holds the byte-wise case folding and character classes of
// protocol text (connection-string keys, schemes, percent escapes), where
// Unicode case folding would change lengths and offsets. It imports
// nothing of mongoconn.
package ascii

import (
	"strings"
)

func IsAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func IsAlnum(c byte) bool { return IsAlpha(c) || (c >= '0' && c <= '9') }

func IsHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func Unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func LowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Lower lower-cases A-Z only, so byte offsets never move (the
// connection-string specification normalises option keys this way).
func Lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = LowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

// HasPrefixFold is strings.HasPrefix ignoring ASCII case.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && Lower(s[:len(prefix)]) == Lower(prefix)
}

// IndexFold is strings.Index ignoring ASCII case; offsets are those of s.
func IndexFold(s, sub string) int {
	return strings.Index(Lower(s), Lower(sub))
}
