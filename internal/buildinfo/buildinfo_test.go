package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	driverversion "go.mongodb.org/mongo-driver/v2/version"
)

func goBuild(mainVersion string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mongoconn/mongoconn", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestFrom(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		stamps Stamps
		bi     *debug.BuildInfo
		want   Info
	}{
		{
			name:   "release build: the stamps win",
			stamps: Stamps{Version: "v1.2.0", Commit: rev, Date: "2026-01-02T03:04:05Z"},
			bi:     goBuild("v0.0.0-20260102030405-0123456789ab", "vcs.revision", "ffff", "vcs.time", "1999-01-01T00:00:00Z", "vcs.modified", "true"),
			want:   Info{Version: "v1.2.0", Commit: rev, Date: "2026-01-02T03:04:05Z", Source: "stamped"},
		},
		{
			name:   "stamped from a work tree with changes",
			stamps: Stamps{Version: "v1.2.0-3-g0123456-dirty", Commit: rev},
			bi:     goBuild("(devel)", "vcs.time", "2026-01-02T03:04:05Z"),
			want:   Info{Version: "v1.2.0-3-g0123456-dirty", Commit: rev, Date: "2026-01-02T03:04:05Z", Modified: true, Source: "stamped"},
		},
		{
			name: "go build in a clone: the toolchain's vcs settings",
			bi:   goBuild("v0.0.0-20260102030405-0123456789ab+dirty", "vcs", "git", "vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true"),
			want: Info{Version: "v0.0.0-20260102030405-0123456789ab+dirty", Commit: rev, Date: "2026-01-02T03:04:05Z", Modified: true, Source: "go"},
		},
		{
			name: "go install module@version: no vcs settings",
			bi:   goBuild("v1.2.0"),
			want: Info{Version: "v1.2.0", Source: "go"},
		},
		{
			name: "no build information at all",
			want: Info{Version: "(devel)", Source: "go"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := From(tc.stamps, tc.bi)
			want := tc.want
			want.GoVersion = runtime.Version()
			if tc.bi != nil {
				want.GoVersion = tc.bi.GoVersion
			}
			want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			want.Driver = driverversion.Driver
			if got != want {
				t.Errorf("From() =\n  %+v\nwant\n  %+v", got, want)
			}
		})
	}
}

func TestReadNamesTheLinkedDriver(t *testing.T) {
	info := Read()
	if info.Driver == "" || !strings.HasPrefix(info.Driver, "2.") {
		t.Errorf("Driver = %q, want the v2 driver's version", info.Driver)
	}
	if info.Version == "" || info.GoVersion == "" || !strings.Contains(info.Platform, "/") {
		t.Errorf("Read() = %+v: empty fields", info)
	}
}

func TestShortCommit(t *testing.T) {
	if got := (Info{Commit: "0123456789abcdef"}).ShortCommit(); got != "0123456789ab" {
		t.Errorf("ShortCommit = %q", got)
	}
	if got := (Info{Commit: "abc"}).ShortCommit(); got != "abc" {
		t.Errorf("ShortCommit = %q", got)
	}
}
