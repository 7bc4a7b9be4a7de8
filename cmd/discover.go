package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/report"
)

// DiscoverOptions are the inputs of `mongoconn discover`.
type DiscoverOptions struct {
	f *Factory
	TargetArgs
}

// NewCmdDiscover builds `mongoconn discover`. runF replaces discoverRun in
// tests.
func NewCmdDiscover(f *Factory, runF func(*DiscoverOptions) error) *cobra.Command {
	opts := &DiscoverOptions{f: f}
	c := &cobra.Command{
		Use:   "discover [URI...]",
		Short: "Show every member the seeds reveal, as the driver's discovery rules see them",
		Long: `Ask every seed and every member they advertise for its hello, in parallel, and build the
topology the way a driver does (SDAM): kind, state, replica set name, version, average
round-trip time, tags, hidden/arbiter/passive, which members are reachable from here and
why not, and which fall in the localThresholdMS latency window (default 15 ms) around
the fastest eligible member. Sharded clusters list their mongos routers; loadBalanced=true
shows the load balancer.

directConnection=true probes the seed alone; replicaSet= keeps only members of that set.` + manyTargetsHelp,
		Example: `  mongoconn discover
  mongoconn discover 'mongodb://db1:27017,db2:27017/?replicaSet=rs0&localThresholdMS=30'
  mongoconn -o json discover "$MONGODB_URI"`,
	}
	opts.bind(f, c, func() error {
		if runF != nil {
			return runF(opts)
		}
		return discoverRun(opts)
	})
	return c
}

func discoverRun(opts *DiscoverOptions) error {
	return opts.f.runTargets(opts.ctx, "discover", opts.URIs, opts.Targets.Concurrency,
		func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error) {
			return e.Discover(ctx, t)
		})
}
