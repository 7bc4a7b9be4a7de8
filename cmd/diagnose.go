package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
)

// DiagnoseOptions are the inputs of `mongoconn diagnose`.
type DiagnoseOptions struct {
	f *Factory
	TargetArgs
	// Instances is --instances: how many application processes use the
	// string, for the connection budget.
	Instances int
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
	addInstancesFlag(c, &opts.Instances)
	opts.bind(f, c, func() error {
		if err := checkInstances(opts.Instances); err != nil {
			return err
		}
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
			return withInstances(e, opts.Instances).Diagnose(ctx, t)
		})
}

// addInstancesFlag gives c --instances.
func addInstancesFlag(c *cobra.Command, n *int) {
	c.Flags().IntVar(n, "instances", 0, "how many application processes will use this connection string: weigh their connection pools against the connections the server has left")
}

func checkInstances(n int) error {
	if n < 0 {
		return &UsageError{Msg: fmt.Sprintf("--instances %d must not be negative", n), Hint: "for example --instances 40"}
	}
	return nil
}

// withInstances is e with Instances set, a copy: the engine is shared by
// the targets checked at once.
func withInstances(e *diagnose.Engine, n int) *diagnose.Engine {
	if n == 0 {
		return e
	}
	c := *e
	c.Instances = n
	return &c
}
