package netpath

import (
	"errors"
	"syscall"
)

// localErrnos are the errors of socket, connect and accept that mean this
// machine ran out of something, not that the network or the peer failed:
// file descriptors of the process (EMFILE) or of the system (ENFILE),
// buffer space (ENOBUFS), local ports or addresses (EADDRNOTAVAIL), and
// memory (ENOMEM).
var localErrnos = [...]syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.EADDRNOTAVAIL, syscall.ENOMEM}

// LocalResourceError reports whether err (from a dial, an accept or a
// socket call, however wrapped) says this machine ran out of file
// descriptors, ports, buffers or memory, and which errno said so. Such a
// failure says nothing about the network or the member.
func LocalResourceError(err error) (syscall.Errno, bool) {
	for _, e := range localErrnos {
		if errors.Is(err, e) {
			return e, true
		}
	}
	return 0, false
}

// LocalResourceReason says in words what an errno of LocalResourceError
// ran out of.
func LocalResourceReason(e syscall.Errno) string {
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
