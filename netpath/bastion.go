package netpath

import (
	"net"
	"strconv"
	"strings"
)

// DefaultSSHPort is the bastion's port when --ssh gives none.
const DefaultSSHPort = 22

// maxHostLen bounds a host name (RFC 1035: 255 bytes).
const maxHostLen = 255

// Bastion is the SSH server of --ssh [USER@]HOST[:PORT].
type Bastion struct {
	User string // "" when the value names none
	Host string // a name or an IP (IPv6 without brackets)
	Port int
}

// Addr is the bastion's HOST:PORT.
func (b Bastion) Addr() string { return net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) }

// String is the [USER@]HOST:PORT form, which ParseBastion reads back.
func (b Bastion) String() string {
	if b.User == "" {
		return b.Addr()
	}
	return b.User + "@" + b.Addr()
}

// BastionError is a --ssh value that cannot be read.
type BastionError struct {
	Value  string
	Reason string
}

func (e *BastionError) Error() string {
	return "--ssh " + strconv.Quote(e.Value) + ": " + e.Reason + " (want [USER@]HOST[:PORT])"
}

// ParseBastion reads [USER@]HOST[:PORT], as ssh -J does: an IPv6 address
// goes in brackets when a port follows ([::1]:2222), the user is what
// precedes the last @, and the port defaults to 22. An ssh:// prefix is
// accepted.
func ParseBastion(s string) (Bastion, error) {
	fail := func(reason string) (Bastion, error) {
		return Bastion{}, &BastionError{Value: s, Reason: reason}
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fail("contains a space or a control character")
		}
	}
	rest := s
	if strings.HasPrefix(strings.ToLower(rest), "ssh://") {
		rest = strings.TrimSuffix(rest[len("ssh://"):], "/")
	}
	var b Bastion
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		b.User, rest = rest[:at], rest[at+1:]
		if b.User == "" {
			return fail("the user before @ is empty")
		}
		if strings.ContainsAny(b.User, "/[]") {
			return fail("the user contains / or brackets")
		}
	}
	host, port := rest, ""
	switch {
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return fail("[ without ]")
		}
		host = rest[1:end]
		if net.ParseIP(host) == nil || !strings.Contains(host, ":") {
			return fail("only an IPv6 address goes in brackets")
		}
		switch after := rest[end+1:]; {
		case after == "":
		case strings.HasPrefix(after, ":"):
			port = after[1:]
			if port == "" {
				return fail("no port after the colon")
			}
		default:
			return fail("unexpected text after ]")
		}
	case strings.Count(rest, ":") > 1:
		if ip := net.ParseIP(rest); ip == nil {
			return fail("an IPv6 address with a port goes in brackets: [ADDRESS]:PORT")
		}
	case strings.Contains(rest, ":"):
		i := strings.IndexByte(rest, ':')
		host, port = rest[:i], rest[i+1:]
		if port == "" {
			return fail("no port after the colon")
		}
	}
	if host == "" {
		return fail("no host")
	}
	if len(host) > maxHostLen {
		return fail("the host is longer than 255 bytes")
	}
	if net.ParseIP(host) == nil && !validHostName(host) {
		return fail("the host is not a name or an IP address")
	}
	b.Host, b.Port = host, DefaultSSHPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return fail("port " + strconv.Quote(port) + " is not a number from 1 to 65535")
		}
		b.Port = n
	}
	return b, nil
}

// validHostName accepts letters, digits, '-', '_' and dots between
// labels.
func validHostName(h string) bool {
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}
