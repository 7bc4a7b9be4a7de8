package mongotest

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/wiremessage"

	"github.com/mongoconn/mongoconn/internal/wire"
)

const (
	// connIdleTimeout bounds every read and write of a fake server's
	// connection: far longer than any test keeps a connection idle, it only
	// ends a connection a test forgot. Close ends them all at once anyway.
	connIdleTimeout = 2 * time.Minute

	// DefaultDripInterval is the pause between bytes in ModeDrip: one byte
	// a second, the slow loris of issue 6.
	DefaultDripInterval = time.Second

	// HugeHelloSize is the default size of the hello document in
	// ModeHugeHello (Options.HugeHelloSize sets another): exactly
	// maxBsonObjectSize (16 MiB), the largest document a server may send,
	// far beyond what any real hello needs.
	HugeHelloSize = 16 << 20

	// hugeHelloChunk is how much of a huge hello's padding is written at
	// a time: the reply is streamed, so that its header leaves at once
	// whatever its size and the fixture never holds it whole.
	hugeHelloChunk = 64 << 10

	// HugeDeclaredLength is the length ModeHugeLength declares.
	HugeDeclaredLength = 0x7fffffff

	// RandomBytesLen is how many bytes ModeRandomBytes sends.
	RandomBytesLen = 4096

	// DefaultRandomSeed seeds ModeRandomBytes. Its first four bytes, read
	// as a message length, are outside [16, 48 000 000] (a test checks it).
	DefaultRandomSeed = 1

	// firstReadLimit bounds the bytes read from a client by modes that do
	// not parse frames (HTTP, TLS alert, random bytes).
	firstReadLimit = 64 << 10
)

// HTTPReply is what mongod sends to an HTTP client on its native port, and
// what ModeHTTP sends to a MongoDB client.
const HTTPReply = "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 84\r\n\r\n" +
	httpBody

const httpBody = "It looks like you are trying to access MongoDB over HTTP on the native driver port.\n"

// TLSAlert is a TLS 1.0 fatal alert record (protocol_version: bytes 15 03
// 01 00 02 02 46), what a TLS-only server answers to a plain-text client.
const TLSAlert = "\x15\x03\x01\x00\x02\x02\x46"

// Mode is how a FakeMongod answers. The hostile modes play peers that are
// not MongoDB, or MongoDB servers gone wrong (issue 6).
type Mode int

// The modes.
const (
	// ModeNormal answers every command.
	ModeNormal Mode = iota
	// ModeSilent reads requests and never answers.
	ModeSilent
	// ModeHTTP answers the first bytes with HTTPReply and closes.
	ModeHTTP
	// ModeHugeLength answers with a header declaring HugeDeclaredLength
	// bytes, then sends nothing more and holds the connection.
	ModeHugeLength
	// ModeDrip sends a valid reply one byte per DripInterval.
	ModeDrip
	// ModeCloseAfterHeader sends the 16-byte header of a valid reply and
	// closes.
	ModeCloseAfterHeader
	// ModeCloseMidMessage sends the first half of a valid reply and closes.
	ModeCloseMidMessage
	// ModeRandomBytes answers the first bytes with RandomBytesLen
	// pseudo-random bytes and closes.
	ModeRandomBytes
	// ModeTLSAlert answers the first bytes with TLSAlert and closes.
	ModeTLSAlert
	// ModeWrongResponseTo sends valid replies whose responseTo is not the
	// request's id.
	ModeWrongResponseTo
	// ModeHugeHello pads hello replies to Options.HugeHelloSize bytes
	// (HugeHelloSize by default). The reply is streamed: its header, which
	// declares the whole length, is written as soon as the request is
	// read, so a client learns the size at once however slow the machine.
	ModeHugeHello
	// ModeJunkAfterHello sends a valid reply to hello and isMaster, then
	// JunkAfterHello on the same connection, before any other request:
	// the next reply a client reads starts with bytes that are not a
	// MongoDB message. Other commands are answered normally.
	ModeJunkAfterHello
)

// JunkAfterHello is what ModeJunkAfterHello sends after each hello reply:
// a declared length of -1 followed by text, no MongoDB message at all.
const JunkAfterHello = "\xff\xff\xff\xffjunk after the hello reply\r\n"

// String names the mode.
func (m Mode) String() string {
	names := [...]string{"normal", "silent", "http", "huge-length", "drip", "close-after-header",
		"close-mid-message", "random-bytes", "tls-alert", "wrong-response-to", "huge-hello", "junk-after-hello"}
	if m >= 0 && int(m) < len(names) {
		return names[m]
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// HostileModes lists the modes of peers that are not MongoDB or break
// the wire protocol mid-reply, for table tests. ModeJunkAfterHello, whose
// hello is a valid reply, is not among them.
func HostileModes() []Mode {
	return []Mode{ModeSilent, ModeHTTP, ModeHugeLength, ModeDrip, ModeCloseAfterHeader,
		ModeCloseMidMessage, ModeRandomBytes, ModeTLSAlert, ModeWrongResponseTo, ModeHugeHello}
}

// APIMode is how a FakeMongod treats the Stable API fields apiVersion,
// apiStrict and apiDeprecationErrors on requests.
type APIMode int

// The Stable API behaviours.
const (
	// APIStable behaves like MongoDB 5.0 and later: apiVersion must be "1"
	// (code 322 otherwise), and with apiStrict:true a command outside API
	// Version 1 (buildInfo, isMaster) fails with code 323 APIStrictError.
	APIStable APIMode = iota
	// APIRejectStrict fails every command that carries apiStrict:true with
	// code 323 APIStrictError, as a server (or proxy) that cannot honour
	// strict mode.
	APIRejectStrict
	// APIUnknown behaves like a server older than 5.0 that does not know
	// the Stable API: any command carrying apiVersion fails with code
	// 40415, "BSON field '<cmd>.apiVersion' is an unknown field.".
	APIUnknown
)

// Options configures a FakeMongod. The zero value is a healthy MongoDB
// 7.0 standalone without users.
type Options struct {
	// Version is the server version buildInfo reports ("7.0.12" when
	// empty).
	Version string
	// MinWire and MaxWire are the wire version range of hello. When
	// MaxWire is 0 it is derived from Version (21 for 7.0, 6 for 3.6, 5
	// for 3.4, ...). A MaxWire below 6 implies OpQueryOnly; below 9 the
	// server does not know the hello command (only isMaster), like
	// MongoDB 4.2 and older.
	MinWire, MaxWire int32
	// Hello returns the role part of the hello reply (isWritablePrimary,
	// secondary, setName, hosts, me, ...); the server adds the common
	// fields (wire versions, sizes, localTime, connectionId, ok) that the
	// document does not already hold. It is called for every hello, so the
	// reply can change over time. Nil means a standalone.
	Hello func() bson.D
	// ExactHello sends Hello's document as it is, adding nothing.
	ExactHello bool
	// Delay is added before every reply.
	Delay time.Duration
	// OpQueryOnly makes the server close any connection that sends an
	// OP_MSG, like MongoDB 3.4 and older.
	OpQueryOnly bool
	// Mode is the initial mode (ModeNormal by default).
	Mode Mode
	// API is the Stable API behaviour.
	API APIMode
	// Users are the users SCRAM authenticates.
	Users []User
	// DripInterval is the pause between bytes in ModeDrip
	// (DefaultDripInterval when zero).
	DripInterval time.Duration
	// RandomSeed seeds ModeRandomBytes (DefaultRandomSeed when zero).
	RandomSeed uint64
	// HugeHelloSize is the size of the hello document in ModeHugeHello
	// (HugeHelloSize when zero).
	HugeHelloSize int
	// SilentCommands are commands the server reads and counts but never
	// answers, while it answers every other one: a server that hangs in
	// one stage only (saslStart for authentication, ping for the
	// driver's last round trip).
	SilentCommands []string
	// AfterReply, when set, is called with the command's name once the
	// reply to a request is built and before it is sent (for requests
	// that are answered): the hook of scripted events such as elections,
	// which then change what the next replies say, never this one.
	AfterReply func(command string)
	// Compressors are the wire compressors the server accepts: a hello
	// that offers some (its compression field) is answered with those of
	// them the server has, as mongod does. None: the reply has no
	// compression field, like a server with compression off (or FerretDB).
	Compressors []string
	// ConnectionsAvailable is what serverStatus reports in
	// connections.available (DefaultConnectionsAvailable when zero).
	ConnectionsAvailable int32
	// TLS, when set, makes the server speak TLS only, with this
	// configuration (its ClientAuth decides whether client certificates
	// are asked for).
	TLS *tls.Config
	// X509Users are the $external users MONGODB-X509 authenticates: the
	// subjects (RFC 2253, as x509 pkix.Name.String writes them) of the
	// client certificates the server accepts as users.
	X509Users []string
	// AWSAuth makes the server take MONGODB-AWS conversations: it
	// answers the client's nonce with its own and the STS host, as mongod
	// does, and then, having no STS to ask, refuses every signed request
	// (AuthenticationFailed). Without it MONGODB-AWS is not enabled.
	AWSAuth bool
	// HelloSNI, when set on a TLS server, builds the role part of hello
	// replies from the TLS server name the client sent (SNI), like a
	// replica set member with horizons: it wins over Hello.
	HelloSNI func(serverName string) bson.D
}

// DefaultConnectionsAvailable is serverStatus's connections.available of
// a fake: what a mongod with the default limits reports (net.
// maxIncomingConnections 1000000 capped by 80 % of a 1048576-descriptor
// limit).
const DefaultConnectionsAvailable = 838859

// FakeMongod is a running fake server. Its methods are safe for concurrent
// use.
type FakeMongod struct {
	ln   net.Listener
	addr string
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	version      string
	minWire      int32
	maxWire      int32
	opQueryOnly  bool
	exactHello   bool
	dripInterval time.Duration
	seed         uint64
	hugeSize     int
	silentCmds   map[string]bool
	afterReply   func(string)
	auth         *userStore
	compressors  []string
	available    int32
	x509Users    []string
	helloSNI     func(serverName string) bson.D
	awsAuth      bool

	nextRequestID atomic.Int32
	nextConnID    atomic.Int32

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	hello    func() bson.D
	delay    time.Duration
	mode     Mode
	api      APIMode
	counts   map[string]int
	accepted int
	authOK   int
}

// StartFakeMongod starts a fake mongod on 127.0.0.1:0 and closes it when
// tb ends.
func StartFakeMongod(tb testing.TB, o Options) *FakeMongod {
	tb.Helper()
	s, err := NewFakeMongod(o)
	if err != nil {
		tb.Fatalf("start fake mongod: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewFakeMongod starts a fake mongod on 127.0.0.1:0. The caller must Close
// it. It exists for callers without a testing.TB, such as the demo.
func NewFakeMongod(o Options) (*FakeMongod, error) {
	auth, err := newUserStore(o.Users)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	return serveFake(ln, o, auth), nil
}

func serveFake(ln net.Listener, o Options, auth *userStore) *FakeMongod {
	s := newFake(o, auth)
	s.ln = ln
	s.addr = ln.Addr().String()
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// newFake returns a configured server that does not listen yet.
func newFake(o Options, auth *userStore) *FakeMongod {
	s := &FakeMongod{
		done:         make(chan struct{}),
		version:      o.Version,
		minWire:      o.MinWire,
		maxWire:      o.MaxWire,
		opQueryOnly:  o.OpQueryOnly,
		exactHello:   o.ExactHello,
		dripInterval: o.DripInterval,
		seed:         o.RandomSeed,
		hugeSize:     o.HugeHelloSize,
		silentCmds:   map[string]bool{},
		afterReply:   o.AfterReply,
		auth:         auth,
		compressors:  append([]string(nil), o.Compressors...),
		x509Users:    append([]string(nil), o.X509Users...),
		helloSNI:     o.HelloSNI,
		awsAuth:      o.AWSAuth,
		available:    o.ConnectionsAvailable,
		conns:        map[net.Conn]struct{}{},
		hello:        o.Hello,
		delay:        o.Delay,
		mode:         o.Mode,
		api:          o.API,
		counts:       map[string]int{},
	}
	if s.version == "" {
		s.version = "7.0.12"
	}
	if s.maxWire == 0 {
		s.maxWire = WireVersionFor(s.version)
	}
	if s.maxWire < wireOpMsg {
		s.opQueryOnly = true
	}
	if s.dripInterval <= 0 {
		s.dripInterval = DefaultDripInterval
	}
	if s.seed == 0 {
		s.seed = DefaultRandomSeed
	}
	if s.hugeSize <= 0 {
		s.hugeSize = HugeHelloSize
	}
	for _, c := range o.SilentCommands {
		s.silentCmds[c] = true
	}
	if s.available == 0 {
		s.available = DefaultConnectionsAvailable
	}
	return s
}

// Addr is the host:port the server listens on (127.0.0.1).
func (s *FakeMongod) Addr() string { return s.addr }

// URI is a connection string for the server alone.
func (s *FakeMongod) URI() string { return "mongodb://" + s.addr + "/" }

// Version is the server version buildInfo reports.
func (s *FakeMongod) Version() string { return s.version }

// WireRange returns the minimum and maximum wire versions hello reports
// (unless a Hello document overrides them).
func (s *FakeMongod) WireRange() (min, max int32) { return s.minWire, s.maxWire }

// Close stops the server, closes every connection and waits for all of its
// goroutines to end. It may be called more than once.
func (s *FakeMongod) Close() {
	s.once.Do(func() {
		close(s.done)
		_ = s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
}

// SetHello replaces the function that builds the role part of hello
// replies (see Options.Hello). Nil means a standalone.
func (s *FakeMongod) SetHello(f func() bson.D) {
	s.mu.Lock()
	s.hello = f
	s.mu.Unlock()
}

// SetHelloDoc makes every hello reply hold doc (see Options.Hello).
func (s *FakeMongod) SetHelloDoc(doc bson.D) {
	d := append(bson.D(nil), doc...)
	s.SetHello(func() bson.D { return d })
}

// SetDelay sets the delay added before every reply.
func (s *FakeMongod) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetMode changes how the server answers from the next request on.
func (s *FakeMongod) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// SetAPIMode changes the Stable API behaviour.
func (s *FakeMongod) SetAPIMode(a APIMode) {
	s.mu.Lock()
	s.api = a
	s.mu.Unlock()
}

// AddUser adds (or replaces) a user SCRAM authenticates.
func (s *FakeMongod) AddUser(u User) error { return s.auth.add(u) }

// Count returns how many requests for the named commands the server
// received, answered or not (summed; names are matched exactly, so pass
// "isMaster" and "ismaster" to count both spellings). ModeHTTP,
// ModeTLSAlert and ModeRandomBytes do not parse what they read: they count
// it under the mode's name ("http", "tls-alert", "random-bytes").
func (s *FakeMongod) Count(names ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, name := range names {
		n += s.counts[name]
	}
	return n
}

// Counts returns a copy of the per-command request counts.
func (s *FakeMongod) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Requests returns how many requests the server received in all.
func (s *FakeMongod) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.counts {
		n += v
	}
	return n
}

// Connections returns how many connections the server accepted.
func (s *FakeMongod) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// ResetCounts sets every request and connection count back to zero.
func (s *FakeMongod) ResetCounts() {
	s.mu.Lock()
	s.counts = map[string]int{}
	s.accepted = 0
	s.mu.Unlock()
}

// CountSummary formats the request counts as "buildInfo=1 hello=3", sorted,
// for test failure messages.
func (s *FakeMongod) CountSummary() string {
	c := s.Counts()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, c[k])
	}
	return strings.Join(parts, " ")
}

type fakeSettings struct {
	hello func() bson.D
	delay time.Duration
	mode  Mode
	api   APIMode
}

func (s *FakeMongod) settings() fakeSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakeSettings{hello: s.hello, delay: s.delay, mode: s.mode, api: s.api}
}

func (s *FakeMongod) count(name string) {
	s.mu.Lock()
	s.counts[name]++
	s.mu.Unlock()
}

func (s *FakeMongod) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.accepted++
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *FakeMongod) dropConn(c net.Conn) {
	_ = c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// wait pauses for d, or until the server closes; it reports whether the
// server is still running.
func (s *FakeMongod) wait(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-s.done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// conn is the state of one client connection.
type conn struct {
	c    net.Conn
	id   int32
	sasl *saslConv
	user string // "db.user" once authenticated
}

func (s *FakeMongod) serve(nc net.Conn) {
	defer s.wg.Done()
	defer s.dropConn(nc)
	cc := &conn{c: nc, id: s.nextConnID.Add(1)}
	for {
		st := s.settings()
		switch st.mode {
		case ModeHTTP, ModeTLSAlert, ModeRandomBytes:
			s.answerRaw(nc, st)
			return
		}
		_ = nc.SetReadDeadline(time.Now().Add(connIdleTimeout))
		msg, err := s.readRequest(nc)
		if err != nil {
			return // closed, timed out, or not a frame we accept: real servers hang up too
		}
		if !s.handle(cc, msg) {
			return
		}
	}
}

// drain reads and discards until the connection ends.
func (s *FakeMongod) drain(nc net.Conn) {
	buf := make([]byte, 4096)
	for {
		_ = nc.SetReadDeadline(time.Now().Add(connIdleTimeout))
		if _, err := nc.Read(buf); err != nil {
			return
		}
	}
}

// answerRaw reads the client's first bytes and answers as a peer that does
// not speak MongoDB.
func (s *FakeMongod) answerRaw(nc net.Conn, st fakeSettings) {
	buf := make([]byte, firstReadLimit)
	_ = nc.SetReadDeadline(time.Now().Add(connIdleTimeout))
	if _, err := nc.Read(buf); err != nil {
		return
	}
	s.count(st.mode.String())
	if !s.wait(st.delay) {
		return
	}
	var out []byte
	switch st.mode {
	case ModeHTTP:
		out = []byte(HTTPReply)
	case ModeTLSAlert:
		out = []byte(TLSAlert)
	default:
		out = RandomBytes(s.seed, RandomBytesLen)
	}
	_ = nc.SetWriteDeadline(time.Now().Add(connIdleTimeout))
	_, _ = nc.Write(out)
}

// RandomBytes returns n pseudo-random bytes from seed, the bytes
// ModeRandomBytes sends.
func RandomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

// request is one decoded command.
type request struct {
	op        wire.OpCode
	requestID int32
	db        string
	name      string
	body      bson.Raw
	noReply   bool // OP_MSG moreToCome: the client expects no answer
}

// handle answers one message; it reports whether to keep the connection.
func (s *FakeMongod) handle(cc *conn, msg *wire.Message) bool {
	req, ok := parseRequest(msg)
	if !ok {
		return false
	}
	s.count(req.name)
	if req.op == wire.OpMsg && s.opQueryOnly {
		return false // MongoDB 3.4 and older do not know opcode 2013 and hang up
	}
	st := s.settings()
	if st.mode == ModeSilent || s.silentCmds[req.name] {
		return true // read (and count) the next request, answer none
	}
	reply := s.dispatch(cc, req, st)
	if s.afterReply != nil {
		s.afterReply(req.name)
	}
	if req.noReply {
		return true
	}
	responseTo := req.requestID
	if st.mode == ModeWrongResponseTo {
		responseTo = req.requestID + 1
	}
	id := s.nextRequestID.Add(1)
	hello := isHelloCommand(req.name)
	if st.mode == ModeHugeHello && hello {
		if !s.wait(st.delay) {
			return false
		}
		return s.sendHuge(cc.c, req.op, id, responseTo, reply)
	}
	doc, err := bson.Marshal(reply)
	if err != nil {
		doc, _ = bson.Marshal(errorReply(codeInternalError, "InternalError", "fake mongod: "+err.Error()))
	}
	var frame []byte
	if req.op == wire.OpQuery {
		frame = wire.AppendReply(nil, id, responseTo, doc)
	} else {
		frame = wire.AppendMsg(nil, id, responseTo, 0, doc)
	}
	if !s.wait(st.delay) {
		return false
	}
	if !s.send(cc.c, frame, st.mode) {
		return false
	}
	if st.mode == ModeJunkAfterHello && hello {
		return s.send(cc.c, []byte(JunkAfterHello), ModeNormal)
	}
	return true
}

// isHelloCommand reports whether name is hello in any of its spellings.
func isHelloCommand(name string) bool {
	return name == "hello" || name == "isMaster" || name == "ismaster"
}

// sendHuge writes doc padded to the configured huge size, header first:
// the frame is built with an empty padding string whose length fields are
// then raised, and the padding itself is streamed in chunks.
func (s *FakeMongod) sendHuge(nc net.Conn, op wire.OpCode, id, responseTo int32, doc bson.D) bool {
	padded := append(append(bson.D(nil), doc...), bson.E{Key: "padding", Value: ""})
	small, err := bson.Marshal(padded)
	if err != nil {
		return false
	}
	n := max(s.hugeSize-len(small), 0)
	var frame []byte
	if op == wire.OpQuery {
		frame = wire.AppendReply(nil, id, responseTo, small)
	} else {
		frame = wire.AppendMsg(nil, id, responseTo, 0, small)
	}
	// The last two bytes are the padding string's NUL and the document's
	// terminator; the string's length sits just before them.
	grow := func(at int) {
		binary.LittleEndian.PutUint32(frame[at:], binary.LittleEndian.Uint32(frame[at:])+uint32(n))
	}
	grow(0)                       // the message length
	grow(len(frame) - len(small)) // the document length
	grow(len(frame) - 2 - 4)      // the padding string's length
	write := func(b []byte) bool {
		_ = nc.SetWriteDeadline(time.Now().Add(connIdleTimeout))
		_, err := nc.Write(b)
		return err == nil
	}
	if !write(frame[:len(frame)-2]) {
		return false
	}
	chunk := []byte(strings.Repeat("x", hugeHelloChunk))
	for left := n; left > 0; left -= len(chunk) {
		if !s.wait(0) || !write(chunk[:min(left, len(chunk))]) {
			return false
		}
	}
	return write(frame[len(frame)-2:])
}

// send writes a reply frame the way mode says.
func (s *FakeMongod) send(nc net.Conn, frame []byte, mode Mode) bool {
	write := func(b []byte) bool {
		_ = nc.SetWriteDeadline(time.Now().Add(connIdleTimeout))
		_, err := nc.Write(b)
		return err == nil
	}
	switch mode {
	case ModeHugeLength:
		hdr := append([]byte(nil), frame[:wire.HeaderLen]...)
		hdr[0], hdr[1], hdr[2], hdr[3] = 0xff, 0xff, 0xff, 0x7f // HugeDeclaredLength, little-endian
		if write(hdr) {
			s.drain(nc)
		}
		return false
	case ModeDrip:
		for i := range frame {
			if i > 0 && !s.wait(s.dripInterval) {
				return false
			}
			if !write(frame[i : i+1]) {
				return false
			}
		}
		return true
	case ModeCloseAfterHeader:
		write(frame[:wire.HeaderLen])
		return false
	case ModeCloseMidMessage:
		write(frame[:wire.HeaderLen+(len(frame)-wire.HeaderLen)/2])
		return false
	}
	return write(frame)
}

// parseRequest extracts the command from an OP_MSG or OP_QUERY.
func parseRequest(msg *wire.Message) (request, bool) {
	req := request{op: msg.Header.OpCode, requestID: msg.Header.RequestID}
	body := msg.Body
	switch msg.Header.OpCode {
	case wire.OpMsg:
		req.noReply = msg.FlagBits&wire.FlagMoreToCome != 0
		if v, err := body.LookupErr("$db"); err == nil {
			req.db, _ = v.StringValueOK()
		}
	case wire.OpQuery:
		ns := msg.FullCollectionName
		req.db, _, _ = strings.Cut(ns, ".")
		if !strings.HasSuffix(ns, ".$cmd") {
			req.name = "OP_QUERY " + ns
			req.body = body
			return req, true
		}
		// Drivers wrap a command in $query when they add $readPreference.
		if first, err := body.IndexErr(0); err == nil {
			if k := first.Key(); k == "$query" || k == "query" {
				if inner, ok := first.Value().DocumentOK(); ok {
					body = inner
				}
			}
		}
	default:
		return req, false
	}
	req.body = body
	first, err := body.IndexErr(0)
	if err != nil {
		req.name = "(empty)"
		return req, true
	}
	req.name = first.Key()
	return req, true
}

// errorReply is a command failure as servers send it.
func errorReply(code int32, codeName, msg string) bson.D {
	return bson.D{
		{Key: "ok", Value: 0.0},
		{Key: "errmsg", Value: msg},
		{Key: "code", Value: code},
		{Key: "codeName", Value: codeName},
	}
}

// readRequest reads one request. A server that accepts compressors also
// reads OP_COMPRESSED (as mongod does once a compressor is negotiated),
// unwrapping it into the message it carries; it answers uncompressed,
// which the protocol allows.
func (s *FakeMongod) readRequest(nc net.Conn) (*wire.Message, error) {
	if len(s.compressors) == 0 {
		return wire.ReadMessage(nc, wire.MaxMessageSize)
	}
	var hdr [wire.HeaderLen]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return nil, err
	}
	h, _ := wire.ParseHeader(hdr[:])
	if h.Length < wire.HeaderLen || h.Length > wire.MaxMessageSize {
		return nil, fmt.Errorf("declared length %d", h.Length)
	}
	frame := make([]byte, h.Length)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(nc, frame[wire.HeaderLen:]); err != nil {
		return nil, err
	}
	if h.OpCode != wire.OpCompressed {
		return wire.Decode(frame)
	}
	p := frame[wire.HeaderLen:]
	if len(p) < 9 {
		return nil, errors.New("OP_COMPRESSED shorter than its preamble")
	}
	orig := binary.LittleEndian.Uint32(p)
	size := int32(binary.LittleEndian.Uint32(p[4:]))
	if size < 0 || size > wire.MaxMessageSize-wire.HeaderLen {
		return nil, fmt.Errorf("uncompressed size %d", size)
	}
	body, err := driver.DecompressPayload(p[9:], driver.CompressionOpts{Compressor: wiremessage.CompressorID(p[8]), UncompressedSize: size})
	if err != nil {
		return nil, err
	}
	out := make([]byte, wire.HeaderLen, wire.HeaderLen+len(body))
	binary.LittleEndian.PutUint32(out[0:], uint32(wire.HeaderLen+len(body)))
	binary.LittleEndian.PutUint32(out[4:], uint32(h.RequestID))
	binary.LittleEndian.PutUint32(out[8:], uint32(h.ResponseTo))
	binary.LittleEndian.PutUint32(out[12:], orig)
	return wire.Decode(append(out, body...))
}
