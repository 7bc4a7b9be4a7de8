package netpath

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	// testTimeout bounds one dial or handshake of a test on loopback,
	// where each takes milliseconds: ten seconds only trips when
	// something hangs.
	testTimeout = 10 * time.Second

	// shortTimeout is the budget of a dial a test expects to run out of
	// time against a peer that never answers.
	shortTimeout = 300 * time.Millisecond

	// leakGrace bounds the wait for closed connections' goroutines to
	// wind down before they count as leaked.
	leakGrace = 3 * time.Second

	// pollInterval is the pause between two looks while waiting for
	// something to wind down.
	pollInterval = 20 * time.Millisecond
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// roundTrip writes a line through c and expects it echoed back.
func roundTrip(t *testing.T, c net.Conn, line string) {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got != line+"\n" {
		t.Fatalf("echo: got %q, want %q", got, line)
	}
}

// closedPort returns a 127.0.0.1 address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// hangUpListener accepts connections and closes them at once; silent
// ones it holds without a byte until the test ends.
func hangUpListener(t *testing.T, silent bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	held := make(chan net.Conn, 64)
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !silent {
				_ = c.Close()
				continue
			}
			select {
			case held <- c:
			default:
				_ = c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		close(held)
		for c := range held {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// checkNoGoroutines fails when goroutines running code of this package,
// of golang.org/x/crypto/ssh or of the SOCKS5 client are left once
// everything is closed.
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(leakGrace); ; time.Sleep(pollInterval) {
		left = pathGoroutines()
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, g := range left {
		t.Errorf("goroutine left behind:\n%s", g)
	}
}

func pathGoroutines() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "pathGoroutines") {
			continue
		}
		if strings.Contains(g, "mongoconn/netpath.") || strings.Contains(g, "golang.org/x/crypto/ssh") ||
			strings.Contains(g, "golang.org/x/net/internal/socks") {
			out = append(out, g)
		}
	}
	return out
}

// noSecret fails when any of texts holds secret.
func noSecret(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q in %q", secret, s)
		}
	}
}
