package mongotest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mongoconn/mongoconn/internal/wire"
)

// testTimeout bounds every network wait in these tests: loopback answers
// in microseconds, so reaching it means the fixture is broken.
const testTimeout = 10 * time.Second

// driverSelectTimeout is the driver's server selection timeout in these
// tests: long enough for a loaded CI machine, short of the 30 s default.
const driverSelectTimeout = 5 * time.Second

// never is a delay no test waits out.
const never = time.Hour

// quietTimeout is how long a test listens to make sure a peer stays
// silent; the peers under test never answer at all, so any value works.
const quietTimeout = 100 * time.Millisecond

// rawClient speaks the wire protocol to a fixture without the driver.
type rawClient struct {
	t  testing.TB
	c  net.Conn
	id atomic.Int32
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawClient{t: t, c: c}
}

func mustRaw(t testing.TB, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msg sends cmd as an OP_MSG on db and returns the reply.
func (r *rawClient) msg(db string, cmd bson.D) (*wire.Message, error) {
	cmd = append(cmd, bson.E{Key: "$db", Value: db})
	id := r.id.Add(1)
	return wire.RoundTrip(context.Background(), r.c, id, wire.AppendMsg(nil, id, 0, 0, mustRaw(r.t, cmd)), testTimeout)
}

// query sends cmd as a legacy OP_QUERY on db.$cmd and returns the reply.
func (r *rawClient) query(db string, cmd bson.D) (*wire.Message, error) {
	id := r.id.Add(1)
	return wire.RoundTrip(context.Background(), r.c, id, wire.AppendQuery(nil, id, db+".$cmd", mustRaw(r.t, cmd)), testTimeout)
}

func (r *rawClient) mustMsg(db string, cmd bson.D) bson.Raw {
	r.t.Helper()
	m, err := r.msg(db, cmd)
	return body(r.t, m, err)
}

func (r *rawClient) mustQuery(db string, cmd bson.D) bson.Raw {
	r.t.Helper()
	m, err := r.query(db, cmd)
	return body(r.t, m, err)
}

// send writes an OP_MSG hello without waiting for a reply.
func (r *rawClient) sendHello() int32 {
	id := r.id.Add(1)
	frame := wire.AppendMsg(nil, id, 0, 0, mustRaw(r.t, bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}}))
	_ = r.c.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := r.c.Write(frame); err != nil {
		r.t.Fatalf("write hello: %v", err)
	}
	return id
}

// readAll reads until the peer closes.
func (r *rawClient) readAll() []byte {
	_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
	b, err := io.ReadAll(r.c)
	if err != nil {
		r.t.Fatalf("read until close: %v", err)
	}
	return b
}

// staysQuiet reports whether no byte arrives within quietTimeout.
func (r *rawClient) staysQuiet() bool {
	_ = r.c.SetReadDeadline(time.Now().Add(quietTimeout))
	var b [1]byte
	_, err := r.c.Read(b[:])
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func body(t testing.TB, m *wire.Message, err error) bson.Raw {
	t.Helper()
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if m.Body == nil {
		t.Fatalf("reply without a document")
	}
	return m.Body
}

func connectDriver(t testing.TB, uri string, opts ...*options.ClientOptions) *mongo.Client {
	t.Helper()
	o := options.Client().ApplyURI(uri).SetServerSelectionTimeout(driverSelectTimeout).SetConnectTimeout(testTimeout)
	c, err := mongo.Connect(append([]*options.ClientOptions{o}, opts...)...)
	if err != nil {
		t.Fatalf("connect %s: %v", uri, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = c.Disconnect(ctx)
	})
	return c
}

func TestDriverPingsFakeStandalone(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	c := connectDriver(t, m.URI())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
	var info struct {
		Version      string  `bson:"version"`
		VersionArray []int32 `bson:"versionArray"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		t.Fatalf("buildInfo: %v", err)
	}
	if info.Version != "7.0.12" || len(info.VersionArray) != 4 || info.VersionArray[2] != 12 {
		t.Errorf("buildInfo = %+v, want 7.0.12 and [7 0 12 0]", info)
	}
	if got := m.Count("ping"); got != 1 {
		t.Errorf("ping count = %d, want 1 (%s)", got, m.CountSummary())
	}
	if got := m.Count("hello", "isMaster", "ismaster"); got < 1 {
		t.Errorf("no handshake counted (%s)", m.CountSummary())
	}
	if m.Connections() < 1 {
		t.Errorf("no connection counted")
	}
	m.ResetCounts()
	if m.Requests() != 0 || m.Connections() != 0 {
		t.Errorf("ResetCounts left %s, %d connections", m.CountSummary(), m.Connections())
	}
}

func TestUnknownCommandThroughDriver(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	c := connectDriver(t, m.URI())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	err := c.Database("test").RunCommand(ctx, bson.D{{Key: "frobnicate", Value: 1}}).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a mongo.CommandError", err, err)
	}
	if ce.Code != 59 || ce.Message != "no such command: 'frobnicate'" {
		t.Errorf("error = code %d %q", ce.Code, ce.Message)
	}
}

func TestCommands(t *testing.T) {
	type check func(t *testing.T, b bson.Raw)
	okIs := func(want float64) check {
		return func(t *testing.T, b bson.Raw) {
			if got, _ := b.Lookup("ok").DoubleOK(); got != want {
				t.Errorf("ok = %v, want %v in %s", got, want, b)
			}
		}
	}
	codeIs := func(want int32, msgPart string) check {
		return func(t *testing.T, b bson.Raw) {
			got, _ := b.Lookup("code").Int32OK()
			msg, _ := b.Lookup("errmsg").StringValueOK()
			if got != want || !strings.Contains(msg, msgPart) {
				t.Errorf("code %d %q, want %d containing %q", got, msg, want, msgPart)
			}
		}
	}
	has := func(key string, want any) check {
		return func(t *testing.T, b bson.Raw) {
			v, err := b.LookupErr(key)
			if err != nil {
				t.Errorf("no %s in %s", key, b)
				return
			}
			var got any
			switch want.(type) {
			case bool:
				got, _ = v.BooleanOK()
			case int32:
				got, _ = v.Int32OK()
			case string:
				got, _ = v.StringValueOK()
			}
			if got != want {
				t.Errorf("%s = %v, want %v", key, got, want)
			}
		}
	}
	lacks := func(key string) check {
		return func(t *testing.T, b bson.Raw) {
			if _, err := b.LookupErr(key); err == nil {
				t.Errorf("%s present in %s", key, b)
			}
		}
	}
	hello := bson.D{{Key: "hello", Value: 1}}
	cases := []struct {
		name   string
		opts   Options
		legacy bool // OP_QUERY instead of OP_MSG
		cmd    bson.D
		checks []check
	}{
		{"hello", Options{}, false, hello, []check{okIs(1), has("isWritablePrimary", true), lacks("ismaster"),
			has("maxWireVersion", int32(21)), has("minWireVersion", int32(0)), has("maxBsonObjectSize", int32(16<<20)),
			has("logicalSessionTimeoutMinutes", int32(30))}},
		{"isMaster says ismaster", Options{}, false, bson.D{{Key: "isMaster", Value: 1}}, []check{has("ismaster", true), lacks("isWritablePrimary")}},
		{"legacy isMaster over OP_QUERY", Options{}, true, bson.D{{Key: "isMaster", Value: 1}, {Key: "helloOk", Value: true}},
			[]check{has("ismaster", true), has("helloOk", true)}},
		{"wrapped $query", Options{}, true, bson.D{{Key: "$query", Value: bson.D{{Key: "ismaster", Value: 1}}}, {Key: "$readPreference", Value: bson.D{{Key: "mode", Value: "primary"}}}},
			[]check{has("ismaster", true)}},
		{"version sets wire", Options{Version: "3.6.23"}, false, bson.D{{Key: "isMaster", Value: 1}}, []check{has("maxWireVersion", int32(6))}},
		{"explicit wire range", Options{MinWire: 30, MaxWire: 31}, false, hello, []check{has("minWireVersion", int32(30)), has("maxWireVersion", int32(31))}},
		{"4.2 knows no hello", Options{Version: "4.2.8"}, false, hello, []check{okIs(0), codeIs(59, "no such command: 'hello'")}},
		{"3.4 isMaster has no sessions", Options{Version: "3.4.24"}, true, bson.D{{Key: "isMaster", Value: 1}}, []check{has("maxWireVersion", int32(5)), lacks("logicalSessionTimeoutMinutes")}},
		{"buildInfo", Options{Version: "6.0.14"}, false, bson.D{{Key: "buildInfo", Value: 1}}, []check{okIs(1), has("version", "6.0.14")}},
		{"buildinfo lower case", Options{}, false, bson.D{{Key: "buildinfo", Value: 1}}, []check{has("version", "7.0.12")}},
		{"ping", Options{}, false, bson.D{{Key: "ping", Value: 1}}, []check{okIs(1)}},
		{"endSessions", Options{}, false, bson.D{{Key: "endSessions", Value: bson.A{}}}, []check{okIs(1)}},
		{"unknown", Options{}, false, bson.D{{Key: "find", Value: "c"}}, []check{okIs(0), codeIs(59, "no such command: 'find'"), has("codeName", "CommandNotFound")}},
		{"OP_QUERY ping on 7.0", Options{}, true, bson.D{{Key: "ping", Value: 1}}, []check{codeIs(352, "Unsupported OP_QUERY command: ping")}},
		{"OP_QUERY ping on 4.4", Options{Version: "4.4.29"}, true, bson.D{{Key: "ping", Value: 1}}, []check{okIs(1)}},
		{"hello document", Options{Hello: func() bson.D {
			return bson.D{{Key: "isWritablePrimary", Value: false}, {Key: "msg", Value: "isdbgrid"}, {Key: "maxWireVersion", Value: int32(25)}}
		}}, false, hello, []check{has("msg", "isdbgrid"), has("isWritablePrimary", false), has("maxWireVersion", int32(25))}},
		{"exact hello", Options{ExactHello: true, Hello: func() bson.D { return bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "weird"}} }},
			false, hello, []check{okIs(0), has("errmsg", "weird"), lacks("maxWireVersion")}},
		{"apiVersion 1", Options{}, false, bson.D{{Key: "ping", Value: 1}, {Key: "apiVersion", Value: "1"}, {Key: "apiStrict", Value: true}}, []check{okIs(1)}},
		{"apiVersion 2", Options{}, false, bson.D{{Key: "ping", Value: 1}, {Key: "apiVersion", Value: "2"}}, []check{codeIs(322, `API version must be "1"`)}},
		{"apiStrict alone", Options{}, false, bson.D{{Key: "ping", Value: 1}, {Key: "apiStrict", Value: true}}, []check{codeIs(4886600, "without specifying apiVersion")}},
		{"strict buildInfo", Options{}, false, bson.D{{Key: "buildInfo", Value: 1}, {Key: "apiVersion", Value: "1"}, {Key: "apiStrict", Value: true}},
			[]check{codeIs(323, "Provided apiStrict:true, but the command buildInfo is not in API Version 1"), has("codeName", "APIStrictError")}},
		{"non-strict buildInfo", Options{}, false, bson.D{{Key: "buildInfo", Value: 1}, {Key: "apiVersion", Value: "1"}}, []check{okIs(1)}},
		{"reject strict hello", Options{API: APIRejectStrict}, false, bson.D{{Key: "hello", Value: 1}, {Key: "apiVersion", Value: "1"}, {Key: "apiStrict", Value: true}},
			[]check{codeIs(323, "apiStrict")}},
		{"reject strict allows non-strict", Options{API: APIRejectStrict}, false, bson.D{{Key: "ping", Value: 1}, {Key: "apiVersion", Value: "1"}}, []check{okIs(1)}},
		{"old server and apiVersion", Options{API: APIUnknown}, false, bson.D{{Key: "ping", Value: 1}, {Key: "apiVersion", Value: "1"}},
			[]check{codeIs(40415, "BSON field 'ping.apiVersion' is an unknown field.")}},
		{"old server without apiVersion", Options{API: APIUnknown}, false, bson.D{{Key: "ping", Value: 1}}, []check{okIs(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := StartFakeMongod(t, tc.opts)
			r := dialRaw(t, m.Addr())
			var reply *wire.Message
			var err error
			if tc.legacy {
				reply, err = r.query("admin", tc.cmd)
				if err == nil && reply.Header.OpCode != wire.OpReply {
					t.Errorf("OP_QUERY answered with %s", reply.Header.OpCode)
				}
			} else {
				reply, err = r.msg("admin", tc.cmd)
				if err == nil && reply.Header.OpCode != wire.OpMsg {
					t.Errorf("OP_MSG answered with %s", reply.Header.OpCode)
				}
			}
			b := body(t, reply, err)
			for _, c := range tc.checks {
				c(t, b)
			}
			name := tc.cmd[0].Key
			if name == "$query" {
				name = tc.cmd[0].Value.(bson.D)[0].Key
			}
			if got := m.Count(name); got != 1 {
				t.Errorf("count of %s = %d, want 1 (%s)", name, got, m.CountSummary())
			}
		})
	}
}

func TestHelloChangesOverTime(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	r := dialRaw(t, m.Addr())
	first := r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	if v, _ := first.Lookup("isWritablePrimary").BooleanOK(); !v {
		t.Fatalf("standalone is not writable: %s", first)
	}
	m.SetHelloDoc(bson.D{{Key: "isWritablePrimary", Value: false}, {Key: "secondary", Value: true}, {Key: "setName", Value: "rs9"}})
	second := r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	if v, _ := second.Lookup("setName").StringValueOK(); v != "rs9" {
		t.Errorf("after SetHelloDoc: %s", second)
	}
	if a, b := first.Lookup("connectionId"), second.Lookup("connectionId"); !a.Equal(b) {
		t.Errorf("connectionId changed on one connection: %v then %v", a, b)
	}
	other := dialRaw(t, m.Addr())
	third := other.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	if a, b := first.Lookup("connectionId"), third.Lookup("connectionId"); a.Equal(b) {
		t.Errorf("two connections share connectionId %v", a)
	}
}

func TestOpQueryOnly(t *testing.T) {
	for _, o := range []Options{{OpQueryOnly: true}, {Version: "3.4.24"}} {
		m := StartFakeMongod(t, o)
		r := dialRaw(t, m.Addr())
		r.sendHello()
		if rest := r.readAll(); len(rest) != 0 {
			t.Errorf("%+v: OP_MSG got %d bytes, want the connection closed", o, len(rest))
		}
		r = dialRaw(t, m.Addr())
		b := r.mustQuery("admin", bson.D{{Key: "isMaster", Value: 1}})
		if v, _ := b.Lookup("ismaster").BooleanOK(); !v {
			t.Errorf("%+v: isMaster over OP_QUERY: %s", o, b)
		}
	}
}

func TestMoreToComeGetsNoReply(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	r := dialRaw(t, m.Addr())
	frame := wire.AppendMsg(nil, 7, 0, wire.FlagMoreToCome, mustRaw(t, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
	if _, err := r.c.Write(frame); err != nil {
		t.Fatal(err)
	}
	if !r.staysQuiet() {
		t.Errorf("a moreToCome request was answered")
	}
	// The connection still serves the next request.
	r.mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
}

func TestDelayHoldsReplies(t *testing.T) {
	m := StartFakeMongod(t, Options{Delay: never})
	r := dialRaw(t, m.Addr())
	r.sendHello()
	if !r.staysQuiet() {
		t.Fatalf("a reply came before the delay")
	}
	m.SetDelay(0)
	r2 := dialRaw(t, m.Addr())
	r2.mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
}

func TestHostileModes(t *testing.T) {
	cases := []struct {
		mode  Mode
		opts  Options
		check func(t *testing.T, r *rawClient, reqID int32)
	}{
		{ModeSilent, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			if !r.staysQuiet() {
				t.Errorf("silent server answered")
			}
		}},
		{ModeHTTP, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			got := r.readAll()
			if string(got) != HTTPReply {
				t.Errorf("got %q", got)
			}
			if !strings.Contains(HTTPReply, "Content-Length: "+strconv.Itoa(len(httpBody))) {
				t.Errorf("Content-Length does not match the body")
			}
		}},
		{ModeTLSAlert, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			if got := r.readAll(); !bytes.Equal(got, []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}) {
				t.Errorf("got % x", got)
			}
		}},
		{ModeRandomBytes, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			got := r.readAll()
			if !bytes.Equal(got, RandomBytes(DefaultRandomSeed, RandomBytesLen)) {
				t.Fatalf("got %d bytes, not the seeded random bytes", len(got))
			}
			if n := int32(binary.LittleEndian.Uint32(got)); n >= wire.HeaderLen && n <= wire.MaxMessageSize {
				t.Errorf("default random bytes declare a plausible length %d", n)
			}
			var fe *wire.FrameError
			if _, err := wire.ReadMessage(bytes.NewReader(got), 0); !errors.As(err, &fe) {
				t.Errorf("random bytes decode: %v", err)
			}
		}},
		{ModeRandomBytes, Options{RandomSeed: 42}, func(t *testing.T, r *rawClient, _ int32) {
			got := r.readAll()
			if !bytes.Equal(got, RandomBytes(42, RandomBytesLen)) || bytes.Equal(got, RandomBytes(DefaultRandomSeed, RandomBytesLen)) {
				t.Errorf("RandomSeed not honoured")
			}
		}},
		{ModeHugeLength, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
			_, err := wire.ReadMessage(r.c, 0)
			var fe *wire.FrameError
			if !errors.As(err, &fe) || fe.Length != HugeDeclaredLength {
				t.Fatalf("err = %v, want a FrameError declaring %d", err, HugeDeclaredLength)
			}
			if !r.staysQuiet() {
				t.Errorf("bytes followed the huge header")
			}
		}},
		{ModeDrip, Options{DripInterval: never}, func(t *testing.T, r *rawClient, _ int32) {
			_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
			var b [64]byte
			n, err := r.c.Read(b[:])
			if err != nil || n != 1 {
				t.Fatalf("first read: %d bytes, %v; want 1 byte", n, err)
			}
			if !r.staysQuiet() {
				t.Errorf("a second byte came before the drip interval")
			}
		}},
		{ModeDrip, Options{DripInterval: time.Microsecond}, func(t *testing.T, r *rawClient, reqID int32) {
			_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
			m, err := wire.ReadMessage(r.c, 0)
			b := body(t, m, err)
			if m.Header.ResponseTo != reqID {
				t.Errorf("responseTo %d, want %d", m.Header.ResponseTo, reqID)
			}
			if v, _ := b.Lookup("isWritablePrimary").BooleanOK(); !v {
				t.Errorf("dripped hello: %s", b)
			}
		}},
		{ModeCloseAfterHeader, Options{}, func(t *testing.T, r *rawClient, reqID int32) {
			got := r.readAll()
			h, ok := wire.ParseHeader(got)
			if len(got) != wire.HeaderLen || !ok || h.ResponseTo != reqID || h.Length <= wire.HeaderLen {
				t.Errorf("got % x", got)
			}
		}},
		{ModeCloseMidMessage, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			got := r.readAll()
			h, ok := wire.ParseHeader(got)
			if !ok || len(got) <= wire.HeaderLen || int32(len(got)) >= h.Length {
				t.Errorf("got %d bytes of a %d-byte frame", len(got), h.Length)
			}
			var fe *wire.FrameError
			if _, err := wire.ReadMessage(bytes.NewReader(got), 0); !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("decoding the cut frame: %v", err)
			}
		}},
		{ModeWrongResponseTo, Options{}, func(t *testing.T, r *rawClient, reqID int32) {
			_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
			m, err := wire.ReadMessage(r.c, 0)
			body(t, m, err)
			if m.Header.ResponseTo == reqID {
				t.Errorf("reply answers the request id %d", reqID)
			}
		}},
		{ModeHugeHello, Options{}, func(t *testing.T, r *rawClient, _ int32) {
			_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
			m, err := wire.ReadMessage(r.c, 0)
			b := body(t, m, err)
			if len(b) != HugeHelloSize {
				t.Errorf("hello is %d bytes, want %d", len(b), HugeHelloSize)
			}
			if v, _ := b.Lookup("maxWireVersion").Int32OK(); v != 21 {
				t.Errorf("huge hello lost its fields")
			}
			if v, _ := b.Lookup("ok").DoubleOK(); v != 1 {
				t.Errorf("huge hello ok = %v", v)
			}
		}},
	}
	seen := map[Mode]bool{}
	for _, tc := range cases {
		seen[tc.mode] = true
		t.Run(tc.mode.String(), func(t *testing.T) {
			o := tc.opts
			o.Mode = tc.mode
			m := StartFakeMongod(t, o)
			r := dialRaw(t, m.Addr())
			id := r.sendHello()
			tc.check(t, r, id)
			if m.Requests() != 1 {
				t.Errorf("requests counted: %s", m.CountSummary())
			}
		})
	}
	for _, mode := range HostileModes() {
		if !seen[mode] {
			t.Errorf("mode %s has no test", mode)
		}
	}
}

func TestSetModeAppliesToNextRequest(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	r := dialRaw(t, m.Addr())
	r.mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
	m.SetMode(ModeCloseAfterHeader)
	r.sendHello()
	if got := r.readAll(); len(got) != wire.HeaderLen {
		t.Errorf("got %d bytes after SetMode, want a bare header", len(got))
	}
	m.SetMode(ModeNormal)
	dialRaw(t, m.Addr()).mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
}

func TestDriverFailsOnHostileServer(t *testing.T) {
	for _, mode := range []Mode{ModeHTTP, ModeCloseMidMessage, ModeTLSAlert, ModeRandomBytes} {
		t.Run(mode.String(), func(t *testing.T) {
			m := StartFakeMongod(t, Options{Mode: mode})
			c := connectDriver(t, m.URI(), options.Client().SetServerSelectionTimeout(quietTimeout))
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := c.Ping(ctx, nil); err == nil {
				t.Errorf("ping succeeded against %s", mode)
			}
		})
	}
}

func TestModeString(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		want string
	}{{ModeNormal, "normal"}, {ModeHugeHello, "huge-hello"}, {ModeTLSAlert, "tls-alert"}, {Mode(99), "mode(99)"}} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%d.String() = %q, want %q", int(tc.m), got, tc.want)
		}
	}
}

func TestWireVersionFor(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int32
	}{{"3.4.24", 5}, {"3.6.0", 6}, {"4.4.29", 9}, {"5.0.1", 13}, {"6.0.14", 17}, {"7.0.12", 21}, {"8.0.0-rc1", 25}, {"", 21}, {"banana", 21}} {
		if got := WireVersionFor(tc.v); got != tc.want {
			t.Errorf("WireVersionFor(%q) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	var servers []*FakeMongod
	for _, mode := range append(HostileModes(), ModeNormal) {
		m, err := NewFakeMongod(Options{Mode: mode, Delay: never * time.Duration(boolInt(mode == ModeNormal))})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, m)
		r := dialRaw(t, m.Addr())
		r.sendHello()
		_ = dialRaw(t, m.Addr()) // an idle connection too
	}
	for _, m := range servers {
		m.Close()
		m.Close() // twice is fine
	}
	checkNoFixtureGoroutines(t)
}

// checkNoFixtureGoroutines fails if any goroutine is still running code
// of a fixture in this package. Fixtures' Close waits for their
// goroutines, so none may remain once every fixture is closed.
func checkNoFixtureGoroutines(t *testing.T) {
	t.Helper()
	// Fixtures of earlier tests, closed by their cleanups, may still be
	// unwinding on a loaded machine: give them a moment before judging.
	var left []string
	for deadline := time.Now().Add(leakGrace); ; time.Sleep(20 * time.Millisecond) {
		left = fixtureGoroutines()
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, g := range left {
		t.Errorf("goroutine left behind:\n%s", g)
	}
}

// leakGrace bounds the wait for closed fixtures' goroutines to end.
const leakGrace = 2 * time.Second

// fixtureGoroutines returns the stacks of goroutines running fixture code.
func fixtureGoroutines() []string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, fn := range []string{"mongotest.(*FakeMongod)", "mongotest.(*Forwarder)", "mongotest.(*Silent)", "mongotest.(*ReplSet)"} {
			if strings.Contains(g, fn) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
