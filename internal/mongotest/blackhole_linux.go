package mongotest

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// blackholeFillTimeout bounds the one connection that fills a Blackhole's
// queue: a loopback connect to a listening socket completes at once.
const blackholeFillTimeout = 5 * time.Second

// procNetTCPLimit bounds how much of /proc/net/tcp Dialing reads: a few
// thousand sockets of 150 bytes each.
const procNetTCPLimit = 8 << 20

// Blackhole is a loopback address where TCP connection attempts hang, as
// behind a firewall that drops packets: a socket listening with a backlog
// of zero whose one queue slot is taken and never accepted, so that the
// kernel drops every further SYN and clients retransmit until their own
// deadline gives up.
type Blackhole struct {
	addr string
	port int
	fd   int
	fill net.Conn
	once sync.Once
}

// StartBlackhole starts a Blackhole on 127.0.0.1 and closes it when tb
// ends.
func StartBlackhole(tb testing.TB) *Blackhole {
	tb.Helper()
	b, err := NewBlackhole()
	if err != nil {
		tb.Fatalf("mongotest: blackhole: %v", err)
	}
	tb.Cleanup(b.Close)
	return b
}

// NewBlackhole starts a Blackhole on 127.0.0.1. The caller must Close it.
func NewBlackhole() (*Blackhole, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Blackhole, error) {
		_ = syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		return fail(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		return fail(fmt.Errorf("unexpected socket address %T", sa))
	}
	b := &Blackhole{addr: fmt.Sprintf("127.0.0.1:%d", in4.Port), port: in4.Port, fd: fd}
	if b.fill, err = net.DialTimeout("tcp", b.addr, blackholeFillTimeout); err != nil {
		return fail(err)
	}
	return b, nil
}

// Addr is its address.
func (b *Blackhole) Addr() string { return b.addr }

// Close releases the socket; pending connection attempts are then
// refused.
func (b *Blackhole) Close() {
	b.once.Do(func() {
		_ = b.fill.Close()
		_ = syscall.Close(b.fd)
	})
}

// Dialing returns how many TCP connection attempts to Addr are waiting for
// an answer on this machine (state SYN_SENT in /proc/net/tcp): a client is
// in the middle of connecting.
func (b *Blackhole) Dialing() int {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0
	}
	defer f.Close()
	want := make([]byte, 4)
	binary.LittleEndian.PutUint32(want, binary.BigEndian.Uint32([]byte{127, 0, 0, 1}))
	remote := strings.ToUpper(hex.EncodeToString(want)) + ":" + fmt.Sprintf("%04X", b.port)
	n := 0
	sc := bufio.NewScanner(io.LimitReader(f, procNetTCPLimit))
	for sc.Scan() {
		// sl local_address rem_address st ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[2] != remote {
			continue
		}
		if st, err := strconv.ParseUint(fields[3], 16, 8); err == nil && st == tcpSynSent {
			n++
		}
	}
	return n
}

// tcpSynSent is the state number of SYN_SENT in /proc/net/tcp.
const tcpSynSent = 2
