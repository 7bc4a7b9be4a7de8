package diagnose

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/report"
)

// gateNoRead is how long a test waits to see that a gated read has not
// returned: a read that should wait never returns, however long the wait.
const gateNoRead = 20 * time.Millisecond

type readResult struct {
	n   int
	err error
}

func gatedPipe(t *testing.T) (*gatedConn, net.Conn, chan struct{}, chan struct{}) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	open, closed := make(chan struct{}), make(chan struct{})
	return &gatedConn{Conn: a, open: open, closed: closed}, b, open, closed
}

func readAsync(c net.Conn) chan readResult {
	out := make(chan readResult, 1)
	go func() {
		buf := make([]byte, 16)
		n, err := c.Read(buf)
		out <- readResult{n, err}
	}()
	return out
}

func TestGatedConnReadsOnceOpen(t *testing.T) {
	c, peer, open, _ := gatedPipe(t)
	go func() { _, _ = peer.Write([]byte("reply")) }()
	got := readAsync(c)
	select {
	case r := <-got:
		t.Fatalf("read returned before the gate opened: %d bytes, %v", r.n, r.err)
	case <-time.After(gateNoRead):
	}
	close(open)
	if r := <-got; r.err != nil || r.n != len("reply") {
		t.Fatalf("read after opening: %d bytes, %v", r.n, r.err)
	}
	// Writes were never held back: the peer's write above needed a
	// reader, and this one needs the peer to read.
	go func() { buf := make([]byte, 4); _, _ = peer.Read(buf) }()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
}

func TestGatedConnHonoursReadDeadline(t *testing.T) {
	c, _, _, _ := gatedPipe(t)
	got := readAsync(c)
	select {
	case r := <-got:
		t.Fatalf("read returned without a deadline: %v", r.err)
	case <-time.After(gateNoRead):
	}
	// A deadline set while the read waits applies to it.
	if err := c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	r := <-got
	var ne net.Error
	if !errors.As(r.err, &ne) || !ne.Timeout() {
		t.Fatalf("read after the deadline: %v, want a timeout", r.err)
	}
	// A deadline already past fails the next read at once.
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	// A deadline lifted lets the read wait again.
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	got = readAsync(c)
	select {
	case r := <-got:
		t.Fatalf("read returned with the deadline lifted: %v", r.err)
	case <-time.After(gateNoRead):
	}
	_ = c.Close()
	<-got
}

func TestGatedConnStopsOnClose(t *testing.T) {
	for _, how := range []string{"Close", "closeAll"} {
		t.Run(how, func(t *testing.T) {
			c, _, _, closed := gatedPipe(t)
			got := readAsync(c)
			if how == "Close" {
				_ = c.Close()
			} else {
				close(closed)
			}
			if r := <-got; !errors.Is(r.err, net.ErrClosed) {
				t.Fatalf("read of a closed gated conn: %v, want net.ErrClosed", r.err)
			}
		})
	}
}

// The dialer of the driver's ping gates every connection it opens when
// the ping asks for it, and none otherwise (diagnose's driver ping).
func TestClosingDialerGates(t *testing.T) {
	ln := serveEach(t, func(c net.Conn) { _, _ = c.Write([]byte("hello")) })
	replies := make(chan struct{})
	gated := &closingDialer{d: &net.Dialer{}, replies: replies, closed: make(chan struct{})}
	plain := &closingDialer{d: &net.Dialer{}, closed: make(chan struct{})}
	gc, err := gated.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	pc, err := plain.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if r := <-readAsync(pc); r.err != nil || r.n == 0 {
		t.Fatalf("ungated read: %d bytes, %v", r.n, r.err)
	}
	got := readAsync(gc)
	select {
	case r := <-got:
		t.Fatalf("gated read returned before the replies were released: %v", r.err)
	case <-time.After(gateNoRead):
	}
	gated.closeAll()
	if r := <-got; !errors.Is(r.err, net.ErrClosed) {
		t.Fatalf("gated read after closeAll: %v, want net.ErrClosed", r.err)
	}
	if _, err := gated.DialContext(t.Context(), "tcp", ln.Addr().String()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("dial after closeAll: %v, want net.ErrClosed", err)
	}
	plain.closeAll()
}

// A ping whose seeds all refuse stops its driver before starting it, then
// stops it again on the way out: neither stop may take the driver for one
// that ran (the second would wait driverStopWait for an outcome that never
// comes), and nothing starts it afterwards.
func TestPingDriverStoppedBeforeStart(t *testing.T) {
	d := (&run{}).newPingDriver(t.Context(), PingRequest{})
	d.stop()
	d.stop()
	if d.started() {
		t.Fatal("a driver stopped before it started counts as started")
	}
	d.start()
	if d.started() {
		t.Fatal("a driver started after it was stopped")
	}
}

// Once result has taken the driver's outcome, the deferred stop of a ping
// has nothing left to wait for.
func TestPingDriverSettledByResult(t *testing.T) {
	d := (&run{}).newPingDriver(t.Context(), PingRequest{})
	d.once.Do(func() { d.launched.Store(true) }) // as start does, without a driver
	d.done <- driverOutcome{check: report.Check{Summary: "answered"}}
	if out := d.result(t.Context()); out.check.Summary != "answered" {
		t.Fatalf("result: %+v", out.check)
	}
	if !d.settled.Load() {
		t.Fatal("after result, a stop would wait for a second outcome")
	}
	d.stop()
}
