package wireprobe

import (
	"fmt"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe/hellodoc"
)

// WireRange is a span of wire protocol versions, both ends included: what a
// server reports as minWireVersion/maxWireVersion in its hello reply, or
// what a driver release can speak.
type WireRange struct {
	Min int32 `json:"min"`
	Max int32 `json:"max"`
}

// String formats the range as "min–max".
func (r WireRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("%d", r.Min)
	}
	return fmt.Sprintf("%d–%d", r.Min, r.Max)
}

// Contains reports whether wire version v lies in r.
func (r WireRange) Contains(v int32) bool { return v >= r.Min && v <= r.Max }

// WireCompat is how a server's wire range relates to a driver's.
type WireCompat int

// The three outcomes of the compatibility rule of the SDAM specification
// (server-discovery-and-monitoring.md, "Checking wire protocol
// compatibility"): a server is incompatible when its minWireVersion is
// above the driver's maximum, or its maxWireVersion below the driver's
// minimum.
const (
	WireCompatible WireCompat = iota
	WireServerTooOld
	WireServerTooNew
)

// String names the outcome.
func (c WireCompat) String() string {
	switch c {
	case WireServerTooOld:
		return "server too old"
	case WireServerTooNew:
		return "server too new"
	}
	return "compatible"
}

// CheckWire applies the SDAM compatibility rule to a server's range and a
// driver's range.
func CheckWire(server, driver WireRange) WireCompat {
	switch {
	case server.Min > driver.Max:
		return WireServerTooNew
	case server.Max < driver.Min:
		return WireServerTooOld
	}
	return WireCompatible
}

// DriverWire is the wire range the linked Go driver reads from what a
// server reported: it casts minWireVersion and maxWireVersion to int32,
// keeping their low 32 bits, so a maxWireVersion of 2^32 reads as 0.
func DriverWire(s report.Server) WireRange {
	r := hellodoc.DriverWire(s.MinWireVersion, s.MaxWireVersion)
	return WireRange{Min: r.Min, Max: r.Max}
}

// LinkedDriverWire is the wire range of the Go driver this program is built
// with, read from the driver itself
// (go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.SupportedWireVersions).
func LinkedDriverWire() WireRange {
	return WireRange{Min: topology.SupportedWireVersions.Min, Max: topology.SupportedWireVersions.Max}
}

// LinkedDriverMinServer is the oldest MongoDB release the linked Go driver
// supports, as the driver itself states it
// (topology.MinSupportedMongoDBVersion).
func LinkedDriverMinServer() string { return topology.MinSupportedMongoDBVersion }

// wireServerVersions maps a wire version to the MongoDB release whose
// maxWireVersion it is. Sources: mongodb/mongo src/mongo/db/wire_version.h
// (0–14: RELEASE_2_4_AND_BEFORE … WIRE_VERSION_51; 10–12 are the 4.7–4.9
// development series), the drivers' "bump maxWireVersion for MongoDB X"
// changes (PyMongo PYTHON-3058: 15 is 5.2; PYTHON-3254: 17 is 6.0;
// PYTHON-3652: 21 is 7.0; PYTHON-4524: 25 is 8.0; Go GODRIVER-3856: 29 is
// 9.0) and the server's rapid-release numbering in between (one wire
// version per minor release since 5.1).
var wireServerVersions = []string{
	0:  "≤2.4",
	1:  "2.6",
	2:  "2.6",
	3:  "3.0",
	4:  "3.2",
	5:  "3.4",
	6:  "3.6",
	7:  "4.0",
	8:  "4.2",
	9:  "4.4",
	10: "4.7",
	11: "4.8",
	12: "4.9",
	13: "5.0",
	14: "5.1",
	15: "5.2",
	16: "5.3",
	17: "6.0",
	18: "6.1",
	19: "6.2",
	20: "6.3",
	21: "7.0",
	22: "7.1",
	23: "7.2",
	24: "7.3",
	25: "8.0",
	26: "8.1",
	27: "8.2",
	28: "8.3",
	29: "9.0",
	30: "9.1",
}

// MaxKnownWire is the newest wire version in the table.
const MaxKnownWire = 30

// ServerVersionForWire names the MongoDB release whose maxWireVersion is w:
// "3.4" for 5, "≤2.4" for 0, "newer than 9.1" beyond the table.
func ServerVersionForWire(w int32) string {
	switch {
	case w < 0:
		return "unknown"
	case int(w) < len(wireServerVersions):
		return wireServerVersions[w]
	}
	return "newer than " + wireServerVersions[len(wireServerVersions)-1]
}

// ServerVersionForReportedWire is ServerVersionForWire for a wire version
// as a server sent it: a number beyond 32 bits names no release.
func ServerVersionForReportedWire(w int64) string {
	if hellodoc.Truncated(w) {
		return "unknown"
	}
	return ServerVersionForWire(int32(w))
}

// WireForServerVersion returns the maxWireVersion of a MongoDB release
// ("4.4" or "4.4.29"), and false when the release is not in the table.
func WireForServerVersion(v string) (int32, bool) {
	mm := majorMinor(v)
	for w := len(wireServerVersions) - 1; w >= 0; w-- {
		if wireServerVersions[w] == mm {
			return int32(w), true
		}
	}
	return 0, false
}

// majorMinor keeps "X.Y" of a version string such as "3.4.24-rc1".
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor := parts[1]
	for i, r := range minor {
		if r < '0' || r > '9' {
			minor = minor[:i]
			break
		}
	}
	return parts[0] + "." + minor
}

// Driver names used in the release table.
const (
	DriverGo      = "Go"
	DriverPyMongo = "PyMongo"
	DriverNode    = "Node.js"
	DriverJava    = "Java"
)

// DriverNames lists the drivers of the release table in display order.
func DriverNames() []string { return []string{DriverGo, DriverPyMongo, DriverNode, DriverJava} }

// DriverRelease is a run of consecutive minor releases of one driver that
// speak the same wire range.
type DriverRelease struct {
	Driver string    `json:"driver"`
	First  string    `json:"first"`
	Last   string    `json:"last"`
	Wire   WireRange `json:"wire"`
	// Source is where the figures were read: file and release tag.
	Source string `json:"-"`
}

// Releases formats the run as "4.0" or "4.2–4.3".
func (d DriverRelease) Releases() string {
	if d.First == d.Last {
		return d.First
	}
	return d.First + "–" + d.Last
}

// Install is how to pin the newest release of the run, in the driver's own
// package manager.
func (d DriverRelease) Install() string {
	switch d.Driver {
	case DriverGo:
		if strings.HasPrefix(d.Last, "1.") {
			return "go get go.mongodb.org/mongo-driver@v" + d.Last
		}
		return "go get go.mongodb.org/mongo-driver/v2@v" + d.Last
	case DriverPyMongo:
		return fmt.Sprintf(`pip install "pymongo==%s.*"`, d.Last)
	case DriverNode:
		return "npm install mongodb@" + d.Last
	case DriverJava:
		return "org.mongodb:mongodb-driver-sync:" + d.Last + ".x"
	}
	return d.Driver + " " + d.Last
}

// The figures below were read from each driver's sources at the first
// release tag (X.Y.0) of every minor series; a run covers consecutive
// series with the same figures.
const (
	srcGoV1Early = "mongodb/mongo-go-driver x/mongo/driver/topology/fsm.go supportedWireVersions"
	srcGoV1      = "mongodb/mongo-go-driver x/mongo/driver/topology/fsm.go SupportedWireVersions"
	srcGoV2      = "mongodb/mongo-go-driver internal/driverutil/description.go MinWireVersion/MaxWireVersion"
	srcPy        = "mongodb/mongo-python-driver pymongo/common.py MIN_SUPPORTED_WIRE_VERSION/MAX_SUPPORTED_WIRE_VERSION"
	srcNode3     = "mongodb/node-mongodb-native lib/core/wireprotocol/constants.js"
	srcNode      = "mongodb/node-mongodb-native src/cmap/wire_protocol/constants.ts MIN_SUPPORTED_WIRE_VERSION/MAX_SUPPORTED_WIRE_VERSION"
	srcJava      = "mongodb/mongo-java-driver driver-core/src/main/com/mongodb/connection/ServerDescription.java MIN_DRIVER_WIRE_VERSION/MAX_DRIVER_WIRE_VERSION"
)

// driverReleases is the release table, oldest first within each driver.
var driverReleases = []DriverRelease{
	// Go, module go.mongodb.org/mongo-driver (v1) and .../v2.
	{DriverGo, "1.0", "1.0", WireRange{2, 6}, srcGoV1Early + " @v1.0.0"},
	{DriverGo, "1.1", "1.3", WireRange{2, 8}, srcGoV1Early + " @v1.1.0–v1.3.0"},
	{DriverGo, "1.4", "1.5", WireRange{2, 9}, srcGoV1 + " @v1.4.0–v1.5.0"},
	{DriverGo, "1.6", "1.7", WireRange{2, 13}, srcGoV1 + " @v1.6.0–v1.7.0"},
	{DriverGo, "1.8", "1.8", WireRange{2, 14}, srcGoV1 + " @v1.8.0"},
	{DriverGo, "1.9", "1.9", WireRange{2, 15}, srcGoV1 + " @v1.9.0"},
	{DriverGo, "1.10", "1.10", WireRange{2, 17}, srcGoV1 + " @v1.10.0"},
	{DriverGo, "1.11", "1.11", WireRange{6, 17}, srcGoV1 + " @v1.11.0"},
	{DriverGo, "1.12", "1.16", WireRange{6, 21}, srcGoV1 + " @v1.12.0–v1.16.0"},
	{DriverGo, "1.17", "1.17", WireRange{6, 25}, srcGoV1 + " @v1.17.0"},
	{DriverGo, "2.0", "2.1", WireRange{6, 25}, srcGoV2 + " @v2.0.0–v2.1.0"},
	{DriverGo, "2.2", "2.3", WireRange{7, 25}, srcGoV2 + " @v2.2.0–v2.3.0"},
	{DriverGo, "2.4", "2.8", WireRange{8, 25}, srcGoV2 + " @v2.4.0–v2.8.0"},
	{DriverGo, "2.9", "2.10", WireRange{9, 29}, srcGoV2 + " @v2.9.0–v2.10.0"},

	// PyMongo.
	{DriverPyMongo, "3.0", "3.3", WireRange{0, 3}, srcPy + " @3.0–3.3.0"},
	{DriverPyMongo, "3.4", "3.5", WireRange{0, 5}, srcPy + " @3.4.0–3.5.0"},
	{DriverPyMongo, "3.6", "3.8", WireRange{2, 5}, srcPy + " @3.6.0–3.8.0"},
	{DriverPyMongo, "3.9", "3.10", WireRange{2, 8}, srcPy + " @3.9.0–3.10.0"},
	{DriverPyMongo, "3.11", "3.11", WireRange{2, 9}, srcPy + " @3.11.0"},
	{DriverPyMongo, "3.12", "3.13", WireRange{2, 13}, srcPy + " @3.12.0–3.13.0"},
	{DriverPyMongo, "4.0", "4.0", WireRange{6, 14}, srcPy + " @4.0"},
	{DriverPyMongo, "4.1", "4.1", WireRange{6, 15}, srcPy + " @4.1.0"},
	{DriverPyMongo, "4.2", "4.3", WireRange{6, 17}, srcPy + " @4.2.0–4.3.0"},
	{DriverPyMongo, "4.4", "4.8", WireRange{6, 21}, srcPy + " @4.4.0–4.8.0"},
	{DriverPyMongo, "4.9", "4.10", WireRange{6, 25}, srcPy + " @4.9–4.10.0"},
	{DriverPyMongo, "4.11", "4.13", WireRange{7, 25}, srcPy + " @4.11–4.13.0"},
	{DriverPyMongo, "4.14", "4.17", WireRange{8, 25}, srcPy + " @4.14.0–4.17.0"},

	// Node.js, npm package mongodb.
	{DriverNode, "3.3", "3.5", WireRange{2, 8}, srcNode3 + " @v3.3.0–v3.5.0"},
	{DriverNode, "3.6", "3.6", WireRange{2, 9}, srcNode3 + " @v3.6.0"},
	{DriverNode, "3.7", "4.1", WireRange{2, 13}, srcNode3 + " @v3.7.0; " + srcNode + " @v4.0.0–v4.1.0"},
	{DriverNode, "4.2", "4.6", WireRange{6, 14}, srcNode + " @v4.2.0–v4.6.0"},
	{DriverNode, "4.7", "5.3", WireRange{6, 17}, srcNode + " @v4.7.0–v5.3.0"},
	{DriverNode, "5.4", "6.8", WireRange{6, 21}, srcNode + " @v5.4.0–v6.8.0"},
	{DriverNode, "6.9", "6.9", WireRange{6, 25}, srcNode + " @v6.9.0"},
	{DriverNode, "6.10", "6.16", WireRange{7, 25}, srcNode + " @v6.10.0–v6.16.0"},
	{DriverNode, "6.17", "6.19", WireRange{8, 25}, srcNode + " @v6.17.0–v6.19.0"},
	{DriverNode, "6.20", "7.2", WireRange{8, 27}, srcNode + " @v6.20.0–v7.2.0"},
	{DriverNode, "7.3", "7.5", WireRange{8, 29}, srcNode + " @v7.3.0–v7.5.0"},
	{DriverNode, "7.6", "7.9", WireRange{9, 29}, srcNode + " @v7.6.0–v7.9.1 (NODE-7547: MongoDB 4.4 and later)"},

	// Java, org.mongodb:mongodb-driver-sync / driver-core.
	{DriverJava, "3.0", "3.5", WireRange{0, 3}, srcJava + " @r3.0.0–r3.5.0"},
	{DriverJava, "3.6", "3.10", WireRange{1, 6}, srcJava + " @r3.6.0–r3.10.0"},
	{DriverJava, "3.11", "4.0", WireRange{2, 8}, srcJava + " @r3.11.0–r4.0.0"},
	{DriverJava, "4.1", "4.2", WireRange{2, 9}, srcJava + " @r4.1.0–r4.2.0"},
	{DriverJava, "4.3", "4.3", WireRange{2, 13}, srcJava + " @r4.3.0"},
	{DriverJava, "4.4", "4.4", WireRange{2, 14}, srcJava + " @r4.4.0"},
	{DriverJava, "4.5", "4.6", WireRange{2, 15}, srcJava + " @r4.5.0–r4.6.0"},
	{DriverJava, "4.7", "4.7", WireRange{2, 17}, srcJava + " @r4.7.0"},
	{DriverJava, "4.8", "4.9", WireRange{6, 17}, srcJava + " @r4.8.0–r4.9.0"},
	{DriverJava, "4.10", "5.1", WireRange{6, 21}, srcJava + " @r4.10.0–r5.1.0"},
	{DriverJava, "5.2", "5.4", WireRange{7, 25}, srcJava + " @r5.2.0–r5.4.0"},
	{DriverJava, "5.5", "5.10", WireRange{8, 25}, srcJava + " @r5.5.0–r5.10.0"},
}

// DriverReleases returns the whole release table, a copy.
func DriverReleases() []DriverRelease {
	return append([]DriverRelease(nil), driverReleases...)
}

// SupportingReleases returns, for driver, every run of releases that can
// talk to a server with wire range server, oldest first.
func SupportingReleases(driver string, server WireRange) []DriverRelease {
	var out []DriverRelease
	for _, d := range driverReleases {
		if d.Driver == driver && CheckWire(server, d.Wire) == WireCompatible {
			out = append(out, d)
		}
	}
	return out
}

// NewestSupporting returns the newest run of releases of driver that can
// talk to server.
func NewestSupporting(driver string, server WireRange) (DriverRelease, bool) {
	s := SupportingReleases(driver, server)
	if len(s) == 0 {
		return DriverRelease{}, false
	}
	return s[len(s)-1], true
}

// DriverSupport summarises, for one driver, which releases can talk to a
// server: "4.0–4.10", "3.7–4.1, 6.20–7.5" or "none".
func DriverSupport(driver string, server WireRange) string {
	runs := SupportingReleases(driver, server)
	if len(runs) == 0 {
		return "none"
	}
	// Merge adjacent runs: the table is ordered, so compatible runs that
	// follow each other form one span of releases.
	var spans []string
	first, last := runs[0].First, runs[0].Last
	prevIdx := indexOfRelease(runs[0])
	for _, r := range runs[1:] {
		i := indexOfRelease(r)
		if i == prevIdx+1 {
			last = r.Last
		} else {
			spans = append(spans, wireSpan(first, last))
			first, last = r.First, r.Last
		}
		prevIdx = i
	}
	spans = append(spans, wireSpan(first, last))
	return strings.Join(spans, ", ")
}

func indexOfRelease(d DriverRelease) int {
	for i, r := range driverReleases {
		if r.Driver == d.Driver && r.First == d.First {
			return i
		}
	}
	return -1
}

func wireSpan(first, last string) string {
	if first == last {
		return first
	}
	return first + "–" + last
}

// ReleaseOf returns the run of the release table that holds release
// version of driver ("7.9.1", "3.11.0" or "3.11"), and false when the
// table has no such release.
func ReleaseOf(driver, version string) (DriverRelease, bool) {
	v, ok := parseMinor(majorMinor(version))
	if !ok {
		return DriverRelease{}, false
	}
	for _, d := range driverReleases {
		first, ok1 := parseMinor(d.First)
		last, ok2 := parseMinor(d.Last)
		if d.Driver == driver && ok1 && ok2 && !v.less(first) && !last.less(v) {
			return d, true
		}
	}
	return DriverRelease{}, false
}

// minorRelease is a release as major and minor numbers.
type minorRelease struct{ major, minor int }

func (a minorRelease) less(b minorRelease) bool {
	return a.major < b.major || a.major == b.major && a.minor < b.minor
}

// parseMinor reads "X.Y".
func parseMinor(s string) (minorRelease, bool) {
	maj, mnr, ok := strings.Cut(s, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(mnr)
	if !ok || err1 != nil || err2 != nil || a < 0 || b < 0 {
		return minorRelease{}, false
	}
	return minorRelease{a, b}, true
}
