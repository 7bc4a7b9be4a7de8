package netpath

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestLocalResourceError(t *testing.T) {
	wrap := func(e error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", e)}
	}
	tests := []struct {
		err   error
		errno syscall.Errno
		ok    bool
	}{
		{wrap(syscall.EMFILE), syscall.EMFILE, true},
		{wrap(syscall.ENFILE), syscall.ENFILE, true},
		{fmt.Errorf("dialing: %w", wrap(syscall.ENOBUFS)), syscall.ENOBUFS, true},
		{wrap(syscall.EADDRNOTAVAIL), syscall.EADDRNOTAVAIL, true},
		{wrap(syscall.ENOMEM), syscall.ENOMEM, true},
		{wrap(syscall.ECONNREFUSED), 0, false},
		{wrap(syscall.ETIMEDOUT), 0, false},
		{fmt.Errorf("too many open files"), 0, false}, // text is never read
		{nil, 0, false},
	}
	for _, tc := range tests {
		errno, ok := LocalResourceError(tc.err)
		if errno != tc.errno || ok != tc.ok {
			t.Errorf("LocalResourceError(%v) = %v, %v; want %v, %v", tc.err, errno, ok, tc.errno, tc.ok)
		}
		if ok && LocalResourceReason(errno) == errno.Error() {
			t.Errorf("no reason in words for %v", errno)
		}
	}
}
