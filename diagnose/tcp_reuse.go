package diagnose

import (
	"context"
	"net"

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
	connStash[net.Conn]
}

func (d *reuseDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if c, ok := d.take(addr); ok {
		return c, nil
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// Via is the path's (netpath.Via): a proxy still resolves the names.
func (d *reuseDialer) Via() string { return netpath.Via(d.Dialer) }

// keepTCP keeps conn, which the tcp stage opened to addr, for the next
// dial of addr (reuseDialer); it reports false when the run does not
// keep them, and the caller closes conn.
func (x *run) keepTCP(addr string, conn net.Conn) bool {
	if x.tcpReuse == nil {
		return false
	}
	x.tcpReuse.put(addr, conn)
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
	x.tcpReuse = &reuseDialer{Dialer: base}
	x.useDialer(x.tcpReuse)
}

// closeKeptTCP closes what the tcp stage kept and no dial took.
func (x *run) closeKeptTCP() {
	if x.tcpReuse != nil {
		x.tcpReuse.closeAll()
	}
}
