package diagnose

import (
	"net"
	"os"
	"sync"
	"time"
)

// gatedConn is a connection of the driver's whose reads wait until open is
// closed. ping starts the driver as soon as a seed accepts TCP, so that
// the driver dials, handshakes and sends its hellos while the raw probes
// ask the seeds who they are; but the driver builds a monitor and a pool
// for every member a hello names, and a seed that names thousands of
// members would cost thousands of them. Holding back every reply until
// the raw probes have judged the seeds' hellos keeps the driver from
// learning such a topology; on a healthy deployment the replies are
// already waiting in the socket when the gate opens, so nothing is lost.
//
// Writes, deadlines and Close pass through. A read that waits honours the
// read deadline and Close, as a read of the socket would, and fails with
// net.ErrClosed once closed (closeAll) is closed.
type gatedConn struct {
	net.Conn
	open   <-chan struct{}
	closed <-chan struct{}

	mu       sync.Mutex
	deadline time.Time     // the read deadline last set
	changed  chan struct{} // closed and replaced when the deadline changes or the conn is closed
	gone     bool          // Close was called
}

func (c *gatedConn) Read(p []byte) (int, error) {
	select {
	case <-c.open:
		return c.Conn.Read(p)
	default:
	}
	if err := c.wait(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// wait blocks until the gate opens, the connection is closed or the read
// deadline passes.
func (c *gatedConn) wait() error {
	for {
		c.mu.Lock()
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		dl, changed, gone := c.deadline, c.changed, c.gone
		c.mu.Unlock()
		if gone {
			return c.opError(net.ErrClosed)
		}
		if done, err := c.waitOnce(dl, changed); done {
			return err
		}
	}
}

// waitOnce waits for the gate, the close or the deadline dl; it returns
// done false when the deadline or the connection changed first.
func (c *gatedConn) waitOnce(dl time.Time, changed <-chan struct{}) (done bool, err error) {
	var expired <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return true, c.opError(os.ErrDeadlineExceeded)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-c.open:
		return true, nil
	case <-c.closed:
		return true, c.opError(net.ErrClosed)
	case <-expired:
		return true, c.opError(os.ErrDeadlineExceeded)
	case <-changed:
		return false, nil
	}
}

func (c *gatedConn) opError(err error) error {
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// poke wakes a waiting read to look at the connection again.
func (c *gatedConn) poke() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

func (c *gatedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.poke()
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *gatedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.poke()
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *gatedConn) Close() error {
	c.mu.Lock()
	c.gone = true
	c.poke()
	c.mu.Unlock()
	return c.Conn.Close()
}
