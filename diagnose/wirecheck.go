package diagnose

import (
	"context"
	"fmt"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
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
		c := report.Check{Stage: report.StageWire, Address: s.Address, Status: report.StatusPass, Summary: wireprobe.WireSummary(s, compat, drv)}
		if compat != wireprobe.WireCompatible {
			c.Status = report.StatusFail
		}
		x.addCheck(c)
	}
	if len(tooOld) > 0 {
		x.addFinding(wireprobe.TooOldFinding(tooOld, drv))
	}
	if len(tooNew) > 0 {
		x.addFinding(wireprobe.TooNewFinding(tooNew, drv))
	}
	return len(servers)
}
