package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

// flapFindings adds a topology check and topology.failover for each
// server that flapped (topofind.RoleLog says which), first among the findings: it explains what the
// others (a ping that failed, a primary that was not there) saw.
func (x *run) flapFindings() {
	flaps := x.roles.Flaps()
	if len(flaps) == 0 {
		return
	}
	var ev []string
	for _, f := range flaps {
		var parts []string
		for _, s := range f.Seen {
			parts = append(parts, fmt.Sprintf("%s (%s)", s.Role, s.By))
		}
		span := f.Seen[len(f.Seen)-1].Sent.Sub(f.Seen[0].Sent).Round(time.Millisecond)
		line := fmt.Sprintf("%s answered %d hellos within %s: %s; its role changed %d time(s)", f.Addr, len(f.Seen), span, strings.Join(parts, ", then "), f.Changes)
		if f.Quick {
			line += ", between hellos milliseconds apart on one connection"
		}
		ev = append(ev, line+": an election changes a member's role once, and takes seconds")
		x.addCheck(report.Check{Stage: report.StageTopology, Address: f.Addr, Status: report.StatusFail,
			Summary: fmt.Sprintf("changes its role from one hello to the next: %s", strings.Join(parts, ", "))})
	}
	fi := catalogue.NewFailoverFinding(false, ev...)
	fi.Title = "A member changes its role from one hello to the next"
	fi.Fixes = append([]string{
		"Look at the member's log and at rs.status(): a member whose role keeps changing is restarting in a loop, stepping down and being re-elected again and again (flapping network, priorities, clock), or is several servers behind one address",
		"If a load balancer or proxy sits in front of the replica set, connect to the members directly: each connection through it may reach another member",
	}, fi.Fixes...)
	x.mu.Lock()
	defer x.mu.Unlock()
	// One topology.failover: what the failover stage saw joins it.
	rest := []report.Finding{}
	for _, f := range x.r.Findings {
		if f.ID == catalogue.IDTopologyFailover {
			fi.Evidence = report.AppendUnique(fi.Evidence, f.Evidence...)
			continue
		}
		rest = append(rest, f)
	}
	x.r.Findings = append([]report.Finding{fi}, rest...)
}
