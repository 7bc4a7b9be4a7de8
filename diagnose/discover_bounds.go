package diagnose

import (
	"fmt"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// memberCapCheck says, with a check, that discovery followed only the
// first sdam.MaxMembers members of a server that advertises more: a
// replica set has at most 50 members, so a longer list is broken or
// hostile, and probing all of it would spend the budget on it.
func (x *run) memberCapCheck(v *sdam.View, seeds []string) {
	if n := len(seeds); n > sdam.MaxMembers {
		x.addCheck(report.Check{Stage: report.StageHello, Status: report.StatusWarn,
			Summary: fmt.Sprintf("the seed list has %d hosts; a deployment has at most 50 members, so discovery asked only the first %d of them", n, sdam.MaxMembers)})
	}
	for _, a := range v.Order {
		s := v.Probed[a]
		n := len(s.Hosts) + len(s.Passives) + len(s.Arbiters)
		if !s.Reachable || n <= sdam.MaxMembers {
			continue
		}
		x.addCheck(report.Check{Stage: report.StageTopology, Address: sdam.DisplayAddr(v, a), Status: report.StatusWarn,
			Summary: fmt.Sprintf("advertises %d members; a replica set has at most 50, so discovery asked only the first %d of them", n, sdam.MaxMembers)})
	}
}

// boundSeeds returns the first sdam.MaxMembers seeds, and says with a
// check how many more there were: past the 50 members a deployment may
// have, a seed list is a mistake, and dialling all of it would spend the
// budget and this machine's sockets on it.
func (x *run) boundSeeds(seeds []string) []string {
	if len(seeds) <= sdam.MaxMembers {
		return seeds
	}
	x.addCheck(report.Check{Stage: report.StageTCP, Status: report.StatusSkip,
		Summary: fmt.Sprintf("%d more seeds not dialled: a deployment has at most 50 members, so only the first %d of the %d seeds are", len(seeds)-sdam.MaxMembers, sdam.MaxMembers, len(seeds))})
	return seeds[:sdam.MaxMembers]
}
