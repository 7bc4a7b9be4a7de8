//go:build !linux

package mongotest

import "net"

// reservePort returns a 127.0.0.1 address where nothing listens: a port
// bound and closed, which another process may take again.
func reservePort() (addr string, release func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	return addr, func() {}, ln.Close()
}
