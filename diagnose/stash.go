package diagnose

import (
	"io"
	"sync"
)

// connStash holds open connections by address until one dial or stage
// takes each, once; what nobody took is closed by closeAll, and anything
// put after that is closed at once. The tcp stage's connections
// (reuseDialer) and diagnose's probe connections (keptConns) wait in one.
type connStash[C io.Closer] struct {
	mu     sync.Mutex
	conns  map[string]C
	closed bool
}

// put keeps c for addr, closing one kept before for it.
func (s *connStash[C]) put(addr string, c C) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return
	}
	if old, ok := s.conns[addr]; ok {
		_ = old.Close()
	}
	if s.conns == nil {
		s.conns = map[string]C{}
	}
	s.conns[addr] = c
}

// take hands out the connection kept for addr, if any.
func (s *connStash[C]) take(addr string) (C, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[addr]
	delete(s.conns, addr)
	return c, ok
}

// open reports whether closeAll has not run yet.
func (s *connStash[C]) open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed
}

// closeAll closes what nobody took, and what is put from now on.
func (s *connStash[C]) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for a, c := range s.conns {
		_ = c.Close()
		delete(s.conns, a)
	}
}
