package mongotest

import (
	"fmt"
	"syscall"
)

// reservePort returns a 127.0.0.1 address that refuses connections and
// that no other socket can take while it is held: a socket bound to the
// port and never listening. A port that is bound and closed is free
// again at once, and any process on the machine may listen on it before
// the test dials it; the test would then meet a stranger, not a refusal.
// release closes the socket.
func reservePort() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = syscall.Close(fd)
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return "", nil, err
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		_ = syscall.Close(fd)
		return "", nil, fmt.Errorf("unexpected socket address %T", sa)
	}
	return fmt.Sprintf("127.0.0.1:%d", in4.Port), func() { _ = syscall.Close(fd) }, nil
}
