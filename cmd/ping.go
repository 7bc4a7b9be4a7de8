package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// PingOptions are the inputs of `mongoconn ping`.
type PingOptions struct {
	f *Factory
	TargetArgs
	Wait    time.Duration
	Primary bool
	// Instances is --instances (see DiagnoseOptions).
	Instances int
}

// NewCmdPing builds `mongoconn ping`. runF replaces pingRun in tests.
func NewCmdPing(f *Factory, runF func(*PingOptions) error) *cobra.Command {
	opts := &PingOptions{f: f}
	c := &cobra.Command{
		Use:   "ping [URI...]",
		Short: "Connect, run {ping: 1}, and print round-trip time, version and topology",
		Long: `Connect with the driver under the --timeout budget, run {ping: 1} on admin, and print
the round-trip time, the server version and the topology kind.

While the driver connects, every seed is dialled, TLS is checked, every member answers
a raw hello, wire versions, topology and credentials are checked: a refused port, a
silent host, an unknown name, an old server or a wrong password is reported at once,
by its own finding, instead of as a server-selection timeout.

With --wait, ping retries with capped exponential backoff until the deployment is
healthy or the wait ends, printing one line per attempt on stderr: a readiness check
for CI and containers.` + manyTargetsHelp,
		Example: `  mongoconn ping
  mongoconn ping mongodb://localhost:27017
  mongoconn ping --wait 60s --primary "$MONGODB_URI"
  mongoconn ping --server-api 1 --server-api-strict 'mongodb+srv://user:pass@cluster0.example.net/'`,
	}
	c.Flags().DurationVar(&opts.Wait, "wait", 0, "retry until healthy or this duration ends (e.g. 60s)")
	c.Flags().BoolVar(&opts.Primary, "primary", false, "also require a writable primary")
	addInstancesFlag(c, &opts.Instances)
	opts.bind(f, c, func() error {
		if opts.Wait < 0 {
			return &UsageError{Msg: "--wait must not be negative"}
		}
		if err := checkInstances(opts.Instances); err != nil {
			return err
		}
		if runF != nil {
			return runF(opts)
		}
		return pingRun(opts)
	})
	return c
}

func maxOneURI(_ *cobra.Command, args []string) error {
	if len(args) > 1 {
		return &UsageError{
			Msg:  fmt.Sprintf("expected at most one connection string, got %d arguments", len(args)),
			Hint: "quote the connection string: '&' and '?' are special to the shell",
		}
	}
	return nil
}

func pingRun(opts *PingOptions) error {
	f := opts.f
	req := diagnose.PingRequest{RequirePrimary: opts.Primary}
	many := len(opts.URIs) > 1
	return f.runTargets(opts.ctx, "ping", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error) {
			e = withInstances(e, opts.Instances)
			if opts.Wait <= 0 {
				return e.Ping(ctx, t, req)
			}
			w := diagnose.Waiter{
				Wait: opts.Wait,
				OnAttempt: func(a diagnose.Attempt) {
					if a.Report.OK || a.Next == 0 {
						return
					}
					who := ""
					if many {
						who = t.Redacted + ": "
					}
					fmt.Fprintf(f.IO.ErrOut, "mongoconn: %sattempt %d (%s): %s; retrying in %s\n",
						render.Line(who), a.N, a.Elapsed.Round(time.Millisecond), render.Line(redact.Redact(a.Report.Verdict)), a.Next.Round(time.Millisecond))
				},
			}
			return w.Run(ctx, e, func(ctx context.Context) (*report.Report, error) {
				return e.Ping(ctx, t, req)
			})
		})
}
