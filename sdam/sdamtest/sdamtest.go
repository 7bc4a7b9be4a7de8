// Package sdamtest scripts the hello replies of a deployment for tests of
// discovery and of what the engine makes of a topology. It imports sdam
// and report only.
package sdamtest

import (
	"context"
	"sync"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// Replies is what each address answers in a discovery test; an address
// missing from the map does not answer.
type Replies map[string]report.Server

// Probe returns a sdam.MemberProbe answering from r and recording each
// address asked in calls (guarded by mu).
func (r Replies) Probe(calls *[]string, mu *sync.Mutex) sdam.MemberProbe {
	return func(_ context.Context, addr string) report.Server {
		mu.Lock()
		*calls = append(*calls, addr)
		mu.Unlock()
		s, ok := r[sdam.Canonical(addr)]
		if !ok {
			return report.Server{Address: addr, Kind: sdam.KindUnknown, Error: "connection refused"}
		}
		s.Address = addr
		s.Reachable = true
		return s
	}
}

// Primary is the hello of the primary of set, calling itself me.
func Primary(set, me string, hosts ...string) report.Server {
	return report.Server{Kind: sdam.KindRSPrimary, SetName: set, Me: me, Hosts: hosts, Primary: me, MaxWireVersion: 21}
}

// Secondary is the hello of a secondary of set that follows prim.
func Secondary(set, me, prim string, hosts ...string) report.Server {
	return report.Server{Kind: sdam.KindRSSecondary, SetName: set, Me: me, Hosts: hosts, Primary: prim, MaxWireVersion: 21}
}
