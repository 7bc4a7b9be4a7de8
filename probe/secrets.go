package probe

import "strings"

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
