package diagnose

import (
	"context"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
	"github.com/mongoconn/mongoconn/wireprobe/hellodoc"
	"go.mongodb.org/mongo-driver/v2/version"
)

// WireCheck asks every seed and every member they advertise for its wire
// version range with a raw hello (legacy isMaster over OP_QUERY for
// servers before 3.6), and says for each one whether this tool's Go driver
// can talk to it and which releases of the Go, PyMongo, Node.js and Java
// drivers can. A blocked network yields a Report, not an error.
func (e *Engine) WireCheck(ctx context.Context, t *connstr.Target) (*report.Report, error) {
	return e.topoCommand(ctx, "wire-check", t, func(_ context.Context, x *run, v *sdam.View) string {
		n := x.wireFindings(v, true)
		if n == 0 {
			x.skip(report.StageWire, "no server answered hello")
			return ""
		}
		drv := wireprobe.LinkedDriverWire()
		return fmt.Sprintf("all %d server(s) speak a wire version this tool's Go driver %s supports (%s)", n, version.Driver, drv)
	})
}

// wireServers are the servers that answered, in probe order: members of
// the topology and servers SDAM dropped alike (the driver checks every
// server it monitors).
func wireServers(v *sdam.View) []report.Server {
	var out []report.Server
	for _, a := range v.Order {
		if s := v.Probed[a]; s.Reachable && !v.AliasOfMember(s) {
			s.Address = sdam.DisplayAddr(v, a)
			out = append(out, s)
		}
	}
	return out
}

// wireFindings checks every server that answered against the linked
// driver's wire range: wire.server-too-old / wire.server-too-new with the
// driver's own wording as evidence. With all, every server gets a wire
// check naming the driver releases that can talk to it; without, only the
// incompatible ones do. It returns how many servers were checked.
func (x *run) wireFindings(v *sdam.View, all bool) int {
	drv := wireprobe.LinkedDriverWire()
	servers := wireServers(v)
	var tooOld, tooNew []report.Server
	for _, s := range servers {
		compat := wireprobe.CheckWire(wireprobe.DriverWire(s), drv)
		switch compat {
		case wireprobe.WireServerTooOld:
			tooOld = append(tooOld, s)
		case wireprobe.WireServerTooNew:
			tooNew = append(tooNew, s)
		}
		if !all && compat == wireprobe.WireCompatible {
			continue
		}
		c := report.Check{Stage: report.StageWire, Address: s.Address, Status: report.StatusPass, Summary: wireSummary(s, compat, drv)}
		if compat != wireprobe.WireCompatible {
			c.Status = report.StatusFail
		}
		x.addCheck(c)
	}
	if len(tooOld) > 0 {
		x.addFinding(wireTooOldFinding(tooOld, drv))
	}
	if len(tooNew) > 0 {
		x.addFinding(wireTooNewFinding(tooNew, drv))
	}
	return len(servers)
}

// wireSummary is one line about a server's wire range: its version, what
// this tool's driver makes of it, and which driver releases can talk to it.
func wireSummary(s report.Server, compat wireprobe.WireCompat, drv wireprobe.WireRange) string {
	r := wireprobe.DriverWire(s)
	ver := s.Version
	if ver == "" {
		ver = wireprobe.ServerVersionForReportedWire(s.MaxWireVersion)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MongoDB %s, wire %s", ver, topofind.ReportedWire(s))
	if wireTruncated(s) {
		fmt.Fprintf(&b, " (the Go driver keeps 32 bits of each and reads %s)", r)
	}
	if s.LegacyHello {
		b.WriteString(" (answered isMaster over OP_QUERY only)")
	}
	switch compat {
	case wireprobe.WireServerTooOld:
		fmt.Fprintf(&b, ": too old for this tool's Go driver %s (needs wire %d+, MongoDB %s+)", version.Driver, drv.Min, wireprobe.LinkedDriverMinServer())
	case wireprobe.WireServerTooNew:
		fmt.Fprintf(&b, ": too new for this tool's Go driver %s (speaks wire up to %d)", version.Driver, drv.Max)
	default:
		fmt.Fprintf(&b, ": compatible with this tool's Go driver %s (wire %s)", version.Driver, drv)
	}
	var support []string
	for _, d := range wireprobe.DriverNames() {
		support = append(support, d+" "+wireprobe.DriverSupport(d, r))
	}
	fmt.Fprintf(&b, "; releases that can talk to it: %s", strings.Join(support, ", "))
	return b.String()
}

// wireTooOldFinding explains servers below the driver's minimum, with the
// driver's own error text as evidence and both fixes: upgrade the server,
// or pin driver releases that still speak its wire version.
func wireTooOldFinding(servers []report.Server, drv wireprobe.WireRange) report.Finding {
	var ev []string
	oldest := servers[0]
	for _, s := range servers {
		ev = append(ev, fmt.Sprintf("server at %s reports wire version %s, but this version of the Go driver requires at least %d (MongoDB %s)",
			s.Address, wireAsRead(s.MaxWireVersion), drv.Min, wireprobe.LinkedDriverMinServer()))
		if wireprobe.DriverWire(s).Max < wireprobe.DriverWire(oldest).Max {
			oldest = s
		}
	}
	f := catalogue.NewFinding(catalogue.IDWireServerTooOld, ev...)
	ver := oldest.Version
	if ver == "" {
		ver = wireprobe.ServerVersionForReportedWire(oldest.MaxWireVersion)
	}
	r := wireprobe.DriverWire(oldest)
	upgrade := fmt.Sprintf("Upgrade the server to MongoDB %s or newer (it runs %s)", wireprobe.LinkedDriverMinServer(), ver)
	if path := upgradePath(r.Max, drv.Min); len(path) > 1 {
		upgrade += "; upgrade one release at a time: " + strings.Join(path, " → ")
	}
	fixes := []string{upgrade}
	var pins []string
	for _, d := range wireprobe.DriverNames() {
		if rel, ok := wireprobe.NewestSupporting(d, r); ok {
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

// wireTooNewFinding explains servers that require more than the driver
// speaks.
func wireTooNewFinding(servers []report.Server, drv wireprobe.WireRange) report.Finding {
	var ev []string
	newest := servers[0]
	for _, s := range servers {
		ev = append(ev, fmt.Sprintf("server at %s requires wire version %s, but this version of the Go driver only supports up to %d",
			s.Address, wireAsRead(s.MinWireVersion), drv.Max))
		if wireprobe.DriverWire(s).Min > wireprobe.DriverWire(newest).Min {
			newest = s
		}
	}
	f := catalogue.NewFinding(catalogue.IDWireServerTooNew, ev...)
	r := wireprobe.DriverWire(newest)
	var pins []string
	for _, d := range wireprobe.DriverNames() {
		if rel, ok := wireprobe.NewestSupporting(d, r); ok {
			pins = append(pins, fmt.Sprintf("%s %s (%s)", d, rel.Last, rel.Install()))
		}
	}
	var fixes []string
	if len(pins) > 0 {
		fixes = append(fixes, fmt.Sprintf("Upgrade the driver to a release that speaks wire %d: %s", r.Min, strings.Join(pins, "; ")))
	} else {
		fixes = append(fixes, fmt.Sprintf("Upgrade the driver: no release known to this tool speaks wire %d yet; check the driver's compatibility table", r.Min))
	}
	fixes = append(fixes, fmt.Sprintf("Or run a server release this driver speaks: MongoDB %s or older (wire %d)", wireprobe.ServerVersionForWire(drv.Max), drv.Max))
	f.Fixes = fixes // specific to these servers; they replace the catalogue's generic ones
	return f
}

// upgradeStops are the wire versions of the releases an upgrade must pass
// through: every release up to 4.4, then the major releases (the rapid
// releases in between are not upgrade stops).
var upgradeStops = []int32{1, 3, 4, 5, 6, 7, 8, 9, 13, 17, 21, 25, 29}

// upgradePath lists the releases to pass through from a server whose
// maxWireVersion is from up to the first release with wire version to.
func upgradePath(from, to int32) []string {
	var out []string
	for _, w := range upgradeStops {
		if w > from && w <= to {
			out = append(out, wireprobe.ServerVersionForWire(w))
		}
	}
	if len(out) == 0 || out[len(out)-1] != wireprobe.ServerVersionForWire(to) {
		out = append(out, wireprobe.ServerVersionForWire(to))
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
