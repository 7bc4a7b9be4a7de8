package mongotest

import (
	"errors"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// closedPortDial bounds the dial of a closed loopback port, which the
// kernel refuses at once.
const closedPortDial = 5 * time.Second

func TestClosedPortRefusesAndStaysReserved(t *testing.T) {
	addr := ClosedPort(t)
	_, err := net.DialTimeout("tcp", addr, closedPortDial)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		t.Fatalf("a listener took the closed port %s", addr)
	}
}
