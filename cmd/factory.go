package cmd

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/resolve"
)

// GlobalOptions are the persistent flags every command accepts.
type GlobalOptions struct {
	Output    string
	Timeout   time.Duration
	DNSServer string
	// DNSServers are every --dns-server given: the first (DNSServer)
	// answers the stages, and all of them are compared.
	DNSServers []string
	// AWSIMDS is --aws-imds: MONGODB-AWS may ask the EC2 instance
	// metadata service.
	AWSIMDS         bool
	NoColor         bool
	Quiet           bool
	Verbose         bool
	ServerAPI       string
	ServerAPIStrict bool
	// SSH, SSHIdentity and SSHKnownHosts are --ssh [USER@]HOST[:PORT],
	// --ssh-identity FILE and --ssh-known-hosts FILE: the bastion every
	// connection goes through.
	SSH           string
	SSHIdentity   string
	SSHKnownHosts string
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
	e.CompareResolvers = compareSources(g)
	e.AWSIMDS = g.AWSIMDS
	e.Timeout = g.Timeout
	e.ServerAPI = g.ServerAPI
	e.ServerAPIStrict = g.ServerAPIStrict
	e.Verbose = g.Verbose
	e.SSH = netpath.SSHConfig{Bastion: g.SSH, IdentityFile: g.SSHIdentity, KnownHostsFile: g.SSHKnownHosts}
	return e, nil
}

// newEngine builds the engine with f.NewEngine and gives it the
// environment, unless the builder set its own.
func (f *Factory) newEngine() (*diagnose.Engine, error) {
	e, err := f.NewEngine(f.Global)
	if err != nil {
		return nil, err
	}
	if e.Getenv == nil {
		e.Getenv = f.Getenv
	}
	return e, nil
}

// compareSources are the resolvers diagnose and srv compare: each
// --dns-server when there are several, none when there is one (nothing
// but the server named is asked), the system's own (the standard
// library's resolver and each nameserver of /etc/resolv.conf) without.
func compareSources(g *GlobalOptions) []resolve.Source {
	switch {
	case len(g.DNSServers) > 1:
		var out []resolve.Source
		for _, s := range g.DNSServers {
			if server, err := normalizeDNSServer(s); err == nil {
				out = append(out, resolve.Source{Name: "--dns-server " + server, Resolver: resolve.NewResolver(server)})
			}
		}
		return out
	case g.DNSServer == "":
		return resolve.SystemSources("")
	}
	return nil
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
