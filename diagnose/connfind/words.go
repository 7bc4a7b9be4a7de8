package connfind

import "strings"

// ShellQuote quotes s for a POSIX shell when it holds anything but
// characters that are safe bare.
func ShellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-~", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// MechList formats mechanisms for evidence.
func MechList(m []string) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(m, ", ")
}

// OneLine is the first line of s.
func OneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
