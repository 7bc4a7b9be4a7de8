// Package cmd is mongoconn's command line: cobra commands that parse flags
// into options, call the diagnose engine and render its report. Exit codes
// are decided here, in exitCode, and nowhere else.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/spf13/cobra"
)

// Exit codes (DESIGN.md §2).
const (
	ExitOK          = 0
	ExitProblem     = 1
	ExitUsage       = 2
	ExitInterrupted = 130 // 128 + SIGINT
	ExitTerminated  = 143 // 128 + SIGTERM
)

// UsageError is a mistake in how the tool was invoked.
type UsageError struct {
	Msg  string
	Hint string
}

func (e *UsageError) Error() string { return e.Msg }

// ProblemError says the report was printed and holds an error-level
// finding.
type ProblemError struct{ Report *report.Report }

func (e *ProblemError) Error() string { return "problem found: " + e.Report.Verdict }

// InterruptedError says a signal stopped the command; what was learned was
// printed.
type InterruptedError struct{ Signal os.Signal }

func (e *InterruptedError) Error() string { return "interrupted by " + e.Signal.String() }

// Main runs the command line and returns the process exit code.
func Main() int {
	raiseMemory := limitMemory()
	ios := System()
	ctx, sig, stop := signalContext(context.Background())
	defer stop()
	f := NewFactory(ios, os.Getenv)
	f.SetMemoryLimit = raiseMemory
	root := NewCmdRoot(f)
	root.SetArgs(os.Args[1:])
	err := root.ExecuteContext(ctx)
	if err == nil && ctx.Err() != nil {
		if s := sig(); s != nil {
			err = &InterruptedError{Signal: s}
		}
	}
	return exitCode(ios, err, sig)
}

// signalContext returns a context cancelled by SIGINT or SIGTERM, and a
// function telling which signal arrived.
func signalContext(parent context.Context) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	got := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			got <- s
			cancel()
		case <-done:
		}
	}()
	which := func() os.Signal {
		select {
		case s := <-got:
			got <- s
			return s
		default:
			return nil
		}
	}
	return ctx, which, func() { signal.Stop(ch); close(done); cancel() }
}

// exitCode turns the result of a command into the process exit code,
// printing `mongoconn: error:` lines for errors the report did not show.
func exitCode(ios *IOStreams, err error, sig func() os.Signal) int {
	if err == nil {
		return ExitOK
	}
	var (
		uerr *UsageError
		perr *ProblemError
		ierr *InterruptedError
		terr *connstr.URIError
		merr *ManyError
	)
	switch {
	case errors.As(err, new(*doneError)):
		return ExitOK
	case sig != nil && sig() != nil:
		if sig() == syscall.SIGTERM {
			return ExitTerminated
		}
		return ExitInterrupted
	case errors.As(err, &ierr):
		if ierr.Signal == syscall.SIGTERM {
			return ExitTerminated
		}
		return ExitInterrupted
	case errors.As(err, &perr):
		return ExitProblem
	case errors.As(err, &merr):
		return merr.Code
	case errors.As(err, &terr):
		fmt.Fprintf(ios.ErrOut, "mongoconn: error: %s\n", messageLine(terr.Error()))
		if caret := terr.Caret(); caret != "" {
			for _, line := range strings.Split(strings.TrimRight(caret, "\n"), "\n") {
				fmt.Fprintf(ios.ErrOut, "  %s\n", render.Line(redact.Redact(line)))
			}
		}
		if terr.Hint != "" {
			fmt.Fprintf(ios.ErrOut, "mongoconn: hint: %s\n", messageLine(terr.Hint))
		}
		return ExitUsage
	case errors.As(err, &uerr):
		printError(ios, uerr.Msg, uerr.Hint)
		return ExitUsage
	case errors.As(err, new(*recognizedError)):
		return ExitProblem
	default:
		printError(ios, err.Error(), "")
		return ExitProblem
	}
}

// recognizedError is returned by commands that already printed their
// failure (explain with no match).
type recognizedError struct{ msg string }

func (e *recognizedError) Error() string { return e.msg }

// printError prints the error line and the hint line: secrets masked,
// what they quote cut short, control characters escaped.
func printError(ios *IOStreams, msg, hint string) {
	fmt.Fprintf(ios.ErrOut, "mongoconn: error: %s\n", messageLine(msg))
	if hint != "" {
		fmt.Fprintf(ios.ErrOut, "mongoconn: hint: %s\n", messageLine(hint))
	}
}

// NewCmdRoot builds the root command with its global flags and every
// subcommand.
func NewCmdRoot(f *Factory) *cobra.Command {
	g := f.Global
	root := &cobra.Command{
		Use:   "mongoconn [global flags] COMMAND [URI]",
		Short: "Tell why a MongoDB connection string does or does not work from here",
		Long: `mongoconn checks a MongoDB connection string from this machine, stage by stage
(URI, DNS, TCP, TLS, hello, wire version, auth, topology, selection, ping), and says
exactly what is wrong and what to change.

The URI defaults to $MONGODB_URI, else mongodb://localhost:27017.

Exit codes: 0 healthy (warnings allowed): the command observed its own success
(ping and diagnose: the driver's ping answered; discover, wire-check, tunnel-check:
a member answered hello; srv: a seed accepted TCP), 1 a problem was found or success
was not observed, 2 usage error or unparsable connection string, 130 interrupted
(143 on SIGTERM; an interrupted command is never OK).`,
		Example: `  mongoconn diagnose
  mongoconn ping --wait 60s mongodb://localhost:27017
  mongoconn discover 'mongodb://db1:27017,db2:27017/?replicaSet=rs0'
  mongoconn -o json diagnose "$MONGODB_URI"
  mongoconn --ssh ops@bastion.example.net diagnose 'mongodb://mongo-0.internal:27017/?replicaSet=rs0'
  mongoconn --ssh ops@bastion.example.net:2222 --ssh-identity ~/.ssh/ops_ed25519 tunnel-check 'mongodb://mongo-0.internal:27017/?replicaSet=rs0'
  mongoconn ping 'mongodb://mongo-0.internal:27017/?replicaSet=rs0&proxyHost=localhost&proxyPort=1080'
  mongoconn explain 'connection() error occurred during connection handshake: EOF'`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			hint := "run 'mongoconn --help' for the list of commands"
			// A command name is short: a long argument is no misspelling
			// of one, and comparing it with each would cost its length
			// times theirs.
			if len(args[0]) <= redact.EchoLimit {
				if s := c.SuggestionsFor(args[0]); len(s) > 0 {
					hint = "did you mean " + strings.Join(s, " or ") + "?"
				}
			}
			return &UsageError{Msg: fmt.Sprintf("unknown command %q", echo(args[0])), Hint: hint}
		},
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			return validateGlobal(f)
		},
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &UsageError{Msg: echoWords(err.Error()), Hint: "run 'mongoconn --help' for usage"}
	})

	pf := root.PersistentFlags()
	pf.StringVarP(&g.Output, "output", "o", g.Output, "output format: text, json, or junit (ping, diagnose, wire-check)")
	pf.DurationVar(&g.Timeout, "timeout", g.Timeout, "budget for the whole command")
	pf.StringArrayVar(&g.DNSServers, "dns-server", nil, "resolve through this DNS server (IP:PORT) instead of the system resolver; given again, diagnose and srv also compare the servers' answers")
	pf.BoolVar(&g.AWSIMDS, "aws-imds", false, "MONGODB-AWS: let the driver ask the EC2 instance metadata service for credentials (no metadata service is contacted otherwise)")
	pf.BoolVar(&g.NoColor, "no-color", false, "never colour the output (NO_COLOR is honoured too)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print the verdict line only")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "print timings and raw server replies")
	pf.StringVar(&g.ServerAPI, "server-api", "", "declare this Stable API version (only \"1\" exists)")
	pf.BoolVar(&g.ServerAPIStrict, "server-api-strict", false, "ask for strict Stable API (needs --server-api 1)")
	pf.StringVar(&g.SSH, "ssh", "", "reach every member through this SSH bastion, `[USER@]HOST[:PORT]`: names resolve there (e.g. --ssh ops@bastion.example.net:2222)")
	pf.StringVar(&g.SSHIdentity, "ssh-identity", "", "private key `FILE` for --ssh (default: the ssh-agent's keys, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa)")
	pf.StringVar(&g.SSHKnownHosts, "ssh-known-hosts", "", "known_hosts `FILE` the bastion's host key must be in (default ~/.ssh/known_hosts; unknown keys are refused)")

	root.AddCommand(
		NewCmdPing(f, nil),
		NewCmdDiscover(f, nil),
		NewCmdSRV(f, nil),
		NewCmdWireCheck(f, nil),
		NewCmdTunnelCheck(f, nil),
		NewCmdDiagnose(f, nil),
		NewCmdExplain(f, nil),
		NewCmdServe(f, nil),
		NewCmdVersion(f),
	)
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		comp.RunE = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &UsageError{Msg: fmt.Sprintf("no completion for shell %q", echo(args[0])), Hint: "use bash, zsh, fish or powershell"}
			}
			return c.Help()
		}
	}
	for _, c := range root.Commands() {
		usageArgs(c)
	}
	conventions(root, f)
	return root
}

// usageArgs makes a command's argument errors usage errors (exit 2), for
// cobra's own commands (completion, help) as much as ours.
func usageArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var uerr *UsageError
				if errors.As(err, &uerr) {
					return err
				}
				return &UsageError{Msg: echoWords(err.Error()), Hint: fmt.Sprintf("run 'mongoconn %s --help' for usage", cmd.Name())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

func validateGlobal(f *Factory) error {
	g := f.Global
	switch strings.ToLower(g.Output) {
	case "text", "json", "junit":
		g.Output = strings.ToLower(g.Output)
	default:
		return &UsageError{Msg: fmt.Sprintf("--output %q is not text, json or junit", echo(g.Output)), Hint: "use -o text or -o json (-o junit for ping, diagnose and wire-check)"}
	}
	if g.Timeout <= 0 {
		return &UsageError{Msg: fmt.Sprintf("--timeout %s must be positive", g.Timeout), Hint: "for example --timeout 5s"}
	}
	if g.ServerAPI != "" && g.ServerAPI != "1" {
		return &UsageError{Msg: fmt.Sprintf("--server-api %q is not a Stable API version", echo(g.ServerAPI)), Hint: "the only version is 1: --server-api 1"}
	}
	if g.ServerAPIStrict && g.ServerAPI == "" {
		return &UsageError{Msg: "--server-api-strict needs --server-api 1", Hint: "use --server-api 1 --server-api-strict"}
	}
	for _, s := range g.DNSServers {
		if _, err := normalizeDNSServer(s); err != nil {
			return err
		}
	}
	if len(g.DNSServers) > 0 {
		g.DNSServer = g.DNSServers[0]
	}
	if g.DNSServer != "" {
		if _, err := normalizeDNSServer(g.DNSServer); err != nil {
			return err
		}
	}
	if err := validateSSH(g); err != nil {
		return err
	}
	if g.Quiet && g.Verbose {
		return &UsageError{Msg: "--quiet and --verbose cannot be used together"}
	}
	return nil
}

// validateSSH checks --ssh and the flags that go with it before anything
// is dialled: a value that cannot be read is a usage error.
func validateSSH(g *GlobalOptions) error {
	if g.SSH == "" {
		for flag, v := range map[string]string{"--ssh-identity": g.SSHIdentity, "--ssh-known-hosts": g.SSHKnownHosts} {
			if v != "" {
				return &UsageError{Msg: flag + " needs --ssh", Hint: "name the bastion: --ssh [USER@]HOST[:PORT]"}
			}
		}
		return nil
	}
	if at := strings.LastIndexByte(g.SSH, '@'); at >= 0 && strings.Contains(strings.TrimPrefix(g.SSH[:at], "ssh://"), ":") {
		// USER:PASSWORD@HOST: never echo it.
		return &UsageError{Msg: "--ssh: the part before @ holds a ':', as if it carried a password; mongoconn logs in to a bastion with keys only",
			Hint: "give --ssh USER@HOST[:PORT] and a key: --ssh-identity FILE, or one in the ssh-agent (SSH_AUTH_SOCK)"}
	}
	if _, err := netpath.ParseBastion(g.SSH); err != nil {
		return &UsageError{Msg: err.Error(), Hint: "for example --ssh ops@bastion.example.net, --ssh bastion.example.net:2222 or --ssh 'ops@[2001:db8::1]:22'"}
	}
	return nil
}
