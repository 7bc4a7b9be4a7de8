package wireprobe

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/netpath"
)

// Test limits. None of them is asserted on: they only keep a broken test
// from hanging.
const (
	// helloTestBudget is the budget of a probe expected to succeed: far
	// more than a loopback probe needs, even on a loaded CI machine.
	helloTestBudget = 10 * time.Second
	// helloSilentBudget is the budget of a probe of a silent peer, which
	// uses all of it: short to keep the suite fast, long enough for the
	// legacy fallback to be tried within it.
	helloSilentBudget = 400 * time.Millisecond
	// testConnLife bounds every connection of a test server.
	testConnLife = 30 * time.Second
	// dripInterval is the pause between bytes of the dripping peer.
	dripInterval = 50 * time.Millisecond
)

// listen serves every connection to a new loopback listener with handle,
// and stops them all when the test ends.
func listen(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	return serveOn(t, mustListen(t), handle)
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serveOn(t *testing.T, ln net.Listener, handle func(c net.Conn)) string {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(testConnLife))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// miniMongod answers hello, isMaster and buildInfo the way servers of
// various ages do, which FerretDB cannot play: 2.6-3.4 servers that ignore
// or hang up on OP_MSG, 3.6-4.4 servers without hello, Stable API refusals,
// slow replies. It records every command.
type miniMongod struct {
	helloDoc   bson.D // the role fields of the hello reply
	version    string
	maxWire    int32
	ignoreMsg  bool          // OP_MSG gets no reply at all (MongoDB 3.4)
	closeOnMsg bool          // OP_MSG closes the connection
	noHello    bool          // hello is an unknown command (before 4.4.2)
	rejectAPI  int32         // error code for commands carrying apiVersion
	firstDelay time.Duration // before the reply to the first request

	mu       sync.Mutex
	requests []request
}

type request struct {
	op   wire.OpCode
	body bson.Raw
}

func (s *miniMongod) serve(c net.Conn) {
	for n := int32(1); ; n++ {
		m, err := wire.ReadMessage(c, wire.MaxMessageSize)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, request{m.Header.OpCode, append(bson.Raw(nil), m.Body...)})
		s.mu.Unlock()
		switch m.Header.OpCode {
		case wire.OpMsg:
			if s.closeOnMsg {
				return
			}
			if s.ignoreMsg {
				continue
			}
			if n == 1 {
				time.Sleep(s.firstDelay)
			}
			_, _ = c.Write(wire.AppendMsg(nil, n, m.Header.RequestID, 0, s.answer(m.Body)))
		case wire.OpQuery:
			_, _ = c.Write(wire.AppendReply(nil, n, m.Header.RequestID, s.answer(m.Body)))
		}
	}
}

func (s *miniMongod) answer(body bson.Raw) bson.Raw {
	elems, _ := body.Elements()
	cmd := ""
	if len(elems) > 0 {
		cmd = elems[0].Key()
	}
	var d bson.D
	switch {
	case s.rejectAPI != 0 && body.Lookup("apiVersion").Type != 0:
		d = bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "Provided apiStrict:true, but the command " + cmd + " is not in API Version 1"}, {Key: "code", Value: s.rejectAPI}, {Key: "codeName", Value: "APIStrictError"}}
	case cmd == "hello" && s.noHello:
		d = bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "no such command: 'hello'"}, {Key: "code", Value: int32(59)}, {Key: "codeName", Value: "CommandNotFound"}}
	case cmd == "hello" || cmd == "isMaster" || cmd == "ismaster":
		d = append(d, s.helloDoc...)
		if len(s.helloDoc) == 0 {
			d = bson.D{{Key: "ismaster", Value: true}}
		}
		if mech := body.Lookup("saslSupportedMechs"); mech.Type != 0 {
			d = append(d, bson.E{Key: "saslSupportedMechs", Value: bson.A{"SCRAM-SHA-1", "SCRAM-SHA-256"}})
		}
		d = append(d, bson.E{Key: "minWireVersion", Value: int32(0)}, bson.E{Key: "maxWireVersion", Value: s.maxWire}, bson.E{Key: "ok", Value: 1.0})
	case cmd == "buildInfo" || cmd == "buildinfo":
		d = bson.D{{Key: "version", Value: s.version}, {Key: "ok", Value: 1.0}}
	default:
		d = bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "no such command: '" + cmd + "'"}, {Key: "code", Value: int32(59)}}
	}
	b, _ := bson.Marshal(d)
	return b
}

// commands lists the commands received, as "op:name".
func (s *miniMongod) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		elems, _ := r.body.Elements()
		name := ""
		if len(elems) > 0 {
			name = elems[0].Key()
		}
		op := "msg"
		if r.op == wire.OpQuery {
			op = "query"
		}
		out = append(out, op+":"+name)
	}
	return out
}

func (s *miniMongod) request(i int) bson.Raw {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.requests) {
		return nil
	}
	return s.requests[i].body
}

func probe(t *testing.T, addr string, budget time.Duration, opts HelloOptions) HelloResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	return Prober{}.Hello(ctx, addr, opts)
}

func TestProbeHelloProtocols(t *testing.T) {
	rsMember := bson.D{
		{Key: "isWritablePrimary", Value: false}, {Key: "secondary", Value: true},
		{Key: "setName", Value: "rs0"}, {Key: "setVersion", Value: int32(7)},
		{Key: "hosts", Value: bson.A{"a.internal:27017", "b.internal:27017"}},
		{Key: "passives", Value: bson.A{"p.internal:27017"}},
		{Key: "arbiters", Value: bson.A{"arb.internal:27017"}},
		{Key: "primary", Value: "a.internal:27017"}, {Key: "me", Value: "b.internal:27017"},
		{Key: "tags", Value: bson.D{{Key: "dc", Value: "east"}, {Key: "rack", Value: "r1"}}},
		{Key: "electionId", Value: bson.ObjectID{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 3}},
		{Key: "compression", Value: bson.A{"zstd"}},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
	}
	tests := []struct {
		name     string
		srv      *miniMongod
		opts     HelloOptions
		legacy   bool
		command  string // the command answered; "" means hello
		trips    int
		samples  int
		commands []string
		check    func(t *testing.T, res HelloResult)
	}{
		{
			name:     "modern replica set member",
			srv:      &miniMongod{helloDoc: rsMember, version: "7.0.12", maxWire: 21},
			opts:     HelloOptions{SASLSupportedMechs: "admin.alice"},
			trips:    4,
			samples:  3,
			commands: []string{"msg:hello", "msg:buildInfo", "msg:hello", "msg:hello"},
			check: func(t *testing.T, res HelloResult) {
				s := res.Server
				if s.Kind != "RSSecondary" || s.SetName != "rs0" || s.SetVersion != 7 || s.Primary != "a.internal:27017" || s.Me != "b.internal:27017" {
					t.Errorf("server = %+v", s)
				}
				if strings.Join(s.Hosts, ",") != "a.internal:27017,b.internal:27017" || len(s.Passives) != 1 || len(s.Arbiters) != 1 {
					t.Errorf("members: %v %v %v", s.Hosts, s.Passives, s.Arbiters)
				}
				if s.Tags["dc"] != "east" || s.Tags["rack"] != "r1" || s.ElectionID != "7fffffff0000000000000003" {
					t.Errorf("tags %v election %q", s.Tags, s.ElectionID)
				}
				if len(s.Compression) != 1 || s.SessionTimeout == nil || *s.SessionTimeout != 30 || s.Version != "7.0.12" || s.MaxWireVersion != 21 {
					t.Errorf("compression %v session %v version %q wire %d", s.Compression, s.SessionTimeout, s.Version, s.MaxWireVersion)
				}
				if strings.Join(res.SASLSupportedMechs, ",") != "SCRAM-SHA-1,SCRAM-SHA-256" {
					t.Errorf("mechs %v", res.SASLSupportedMechs)
				}
				if res.Hello != nil {
					t.Errorf("raw replies kept without Verbose")
				}
			},
		},
		{
			name:     "3.4 ignores OP_MSG",
			srv:      &miniMongod{version: "3.4.24", maxWire: 5, ignoreMsg: true},
			legacy:   true,
			command:  "isMaster",
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "query:isMaster", "query:buildInfo", "query:isMaster"},
		},
		{
			name:     "3.4 hangs up on OP_MSG",
			srv:      &miniMongod{version: "3.4.24", maxWire: 5, closeOnMsg: true},
			legacy:   true,
			command:  "isMaster",
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "query:isMaster", "query:buildInfo", "query:isMaster"},
		},
		{
			name:     "4.2 has no hello: isMaster over OP_MSG",
			srv:      &miniMongod{version: "4.2.25", maxWire: 8, noHello: true},
			command:  "isMaster",
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "msg:isMaster", "msg:buildInfo", "msg:isMaster"},
		},
		{
			name:     "3.6 has no hello: isMaster over OP_MSG",
			srv:      &miniMongod{version: "3.6.23", maxWire: 6, noHello: true},
			command:  "isMaster",
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "msg:isMaster", "msg:buildInfo", "msg:isMaster"},
		},
		{
			name:     "slow 4.0 answers both: OP_MSG from then on",
			srv:      &miniMongod{version: "4.0.28", maxWire: 7, noHello: true, firstDelay: legacyFallbackAfter + legacyFallbackAfter/2},
			command:  "isMaster",
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "query:isMaster", "msg:buildInfo", "msg:isMaster"},
		},
		{
			name:     "slow modern server answers both",
			srv:      &miniMongod{version: "8.0.4", maxWire: 25, firstDelay: legacyFallbackAfter + legacyFallbackAfter/2},
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "query:isMaster", "msg:buildInfo", "msg:hello"},
		},
		{
			name:     "strict API refused",
			srv:      &miniMongod{version: "7.0.12", maxWire: 21, rejectAPI: 323},
			opts:     HelloOptions{APIVersion: "1", APIStrict: true},
			trips:    4,
			samples:  2,
			commands: []string{"msg:hello", "msg:hello", "msg:buildInfo", "msg:hello"},
			check: func(t *testing.T, res HelloResult) {
				var ce *CommandError
				if !errors.As(res.APIError, &ce) || ce.Code != 323 || ce.CodeName != "APIStrictError" {
					t.Errorf("APIError = %v", res.APIError)
				}
			},
		},
		{
			name:     "more samples on request",
			srv:      &miniMongod{version: "6.0.1", maxWire: 17},
			opts:     HelloOptions{Samples: 5},
			trips:    6,
			samples:  5,
			commands: []string{"msg:hello", "msg:buildInfo", "msg:hello", "msg:hello", "msg:hello", "msg:hello"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := listen(t, tc.srv.serve)
			res := probe(t, addr, helloTestBudget, tc.opts)
			if res.Err != nil {
				t.Fatalf("probe failed: %v", res.Err)
			}
			if res.Server.LegacyHello != tc.legacy || res.RoundTrips != tc.trips || len(res.RTTs) != tc.samples {
				t.Errorf("legacy %v round trips %d samples %d; want %v %d %d", res.Server.LegacyHello, res.RoundTrips, len(res.RTTs), tc.legacy, tc.trips, tc.samples)
			}
			if want := cmp.Or(tc.command, "hello"); res.Command != want {
				t.Errorf("answered %q, want %q", res.Command, want)
			}
			if res.Server.Version != tc.srv.version || res.Server.MaxWireVersion != int64(tc.srv.maxWire) {
				t.Errorf("version %q wire %d", res.Server.Version, res.Server.MaxWireVersion)
			}
			if !res.Server.Reachable || res.Server.Kind == "Unknown" {
				t.Errorf("server = %+v", res.Server)
			}
			// The slow server's last reply may still be in flight when the
			// probe hangs up; everything before it must be there.
			if got := tc.srv.commands(); !hasPrefix(got, tc.commands[:len(tc.commands)-1]) || len(got) > len(tc.commands) {
				t.Errorf("commands %v, want %v", got, tc.commands)
			}
			// Client metadata goes in the first request of a connection only.
			first := tc.srv.request(0)
			if first.Lookup("client", "application", "name").StringValue() != "mongoconn" {
				t.Errorf("first hello without client metadata: %v", first)
			}
			for i := 1; i < len(tc.commands); i++ {
				if r := tc.srv.request(i); r != nil && r.Lookup("client").Type != 0 && !(tc.srv.closeOnMsg && i == 1) {
					t.Errorf("request %d repeats client metadata: %v", i, r)
				}
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func hasPrefix(got, want []string) bool {
	if len(got) < len(want) {
		return false
	}
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestProbeHelloRequestFields(t *testing.T) {
	srv := &miniMongod{version: "7.0.12", maxWire: 21}
	addr := listen(t, srv.serve)
	res := probe(t, addr, helloTestBudget, HelloOptions{SASLSupportedMechs: "db.bob", APIVersion: "1", APIStrict: true, LoadBalanced: true})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	h := srv.request(0)
	tests := []struct {
		key  string
		want any
	}{
		{"$db", "admin"},
		{"saslSupportedMechs", "db.bob"},
		{"apiVersion", "1"},
		{"apiStrict", true},
		{"loadBalanced", true},
	}
	for _, tc := range tests {
		v := h.Lookup(tc.key)
		var got any
		switch v.Type {
		case bson.TypeString:
			got = v.StringValue()
		case bson.TypeBoolean:
			got = v.Boolean()
		}
		if got != tc.want {
			t.Errorf("hello %s = %v, want %v", tc.key, got, tc.want)
		}
	}
	if h.Lookup("hello").Type == 0 {
		t.Errorf("first command is not hello: %v", h)
	}
	// RTT samples are bare hellos: no questions, no API fields.
	last := srv.request(3)
	if last.Lookup("hello").Type == 0 || last.Lookup("saslSupportedMechs").Type != 0 || last.Lookup("apiVersion").Type != 0 {
		t.Errorf("sample hello = %v", last)
	}
}

// hostile returns a handler that reads the first request and then does act.
func hostile(act func(c net.Conn, m *wire.Message)) func(c net.Conn) {
	return func(c net.Conn) {
		m, err := wire.ReadMessage(c, wire.MaxMessageSize)
		if err != nil {
			return
		}
		act(c, m)
	}
}

func holdOpen(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func okReply(t testing.TB) bson.Raw {
	b, err := bson.Marshal(bson.D{{Key: "ismaster", Value: true}, {Key: "maxWireVersion", Value: int32(21)}, {Key: "ok", Value: 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProbeHelloHostilePeers(t *testing.T) {
	tlsAlert := []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}
	valid := wire.AppendMsg(nil, 1, 1, 0, okReply(t))
	huge := make([]byte, 16)
	copy(huge, valid[:16])
	hugeLen := uint32(16<<20 + 64)
	huge[0], huge[1], huge[2], huge[3] = byte(hugeLen), byte(hugeLen>>8), byte(hugeLen>>16), byte(hugeLen>>24)

	tests := []struct {
		name    string
		handle  func(c net.Conn)
		kind    ProbeErrorKind
		peer    string
		finding string
		detail  string
	}{
		{
			name:    "silent",
			handle:  holdOpen,
			kind:    ProbeNotResponding,
			finding: catalogue.IDServerNotResponding,
			detail:  "no reply",
		},
		{
			name:    "http text",
			handle:  hostile(func(c net.Conn, _ *wire.Message) { _, _ = c.Write([]byte(mongotestHTTP)) }),
			kind:    ProbeNotMongoDB,
			peer:    PeerHTTP,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "HTTP",
		},
		{
			name:    "tls alert then close",
			handle:  hostile(func(c net.Conn, _ *wire.Message) { _, _ = c.Write(tlsAlert) }),
			kind:    ProbeNotMongoDB,
			peer:    PeerTLS,
			finding: catalogue.IDTLSServerRequiresTLS,
			detail:  "TLS alert",
		},
		{
			name: "tls alert then silence",
			handle: hostile(func(c net.Conn, _ *wire.Message) {
				_, _ = c.Write(tlsAlert)
				holdOpen(c)
			}),
			kind:    ProbeNotMongoDB,
			peer:    PeerTLS,
			finding: catalogue.IDTLSServerRequiresTLS,
			detail:  "TLS alert",
		},
		{
			name:    "ssh banner",
			handle:  func(c net.Conn) { _, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")); holdOpen(c) },
			kind:    ProbeNotMongoDB,
			peer:    PeerSSH,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "SSH",
		},
		{
			name:    "garbage",
			handle:  hostile(func(c net.Conn, _ *wire.Message) { _, _ = c.Write([]byte("\xff\xfe\xfd\xfcgarbage garbage garbage")) }),
			kind:    ProbeNotMongoDB,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "declares a negative message length (-50462977): it does not speak the MongoDB wire protocol",
		},
		{
			name: "absurd length",
			handle: hostile(func(c net.Conn, _ *wire.Message) {
				_, _ = c.Write([]byte{0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 1, 0, 0, 0, 0xdd, 0x07, 0, 0})
				holdOpen(c)
			}),
			kind:    ProbeNotMongoDB,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "2147483647-byte",
		},
		{
			name: "16 MiB hello",
			handle: hostile(func(c net.Conn, _ *wire.Message) {
				_, _ = c.Write(huge)
				holdOpen(c)
			}),
			kind:    ProbeNotMongoDB,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "far beyond",
		},
		{
			name: "wrong responseTo",
			handle: hostile(func(c net.Conn, m *wire.Message) {
				_, _ = c.Write(wire.AppendMsg(nil, 9, m.Header.RequestID+100, 0, okReply(t)))
				holdOpen(c)
			}),
			kind:    ProbeNotMongoDB,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "answers request",
		},
		{
			name: "malformed reply",
			handle: hostile(func(c net.Conn, m *wire.Message) {
				f := wire.AppendMsg(nil, 9, m.Header.RequestID, 0, okReply(t))
				f[20] = 7 // section kind
				_, _ = c.Write(f)
				holdOpen(c)
			}),
			kind:    ProbeNotMongoDB,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "malformed",
		},
		{
			name: "close mid reply",
			handle: hostile(func(c net.Conn, m *wire.Message) {
				f := wire.AppendMsg(nil, 9, m.Header.RequestID, 0, okReply(t))
				_, _ = c.Write(f[:len(f)/2])
			}),
			kind:    ProbeClosed,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "middle of a reply",
		},
		{
			name:    "closes every connection",
			handle:  hostile(func(net.Conn, *wire.Message) {}),
			kind:    ProbeClosed,
			finding: catalogue.IDServerNotMongoDB,
			detail:  "requires TLS",
		},
		{
			name: "drip",
			handle: hostile(func(c net.Conn, m *wire.Message) {
				for _, b := range wire.AppendMsg(nil, 9, m.Header.RequestID, 0, okReply(t)) {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(dripInterval)
				}
			}),
			kind:    ProbeNotResponding,
			finding: catalogue.IDServerNotResponding,
			detail:  "stalled",
		},
		{
			name: "ok:0 to everything",
			handle: func(c net.Conn) {
				fail, _ := bson.Marshal(bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "not today"}, {Key: "code", Value: int32(13)}})
				for {
					m, err := wire.ReadMessage(c, wire.MaxMessageSize)
					if err != nil {
						return
					}
					if m.Header.OpCode == wire.OpQuery {
						_, _ = c.Write(wire.AppendReply(nil, 9, m.Header.RequestID, fail))
					} else {
						_, _ = c.Write(wire.AppendMsg(nil, 9, m.Header.RequestID, 0, fail))
					}
				}
			},
			kind:   ProbeCommandFailed,
			detail: "with an error",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := listen(t, tc.handle)
			res := probe(t, addr, helloSilentBudget, HelloOptions{})
			var pe *ProbeError
			if !errors.As(res.Err, &pe) {
				t.Fatalf("err = %v, want a *ProbeError", res.Err)
			}
			if pe.Kind != tc.kind || pe.Peer != tc.peer || pe.Addr != addr {
				t.Errorf("kind %v peer %q addr %q; want %v %q: %v", pe.Kind, pe.Peer, pe.Addr, tc.kind, tc.peer, pe)
			}
			if !strings.Contains(pe.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", pe.Detail, tc.detail)
			}
			if res.Server.Kind != "Unknown" || res.Server.Error == "" || res.Server.Address != addr {
				t.Errorf("server = %+v", res.Server)
			}
			f, ok := FindingForProbe(res.Err, addr)
			if tc.finding == "" {
				if ok {
					t.Errorf("finding %s for a command failure", f.ID)
				}
				return
			}
			if !ok || f.ID != tc.finding {
				t.Fatalf("finding %q (%v), want %s", f.ID, ok, tc.finding)
			}
			if len(f.Evidence) != 1 || !strings.HasPrefix(f.Evidence[0], addr+": ") {
				t.Errorf("evidence %v", f.Evidence)
			}
		})
	}
}

const mongotestHTTP = "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 84\r\n\r\n" +
	"It looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n"

func TestProbeHelloDialFailures(t *testing.T) {
	ln := mustListen(t)
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name    string
		addr    string
		dialer  netpath.Dialer
		kind    ProbeErrorKind
		finding string
	}{
		{"refused", closed, nil, ProbeRefused, catalogue.IDTCPRefused},
		{"timeout", "127.0.0.1:1", dialerFunc(func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		}), ProbeTimeout, catalogue.IDTCPTimeout},
		{"unresolved", "no-such-host.invalid:27017", dialerFunc(func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true}}
		}), ProbeUnresolved, catalogue.IDDNSNoSuchHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Prober{Dialer: tc.dialer}
			ctx, cancel := context.WithTimeout(context.Background(), helloSilentBudget/4)
			defer cancel()
			res := e.Hello(ctx, tc.addr, HelloOptions{})
			var pe *ProbeError
			if !errors.As(res.Err, &pe) || pe.Kind != tc.kind {
				t.Fatalf("err = %v, want kind %v", res.Err, tc.kind)
			}
			if res.RoundTrips != 0 {
				t.Errorf("round trips %d before a connection", res.RoundTrips)
			}
			f, ok := FindingForProbe(res.Err, tc.addr)
			if !ok || f.ID != tc.finding {
				t.Errorf("finding %q, want %s", f.ID, tc.finding)
			}
		})
	}
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

func TestProbeHelloCancel(t *testing.T) {
	addr := listen(t, holdOpen)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(helloSilentBudget/8, cancel)
	res := Prober{}.Hello(ctx, addr, HelloOptions{})
	var pe *ProbeError
	if !errors.As(res.Err, &pe) || pe.Kind != ProbeCanceled || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("err = %v, want a cancellation", res.Err)
	}
	if _, ok := FindingForProbe(res.Err, addr); ok {
		t.Errorf("a cancellation maps to a finding")
	}
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mongoconn test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestProbeHelloTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := &miniMongod{version: "7.0.12", maxWire: 21}
	tlsAddr := serveOn(t, tls.NewListener(mustListen(t), &tls.Config{Certificates: []tls.Certificate{cert}}), srv.serve)
	plainAddr := listen(t, (&miniMongod{version: "7.0.12", maxWire: 21}).serve)
	httpAddr := listen(t, func(c net.Conn) {
		buf := make([]byte, 512)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte(mongotestHTTP))
	})

	tests := []struct {
		name    string
		addr    string
		cfg     *tls.Config
		kind    ProbeErrorKind // 0: success
		finding string
	}{
		{"trusted", tlsAddr, &tls.Config{RootCAs: pool}, 0, ""},
		{"unknown authority", tlsAddr, &tls.Config{}, ProbeTLS, ""},
		{"server answers in plain text", httpAddr, &tls.Config{RootCAs: pool}, ProbeTLS, catalogue.IDTLSServerNotTLS},
		{"plain mongod waits", plainAddr, &tls.Config{RootCAs: pool}, ProbeTLS, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			budget := helloSilentBudget
			if tc.kind == 0 {
				budget = helloTestBudget
			}
			res := probe(t, tc.addr, budget, HelloOptions{TLS: tc.cfg})
			if tc.kind == 0 {
				if res.Err != nil || res.Server.Kind != "Standalone" || res.Server.Version != "7.0.12" {
					t.Fatalf("err %v server %+v", res.Err, res.Server)
				}
				return
			}
			var pe *ProbeError
			if !errors.As(res.Err, &pe) || pe.Kind != tc.kind {
				t.Fatalf("err = %v, want kind %v", res.Err, tc.kind)
			}
			f, ok := FindingForProbe(res.Err, tc.addr)
			if tc.finding == "" && ok || tc.finding != "" && f.ID != tc.finding {
				t.Errorf("finding %q (%v), want %q", f.ID, ok, tc.finding)
			}
		})
	}
	if tc := tests[1]; tc.cfg.ServerName != "" {
		t.Errorf("the caller's TLS config was modified: %q", tc.cfg.ServerName)
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		doc      bson.D
		want     string
		notFound bool
	}{
		{"ok", bson.D{{Key: "ok", Value: 1.0}}, "", false},
		{"not found", bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "no such command: 'hello'"}, {Key: "code", Value: int32(59)}, {Key: "codeName", Value: "CommandNotFound"}},
			"hello failed: no such command: 'hello' (CommandNotFound, code 59)", true},
		{"legacy $err", bson.D{{Key: "$err", Value: "unknown command"}, {Key: "code", Value: int64(13390)}}, "hello failed: unknown command (code 13390)", false},
		{"bare", bson.D{{Key: "ok", Value: 0}}, "hello failed: the reply has no ok:1", false},
		{"redacted", bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "bad uri mongodb://u:secret@h/"}}, "hello failed: bad uri mongodb://u:****@h/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := bson.Marshal(tc.doc)
			ce := replyError(b, "hello")
			if tc.want == "" {
				if ce != nil {
					t.Fatalf("error %v for an ok reply", ce)
				}
				return
			}
			if ce == nil || ce.Error() != tc.want {
				t.Fatalf("error %v, want %q", ce, tc.want)
			}
			if IsCommandNotFound(ce) != tc.notFound {
				t.Errorf("IsCommandNotFound = %v", !tc.notFound)
			}
		})
	}
}

func TestProbeErrorText(t *testing.T) {
	tests := []struct {
		err  *ProbeError
		want string
	}{
		{&ProbeError{Kind: ProbeClosed, Addr: "h:1", Detail: "closed"}, "h:1: closed"},
		{&ProbeError{Kind: ProbeNotMongoDB, Addr: "h:1", Detail: "odd", Err: io.ErrUnexpectedEOF}, "h:1: odd (unexpected EOF)"},
		{&ProbeError{Kind: ProbeTLS, Addr: "h:1", Detail: "x", Err: errors.New("mongodb://a:pw@h")}, "h:1: x (mongodb://a:****@h)"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, tc.err.Err) && tc.err.Err != nil {
			t.Errorf("Unwrap lost %v", tc.err.Err)
		}
	}
	for k := ProbeRefused; k <= ProbeCanceled; k++ {
		if strings.HasPrefix(k.String(), "ProbeErrorKind(") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
}

func TestFindingForProbe(t *testing.T) {
	tests := []struct {
		err  error
		want string // "" when no finding
	}{
		{&ProbeError{Kind: ProbeRefused}, catalogue.IDTCPRefused},
		{&ProbeError{Kind: ProbeTimeout}, catalogue.IDTCPTimeout},
		{&ProbeError{Kind: ProbeUnreachable, Detail: "no route"}, catalogue.IDTCPTimeout},
		{&ProbeError{Kind: ProbeUnresolved}, catalogue.IDDNSNoSuchHost},
		{&ProbeError{Kind: ProbeNotResponding}, catalogue.IDServerNotResponding},
		{&ProbeError{Kind: ProbeNotMongoDB}, catalogue.IDServerNotMongoDB},
		{&ProbeError{Kind: ProbeNotMongoDB, Peer: PeerHTTP}, catalogue.IDServerNotMongoDB},
		{&ProbeError{Kind: ProbeNotMongoDB, Peer: PeerTLS, Detail: "answered with a TLS alert"}, catalogue.IDTLSServerRequiresTLS},
		{&ProbeError{Kind: ProbeClosed}, catalogue.IDServerNotMongoDB},
		{&ProbeError{Kind: ProbeTLS, Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, catalogue.IDTLSServerNotTLS},
		{&ProbeError{Kind: ProbeTLS, Err: x509.UnknownAuthorityError{}}, ""},
		{&ProbeError{Kind: ProbeCommandFailed, Err: &CommandError{Command: "hello"}}, ""},
		{&ProbeError{Kind: ProbeCanceled}, ""},
		{errors.New("plain"), ""},
		{nil, ""},
	}
	for _, tc := range tests {
		f, ok := FindingForProbe(tc.err, "db.example:27017")
		if tc.want == "" {
			if ok {
				t.Errorf("%v: finding %s, want none", tc.err, f.ID)
			}
			continue
		}
		if !ok || f.ID != tc.want {
			t.Errorf("%v: finding %q, want %s", tc.err, f.ID, tc.want)
			continue
		}
		if !strings.HasPrefix(f.Evidence[0], "db.example:27017: ") || f.Title == "" || len(f.Docs) == 0 {
			t.Errorf("finding %+v", f)
		}
	}
}

func TestProbeHelloFakeMongodVersions(t *testing.T) {
	tests := []struct {
		version string
		maxWire int32
		legacy  bool
		counts  map[string]int
	}{
		{"3.4.24", 5, true, map[string]int{"hello": 1, "isMaster": 2, "buildInfo": 1}},
		{"3.6.23", 6, false, map[string]int{"hello": 1, "isMaster": 2, "buildInfo": 1}},
		{"4.2.25", 8, false, map[string]int{"hello": 1, "isMaster": 2, "buildInfo": 1}},
		{"4.4.29", 9, false, map[string]int{"hello": 3, "isMaster": 0, "buildInfo": 1}},
		{"7.0.12", 21, false, map[string]int{"hello": 3, "isMaster": 0, "buildInfo": 1}},
		{"8.0.4", 25, false, map[string]int{"hello": 3, "isMaster": 0, "buildInfo": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			m := mongotest.StartFakeMongod(t, mongotest.Options{Version: tc.version, MaxWire: tc.maxWire})
			res := probe(t, m.Addr(), helloTestBudget, HelloOptions{})
			if res.Err != nil {
				t.Fatalf("probe failed: %v", res.Err)
			}
			s := res.Server
			if s.Version != tc.version || s.MaxWireVersion != int64(tc.maxWire) || s.LegacyHello != tc.legacy || s.Kind != "Standalone" {
				t.Errorf("server %+v", s)
			}
			for name, want := range tc.counts {
				if got := m.Count(name); got != want {
					t.Errorf("%s sent %d times, want %d (%s)", name, got, want, m.CountSummary())
				}
			}
			if m.Requests() > MaxHelloRoundTrips || res.RoundTrips != m.Requests() {
				t.Errorf("%d requests reached the server, probe counted %d", m.Requests(), res.RoundTrips)
			}
		})
	}
}

func TestProbeHelloFakeMongodHostile(t *testing.T) {
	want := map[mongotest.Mode]struct {
		kind    ProbeErrorKind
		finding string
	}{
		mongotest.ModeSilent:           {ProbeNotResponding, catalogue.IDServerNotResponding},
		mongotest.ModeHTTP:             {ProbeNotMongoDB, catalogue.IDServerNotMongoDB},
		mongotest.ModeHugeLength:       {ProbeNotMongoDB, catalogue.IDServerNotMongoDB},
		mongotest.ModeDrip:             {ProbeNotResponding, catalogue.IDServerNotResponding},
		mongotest.ModeCloseAfterHeader: {ProbeClosed, catalogue.IDServerNotMongoDB},
		mongotest.ModeCloseMidMessage:  {ProbeClosed, catalogue.IDServerNotMongoDB},
		mongotest.ModeRandomBytes:      {ProbeNotMongoDB, catalogue.IDServerNotMongoDB},
		mongotest.ModeTLSAlert:         {ProbeNotMongoDB, catalogue.IDTLSServerRequiresTLS},
		mongotest.ModeWrongResponseTo:  {ProbeNotMongoDB, catalogue.IDServerNotMongoDB},
		mongotest.ModeHugeHello:        {ProbeNotMongoDB, catalogue.IDServerNotMongoDB},
	}
	for _, mode := range mongotest.HostileModes() {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			w, ok := want[mode]
			if !ok {
				t.Fatalf("no expectation for mode %v", mode)
			}
			m := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mode, DripInterval: dripInterval})
			budget := helloSilentBudget
			if mode == mongotest.ModeHugeHello {
				budget = helloTestBudget // building 16 MiB takes the fake a while under -race
			}
			res := probe(t, m.Addr(), budget, HelloOptions{})
			var pe *ProbeError
			if !errors.As(res.Err, &pe) || pe.Kind != w.kind {
				t.Fatalf("err = %v, want kind %v", res.Err, w.kind)
			}
			f, ok := FindingForProbe(res.Err, m.Addr())
			if !ok || f.ID != w.finding {
				t.Errorf("finding %q, want %s (%v)", f.ID, w.finding, res.Err)
			}
		})
	}
}

func TestProbeHelloFakeReplSet(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3})
	kinds := map[string]int{}
	for _, addr := range rs.Addrs() {
		res := probe(t, addr, helloTestBudget, HelloOptions{})
		if res.Err != nil {
			t.Fatalf("%s: %v", addr, res.Err)
		}
		s := res.Server
		if s.SetName != "rs0" || len(s.Hosts) != 3 || s.Me == "" || s.Primary == "" {
			t.Errorf("%s: %+v", addr, s)
		}
		kinds[s.Kind]++
	}
	if kinds["RSPrimary"] != 1 || kinds["RSSecondary"] != 2 {
		t.Errorf("kinds %v, want one primary and two secondaries", kinds)
	}
}
