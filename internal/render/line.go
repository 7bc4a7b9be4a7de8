package render

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Line makes s safe to print as one line outside a report (the tool's
// own error and hint lines, progress notes): control characters escaped,
// invalid UTF-8 shown as U+FFFD and line breaks as spaces, as in reports.
func Line(s string) string { return clean(s) }

// EscapeJSON rewrites, in encoded JSON, the characters encoding/json
// leaves raw that a terminal would act on: DEL (U+007F), the C1 controls
// (U+0080 to U+009F; U+009B is a one-character CSI to many terminals) and
// the bidirectional overrides, as \uXXXX escapes. JSON's own syntax is ASCII,
// so these can only stand inside strings, where the escape means the
// same character to any JSON reader. Invalid UTF-8 is left to the
// encoder, which already writes it as U+FFFD.
func EscapeJSON(b []byte) []byte {
	if !hasTerminalRune(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if (size > 1 || r == 0x7f) && terminalRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// terminalRune is a character encoding/json leaves raw that a terminal
// may act on.
func terminalRune(r rune) bool {
	return (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Bidi_Control, r)
}

// hasTerminalRune says whether b holds a character EscapeJSON rewrites;
// most JSON holds none, and is then returned as it is.
func hasTerminalRune(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			if b[i] == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if terminalRune(r) {
			return true
		}
		i += size
	}
	return false
}

// JSONEscaper is an io.Writer for encoders that write one JSON value per
// Write (log/slog's JSON handler): each is passed through EscapeJSON.
type JSONEscaper struct{ W io.Writer }

// Write escapes p and writes it whole; it reports len(p) on success.
func (e JSONEscaper) Write(p []byte) (int, error) {
	if _, err := e.W.Write(EscapeJSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
