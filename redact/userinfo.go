package redact

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/internal/ascii"
)

func (s Span) Empty() bool { return s.End <= s.Start }

// EscapeUserinfo percent-encodes a decoded user name or password: all but
// RFC 3986 unreserved characters and sub-delimiters.
func EscapeUserinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if UserinfoSafe(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// UserinfoSafe reports whether c may stand unescaped in user information
// (RFC 3986 unreserved characters and sub-delimiters).
func UserinfoSafe(c byte) bool {
	return ascii.IsAlnum(c) || strings.IndexByte("-._~!$&'()*+,;=", c) >= 0
}
