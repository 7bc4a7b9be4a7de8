package diagnose

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// topoDuplicateChecks warns, once per list, when a member's hello names
// one member under spellings the Go driver keeps apart (a trailing dot):
// the report lists it once (sdam.Canonical says why), and the check says
// what the driver does with such a list. It is no finding: the driver
// still finds a primary, under one name or the other.
func topoDuplicateChecks(v *sdam.View) []report.Check {
	var out []report.Check
	seen := map[string]bool{}
	for _, a := range v.Order {
		s := v.Probed[a]
		if !s.Reachable {
			continue
		}
		for _, spellings := range sdam.DuplicateSpellings(s) {
			key := strings.Join(spellings, ",")
			if seen[key] {
				continue
			}
			seen[key] = true
			var apart []string
			first := sdam.DriverCanonical(spellings[0])
			for _, sp := range spellings[1:] {
				if d := sdam.DriverCanonical(sp); d != first {
					apart = report.AppendUnique(apart, d)
				}
			}
			out = append(out, report.Check{Stage: report.StageTopology, Address: sdam.DisplayAddr(v, a), Status: report.StatusWarn,
				Summary: fmt.Sprintf("the member list names %s %d times (%s): one member, listed once here; the Go driver keeps %s apart (a trailing dot makes another name to it) and monitors the member twice, as servers that take turns at being the primary; give each member one name in the replica set configuration (rs.reconfig)",
					sdam.Canonical(spellings[0]), len(spellings), strings.Join(spellings, ", "), strings.Join(apart, ", "))})
		}
	}
	return out
}
