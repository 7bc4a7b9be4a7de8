package cmd

import (
	"context"

	"github.com/spf13/cobra"
)

// DiscoverOptions are the inputs of `mongoconn discover`.
type DiscoverOptions struct {
	f   *Factory
	ctx context.Context

	URI string
}

// NewCmdDiscover builds `mongoconn discover`. runF replaces discoverRun in
// tests.
func NewCmdDiscover(f *Factory, runF func(*DiscoverOptions) error) *cobra.Command {
	opts := &DiscoverOptions{f: f}
	return &cobra.Command{
		Use:   "discover [URI]",
		Short: "Show every member the seeds reveal, as the driver's discovery rules see them",
		Long: `Ask every seed and every member they advertise for its hello, in parallel, and build the
topology the way a driver does (SDAM): kind, state, replica set name, version, average
round-trip time, tags, hidden/arbiter/passive, which members are reachable from here and
why not, and which fall in the localThresholdMS latency window (default 15 ms) around
the fastest eligible member. Sharded clusters list their mongos routers; loadBalanced=true
shows the load balancer.

directConnection=true probes the seed alone; replicaSet= keeps only members of that set.`,
		Example: `  mongoconn discover
  mongoconn discover 'mongodb://db1:27017,db2:27017/?replicaSet=rs0&localThresholdMS=30'
  mongoconn -o json discover "$MONGODB_URI"`,
		Args: maxOneURI,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			opts.URI = f.targetURI(args)
			if runF != nil {
				return runF(opts)
			}
			return discoverRun(opts)
		},
	}
}

func discoverRun(opts *DiscoverOptions) error {
	f := opts.f
	t, err := f.parseTarget("discover", opts.URI)
	if err != nil {
		return err
	}
	e, err := f.NewEngine(f.Global)
	if err != nil {
		return err
	}
	r, err := e.Discover(opts.ctx, t)
	if err != nil {
		return err
	}
	return f.printReport(opts.ctx, r)
}
