package pathtest

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// testTimeout bounds one exchange with a fixture on loopback, which
// answers in microseconds.
const testTimeout = 10 * time.Second

// socksExchange sends a greeting offering no authentication, then
// request, and returns the proxy's method choice and the start of its
// reply: version, method, version, reply code.
func socksExchange(t *testing.T, addr string, request []byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := c.Write(append([]byte{5, 1, 0}, request...)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSOCKS5FixtureKeepsToLoopback(t *testing.T) {
	p := StartSOCKS5(t, SOCKS5Options{Hosts: map[string]string{"far.test": "127.0.0.1"}})
	cases := []struct {
		name    string
		request []byte
		reply   byte
	}{
		{"an address off loopback", []byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}, ReplyNotAllowed},
		{"a name it does not know", append(append([]byte{5, 1, 0, 3, 8}, "nowhere."...), 0, 80), ReplyHostUnreachable},
		{"BIND", []byte{5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, ReplyCommandNotSupported},
		{"an unknown address type", []byte{5, 1, 0, 9}, ReplyAddressNotSupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := socksExchange(t, p.Addr(), tc.request); !bytes.Equal(got, []byte{5, 0, 5, tc.reply}) {
				t.Errorf("got %v, want reply %d", got, tc.reply)
			}
		})
	}
}
