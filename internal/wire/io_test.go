package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// testWait bounds how long a test waits for a silent peer: long enough for
// a loaded CI machine to schedule the goroutines, short enough to keep the
// suite fast.
const testWait = 200 * time.Millisecond

// serve starts a loopback listener whose single connection is handled by
// fn, and returns its address.
func serve(t *testing.T, fn func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fn(c)
	}()
	return ln.Addr().String()
}

// echoReply answers one request with an OP_MSG {ok: 1} whose responseTo
// is the request's id plus skew.
func echoReply(skew int32) func(c net.Conn) {
	return func(c net.Conn) {
		m, err := ReadMessage(c, MaxMessageSize)
		if err != nil {
			return
		}
		body, _ := bson.Marshal(bson.D{{Key: "ok", Value: 1.0}})
		_, _ = c.Write(AppendMsg(nil, 100, m.Header.RequestID+skew, 0, body))
	}
}

func TestRoundTrip(t *testing.T) {
	hello, _ := bson.Marshal(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	tests := []struct {
		name    string
		server  func(c net.Conn)
		timeout time.Duration
		cancel  bool // cancel the context while the request waits
		check   func(t *testing.T, m *Message, err error)
	}{
		{
			name:   "answers",
			server: echoReply(0),
			check: func(t *testing.T, m *Message, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := m.Body.Lookup("ok").AsFloat64OK(); ok != 1 {
					t.Errorf("body %v", m.Body)
				}
			},
		},
		{
			name:   "wrong responseTo",
			server: echoReply(1),
			check: func(t *testing.T, m *Message, err error) {
				var fe *FrameError
				if !errors.As(err, &fe) || fe.Truncated() {
					t.Fatalf("err = %v, want a FrameError about responseTo", err)
				}
			},
		},
		{
			name:    "silent peer times out",
			server:  func(c net.Conn) { _, _ = io.Copy(io.Discard, c) },
			timeout: testWait / 4,
			check: func(t *testing.T, m *Message, err error) {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("err = %v, want a timeout", err)
				}
			},
		},
		{
			name:    "cancel interrupts",
			server:  func(c net.Conn) { _, _ = io.Copy(io.Discard, c) },
			timeout: time.Minute,
			cancel:  true,
			check: func(t *testing.T, m *Message, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			},
		},
		{
			name:   "closed before reply",
			server: func(c net.Conn) { _, _ = ReadMessage(c, MaxMessageSize) },
			check: func(t *testing.T, m *Message, err error) {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("err = %v, want io.EOF", err)
				}
			},
		},
		{
			name: "closed mid reply",
			server: func(c net.Conn) {
				m, err := ReadMessage(c, MaxMessageSize)
				if err != nil {
					return
				}
				body, _ := bson.Marshal(bson.D{{Key: "ok", Value: 1.0}})
				f := AppendMsg(nil, 1, m.Header.RequestID, 0, body)
				_, _ = c.Write(f[:len(f)-3])
			},
			check: func(t *testing.T, m *Message, err error) {
				var fe *FrameError
				if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("err = %v, want a truncated FrameError", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, tc.server)
			c, err := net.DialTimeout("tcp", addr, testWait)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				time.AfterFunc(testWait/4, cancel)
			}
			m, err := RoundTrip(ctx, c, 42, AppendMsg(nil, 42, 0, 0, hello), tc.timeout)
			tc.check(t, m, err)
		})
	}
}

func TestRoundTripContextDeadlineWins(t *testing.T) {
	addr := serve(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testWait/4)
	defer cancel()
	_, err = RoundTrip(ctx, c, 1, AppendMsg(nil, 1, 0, 0, nil), time.Hour)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestRoundTripDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if _, err := RoundTrip(ctx, c1, 1, AppendMsg(nil, 1, 0, 0, nil), time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
