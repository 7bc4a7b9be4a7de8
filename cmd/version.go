package cmd

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"go.mongodb.org/mongo-driver/v2/version"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// NewCmdVersion builds `mongoconn version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mongoconn's version and the driver it links",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			wire := topology.SupportedWireVersions
			if f.Global.Output == "json" {
				enc := json.NewEncoder(f.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"mongoconn":        v,
					"driver":           "go.mongodb.org/mongo-driver/v2 " + version.Driver,
					"minWireVersion":   wire.Min,
					"maxWireVersion":   wire.Max,
					"minServerVersion": topology.MinSupportedMongoDBVersion,
				})
			}
			fmt.Fprintf(f.IO.Out, "mongoconn %s\nGo driver %s (wire versions %d-%d, MongoDB %s and newer)\n",
				v, version.Driver, wire.Min, wire.Max, topology.MinSupportedMongoDBVersion)
			return nil
		},
	}
}
