package cmd

import (
	"fmt"
	"net"
	"time"

	"github.com/mongoconn/mongoconn/diagnose"
)

// GlobalOptions are the persistent flags every command accepts.
type GlobalOptions struct {
	Output          string
	Timeout         time.Duration
	DNSServer       string
	NoColor         bool
	Quiet           bool
	Verbose         bool
	ServerAPI       string
	ServerAPIStrict bool
}

// Factory carries what commands share: streams, environment, global flags
// and a way to build the engine from them.
type Factory struct {
	IO     *IOStreams
	Getenv func(string) string
	Global *GlobalOptions

	// NewEngine builds the probe engine from the global options. Tests
	// replace it to point the engine's seams elsewhere.
	NewEngine func(*GlobalOptions) (*diagnose.Engine, error)
}

// NewFactory returns a factory over the given streams and environment.
func NewFactory(ios *IOStreams, getenv func(string) string) *Factory {
	return &Factory{
		IO:        ios,
		Getenv:    getenv,
		Global:    &GlobalOptions{Output: "text", Timeout: diagnose.DefaultTimeout},
		NewEngine: newEngine,
	}
}

func newEngine(g *GlobalOptions) (*diagnose.Engine, error) {
	e := diagnose.NewEngine()
	if g.DNSServer != "" {
		server, err := normalizeDNSServer(g.DNSServer)
		if err != nil {
			return nil, err
		}
		e.Resolver = diagnose.NewResolver(server)
	}
	e.Timeout = g.Timeout
	e.ServerAPI = g.ServerAPI
	e.ServerAPIStrict = g.ServerAPIStrict
	e.Verbose = g.Verbose
	return e, nil
}

// normalizeDNSServer accepts HOST:PORT, or HOST alone (port 53).
func normalizeDNSServer(s string) (string, error) {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s, nil
	}
	if net.ParseIP(s) != nil || !containsColon(s) {
		return net.JoinHostPort(s, "53"), nil
	}
	return "", &UsageError{Msg: fmt.Sprintf("--dns-server %q is not HOST:PORT", s), Hint: "for example --dns-server 127.0.0.1:53"}
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

// targetURI picks the connection string: the argument, else $MONGODB_URI,
// else the default local deployment.
func (f *Factory) targetURI(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	if v := f.Getenv("MONGODB_URI"); v != "" {
		return v
	}
	return diagnose.DefaultURI
}
