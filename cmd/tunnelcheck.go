package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
)

// TunnelCheckOptions are the inputs of `mongoconn tunnel-check`.
type TunnelCheckOptions struct {
	f *Factory
	TargetArgs
}

// NewCmdTunnelCheck builds `mongoconn tunnel-check`. runF replaces
// tunnelCheckRun in tests.
func NewCmdTunnelCheck(f *Factory, runF func(*TunnelCheckOptions) error) *cobra.Command {
	opts := &TunnelCheckOptions{f: f}
	c := &cobra.Command{
		Use:   "tunnel-check [URI...]",
		Short: "Find members advertising addresses this machine cannot reach, and the string that works",
		Long: `Detect the SSH-tunnel trap: the seed answers (through ssh -L, kubectl port-forward, NAT or
a Docker network) but the replica set members it advertises cannot be resolved or reached
from here, so the driver follows them and times out. Every unreachable address is listed
with the reason, with the connection string that works: the reachable seed alone with
directConnection=true.

Also detects the reverse trap: directConnection=true to a secondary of a set whose primary
is elsewhere, where reads work and writes fail.

With --ssh, the members are discovered through the bastion (names resolve there) and
each one is also dialled from here: member by member, reachable from here or only from
the bastion, and the strings that work from here with the ssh command of each: one
member through ssh -L with directConnection=true, or the whole set through ssh -D with
proxyHost=localhost&proxyPort=1080.` + manyTargetsHelp,
		Example: `  ssh -L 27017:mongo-0.internal:27017 bastion &
  mongoconn tunnel-check 'mongodb://localhost:27017/?replicaSet=rs0'
  mongoconn --ssh ops@bastion.example.net tunnel-check 'mongodb://mongo-0.internal:27017/?replicaSet=rs0'`,
	}
	opts.bind(f, c, func() error {
		if runF != nil {
			return runF(opts)
		}
		return tunnelCheckRun(opts)
	})
	return c
}

func tunnelCheckRun(opts *TunnelCheckOptions) error {
	return opts.f.runTargets(opts.ctx, "tunnel-check", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error) {
			return e.TunnelCheck(ctx, t)
		})
}
