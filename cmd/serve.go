package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/probe"
)

// DefaultListen is where serve listens without --listen: loopback only,
// so that nothing is exposed until asked, on a port that is neither in
// Prometheus's default port allocations (9090-9999 and the exporters
// numbered upward from 10000) nor one of MongoDB's own (27017-27020,
// 28017), and below the range Linux hands out as ephemeral ports.
const DefaultListen = "127.0.0.1:27917"

// ServeOptions are the inputs of `mongoconn serve`.
type ServeOptions struct {
	f             *Factory
	ctx           context.Context
	ConfigFile    string
	Listen        string
	MaxConcurrent int
	LogFormat     string
	// timeoutSet is true when --timeout was given: it is then the timeout
	// of targets that set none.
	timeoutSet bool
}

// NewCmdServe builds `mongoconn serve`. runF replaces serveRun in tests.
func NewCmdServe(f *Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{f: f}
	c := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Serve Prometheus probes of the connection strings a config names",
		Long: `Run the Prometheus probe server: Prometheus scrapes /probe?target=NAME, as it scrapes
blackbox_exporter, and each scrape runs ping (or diagnose) on the connection string the
config names NAME, from this machine, and answers with probe_success, the stages, every
finding as probe_mongodb_finding{id,severity}, the servers and the certificate expiry.

Endpoints:
  GET  /probe?target=NAME[&module=ping|diagnose][&debug=true]
       metrics of one probe; debug=true: the JSON report (redacted). The budget is the
       target's timeout, capped by X-Prometheus-Scrape-Timeout-Seconds minus 0.5s.
       Targets are names from the config only: a uri parameter is refused (400).
  GET  /metrics       the server's own metrics (mongoconn_probes_total{target,result}, ...)
  GET  /-/healthy     200 OK
  POST /-/reload      re-read the config (SIGHUP does the same); a file that cannot be
                      used keeps the configuration in force and sets
                      mongoconn_config_last_reload_successful to 0

The config (YAML; unknown fields are errors):

  targets:
    orders:
      uri: "mongodb://monitor@db1:27017,db2:27017/?replicaSet=rs0"
      password_file: /run/secrets/orders  # or password_env: VAR; or uri_file / uri_env
      module: ping                        # ping (default) or diagnose
      primary: true                       # ping: require a writable primary
      timeout: 5s                         # default 10s (or --timeout)
      dns_server: 10.0.0.2:53             # default: the system resolver (or --dns-server)

Passwords from password_file or password_env are percent-encoded into the connection
string; no password appears in any answer, metric or log line. With --ssh (and
--ssh-identity, --ssh-known-hosts), every probe reaches its members through that bastion,
as the commands do; a target's proxyHost option sends it through that SOCKS5 proxy.

The default address, ` + DefaultListen + `, is loopback only: use --listen :27917 (all
interfaces) where Prometheus runs on another machine. Port 27917 lies outside
Prometheus's default port allocations (9090-9999, all taken, and the exporters numbered
upward from 10000), is not one of MongoDB's ports, and is below Linux's ephemeral range.

At most --max-concurrent-probes probes run at once; a probe over the bound waits for a
slot up to half its budget, then gets 503 (Prometheus records up=0 for that scrape, and
no probe_success, so an overloaded prober never looks like a broken database).

Requests are logged on stderr, one line each (logfmt, or JSON with --log-format json).
SIGINT or SIGTERM: probes in flight get half a second to finish, are then cancelled,
and the server is gone within a second (exit 130 or 143, as every command).
A config that cannot be used at start: exit 2.`,
		Example: `  mongoconn serve --config mongoconn.yml
  mongoconn serve --config /etc/mongoconn/probe.yml --listen :27917 --log-format json
  curl 'http://127.0.0.1:27917/probe?target=orders'
  curl 'http://127.0.0.1:27917/probe?target=orders&module=diagnose&debug=true'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ctx = c.Context()
			if fl := c.Flag("timeout"); fl != nil {
				opts.timeoutSet = fl.Changed
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(opts)
		},
	}
	c.Flags().StringVar(&opts.ConfigFile, "config", "", "the YAML config naming the targets (required)")
	c.Flags().StringVar(&opts.Listen, "listen", DefaultListen, "address to listen on (HOST:PORT; :PORT for every interface)")
	c.Flags().IntVar(&opts.MaxConcurrent, "max-concurrent-probes", probe.DefaultMaxConcurrentProbes, "probes running at once; more wait up to half their budget, then get 503")
	c.Flags().StringVar(&opts.LogFormat, "log-format", "logfmt", "request log format on stderr: logfmt or json")
	return c
}

func (o *ServeOptions) validate() error {
	if o.ConfigFile == "" {
		return &UsageError{Msg: "serve needs --config FILE", Hint: "run 'mongoconn serve --help' for the config format"}
	}
	if o.MaxConcurrent < 1 {
		return &UsageError{Msg: fmt.Sprintf("--max-concurrent-probes %d must be at least 1", o.MaxConcurrent)}
	}
	switch strings.ToLower(o.LogFormat) {
	case "logfmt", "text":
		o.LogFormat = "logfmt"
	case "json":
		o.LogFormat = "json"
	default:
		return &UsageError{Msg: fmt.Sprintf("--log-format %q is not logfmt or json", o.LogFormat)}
	}
	if _, port, err := net.SplitHostPort(o.Listen); err != nil || port == "" {
		return &UsageError{Msg: fmt.Sprintf("--listen %q is not HOST:PORT", o.Listen), Hint: "for example --listen 127.0.0.1:27917 or --listen :27917"}
	}
	return nil
}

// logger writes one record per line on stderr in the chosen format.
func (o *ServeOptions) logger() *slog.Logger {
	w := o.f.IO.ErrOut
	if o.LogFormat == "json" {
		// A request path may hold C1 controls, which JSON keeps raw.
		return slog.New(slog.NewJSONHandler(render.JSONEscaper{W: w}, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func serveRun(o *ServeOptions) error {
	g := o.f.Global
	log := o.logger()
	loader := probe.Loader{Getenv: o.f.Getenv}
	if o.timeoutSet {
		loader.DefaultTimeout = g.Timeout
	}
	if g.DNSServer != "" {
		server, err := normalizeDNSServer(g.DNSServer)
		if err != nil {
			return err
		}
		loader.DefaultDNSServer = server
	}
	srv, err := probe.New(probe.Options{
		ConfigFile:          o.ConfigFile,
		Loader:              loader,
		MaxConcurrentProbes: o.MaxConcurrent,
		Logger:              log,
		ServerAPI:           g.ServerAPI,
		ServerAPIStrict:     g.ServerAPIStrict,
		SSH:                 netpath.SSHConfig{Bastion: g.SSH, IdentityFile: g.SSHIdentity, KnownHostsFile: g.SSHKnownHosts},
	})
	if err != nil {
		var cerr *probe.ConfigError
		if errors.As(err, &cerr) {
			return &UsageError{Msg: "config " + cerr.Error(), Hint: "run 'mongoconn serve --help' for the config format"}
		}
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", o.Listen, err)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, cancel := context.WithCancel(o.ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading the config")
				_ = srv.Reload() // a failure is logged and leaves the config in force
			case <-ctx.Done():
				return
			}
		}
	}()
	return srv.Serve(ctx, ln)
}
