package mongotest

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
)

// Forwarder is a TCP forwarder from 127.0.0.1:0 to a target address: what
// `ssh -L` or `kubectl port-forward` gives a developer. A client reaches
// the target through Addr, but anything the target advertises about
// itself still names the target's own address.
type Forwarder struct {
	ln     net.Listener
	target string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
}

// StartForwarder forwards 127.0.0.1:0 to target and stops when tb ends.
func StartForwarder(tb testing.TB, target string) *Forwarder {
	tb.Helper()
	f, err := NewForwarder(target)
	if err != nil {
		tb.Fatalf("forwarder: %v", err)
	}
	tb.Cleanup(f.Close)
	return f
}

// NewForwarder forwards 127.0.0.1:0 to target (a loopback address). The
// caller must Close it.
func NewForwarder(target string) (*Forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forwarder{ln: ln, target: target, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

// Addr is the local end of the tunnel.
func (f *Forwarder) Addr() string { return f.ln.Addr().String() }

// Target is where connections are forwarded.
func (f *Forwarder) Target() string { return f.target }

// Connections returns how many connections the forwarder accepted.
func (f *Forwarder) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted
}

// Close stops the forwarder and every forwarded connection, and waits for
// its goroutines to end.
func (f *Forwarder) Close() {
	f.once.Do(func() {
		f.cancel()
		_ = f.ln.Close()
		f.mu.Lock()
		for c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
	})
	f.wg.Wait()
}

// track registers c; it reports false (and closes c) once the forwarder
// is closing.
func (f *Forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Forwarder) untrack(c net.Conn) {
	_ = c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *Forwarder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			return
		}
		f.mu.Lock()
		f.accepted++
		f.mu.Unlock()
		f.wg.Add(1)
		go f.pipe(c)
	}
}

// pipe connects one client to the target; like ssh -L, a target that
// cannot be reached closes the client's connection after it was accepted.
func (f *Forwarder) pipe(client net.Conn) {
	defer f.wg.Done()
	defer f.untrack(client)
	d := LoopbackDialer{}
	up, err := d.DialContext(f.ctx, "tcp", f.target)
	if err != nil {
		return
	}
	if !f.track(up) {
		return
	}
	defer f.untrack(up)
	var copies sync.WaitGroup
	copies.Add(2)
	go func() {
		defer copies.Done()
		_, _ = io.Copy(up, client)
		_ = up.Close() // the client hung up: hang up on the target too
	}()
	go func() {
		defer copies.Done()
		_, _ = io.Copy(client, up)
		_ = client.Close()
	}()
	copies.Wait()
}
