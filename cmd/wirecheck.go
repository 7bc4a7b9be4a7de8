package cmd

import (
	"context"

	"github.com/spf13/cobra"
)

// WireCheckOptions are the inputs of `mongoconn wire-check`.
type WireCheckOptions struct {
	f   *Factory
	ctx context.Context

	URI string
}

// NewCmdWireCheck builds `mongoconn wire-check`. runF replaces
// wireCheckRun in tests.
func NewCmdWireCheck(f *Factory, runF func(*WireCheckOptions) error) *cobra.Command {
	opts := &WireCheckOptions{f: f}
	return &cobra.Command{
		Use:   "wire-check [URI]",
		Short: "Compare every member's wire version with this tool's driver and the drivers that support it",
		Long: `Send a raw hello to every seed and every member they advertise (falling back to the
legacy isMaster over OP_QUERY, so that MongoDB 2.6-3.4 answer too) and report, per server,
its version and wire version range, whether this tool's Go driver can talk to it, and
which releases of the Go, PyMongo, Node.js and Java drivers can.

A server the driver refuses gets wire.server-too-old or wire.server-too-new with both
fixes: the server release to upgrade to, or the driver release to pin.`,
		Example: `  mongoconn wire-check
  mongoconn wire-check mongodb://legacy-db:27017
  mongoconn -o json wire-check "$MONGODB_URI"`,
		Args: maxOneURI,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			opts.URI = f.targetURI(args)
			if runF != nil {
				return runF(opts)
			}
			return wireCheckRun(opts)
		},
	}
}

func wireCheckRun(opts *WireCheckOptions) error {
	f := opts.f
	t, err := f.parseTarget("wire-check", opts.URI)
	if err != nil {
		return err
	}
	e, err := f.NewEngine(f.Global)
	if err != nil {
		return err
	}
	r, err := e.WireCheck(opts.ctx, t)
	if err != nil {
		return err
	}
	return f.printReport(opts.ctx, r)
}
