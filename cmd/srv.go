package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/diagnose"
)

// SRVOptions are the inputs of `mongoconn srv`.
type SRVOptions struct {
	f   *Factory
	ctx context.Context

	// URI is the connection string, or a bare host name (turned into
	// mongodb+srv://HOST/).
	URI string
}

// NewCmdSRV builds `mongoconn srv`. runF replaces srvRun in tests.
func NewCmdSRV(f *Factory, runF func(*SRVOptions) error) *cobra.Command {
	opts := &SRVOptions{f: f}
	return &cobra.Command{
		Use:   "srv HOST|URI",
		Short: "Show the DNS seed list of a mongodb+srv host and check it against the SRV rules",
		Long: `Ask the _mongodb._tcp SRV records and the TXT record of a mongodb+srv host, through the
system's resolvers (from /etc/resolv.conf) or the server named with --dns-server, and
print them with their TTLs and the server that answered. Check them against the
"Initial DNS Seedlist Discovery" specification: every target inside the host's domain,
at most one TXT record, which may set only authSource, replicaSet and loadBalanced
(srvServiceName, the service asked instead of mongodb, and srvMaxHosts, how many
targets are used, are options of the connection string only). Then resolve every
target (A and AAAA), dial each one over TCP, in parallel, and print the resulting seed
list, the options, and the equivalent mongodb:// connection string (password masked):
it works where the resolver cannot answer SRV questions (old kube-dns, some corporate
DNS servers).

HOST alone means mongodb+srv://HOST/. A mongodb:// string is resolved and dialled
host by host, without SRV. Without an argument, $MONGODB_URI is checked.`,
		Example: `  mongoconn srv cluster0.ab1cd.mongodb.net
  mongoconn srv 'mongodb+srv://alice:secret@cluster0.ab1cd.mongodb.net/?appName=app'
  mongoconn --dns-server 127.0.0.1:5353 srv mongodb+srv://cluster0.example.test/
  mongoconn -o json srv "$MONGODB_URI"`,
		Args: maxOneURI,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			if len(args) == 0 && f.Getenv("MONGODB_URI") == "" {
				return &UsageError{
					Msg:  "srv needs a host name or a mongodb+srv:// connection string",
					Hint: "for example: mongoconn srv cluster0.ab1cd.mongodb.net",
				}
			}
			opts.URI = diagnose.SRVTarget(f.targetURI(args))
			if runF != nil {
				return runF(opts)
			}
			return srvRun(opts)
		},
	}
}

func srvRun(opts *SRVOptions) error {
	f := opts.f
	t, err := f.parseTarget("srv", opts.URI)
	if err != nil {
		return err
	}
	e, err := f.newEngine()
	if err != nil {
		return err
	}
	r, err := e.SRV(opts.ctx, t)
	if err != nil {
		return err
	}
	return f.printReport(opts.ctx, r)
}
