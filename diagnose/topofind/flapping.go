package topofind

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"

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

// RoleSeen is one hello answer of one server.
type RoleSeen struct {
	// Sent is when the hello was sent: answers are ordered by it.
	Sent time.Time
	// Role is the server's kind, or the error it answered with.
	Role string
	// By says who saw it.
	By string
	// Probe numbers the raw probe the answer came from (0: the driver's):
	// answers of one probe came over one connection, milliseconds apart.
	Probe int
}

// RoleLog gathers the roles of every server during one command. Its zero
// value is ready; it is safe for concurrent use.
type RoleLog struct {
	mu     sync.Mutex
	seen   map[string][]RoleSeen // by canonical address
	probes int
	// replayed counts the driver's heartbeats of an address still to be
	// answered with a probe's reply (Replayed).
	replayed map[string]int
}

// add records one answer.
func (l *RoleLog) add(addr string, r RoleSeen) {
	if addr == "" || r.Role == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]RoleSeen{}
	}
	a := sdam.Canonical(addr)
	l.seen[a] = append(l.seen[a], r)
}

// Probed records the answers of one raw hello probe of addr.
func (l *RoleLog) Probed(addr string, res wireprobe.HelloResult) {
	l.mu.Lock()
	l.probes++
	n := l.probes
	l.mu.Unlock()
	for _, a := range res.Answers {
		l.add(addr, RoleSeen{Sent: a.Sent, Role: a.Role(), By: seenByProbe, Probe: n})
	}
}

// heartbeat records what the driver's monitor heard: a role, or the error
// the server answered its hello with (a network failure says nothing of
// the role and is not kept).
func (l *RoleLog) heartbeat(addr string, kind string, err error, took time.Duration) {
	if l.replay(addr) {
		return
	}
	sent := time.Now().Add(-took)
	if err != nil {
		if role := serverErrorRole(err); role != "" {
			l.add(addr, RoleSeen{Sent: sent, Role: role, By: seenByMonitor})
		}
		return
	}
	if kind != "" && kind != report.KindUnknown {
		l.add(addr, RoleSeen{Sent: sent, Role: kind, By: seenByMonitor})
	}
}

// Replayed says that the driver's next heartbeat of addr is answered
// with the reply a probe already recorded, not by the server: it is not a
// role seen again.
func (l *RoleLog) Replayed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.replayed == nil {
		l.replayed = map[string]int{}
	}
	l.replayed[sdam.Canonical(addr)]++
}

// replay consumes one Replayed heartbeat of addr.
func (l *RoleLog) replay(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := sdam.Canonical(addr)
	if l.replayed[a] == 0 {
		return false
	}
	l.replayed[a]--
	return true
}

// handshakeFailed records the error a server answered one of the
// driver's connection handshakes with (a network failure, or the
// command's own context ending, is not kept).
func (l *RoleLog) handshakeFailed(addr string, err error) {
	if role := serverErrorRole(err); role != "" {
		l.add(addr, RoleSeen{Sent: time.Now(), Role: role, By: seenByHandshake})
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

// PoolMonitor is the driver's pool monitor that feeds l: a connection
// that could not be checked out because its handshake failed says why.
func (l *RoleLog) PoolMonitor() *event.PoolMonitor {
	return &event.PoolMonitor{Event: func(e *event.PoolEvent) {
		if e.Type == event.ConnectionCheckOutFailed && e.Error != nil {
			l.handshakeFailed(e.Address, e.Error)
		}
	}}
}

// Monitor adds to m the driver's heartbeat callbacks that feed l.
func (l *RoleLog) Monitor(m *event.ServerMonitor) {
	m.ServerHeartbeatSucceeded = func(e *event.ServerHeartbeatSucceededEvent) {
		l.heartbeat(e.Reply.Addr.String(), e.Reply.Kind, nil, e.Duration)
	}
	m.ServerHeartbeatFailed = func(e *event.ServerHeartbeatFailedEvent) {
		addr, _, _ := strings.Cut(e.ConnectionID, "[")
		l.heartbeat(addr, "", e.Failure, e.Duration)
	}
}

// Flap is one server that flapped, with what was seen of it in order.
type Flap struct {
	Addr string
	Seen []RoleSeen
	// Changes counts the role changes; Quick says one happened between
	// two hellos of one probe.
	Changes int
	Quick   bool
}

// Flaps returns the servers whose role changed twice or more, or between
// two hellos of one probe, in address order.
func (l *RoleLog) Flaps() []Flap {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Flap
	for addr, seen := range l.seen {
		seen = slices.Clone(seen)
		slices.SortStableFunc(seen, func(a, b RoleSeen) int { return a.Sent.Compare(b.Sent) })
		f := Flap{Addr: addr, Seen: seen}
		for i := 1; i < len(seen); i++ {
			if seen[i].Role != seen[i-1].Role {
				f.Changes++
			}
		}
		byProbe := map[int]string{}
		for _, s := range seen {
			if s.Probe == 0 {
				continue
			}
			if r, ok := byProbe[s.Probe]; ok && r != s.Role {
				f.Quick = true
			}
			byProbe[s.Probe] = s.Role
		}
		if f.Changes >= 2 || f.Quick {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Flap) int { return strings.Compare(a.Addr, b.Addr) })
	return out
}
