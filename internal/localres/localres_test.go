package localres

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestErrno(t *testing.T) {
	for _, c := range []struct {
		err   error
		errno syscall.Errno
		ok    bool
	}{
		{&os.PathError{Op: "open", Path: "/etc/ca.pem", Err: syscall.EMFILE}, syscall.EMFILE, true},
		{fmt.Errorf("tlsCAFile: %w", &os.PathError{Op: "open", Path: "/etc/ca.pem", Err: syscall.ENFILE}), syscall.ENFILE, true},
		{&net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("socket", syscall.EMFILE)}, syscall.EMFILE, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}, syscall.EADDRNOTAVAIL, true},
		{&net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("sendto", syscall.ENOBUFS)}, syscall.ENOBUFS, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.ENOMEM)}, syscall.ENOMEM, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, 0, false},
		{&os.PathError{Op: "open", Path: "/etc/ca.pem", Err: syscall.ENOENT}, 0, false},
		{errors.New("too many open files"), 0, false}, // text alone is not an errno
		{nil, 0, false},
	} {
		errno, ok := Errno(c.err)
		if errno != c.errno || ok != c.ok {
			t.Errorf("Errno(%v) = %v, %v; want %v, %v", c.err, errno, ok, c.errno, c.ok)
		}
		if ok && Reason(errno) == errno.Error() {
			t.Errorf("Reason(%v) says no more than the errno", errno)
		}
	}
}

func TestInText(t *testing.T) {
	for _, c := range []struct {
		text  string
		errno syscall.Errno
		ok    bool
	}{
		{"dial udp 127.0.0.1:53: socket: too many open files", syscall.EMFILE, true},
		{"dial udp 127.0.0.1:53: socket: too many open files in system", syscall.ENFILE, true},
		{"dial tcp 10.0.0.2:53: connect: cannot assign requested address", syscall.EADDRNOTAVAIL, true},
		{"no such host", 0, false},
		{"dial udp 127.0.0.1:53: connect: connection refused", 0, false},
		{"server misbehaving", 0, false},
	} {
		errno, ok := InText(c.text)
		if errno != c.errno || ok != c.ok {
			t.Errorf("InText(%q) = %v, %v; want %v, %v", c.text, errno, ok, c.errno, c.ok)
		}
	}
}
