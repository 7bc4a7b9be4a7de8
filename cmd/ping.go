package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/diagnose"
)

// PingOptions are the inputs of `mongoconn ping`.
type PingOptions struct {
	f   *Factory
	ctx context.Context

	URI     string
	Wait    time.Duration
	Primary bool
}

// NewCmdPing builds `mongoconn ping`. runF replaces pingRun in tests.
func NewCmdPing(f *Factory, runF func(*PingOptions) error) *cobra.Command {
	opts := &PingOptions{f: f}
	c := &cobra.Command{
		Use:   "ping [URI]",
		Short: "Connect, run {ping: 1}, and print round-trip time, version and topology",
		Long: `Connect with the driver under the --timeout budget, run {ping: 1} on admin, and print
the round-trip time, the server version and the topology kind.

Before blaming the driver, every seed host is dialled directly, so a refused port,
a silent host or an unknown name is reported at once.

With --wait, ping retries with capped exponential backoff until the deployment is
healthy or the wait ends, printing one line per attempt on stderr: a readiness check
for CI and containers.`,
		Example: `  mongoconn ping
  mongoconn ping mongodb://localhost:27017
  mongoconn ping --wait 60s --primary "$MONGODB_URI"
  mongoconn ping --server-api 1 --server-api-strict 'mongodb+srv://user:pass@cluster0.example.net/'`,
		Args: maxOneURI,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			opts.URI = f.targetURI(args)
			if opts.Wait < 0 {
				return &UsageError{Msg: "--wait must not be negative"}
			}
			if runF != nil {
				return runF(opts)
			}
			return pingRun(opts)
		},
	}
	c.Flags().DurationVar(&opts.Wait, "wait", 0, "retry until healthy or this duration ends (e.g. 60s)")
	c.Flags().BoolVar(&opts.Primary, "primary", false, "also require a writable primary")
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
	t, err := f.parseTarget("ping", opts.URI)
	if err != nil {
		return err
	}
	e, err := f.NewEngine(f.Global)
	if err != nil {
		return err
	}
	req := diagnose.PingRequest{RequirePrimary: opts.Primary}
	if opts.Wait <= 0 {
		r, err := e.Ping(opts.ctx, t, req)
		if err != nil {
			return err
		}
		return f.printReport(opts.ctx, r)
	}
	w := diagnose.Waiter{
		Wait: opts.Wait,
		OnAttempt: func(a diagnose.Attempt) {
			if a.Report.OK || f.Global.Quiet && !f.Global.Verbose {
				return
			}
			fmt.Fprintf(f.IO.ErrOut, "mongoconn: attempt %d (%s): %s; retrying in %s\n",
				a.N, a.Elapsed.Round(time.Millisecond), diagnose.Redact(a.Report.Verdict), a.Next.Round(time.Millisecond))
		},
	}
	r, err := w.Run(opts.ctx, e, func(ctx context.Context) (*diagnose.Report, error) {
		return e.Ping(ctx, t, req)
	})
	if err != nil {
		return err
	}
	return f.printReport(opts.ctx, r)
}
