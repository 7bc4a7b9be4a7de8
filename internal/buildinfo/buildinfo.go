// Package buildinfo says which mongoconn this is: the version, commit and
// date a release build stamps into the binary, else what the Go toolchain
// recorded (the module version, vcs.revision, vcs.time), with the Go
// version, the platform and the MongoDB driver it links.
//
// The stamps are set at link time and never written by the program:
//
//	go build -ldflags "-X github.com/mongoconn/mongoconn/internal/buildinfo.version=v1.2.0
//	    -X github.com/mongoconn/mongoconn/internal/buildinfo.commit=0123abc...
//	    -X github.com/mongoconn/mongoconn/internal/buildinfo.date=2026-01-02T03:04:05Z"
//
// `make build` and `make release` pass them.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"

	driverversion "go.mongodb.org/mongo-driver/v2/version"
)

// Link-time stamps (-ldflags -X). Empty in a plain `go build` or
// `go install`; read only through Read.
var (
	version string
	commit  string
	date    string
)

// DriverModule is the module path of the MongoDB driver mongoconn links.
const DriverModule = "go.mongodb.org/mongo-driver/v2"

// Info describes one build of mongoconn.
type Info struct {
	// Version is the release ("v1.2.0"), the module version Go recorded
	// ("v1.2.0", a pseudo-version), or "(devel)".
	Version string `json:"version"`
	// Commit is the full commit hash the binary was built from, "" when
	// unknown.
	Commit string `json:"commit,omitempty"`
	// Date is the commit's time (RFC 3339, UTC), "" when unknown.
	Date string `json:"date,omitempty"`
	// Modified is set when the work tree had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// Source says where Version, Commit and Date came from: "stamped"
	// (ldflags) or "go" (the toolchain's build information).
	Source string `json:"source"`
	// GoVersion is the Go release that built the binary.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
	// Driver is the version of DriverModule linked in.
	Driver string `json:"driver"`
}

// Stamps are the link-time values, passed explicitly so that tests can
// give their own.
type Stamps struct {
	Version, Commit, Date string
}

// Read returns the information of the running binary.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(Stamps{Version: version, Commit: commit, Date: date}, bi)
}

// From combines stamps with the toolchain's build information (nil when
// the binary has none). A stamp wins over what Go recorded; what is
// neither stamped nor recorded stays empty, except Version ("(devel)").
func From(s Stamps, bi *debug.BuildInfo) Info {
	info := Info{
		Version:   strings.TrimSpace(s.Version),
		Commit:    strings.TrimSpace(s.Commit),
		Date:      strings.TrimSpace(s.Date),
		Source:    "stamped",
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Driver:    driverversion.Driver,
	}
	if strings.HasSuffix(info.Version, "-dirty") {
		info.Modified = true
	}
	if info.Version == "" && info.Commit == "" {
		info.Source = "go"
	}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = kv.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = kv.Value
				}
			case "vcs.modified":
				if info.Source == "go" && kv.Value == "true" {
					info.Modified = true
				}
			}
		}
	}
	if strings.HasSuffix(info.Version, "+dirty") {
		info.Modified = true
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	return info
}

// ShortCommit is the first twelve characters of the commit hash.
func (i Info) ShortCommit() string {
	if len(i.Commit) > 12 {
		return i.Commit[:12]
	}
	return i.Commit
}
