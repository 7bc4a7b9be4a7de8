package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
)

// WireCheckOptions are the inputs of `mongoconn wire-check`.
type WireCheckOptions struct {
	f *Factory
	TargetArgs
}

// NewCmdWireCheck builds `mongoconn wire-check`. runF replaces
// wireCheckRun in tests.
func NewCmdWireCheck(f *Factory, runF func(*WireCheckOptions) error) *cobra.Command {
	opts := &WireCheckOptions{f: f}
	c := &cobra.Command{
		Use:   "wire-check [URI...]",
		Short: "Compare every member's wire version with this tool's driver and the drivers that support it",
		Long: `Send a raw hello to every seed and every member they advertise (falling back to the
legacy isMaster over OP_QUERY, so that MongoDB 2.6-3.4 answer too) and report, per server,
its version and wire version range, whether this tool's Go driver can talk to it, and
which releases of the Go, PyMongo, Node.js and Java drivers can.

A server the driver refuses gets wire.server-too-old or wire.server-too-new with both
fixes: the server release to upgrade to, or the driver release to pin.` + manyTargetsHelp,
		Example: `  mongoconn wire-check
  mongoconn wire-check mongodb://legacy-db:27017
  mongoconn -o json wire-check "$MONGODB_URI"`,
	}
	opts.bind(f, c, func() error {
		if runF != nil {
			return runF(opts)
		}
		return wireCheckRun(opts)
	})
	return c
}

func wireCheckRun(opts *WireCheckOptions) error {
	return opts.f.runTargets(opts.ctx, "wire-check", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error) {
			return e.WireCheck(ctx, t)
		})
}
