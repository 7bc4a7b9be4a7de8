package diagnose

import (
	"context"
	"net"
	"sync"

	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// keptConns are the connections of diagnose's hello probes, kept open
// until the member the driver pings is chosen (wireprobe.Kept): the
// driver's stage then starts where the probe of that member left off.
// A healthy member costs hello and buildInfo from the probe and ping from
// the driver, three messages (DESIGN.md §11), instead of the driver
// asking again with a monitor's and a connection's handshake.
//
// The driver's own handshakes are a second look at the member's role,
// which catches a member that changes it from one hello to the next
// (topofind.RoleLog). The handoff gives that look up only where the role
// is seen twice already: a primary that another member of its set names
// as its primary (corroborated).
type keptConns struct {
	// on is set before discovery starts (keepForDriver), never after.
	on bool
	connStash[*wireprobe.Kept]
}

// wanted reports whether probes should keep their connections.
func (k *keptConns) wanted() bool { return k.on && k.open() }

// add keeps c, the connection of a probe that found a server of kind,
// or closes it when keeping has ended or the server is no primary: only
// a primary is handed to the driver (corroborated), and a run holds no
// more open connections than it must while the rest of discovery goes
// on.
func (k *keptConns) add(c *wireprobe.Kept, kind string) {
	if !k.on || kind != report.KindRSPrimary {
		_ = c.Close()
		return
	}
	k.put(sdam.Canonical(c.Addr), c)
}

// take ends keeping: it returns the connection kept for addr, if any
// ("" takes none), and closes every other one.
func (k *keptConns) take(addr string) *wireprobe.Kept {
	var c *wireprobe.Kept
	if addr != "" {
		c, _ = k.connStash.take(sdam.Canonical(addr))
	}
	k.closeAll()
	return c
}

// keepForDriver says whether diagnose's probes keep their connections
// for the driver: only when the driver's handshake asks nothing the
// probe's hello did not (no TLS, which the driver puts on what it
// dials; no credentials, which go into its handshake; no load balancer).
// The handoff itself checks the handshake the driver writes, field by
// field, and sends anything else to the server.
func (x *run) keepForDriver() bool {
	if x.t.DriverRefusal != nil || tlsSettingsOf(x.t).enabled || x.hasAuth() || x.e.ServerAPI != "" {
		return false
	}
	return x.t.Conn == nil || !x.t.Conn.LoadBalanced
}

// handoffDial serves the driver's first two dials of the kept member:
// its monitor's connection, whose handshake is answered from the probe's
// hello and which dials the server only if the monitor asks again, and
// its pool's first connection, which carries on the probe's own. Any
// later dial is the driver's own.
type handoffDial struct {
	kept *wireprobe.Kept
	ctx  context.Context
	// roles, when not nil, is told of the heartbeat answered from the
	// probe's reply.
	roles *topofind.RoleLog

	mu    sync.Mutex
	dials int
}

// dial returns the handoff connection for addr, or nil when addr is not
// the kept member or both handoffs were made. inner dials the server when
// a handoff connection needs one.
func (h *handoffDial) dial(addr string, inner func(ctx context.Context) (net.Conn, error)) net.Conn {
	if h == nil || h.kept == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dials >= 2 || sdam.Canonical(addr) != sdam.Canonical(h.kept.Addr) {
		return nil
	}
	h.dials++
	var answered func()
	if h.dials == 1 && h.roles != nil {
		// The monitor's handshake, answered from the probe's reply, is
		// the driver's first heartbeat: not a role seen again.
		answered = func() { h.roles.Replayed(h.kept.Addr) }
	}
	return h.kept.Handoff(h.dials == 2, func() (net.Conn, error) { return inner(h.ctx) }, answered)
}

// release closes the kept connection when the driver never took it.
func (h *handoffDial) release() {
	if h == nil || h.kept == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dials < 2 {
		_ = h.kept.Close()
	}
	h.dials = 2
}

// corroborated reports whether m, the member the driver is to ping, is a
// primary that another reachable member of its set names as primary: its
// role is then seen twice without the driver's handshakes.
func corroborated(v *sdam.View, m report.Server) bool {
	if !v.IsReplicaSet() || m.Kind != report.KindRSPrimary {
		return false
	}
	ca := sdam.Canonical(m.Address)
	for _, s := range v.Members {
		if s.Reachable && sdam.Canonical(s.Address) != ca && s.SetName == m.SetName && s.Primary != "" && sdam.Canonical(s.Primary) == ca {
			return true
		}
	}
	return false
}
