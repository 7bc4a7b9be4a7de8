package cmd

import (
	"context"

	"github.com/spf13/cobra"
)

// DiagnoseOptions are the inputs of `mongoconn diagnose`.
type DiagnoseOptions struct {
	f   *Factory
	ctx context.Context

	URI string
}

// NewCmdDiagnose builds `mongoconn diagnose`. runF replaces diagnoseRun in
// tests.
func NewCmdDiagnose(f *Factory, runF func(*DiagnoseOptions) error) *cobra.Command {
	opts := &DiagnoseOptions{f: f}
	return &cobra.Command{
		Use:   "diagnose [URI]",
		Short: "Run every stage under one deadline and explain each problem found",
		Long: `Run every stage (uri, dns, tcp, tls, hello, wire, auth, topology, selection, ping)
under one --timeout budget, in parallel where the stages allow. The verdict names the
first failing stage; every finding comes with its cause, its fix and, where one exists,
a corrected connection string to try.`,
		Example: `  mongoconn diagnose
  mongoconn diagnose 'mongodb://alice@db1.internal:27017/?replicaSet=rs0'
  mongoconn -o json diagnose "$MONGODB_URI" > report.json`,
		Args: maxOneURI,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			opts.URI = f.targetURI(args)
			if runF != nil {
				return runF(opts)
			}
			return diagnoseRun(opts)
		},
	}
}

func diagnoseRun(opts *DiagnoseOptions) error {
	f := opts.f
	t, err := f.parseTarget("diagnose", opts.URI)
	if err != nil {
		return err
	}
	e, err := f.NewEngine(f.Global)
	if err != nil {
		return err
	}
	r, err := e.Diagnose(opts.ctx, t)
	if err != nil {
		return err
	}
	return f.printReport(opts.ctx, r)
}
