package mongotest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// ClosedPort returns a 127.0.0.1 address where nothing listens: dialing it
// is refused at once. The port stays reserved until the test ends
// (reservePort), so that no other listener on the machine answers there.
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	addr, release, err := reservePort()
	if err != nil {
		tb.Fatalf("closed port: %v", err)
	}
	tb.Cleanup(release)
	return addr
}

// NewClosedPort is ClosedPort for callers without a testing.TB: the port
// stays reserved for as long as the process runs.
func NewClosedPort() (string, error) {
	addr, _, err := reservePort()
	return addr, err
}

// SilentListener returns a 127.0.0.1 address that accepts connections and
// never reads or writes a byte: the server that does not answer. The
// connections are held until the test ends.
func SilentListener(tb testing.TB) string {
	tb.Helper()
	l, err := NewSilentListener()
	if err != nil {
		tb.Fatalf("silent listener: %v", err)
	}
	tb.Cleanup(l.Close)
	return l.Addr()
}

// Silent is a listener that accepts and never answers.
type Silent struct {
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once
	done chan struct{}

	mu    sync.Mutex
	conns []net.Conn
}

// NewSilentListener starts a Silent listener on 127.0.0.1:0. The caller
// must Close it.
func NewSilentListener() (*Silent, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Silent{ln: ln, done: make(chan struct{})}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Addr is the address it listens on.
func (l *Silent) Addr() string { return l.ln.Addr().String() }

// Connections returns how many connections it accepted.
func (l *Silent) Connections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *Silent) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		select {
		case <-l.done:
			_ = c.Close()
		default:
			l.conns = append(l.conns, c)
		}
		l.mu.Unlock()
	}
}

// Close stops listening and closes the held connections.
func (l *Silent) Close() {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.done)
		for _, c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
		_ = l.ln.Close()
	})
	l.wg.Wait()
}

// dialTimeout bounds one loopback dial of LoopbackDialer when the context
// has no deadline: a loopback connect is answered in microseconds, so
// anything longer is a stuck test.
const dialTimeout = 5 * time.Second

// LoopbackDialer dials loopback addresses only, never anything else: it
// keeps tests on 127.0.0.0/8 and ::1 even when a fake replica set
// advertises names like mongo-0.internal. Routes maps an address (as a
// server advertises it) to the loopback address that really serves it;
// other host names fail with a *net.OpError wrapping a *net.DNSError
// (IsNotFound), the error the system resolver gives for an unknown name.
// It has the shape of the driver's options.ContextDialer.
type LoopbackDialer struct {
	Routes map[string]string
}

// DialContext dials address after mapping it through Routes.
func (d *LoopbackDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if to, ok := d.Routes[address]; ok {
		address = to
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	if !isLoopback(host) {
		return nil, &net.OpError{Op: "dial", Net: network,
			Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialTimeout)
		defer cancel()
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
