package diagnose

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// A member that flaps: its hello answers change its role (primary, then
// secondary, then an error, ...) within the few seconds of one command.
// An election changes a member's role once and takes seconds; a member
// that changes twice, or between two hellos milliseconds apart on one
// connection, is restarting in a loop, losing and winning elections
// without end, or several servers behind one address. No driver can rely
// on it, whatever one ping says: it is topology.failover, an error, and
// never OK.
//
// The roles are gathered from every hello of the command: the raw probes'
// (the first and the ones timed for the RTT), and, in ping and diagnose,
// the driver's own (its monitor's heartbeats, and a connection handshake
// that failed with a server error).

// Who saw a role.
const (
	seenByProbe     = "mongoconn's hello"
	seenByMonitor   = "the driver's monitor"
	seenByHandshake = "the driver's connection handshake"
)

// roleSeen is one hello answer of one server.
type roleSeen struct {
	// sent is when the hello was sent: answers are ordered by it.
	sent time.Time
	role string
	by   string
	// probe numbers the raw probe the answer came from (0: the driver's):
	// answers of one probe came over one connection, milliseconds apart.
	probe int
}

// roleLog gathers the roles of every server during one command. Its zero
// value is ready; it is safe for concurrent use.
type roleLog struct {
	mu     sync.Mutex
	seen   map[string][]roleSeen // by canonical address
	probes int
}

// add records one answer.
func (l *roleLog) add(addr string, r roleSeen) {
	if addr == "" || r.role == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]roleSeen{}
	}
	a := sdam.Canonical(addr)
	l.seen[a] = append(l.seen[a], r)
}

// probed records the answers of one raw hello probe of addr.
func (l *roleLog) probed(addr string, res wireprobe.HelloResult) {
	l.mu.Lock()
	l.probes++
	n := l.probes
	l.mu.Unlock()
	for _, a := range res.Answers {
		l.add(addr, roleSeen{sent: a.Sent, role: a.Role(), by: seenByProbe, probe: n})
	}
}

// heartbeat records what the driver's monitor heard: a role, or the error
// the server answered its hello with (a network failure says nothing of
// the role and is not kept).
func (l *roleLog) heartbeat(addr string, kind string, err error, took time.Duration) {
	sent := time.Now().Add(-took)
	if err != nil {
		if role := serverErrorRole(err); role != "" {
			l.add(addr, roleSeen{sent: sent, role: role, by: seenByMonitor})
		}
		return
	}
	if kind != "" && kind != report.KindUnknown {
		l.add(addr, roleSeen{sent: sent, role: kind, by: seenByMonitor})
	}
}

// handshakeFailed records the error a server answered one of the
// driver's connection handshakes with (a network failure, or the
// command's own context ending, is not kept).
func (l *roleLog) handshakeFailed(addr string, err error) {
	if role := serverErrorRole(err); role != "" {
		l.add(addr, roleSeen{sent: time.Now(), role: role, by: seenByHandshake})
	}
}

// serverErrorRole names the error a server answered with ("" for an error
// that is not a server's answer). The driver wraps a handshake's error in
// errors of its own without a code: the first driver.Error in the chain
// that has one is the server's.
func serverErrorRole(err error) string {
	for err != nil {
		var de driver.Error
		if !errors.As(err, &de) {
			return ""
		}
		if de.Code != 0 || de.Name != "" {
			return wireprobe.HelloAnswer{Err: &wireprobe.CommandError{Code: de.Code, CodeName: de.Name}}.Role()
		}
		err = de.Unwrap()
	}
	return ""
}

// poolMonitor is the driver's pool monitor that feeds l: a connection
// that could not be checked out because its handshake failed says why.
func (l *roleLog) poolMonitor() *event.PoolMonitor {
	return &event.PoolMonitor{Event: func(e *event.PoolEvent) {
		if e.Type == event.ConnectionCheckOutFailed && e.Error != nil {
			l.handshakeFailed(e.Address, e.Error)
		}
	}}
}

// monitor adds to m the driver's heartbeat callbacks that feed l.
func (l *roleLog) monitor(m *event.ServerMonitor) {
	m.ServerHeartbeatSucceeded = func(e *event.ServerHeartbeatSucceededEvent) {
		l.heartbeat(e.Reply.Addr.String(), e.Reply.Kind, nil, e.Duration)
	}
	m.ServerHeartbeatFailed = func(e *event.ServerHeartbeatFailedEvent) {
		addr, _, _ := strings.Cut(e.ConnectionID, "[")
		l.heartbeat(addr, "", e.Failure, e.Duration)
	}
}

// flap is one server that flapped, with what was seen of it in order.
type flap struct {
	addr string
	seen []roleSeen
	// changes counts the role changes; quick says one happened between
	// two hellos of one probe.
	changes int
	quick   bool
}

// flaps returns the servers whose role changed twice or more, or between
// two hellos of one probe, in address order.
func (l *roleLog) flaps() []flap {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []flap
	for addr, seen := range l.seen {
		seen = slices.Clone(seen)
		slices.SortStableFunc(seen, func(a, b roleSeen) int { return a.sent.Compare(b.sent) })
		f := flap{addr: addr, seen: seen}
		for i := 1; i < len(seen); i++ {
			if seen[i].role != seen[i-1].role {
				f.changes++
			}
		}
		byProbe := map[int]string{}
		for _, s := range seen {
			if s.probe == 0 {
				continue
			}
			if r, ok := byProbe[s.probe]; ok && r != s.role {
				f.quick = true
			}
			byProbe[s.probe] = s.role
		}
		if f.changes >= 2 || f.quick {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b flap) int { return strings.Compare(a.addr, b.addr) })
	return out
}

// flapFindings adds a topology check and topology.failover for each
// server that flapped, first among the findings: it explains what the
// others (a ping that failed, a primary that was not there) saw.
func (x *run) flapFindings() {
	flaps := x.roles.flaps()
	if len(flaps) == 0 {
		return
	}
	var ev []string
	for _, f := range flaps {
		var parts []string
		for _, s := range f.seen {
			parts = append(parts, fmt.Sprintf("%s (%s)", s.role, s.by))
		}
		span := f.seen[len(f.seen)-1].sent.Sub(f.seen[0].sent).Round(time.Millisecond)
		line := fmt.Sprintf("%s answered %d hellos within %s: %s; its role changed %d time(s)", f.addr, len(f.seen), span, strings.Join(parts, ", then "), f.changes)
		if f.quick {
			line += ", between hellos milliseconds apart on one connection"
		}
		ev = append(ev, line+": an election changes a member's role once, and takes seconds")
		x.addCheck(report.Check{Stage: report.StageTopology, Address: f.addr, Status: report.StatusFail,
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
