package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/diagnose"
)

// DiagnoseOptions are the inputs of `mongoconn diagnose`.
type DiagnoseOptions struct {
	f   *Factory
	ctx context.Context

	URIs    []string
	Targets TargetsOptions
}

// NewCmdDiagnose builds `mongoconn diagnose`. runF replaces diagnoseRun in
// tests.
func NewCmdDiagnose(f *Factory, runF func(*DiagnoseOptions) error) *cobra.Command {
	opts := &DiagnoseOptions{f: f}
	c := &cobra.Command{
		Use:   "diagnose [URI...]",
		Short: "Run every stage under one deadline and explain each problem found",
		Long: `Run every stage (uri, dns, tcp, tls, hello, wire, auth, topology, selection, ping)
under one --timeout budget, in parallel where the stages allow. The verdict names the
first failing stage; every finding comes with its cause, its fix and, where one exists,
a corrected connection string to try.

Several connection strings (arguments or --targets FILE) are checked concurrently,
one report each (JSON Lines with -o json); the exit code is the worst of all.`,
		Example: `  mongoconn diagnose
  mongoconn diagnose 'mongodb://alice@db1.internal:27017/?replicaSet=rs0'
  mongoconn -o json diagnose "$MONGODB_URI" > report.json
  mongoconn diagnose --targets fleet.txt --concurrency 32`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			uris, err := f.targetURIs(args, &opts.Targets)
			if err != nil {
				return err
			}
			opts.URIs = uris
			if runF != nil {
				return runF(opts)
			}
			return diagnoseRun(opts)
		},
	}
	opts.Targets.addFlags(c)
	return c
}

func diagnoseRun(opts *DiagnoseOptions) error {
	return opts.f.runTargets(opts.ctx, "diagnose", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *diagnose.Target) (*diagnose.Report, error) {
			return e.Diagnose(ctx, t)
		})
}
