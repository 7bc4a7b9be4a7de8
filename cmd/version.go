package cmd

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/mongoconn/mongoconn/internal/buildinfo"
)

// NewCmdVersion builds `mongoconn version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mongoconn's version, commit, Go version and the driver it links",
		Long: `Print the version of mongoconn, the commit and date it was built from, the Go
release and platform, and the MongoDB Go driver it links with the wire versions and
MongoDB releases that driver speaks. A release binary carries the version, commit and
date stamped in; a binary built with go build or go install reports what the Go
toolchain recorded. With -q, only the version; with -o json, an object.`,
		Example: `  mongoconn version
  mongoconn --version
  mongoconn -o json version`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return printVersion(f)
		},
	}
}

// versionJSON is the object `mongoconn -o json version` prints.
type versionJSON struct {
	buildinfo.Info
	Driver versionDriver `json:"driver"`
}

type versionDriver struct {
	Module           string `json:"module"`
	Version          string `json:"version"`
	MinWireVersion   int32  `json:"minWireVersion"`
	MaxWireVersion   int32  `json:"maxWireVersion"`
	MinServerVersion string `json:"minServerVersion"`
}

// printVersion writes the version in the format of the global flags; the
// version command and --version share it.
func printVersion(f *Factory) error {
	info := buildinfo.Read()
	wire := topology.SupportedWireVersions
	drv := versionDriver{
		Module:           buildinfo.DriverModule,
		Version:          info.Driver,
		MinWireVersion:   wire.Min,
		MaxWireVersion:   wire.Max,
		MinServerVersion: topology.MinSupportedMongoDBVersion,
	}
	if f.Global.Output == "json" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(versionJSON{Info: info, Driver: drv})
	}
	if f.Global.Quiet {
		_, err := fmt.Fprintln(f.IO.Out, info.Version)
		return err
	}
	return writeVersionText(f.IO.Out, info, drv)
}

func writeVersionText(w io.Writer, info buildinfo.Info, drv versionDriver) error {
	commit := info.Commit
	if commit == "" {
		commit = "unknown"
	}
	if info.Modified {
		commit += " (with uncommitted changes)"
	}
	date := info.Date
	if date == "" {
		date = "unknown"
	}
	_, err := fmt.Fprintf(w, `mongoconn %s
  commit  %s
  date    %s
  go      %s %s
  driver  %s v%s (wire versions %d-%d, MongoDB %s and newer)
`, info.Version, commit, date, info.GoVersion, info.Platform,
		drv.Module, drv.Version, drv.MinWireVersion, drv.MaxWireVersion, drv.MinServerVersion)
	return err
}
