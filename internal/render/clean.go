package render

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean makes s safe to print on one terminal line. Much of a report
// comes from the network (set names, versions, error texts), so a peer
// could otherwise move the cursor, recolour the screen or reorder text:
// invalid UTF-8 becomes U+FFFD, tabs and line breaks become spaces, and
// other control and bidirectional-override characters are shown escaped
// (\x1b, \u202e).
func clean(s string) string {
	if printableASCII(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
			r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// width is the number of terminal columns s takes, counting one per rune
// (the report holds no wide characters of its own).
func width(s string) int { return utf8.RuneCountInString(s) }

// wrap breaks s into lines of at most max columns at spaces. A word
// longer than max (a URI) gets a line of its own and is never cut.
func wrap(s string, max int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	var lines []string
	line := words[0]
	for _, w := range words[1:] {
		if width(line)+1+width(w) > max {
			lines = append(lines, line)
			line = w
			continue
		}
		line += " " + w
	}
	return append(lines, line)
}
