package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
)

// DiagnoseOptions are the inputs of `mongoconn diagnose`.
type DiagnoseOptions struct {
	f *Factory
	TargetArgs
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
a corrected connection string to try.` + manyTargetsHelp,
		Example: `  mongoconn diagnose
  mongoconn diagnose 'mongodb://alice@db1.internal:27017/?replicaSet=rs0'
  mongoconn -o json diagnose "$MONGODB_URI" > report.json
  mongoconn diagnose --targets fleet.txt --concurrency 32`,
	}
	opts.bind(f, c, func() error {
		if runF != nil {
			return runF(opts)
		}
		return diagnoseRun(opts)
	})
	return c
}

func diagnoseRun(opts *DiagnoseOptions) error {
	return opts.f.runTargets(opts.ctx, "diagnose", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error) {
			return e.Diagnose(ctx, t)
		})
}
