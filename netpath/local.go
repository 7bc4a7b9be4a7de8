package netpath

import (
	"syscall"

	"github.com/mongoconn/mongoconn/internal/localres"
	"github.com/mongoconn/mongoconn/resolve"
)

// LocalResourceError reports whether err (from a dial, an accept, a
// socket call, an open or a lookup, however wrapped) says this machine
// ran out of file descriptors, ports, buffers or memory (EMFILE, ENFILE,
// ENOBUFS, EADDRNOTAVAIL, ENOMEM), and which errno said so. Such a
// failure says nothing about the network, the DNS or the member.
func LocalResourceError(err error) (syscall.Errno, bool) { return resolve.IsLocal(err) }

// LocalResourceReason says in words what an errno of LocalResourceError
// ran out of.
func LocalResourceReason(e syscall.Errno) string { return localres.Reason(e) }
