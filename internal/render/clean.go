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
// longer than max (a URI) gets a line of its own and is never cut, and
// neither is a `code span`: a command to copy stays on one line.
func wrap(s string, max int) []string {
	words := wrapWords(s)
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

// wrapWords splits s at white space, except inside backquotes: a
// `code span` is one word. With an unpaired backquote, every space
// splits.
func wrapWords(s string) []string {
	if strings.Count(s, "`")%2 != 0 {
		return strings.Fields(s)
	}
	var out []string
	start, code := -1, false
	for i, r := range s {
		switch {
		case r == '`':
			code = !code
		case !code && unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}
