package probe

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// PasswordError says why a password from password_file or password_env
// cannot be put into a connection string.
type PasswordError struct{ Reason string }

func (e *PasswordError) Error() string { return e.Reason }

// withPassword puts password, percent-encoded, into the user information
// of uri (which must name a user and hold no password yet). Every byte but
// the unreserved characters of RFC 3986 is encoded, so that '@', ':', '/',
// '%' and '+' reach the driver as written.
func withPassword(uri, password string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "", &PasswordError{Reason: "the connection string has no scheme://, so there is no user to give the password to"}
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	at := strings.Index(rest[:end], "@")
	if at < 0 {
		return "", &PasswordError{Reason: "the connection string names no user: write the user before the host (" + scheme + "://USER@host/...) and keep the password in the file or variable"}
	}
	userinfo := rest[:at]
	if strings.Contains(userinfo, ":") {
		return "", &PasswordError{Reason: "the connection string already holds a password: remove it from the string, or drop password_file/password_env"}
	}
	if userinfo == "" {
		return "", &PasswordError{Reason: "the connection string has an empty user name before '@'"}
	}
	return scheme + "://" + userinfo + ":" + escapePassword(password) + rest[at:], nil
}

// escapePassword percent-encodes every byte of s except A-Z a-z 0-9 - . _ ~.
func escapePassword(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// secretList holds the secrets of a connection string and every form in
// which text may carry them (as written, percent-encoded in each way, with
// upper- or lower-case hex). Printing it shows ****.
type secretList struct {
	raw   []string
	forms []string
}

func newSecretList(secrets ...string) secretList {
	var l secretList
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			l.forms = append(l.forms, f)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		l.raw = append(l.raw, s)
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), escapePassword(s), strings.TrimPrefix(url.UserPassword("", s).String(), ":")} {
			add(f)
			add(lowerHex(f))
		}
	}
	return l
}

// appears reports whether any form of a secret is in s.
func (l secretList) appears(s string) bool {
	for _, f := range l.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

func (secretList) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "["+redactedSecret+"]") }

// lowerHex writes the hex digits of s's percent escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] != '%' {
			continue
		}
		for j := i + 1; j <= i+2; j++ {
			if b[j] >= 'A' && b[j] <= 'F' {
				b[j] += 'a' - 'A'
			}
		}
	}
	return string(b)
}
