package wireprobe

import (
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/version"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

func TestServerVersionForWire(t *testing.T) {
	cases := []struct {
		wire int32
		want string
	}{
		{-1, "unknown"},
		{0, "≤2.4"},
		{1, "2.6"},
		{2, "2.6"},
		{3, "3.0"},
		{4, "3.2"},
		{5, "3.4"},
		{6, "3.6"},
		{7, "4.0"},
		{8, "4.2"},
		{9, "4.4"},
		{13, "5.0"},
		{14, "5.1"},
		{16, "5.3"},
		{17, "6.0"},
		{18, "6.1"},
		{20, "6.3"},
		{21, "7.0"},
		{22, "7.1"},
		{24, "7.3"},
		{25, "8.0"},
		{26, "8.1"},
		{28, "8.3"},
		{29, "9.0"},
		{30, "9.1"},
		{31, "newer than 9.1"},
	}
	for _, c := range cases {
		if got := ServerVersionForWire(c.wire); got != c.want {
			t.Errorf("ServerVersionForWire(%d) = %q, want %q", c.wire, got, c.want)
		}
	}
}

func TestWireForServerVersion(t *testing.T) {
	cases := []struct {
		version string
		want    int32
		ok      bool
	}{
		{"3.4.24", 5, true},
		{"3.6", 6, true},
		{"4.4.29", 9, true},
		{"7.0.12", 21, true},
		{"8.0.0-rc3", 25, true},
		{"2.6.12", 2, true},
		{"1.8.5", 0, false},
		{"", 0, false},
		{"garbage", 0, false},
	}
	for _, c := range cases {
		got, ok := WireForServerVersion(c.version)
		if got != c.want || ok != c.ok {
			t.Errorf("WireForServerVersion(%q) = %d, %v; want %d, %v", c.version, got, ok, c.want, c.ok)
		}
	}
}

func TestCheckWire(t *testing.T) {
	driver := WireRange{Min: 9, Max: 29}
	cases := []struct {
		name   string
		server WireRange
		want   WireCompat
	}{
		{"3.4 server", WireRange{0, 5}, WireServerTooOld},
		{"4.2 server", WireRange{0, 8}, WireServerTooOld},
		{"4.4 server", WireRange{0, 9}, WireCompatible},
		{"8.0 server", WireRange{0, 25}, WireCompatible},
		{"future server that keeps old clients", WireRange{0, 40}, WireCompatible},
		{"server at the driver's maximum", WireRange{29, 29}, WireCompatible},
		{"server that topoDropped the driver's range", WireRange{30, 31}, WireServerTooNew},
	}
	for _, c := range cases {
		if got := CheckWire(c.server, driver); got != c.want {
			t.Errorf("%s: CheckWire(%v, %v) = %v, want %v", c.name, c.server, driver, got, c.want)
		}
	}
}

// The linked driver's range must come from the driver, and the release
// table must agree with it: a driver upgrade that changes the range without
// a table update fails here.
func TestLinkedDriverMatchesTable(t *testing.T) {
	got := LinkedDriverWire()
	if got.Min != topology.SupportedWireVersions.Min || got.Max != topology.SupportedWireVersions.Max {
		t.Fatalf("LinkedDriverWire() = %v, driver says %v", got, topology.SupportedWireVersions)
	}
	if LinkedDriverMinServer() != topology.MinSupportedMongoDBVersion {
		t.Fatalf("LinkedDriverMinServer() = %q", LinkedDriverMinServer())
	}
	mm := majorMinor(version.Driver)
	var found bool
	for _, d := range DriverReleases() {
		if d.Driver != DriverGo || wireCompareVersions(d.First, mm) > 0 || wireCompareVersions(mm, d.Last) > 0 {
			continue
		}
		found = true
		if d.Wire != got {
			t.Errorf("table says Go %s speaks wire %v, the linked driver %s says %v", d.Releases(), d.Wire, version.Driver, got)
		}
	}
	if !found {
		t.Errorf("the release table has no Go entry for the linked driver %s", version.Driver)
	}
	if w, ok := WireForServerVersion(LinkedDriverMinServer()); !ok || w != got.Min {
		t.Errorf("the wire table maps MongoDB %s to %d (ok=%v); the driver's minimum wire version is %d", LinkedDriverMinServer(), w, ok, got.Min)
	}
}

// wireCompareVersions orders "X.Y" strings numerically.
func wireCompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// Within each driver the runs must be in release order, not overlap, and
// never lower a bound (no driver re-added support for old servers).
func TestDriverReleaseTableIsOrdered(t *testing.T) {
	byDriver := map[string][]DriverRelease{}
	for _, d := range DriverReleases() {
		if d.Wire.Min > d.Wire.Max {
			t.Errorf("%s %s: min %d > max %d", d.Driver, d.Releases(), d.Wire.Min, d.Wire.Max)
		}
		if wireCompareVersions(d.First, d.Last) > 0 {
			t.Errorf("%s: first %s after last %s", d.Driver, d.First, d.Last)
		}
		if d.Source == "" {
			t.Errorf("%s %s: no source cited", d.Driver, d.Releases())
		}
		byDriver[d.Driver] = append(byDriver[d.Driver], d)
	}
	for _, name := range DriverNames() {
		runs := byDriver[name]
		if len(runs) == 0 {
			t.Errorf("no releases for %s", name)
			continue
		}
		for i := 1; i < len(runs); i++ {
			prev, cur := runs[i-1], runs[i]
			if wireCompareVersions(prev.Last, cur.First) >= 0 {
				t.Errorf("%s: run %s overlaps or precedes %s", name, cur.Releases(), prev.Releases())
			}
			if cur.Wire.Min < prev.Wire.Min || cur.Wire.Max < prev.Wire.Max {
				t.Errorf("%s: %s (%v) lowers a bound of %s (%v)", name, cur.Releases(), cur.Wire, prev.Releases(), prev.Wire)
			}
		}
	}
}

func TestDriverSupport(t *testing.T) {
	cases := []struct {
		name   string
		server WireRange
		want   map[string]string
	}{
		{"MongoDB 3.4 (OP_QUERY only)", WireRange{0, 5}, map[string]string{
			DriverGo: "1.0–1.10", DriverPyMongo: "3.0–3.13", DriverNode: "3.3–4.1", DriverJava: "3.0–4.7",
		}},
		{"MongoDB 3.6", WireRange{0, 6}, map[string]string{
			DriverGo: "1.0–2.1", DriverPyMongo: "3.0–4.10", DriverNode: "3.3–6.9", DriverJava: "3.0–5.1",
		}},
		{"MongoDB 4.2", WireRange{0, 8}, map[string]string{
			DriverGo: "1.0–2.8", DriverPyMongo: "3.0–4.17", DriverNode: "3.3–7.5", DriverJava: "3.0–5.10",
		}},
		{"MongoDB 8.0", WireRange{0, 25}, map[string]string{
			DriverGo: "1.0–2.10", DriverPyMongo: "3.0–4.17", DriverNode: "3.3–7.9", DriverJava: "3.0–5.10",
		}},
		{"a server that only speaks wire 26–27", WireRange{26, 27}, map[string]string{
			DriverGo: "2.9–2.10", DriverPyMongo: "none", DriverNode: "6.20–7.9", DriverJava: "none",
		}},
		{"a server beyond every driver", WireRange{31, 31}, map[string]string{
			DriverGo: "none", DriverPyMongo: "none", DriverNode: "none", DriverJava: "none",
		}},
	}
	for _, c := range cases {
		for _, d := range DriverNames() {
			if got := DriverSupport(d, c.server); got != c.want[d] {
				t.Errorf("%s: DriverSupport(%s) = %q, want %q", c.name, d, got, c.want[d])
			}
		}
	}
}

func TestNewestSupportingAndInstall(t *testing.T) {
	cases := []struct {
		driver  string
		server  WireRange
		install string
		ok      bool
	}{
		{DriverGo, WireRange{0, 5}, "go get go.mongodb.org/mongo-driver@v1.10", true},
		{DriverGo, WireRange{0, 7}, "go get go.mongodb.org/mongo-driver/v2@v2.3", true},
		{DriverPyMongo, WireRange{0, 5}, `pip install "pymongo==3.13.*"`, true},
		{DriverNode, WireRange{0, 6}, "npm install mongodb@6.9", true},
		{DriverJava, WireRange{0, 7}, "org.mongodb:mongodb-driver-sync:5.4.x", true},
		{DriverGo, WireRange{40, 41}, "", false},
	}
	for _, c := range cases {
		d, ok := NewestSupporting(c.driver, c.server)
		if ok != c.ok {
			t.Errorf("NewestSupporting(%s, %v) ok = %v, want %v", c.driver, c.server, ok, c.ok)
			continue
		}
		if ok && d.Install() != c.install {
			t.Errorf("NewestSupporting(%s, %v).Install() = %q, want %q", c.driver, c.server, d.Install(), c.install)
		}
	}
}

func TestReleaseOf(t *testing.T) {
	cases := []struct {
		driver, version string
		wire            WireRange
		ok              bool
	}{
		{DriverNode, "7.9.1", WireRange{9, 29}, true},
		{DriverNode, "7.5.0", WireRange{8, 29}, true},
		{DriverNode, "6.10", WireRange{7, 25}, true},
		{DriverPyMongo, "3.11.0", WireRange{2, 9}, true},
		{DriverPyMongo, "4.12.1", WireRange{7, 25}, true},
		{DriverGo, "2.10.0", WireRange{9, 29}, true},
		{DriverNode, "99.0.0", WireRange{}, false},
		{DriverNode, "seven", WireRange{}, false},
		{"Rust", "3.0.0", WireRange{}, false},
	}
	for _, c := range cases {
		d, ok := ReleaseOf(c.driver, c.version)
		if ok != c.ok || ok && d.Wire != c.wire {
			t.Errorf("ReleaseOf(%s, %s) = %v %v, want wire %v, %v", c.driver, c.version, d.Wire, ok, c.wire, c.ok)
		}
	}
}
