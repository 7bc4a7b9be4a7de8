package diagnose

import (
	"net"
	"strings"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// listUnansweredSeeds adds to Report.Servers every address the tcp stage
// dialled in vain (refused, silent, unresolvable, unreachable through the
// path) that no other stage listed: DESIGN.md §3 lists every member seen,
// reachable or not, and serve's probe_mongodb_server_up{address} 0 is
// how a fleet sees a member that is down. The check's summary is the
// server's error. x.mu is held.
func (x *run) listUnansweredSeeds() {
	listed := map[string]bool{}
	for _, s := range x.r.Servers {
		listed[sdam.Canonical(s.Address)] = true
	}
	for _, c := range x.r.Checks {
		if c.Status != report.StatusFail || (c.Stage != report.StageTCP && c.Stage != report.StageDNS) {
			continue
		}
		if _, _, err := net.SplitHostPort(c.Address); err != nil || listed[sdam.Canonical(c.Address)] {
			continue
		}
		listed[sdam.Canonical(c.Address)] = true
		x.r.Servers = append(x.r.Servers, report.Server{
			Address: c.Address, Kind: report.KindUnknown, Seed: true,
			Error: strings.TrimPrefix(c.Summary, c.Address+": "),
		})
	}
}
