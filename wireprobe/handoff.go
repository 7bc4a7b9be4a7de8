package wireprobe

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/wire"
)

// Kept is the connection of a hello probe that succeeded, handed to the
// caller (HelloOptions.Keep) with the server's answer to its first hello,
// so that a driver's connection to the same server can start where the
// probe left off instead of asking the server again. The caller closes
// Conn, directly or through a connection of Handoff.
type Kept struct {
	// Addr is the address the probe dialled.
	Addr string
	// Conn is open, past the probe's hello and buildInfo, with no
	// deadline and nothing in flight.
	Conn net.Conn
	// Hello is the server's answer to the probe's first hello, which
	// carried client metadata; Command is the command it answered
	// ("hello" or "isMaster").
	Hello   bson.Raw
	Command string
}

// Close closes the kept connection.
func (k *Kept) Close() error { return k.Conn.Close() }

// handoffMaxRequest bounds the first message a Handoff connection buffers
// to read it: a driver's handshake is a few hundred bytes (its client
// metadata is capped at 512), so anything larger is not one and goes to
// the server as it is.
const handoffMaxRequest = 64 << 10

// handoffAliveCheck is how long Handoff's connection waits on the kept
// connection to learn that the server has not closed it: an open,
// idle connection reads nothing and times out.
const handoffAliveCheck = time.Millisecond

// Handoff returns a connection for a driver that dials the kept server.
// The first message written to it, when it is the handshake a driver
// sends with nothing beyond what the probe's hello asked (hello or the
// legacy isMaster, helloOk, client metadata, no compressors, no
// credentials, no Stable API, no load balancer), is answered with the
// server's reply to the probe's hello, in the request's own protocol;
// every other byte goes to the server. The server side is the kept
// connection when withKept is set and the server has not closed it
// meanwhile; otherwise it is dialled by dial when first needed, so that a
// connection that only ever carries its handshake costs no connection at
// all. A handshake that cannot be answered so goes to the server on a
// fresh connection: a server takes client metadata once per connection.
// answered, when not nil, is called when the handshake is answered so,
// before the driver can read the answer.
func (k *Kept) Handoff(withKept bool, dial func() (net.Conn, error), answered func()) net.Conn {
	h := &handoffConn{k: k, dial: dial, answered: answered}
	if withKept {
		h.conn = k.Conn
		h.kept = true
	}
	return h
}

// handoffConn is the connection Handoff returns. The driver uses one
// goroutine per connection for its requests and replies, but may close
// it from another; mu guards the state, never a blocking read or write.
type handoffConn struct {
	k        *Kept
	dial     func() (net.Conn, error)
	answered func()

	mu      sync.Mutex
	conn    net.Conn // the server side; nil until needed
	kept    bool     // conn is the kept connection, past a hello with client metadata
	checked bool     // the kept connection was found open
	decided bool     // the first message was answered or sent on
	wbuf    []byte   // the first message, while it is being written
	rbuf    []byte   // the local answer, while it is being read
	rdl     time.Time
	wdl     time.Time
	closed  bool
}

func (h *handoffConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, net.ErrClosed
	}
	if h.decided {
		h.mu.Unlock()
		c, err := h.server(false)
		if err != nil {
			return 0, err
		}
		return c.Write(p)
	}
	h.wbuf = append(h.wbuf, p...)
	if len(h.wbuf) < 4 {
		h.mu.Unlock()
		return len(p), nil
	}
	n := int(int32(binary.LittleEndian.Uint32(h.wbuf)))
	if n >= wire.HeaderLen && n <= handoffMaxRequest && len(h.wbuf) < n {
		h.mu.Unlock()
		return len(p), nil
	}
	msg := h.wbuf
	h.wbuf, h.decided = nil, true
	if n == len(msg) {
		if reply, ok := handshakeReply(msg, h.k); ok {
			h.rbuf = reply
			h.mu.Unlock()
			if h.answered != nil {
				h.answered()
			}
			return len(p), nil
		}
	}
	h.mu.Unlock()
	// Not a handshake this connection may answer: the server reads it, on
	// a connection that has not carried client metadata yet.
	c, err := h.server(true)
	if err != nil {
		return 0, err
	}
	if _, err := c.Write(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *handoffConn) Read(p []byte) (int, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, net.ErrClosed
	}
	if len(h.rbuf) > 0 {
		n := copy(p, h.rbuf)
		h.rbuf = h.rbuf[n:]
		h.mu.Unlock()
		return n, nil
	}
	h.mu.Unlock()
	c, err := h.server(false)
	if err != nil {
		return 0, err
	}
	return c.Read(p)
}

// server is the server side of the connection, dialled when there is
// none yet. fresh asks for one that has carried no hello: the kept
// connection is then closed and replaced.
func (h *handoffConn) server(fresh bool) (net.Conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, net.ErrClosed
	}
	if h.kept && !h.checked {
		h.checked = true
		if fresh || !aliveConn(h.conn) {
			_ = h.conn.Close()
			h.conn, h.kept = nil, false
		} else {
			h.applyDeadlines()
		}
	}
	if h.conn != nil {
		return h.conn, nil
	}
	c, err := h.dial()
	if err != nil {
		return nil, err
	}
	h.conn = c
	h.applyDeadlines()
	return c, nil
}

// applyDeadlines sets the deadlines the driver asked for on the server
// side.
func (h *handoffConn) applyDeadlines() {
	_ = h.conn.SetReadDeadline(h.rdl)
	_ = h.conn.SetWriteDeadline(h.wdl)
}

// live is the server side deadlines apply to now: none while the kept
// connection has not been checked (its deadlines are set then).
func (h *handoffConn) live() net.Conn {
	if h.kept && !h.checked {
		return nil
	}
	return h.conn
}

// aliveConn reports whether the server has left c open and silent: a
// read that times out at once. A closed connection reads EOF; one with
// bytes nobody asked for is no use either.
func aliveConn(c net.Conn) bool {
	if err := c.SetReadDeadline(time.Now().Add(handoffAliveCheck)); err != nil {
		return false
	}
	var b [1]byte
	_, err := c.Read(b[:])
	return isNetTimeout(err)
}

func (h *handoffConn) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.conn != nil {
		return h.conn.Close()
	}
	return nil
}

func (h *handoffConn) LocalAddr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		return h.conn.LocalAddr()
	}
	return h.k.Conn.LocalAddr()
}

func (h *handoffConn) RemoteAddr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		return h.conn.RemoteAddr()
	}
	return h.k.Conn.RemoteAddr()
}

func (h *handoffConn) SetDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rdl, h.wdl = t, t
	if c := h.live(); c != nil {
		return c.SetDeadline(t)
	}
	return nil
}

func (h *handoffConn) SetReadDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rdl = t
	if c := h.live(); c != nil {
		return c.SetReadDeadline(t)
	}
	return nil
}

func (h *handoffConn) SetWriteDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.wdl = t
	if c := h.live(); c != nil {
		return c.SetWriteDeadline(t)
	}
	return nil
}

// handshakeFields are the fields of a driver's handshake that the probe's
// own first hello asked as well, or that change nothing in the answer
// (maxTimeMS, the time the server may take), so that the server's answer
// to the probe is the answer to them. compression must be empty (checked
// apart).
var handshakeFields = map[string]bool{
	"hello": true, "isMaster": true, "ismaster": true,
	"helloOk": true, "client": true, "compression": true,
	"backpressure": true, "maxTimeMS": true, "$db": true,
}

// handshakeReply is the answer to msg, a whole message, from the probe's
// hello, when msg is a handshake the probe's hello answers: its frame in
// the request's protocol (OP_REPLY to OP_QUERY, OP_MSG to OP_MSG).
func handshakeReply(msg []byte, k *Kept) ([]byte, bool) {
	m, err := wire.Decode(msg)
	if err != nil {
		return nil, false
	}
	switch m.Header.OpCode {
	case wire.OpQuery:
		if m.FullCollectionName != "admin.$cmd" {
			return nil, false
		}
	case wire.OpMsg:
		if m.FlagBits != 0 || len(m.Sequences) > 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	elems, err := m.Body.Elements()
	if err != nil || len(elems) == 0 {
		return nil, false
	}
	command := elems[0].Key()
	switch command {
	case "hello", "isMaster", "ismaster":
	default:
		return nil, false
	}
	helloOk := false
	for _, e := range elems {
		key := e.Key()
		if !handshakeFields[key] {
			return nil, false
		}
		switch key {
		case "compression":
			arr, ok := e.Value().ArrayOK()
			if !ok {
				return nil, false
			}
			if vals, err := arr.Values(); err != nil || len(vals) > 0 {
				return nil, false
			}
		case "helloOk":
			helloOk = e.Value().Boolean()
		case "$db":
			if db, ok := e.Value().StringValueOK(); !ok || db != "admin" {
				return nil, false
			}
		}
	}
	doc, ok := handshakeAnswer(k, command != "hello", helloOk)
	if !ok {
		return nil, false
	}
	if m.Header.OpCode == wire.OpQuery {
		return wire.AppendReply(nil, 1, m.Header.RequestID, doc), true
	}
	return wire.AppendMsg(nil, 1, m.Header.RequestID, 0, doc), true
}

// handshakeAnswer is the probe's hello reply as the server answers the
// driver's handshake: the role under the name the request's command uses
// (ismaster for isMaster, isWritablePrimary for hello), helloOk when the
// driver offered it to a server that knows hello, and no compression,
// which the driver did not offer.
func handshakeAnswer(k *Kept, legacy, helloOk bool) (bson.Raw, bool) {
	elems, err := k.Hello.Elements()
	if err != nil {
		return nil, false
	}
	var d bson.D
	hasHelloOk := false
	for _, e := range elems {
		key := e.Key()
		var v any = e.Value()
		switch key {
		case "compression":
			continue
		case "ismaster", "isWritablePrimary":
			key = "isWritablePrimary"
			if legacy {
				key = "ismaster"
			}
		case "helloOk":
			hasHelloOk = true
		}
		d = append(d, bson.E{Key: key, Value: v})
	}
	if helloOk && !hasHelloOk && k.Command == "hello" {
		d = append(d, bson.E{Key: "helloOk", Value: true})
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, false
	}
	return raw, true
}

// handoffMaxHello bounds the hello reply a Kept holds: a real one is a
// few KiB even for a 50-member set, and a caller may keep several.
const handoffMaxHello = 64 << 10

// keep hands the probe's connection to its caller (HelloOptions.Keep)
// when the probe ended with a usable one: plain TCP (a driver puts its
// own TLS on what it dials), past OP_MSG, nothing in flight, buildInfo
// answered, a hello reply of a sane size.
func (p *helloProbe) keep(first bson.Raw) {
	if !p.opts.Keep || p.opts.TLS != nil || p.conn == nil || p.legacy || p.pending != 0 || p.res.BuildInfoErr != nil || len(first) > handoffMaxHello {
		return
	}
	if p.stop != nil && !p.stop() {
		return // the context ended: the connection's deadline is in the past
	}
	p.stop = nil
	if err := p.conn.SetDeadline(time.Time{}); err != nil {
		return
	}
	p.res.Kept = &Kept{Addr: p.addr, Conn: p.conn, Hello: bytes.Clone(first), Command: p.helloName()}
	p.conn = nil
}
