package diagnose

import (
	"context"
	"net"
	"sync"

	"github.com/mongoconn/mongoconn/netpath"
)

// reuseDialer hands out, once each, the connections the tcp stage
// opened and kept: the first dial of such an address after the stage
// (the TLS check's, the hello probe's or the driver's) goes on with the
// connection the stage already has open, instead of the server
// accepting one more. A connection carries whatever is sent first on it;
// nothing was. Every other dial is the path's own.
type reuseDialer struct {
	netpath.Dialer

	mu    sync.Mutex
	conns map[string]net.Conn
}

func (d *reuseDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	c := d.conns[addr]
	delete(d.conns, addr)
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// Via is the path's (netpath.Via): a proxy still resolves the names.
func (d *reuseDialer) Via() string { return netpath.Via(d.Dialer) }

// closeAll closes the connections nobody took.
func (d *reuseDialer) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for a, c := range d.conns {
		_ = c.Close()
		delete(d.conns, a)
	}
}

// keepTCP keeps conn, which the tcp stage opened to addr, for the next
// dial of addr (reuseDialer); it reports false when the run does not
// keep them, and the caller closes conn.
func (x *run) keepTCP(addr string, conn net.Conn) bool {
	d := x.tcpReuse
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.conns[addr]; old != nil {
		_ = old.Close()
	}
	d.conns[addr] = conn
	return true
}

// installReuse points the run's engine at a copy whose dialer hands out
// the connections the tcp stage keeps (reuseDialer), when the run asks
// for it (reuseTCP). openPath calls it once the path is set, before any
// stage dials or runs in the background.
func (x *run) installReuse() {
	if !x.reuseTCP || x.tcpReuse != nil {
		return
	}
	base := x.e.Dialer
	if base == nil {
		base = &net.Dialer{}
	}
	d := &reuseDialer{Dialer: base, conns: map[string]net.Conn{}}
	e := *x.e
	e.Dialer = d
	x.e = &e
	x.tcpReuse = d
}

// closeKeptTCP closes what the tcp stage kept and no dial took.
func (x *run) closeKeptTCP() {
	if x.tcpReuse != nil {
		x.tcpReuse.closeAll()
	}
}
