package pathtest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Echo is a TCP server that sends back every byte it receives: a member
// a test can tell it reached.
type Echo struct {
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	accepted int
}

// StartEcho starts an Echo on 127.0.0.1:0 and stops it when tb ends.
func StartEcho(tb testing.TB) *Echo {
	tb.Helper()
	return StartEchoAt(tb, "127.0.0.1:0")
}

// StartEchoAt starts an Echo on addr, a loopback address ("[::1]:0",
// or a given port), and stops it when tb ends.
func StartEchoAt(tb testing.TB, addr string) *Echo {
	tb.Helper()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		tb.Fatalf("echo: %s is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("echo: %v", err)
	}
	e := &Echo{ln: ln, conns: map[net.Conn]struct{}{}}
	e.wg.Add(1)
	go e.accept()
	tb.Cleanup(e.Close)
	return e
}

// Addr is the address it listens on.
func (e *Echo) Addr() string { return e.ln.Addr().String() }

// Port is the port it listens on.
func (e *Echo) Port() int { return e.ln.Addr().(*net.TCPAddr).Port }

// Connections returns how many connections it accepted.
func (e *Echo) Connections() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted
}

// Close stops listening, closes every connection and waits for its
// goroutines.
func (e *Echo) Close() {
	e.once.Do(func() {
		_ = e.ln.Close()
		e.mu.Lock()
		e.closed = true
		for c := range e.conns {
			_ = c.Close()
		}
		e.mu.Unlock()
	})
	e.wg.Wait()
}

func (e *Echo) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			_ = c.Close()
			return
		}
		e.conns[c] = struct{}{}
		e.accepted++
		e.wg.Add(1)
		e.mu.Unlock()
		go func() {
			defer e.wg.Done()
			_, _ = io.Copy(c, c)
			_ = c.Close()
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		}()
	}
}
