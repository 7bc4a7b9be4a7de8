package wireprobe

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe/hellodoc"
	"go.mongodb.org/mongo-driver/v2/version"
)

// WireSummary is one line about a server's wire range: its version, what
// this tool's driver makes of it, and which driver releases can talk to it.
func WireSummary(s report.Server, compat WireCompat, drv WireRange) string {
	r := DriverWire(s)
	ver := s.Version
	if ver == "" {
		ver = ServerVersionForReportedWire(s.MaxWireVersion)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MongoDB %s, wire %s", ver, ReportedWire(s))
	if wireTruncated(s) {
		fmt.Fprintf(&b, " (the Go driver keeps 32 bits of each and reads %s)", r)
	}
	if s.LegacyHello {
		b.WriteString(" (answered isMaster over OP_QUERY only)")
	}
	switch compat {
	case WireServerTooOld:
		fmt.Fprintf(&b, ": too old for this tool's Go driver %s (needs wire %d+, MongoDB %s+)", version.Driver, drv.Min, LinkedDriverMinServer())
	case WireServerTooNew:
		fmt.Fprintf(&b, ": too new for this tool's Go driver %s (speaks wire up to %d)", version.Driver, drv.Max)
	default:
		fmt.Fprintf(&b, ": compatible with this tool's Go driver %s (wire %s)", version.Driver, drv)
	}
	var support []string
	for _, d := range DriverNames() {
		support = append(support, d+" "+DriverSupport(d, r))
	}
	fmt.Fprintf(&b, "; releases that can talk to it: %s", strings.Join(support, ", "))
	return b.String()
}

// TooOldFinding explains servers below the driver's minimum, with the
// driver's own error text as evidence and both fixes: upgrade the server,
// or pin driver releases that still speak its wire version.
func TooOldFinding(servers []report.Server, drv WireRange) report.Finding {
	var ev []string
	oldest := servers[0]
	for _, s := range servers {
		ev = append(ev, fmt.Sprintf("server at %s reports wire version %s, but this version of the Go driver requires at least %d (MongoDB %s)",
			s.Address, wireAsRead(s.MaxWireVersion), drv.Min, LinkedDriverMinServer()))
		if DriverWire(s).Max < DriverWire(oldest).Max {
			oldest = s
		}
	}
	f := catalogue.NewFinding(catalogue.IDWireServerTooOld, ev...)
	ver := oldest.Version
	if ver == "" {
		ver = ServerVersionForReportedWire(oldest.MaxWireVersion)
	}
	r := DriverWire(oldest)
	upgrade := fmt.Sprintf("Upgrade the server to MongoDB %s or newer (it runs %s)", LinkedDriverMinServer(), ver)
	if path := UpgradePath(r.Max, drv.Min); len(path) > 1 {
		upgrade += "; upgrade one release at a time: " + strings.Join(path, " → ")
	}
	fixes := []string{upgrade}
	var pins []string
	for _, d := range DriverNames() {
		if rel, ok := NewestSupporting(d, r); ok {
			pins = append(pins, fmt.Sprintf("%s %s (%s)", d, rel.Last, rel.Install()))
		}
	}
	if len(pins) > 0 {
		fixes = append(fixes, fmt.Sprintf("Or keep the server and pin a driver release that still speaks wire %d: %s", r.Max, strings.Join(pins, "; ")))
	} else {
		fixes = append(fixes, fmt.Sprintf("No release of the Go, PyMongo, Node.js or Java drivers speaks wire %s: the server must be upgraded", r))
	}
	f.Fixes = fixes // specific to these servers; they replace the catalogue's generic ones
	return f
}

// TooNewFinding explains servers that require more than the driver
// speaks.
func TooNewFinding(servers []report.Server, drv WireRange) report.Finding {
	var ev []string
	newest := servers[0]
	for _, s := range servers {
		ev = append(ev, fmt.Sprintf("server at %s requires wire version %s, but this version of the Go driver only supports up to %d",
			s.Address, wireAsRead(s.MinWireVersion), drv.Max))
		if DriverWire(s).Min > DriverWire(newest).Min {
			newest = s
		}
	}
	f := catalogue.NewFinding(catalogue.IDWireServerTooNew, ev...)
	r := DriverWire(newest)
	var pins []string
	for _, d := range DriverNames() {
		if rel, ok := NewestSupporting(d, r); ok {
			pins = append(pins, fmt.Sprintf("%s %s (%s)", d, rel.Last, rel.Install()))
		}
	}
	var fixes []string
	if len(pins) > 0 {
		fixes = append(fixes, fmt.Sprintf("Upgrade the driver to a release that speaks wire %d: %s", r.Min, strings.Join(pins, "; ")))
	} else {
		fixes = append(fixes, fmt.Sprintf("Upgrade the driver: no release known to this tool speaks wire %d yet; check the driver's compatibility table", r.Min))
	}
	fixes = append(fixes, fmt.Sprintf("Or run a server release this driver speaks: MongoDB %s or older (wire %d)", ServerVersionForWire(drv.Max), drv.Max))
	f.Fixes = fixes // specific to these servers; they replace the catalogue's generic ones
	return f
}

// upgradeStops are the wire versions of the releases an upgrade must pass
// through: every release up to 4.4, then the major releases (the rapid
// releases in between are not upgrade stops).
var upgradeStops = []int32{1, 3, 4, 5, 6, 7, 8, 9, 13, 17, 21, 25, 29}

// UpgradePath lists the releases to pass through from a server whose
// maxWireVersion is from up to the first release with wire version to.
func UpgradePath(from, to int32) []string {
	var out []string
	for _, w := range upgradeStops {
		if w > from && w <= to {
			out = append(out, ServerVersionForWire(w))
		}
	}
	if len(out) == 0 || out[len(out)-1] != ServerVersionForWire(to) {
		out = append(out, ServerVersionForWire(to))
	}
	return out
}

// wireTruncated reports whether the driver reads either end of a server's
// wire range as another number (it keeps 32 bits).
func wireTruncated(s report.Server) bool {
	return hellodoc.Truncated(s.MinWireVersion) || hellodoc.Truncated(s.MaxWireVersion)
}

// wireAsRead is a wire version as sent and, when the driver reads it as
// another number, what it reads.
func wireAsRead(w int64) string {
	if !hellodoc.Truncated(w) {
		return fmt.Sprintf("%d", w)
	}
	return fmt.Sprintf("%d, which does not fit in 32 bits: the Go driver keeps its low 32 bits and reads %d", w, int32(w))
}

// ReportedWire formats a server's wire range as it sent it, exactly.
func ReportedWire(s report.Server) string {
	if s.MinWireVersion == s.MaxWireVersion {
		return fmt.Sprintf("%d", s.MinWireVersion)
	}
	return fmt.Sprintf("%d–%d", s.MinWireVersion, s.MaxWireVersion)
}
