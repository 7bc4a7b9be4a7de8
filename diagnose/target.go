package diagnose

import (
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// DefaultURI is the target when neither an argument nor $MONGODB_URI names one.
const DefaultURI = "mongodb://localhost:27017"

// Target is a parsed, linted connection string.
type Target struct {
	// Raw is the connection string as given. It may hold a password: never
	// print it; use Redacted.
	Raw string
	// Redacted is Raw with every secret replaced by ****.
	Redacted string
	// SRV is true for mongodb+srv:// strings.
	SRV bool
	// Hosts are the host:port seeds as written (for SRV: the one host name).
	Hosts []string
	// Conn is the driver's view of the options. For SRV strings it is
	// parsed without DNS lookups.
	Conn *connstring.ConnString
	// Findings are problems found in the string itself.
	Findings []Finding
}

// URIError says why a connection string cannot be used at all.
type URIError struct {
	Redacted string // the input, redacted
	Pos      int    // byte offset of the problem in Redacted, -1 if unknown
	Msg      string
	Hint     string
}

func (e *URIError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("invalid connection string at position %d: %s", e.Pos, e.Msg)
	}
	return "invalid connection string: " + e.Msg
}

// ParseTarget parses and lints a connection string.
func ParseTarget(raw string) (*Target, error) {
	t := &Target{Raw: raw, Redacted: Redact(raw)}
	s := raw
	if strings.HasPrefix(s, "mongodb+srv://") {
		t.SRV = true
		s = "mongodb://" + strings.TrimPrefix(s, "mongodb+srv://")
	}
	cs, err := connstring.ParseAndValidate(s)
	if err != nil {
		return nil, &URIError{Redacted: t.Redacted, Pos: -1, Msg: Redact(err.Error())}
	}
	t.Conn = cs
	t.Hosts = cs.Hosts
	return t, nil
}

// Redact replaces every secret in a connection string (or in a text that
// contains one) with ****.
func Redact(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	cred := rest[:at]
	if c := strings.Index(cred, ":"); c >= 0 {
		cred = cred[:c+1] + "****"
	}
	return s[:i+3] + cred + rest[at:]
}
