package cmd

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/resolve"
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

	// OpenFileLimit returns the open-file limit that targets checked at
	// once share, false when it is unknown; nil reads the process's own
	// (RLIMIT_NOFILE). Tests set their own.
	OpenFileLimit func() (uint64, bool)

	// SetMemoryLimit raises the soft memory limit while several targets
	// are checked at once; nil leaves it alone (tests, and GOMEMLIMIT).
	// Main sets it.
	SetMemoryLimit func(bytes int64)
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
		e.Resolver = resolve.NewResolver(server)
	}
	e.Timeout = g.Timeout
	e.ServerAPI = g.ServerAPI
	e.ServerAPIStrict = g.ServerAPIStrict
	e.Verbose = g.Verbose
	return e, nil
}

// normalizeDNSServer accepts IP:PORT, or an IP alone (port 53). A name
// is refused: finding the DNS server by name would ask the very resolver
// --dns-server replaces.
func normalizeDNSServer(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, "53"
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		}
	}
	bad := &UsageError{Msg: fmt.Sprintf("--dns-server %q is not IP:PORT", echo(s)), Hint: "for example --dns-server 127.0.0.1:53 or --dns-server [::1]:5353"}
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil {
		return "", bad
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", bad
	}
	return net.JoinHostPort(ip.String(), port), nil
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
	return connstr.DefaultURI
}
