// Package localres recognises the errors that say this machine ran out
// of something (file descriptors, local ports, buffer space, memory) as
// opposed to the network, a DNS server or a peer failing. It sits below
// resolve and netpath so that both tell such a failure apart the same way.
package localres

import (
	"errors"
	"strings"
	"syscall"
)

// errnos are the errors of socket, connect, accept and open that mean
// this machine ran out of something, not that the network or the peer
// failed: file descriptors of the process (EMFILE) or of the system
// (ENFILE), buffer space (ENOBUFS), local ports or addresses
// (EADDRNOTAVAIL), and memory (ENOMEM).
var errnos = [...]syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.EADDRNOTAVAIL, syscall.ENOMEM}

// Errno reports whether err (from a dial, an accept, a socket call or an
// open, however wrapped) says this machine ran out of file descriptors,
// ports, buffers or memory, and which errno said so.
func Errno(err error) (syscall.Errno, bool) {
	if err == nil {
		return 0, false
	}
	for _, e := range errnos {
		if errors.Is(err, e) {
			return e, true
		}
	}
	return 0, false
}

// Reason says in words what an errno of Errno ran out of.
func Reason(e syscall.Errno) string {
	switch e {
	case syscall.EMFILE:
		return "this process has no file descriptor left (EMFILE: the open-file limit, ulimit -n, is reached)"
	case syscall.ENFILE:
		return "the system has no file descriptor left (ENFILE: the system-wide open-file limit is reached)"
	case syscall.ENOBUFS:
		return "the system has no buffer space left for a socket (ENOBUFS)"
	case syscall.EADDRNOTAVAIL:
		return "no local address or port is free for a connection (EADDRNOTAVAIL: the ephemeral port range is used up, often by connections in TIME_WAIT)"
	case syscall.ENOMEM:
		return "the system has no memory left for a socket (ENOMEM)"
	}
	return e.Error()
}

// InText is Errno for an error that kept its cause as text only: the
// standard library's *net.DNSError holds the socket error of its lookup
// as a string (its Err field), not as an error. It reports whether text
// ends with the message of one of the errnos, as the socket error's text
// does ("dial udp 10.0.0.2:53: socket: too many open files").
func InText(text string) (syscall.Errno, bool) {
	for _, e := range errnos {
		if strings.HasSuffix(text, ": "+e.Error()) {
			return e, true
		}
	}
	return 0, false
}
