package wireprobe

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/wire"
)

// keptProbe probes m with Keep and returns what it kept.
func keptProbe(t *testing.T, m *mongotest.FakeMongod) *Kept {
	t.Helper()
	res := Prober{}.Hello(context.Background(), m.Addr(), HelloOptions{Keep: true, Samples: 1})
	if res.Err != nil || res.Kept == nil {
		t.Fatalf("probe kept nothing: %v", res.Err)
	}
	return res.Kept
}

// handoffDialer gives the driver the kept connection as Diagnose does:
// its first dial (the monitor's) answers from the probe, its second (the
// pool's) goes on over the kept connection; later ones dial.
type handoffDialer struct {
	k        *Kept
	mu       sync.Mutex
	dials    int
	answered int
}

func (d *handoffDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials++
	if d.dials > 2 {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	dial := func() (net.Conn, error) { return (&net.Dialer{}).DialContext(context.Background(), network, addr) }
	return d.k.Handoff(d.dials == 2, dial, func() { d.mu.Lock(); d.answered++; d.mu.Unlock() }), nil
}

// handoffPing probes a fresh fake server with Keep, closes the kept
// connection first when closeKept is set, then has the driver ping it
// with query added to a direct connection's string, through the
// handoff. The server's counts are those of the driver alone.
func handoffPing(t *testing.T, query string, closeKept bool) (*mongotest.FakeMongod, *handoffDialer) {
	t.Helper()
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	k := keptProbe(t, m)
	if closeKept {
		_ = k.Conn.Close()
	}
	m.ResetCounts()
	d := &handoffDialer{k: k}
	c, err := mongo.Connect(options.Client().ApplyURI(m.URI() + "?directConnection=true" + query).SetDialer(d).
		SetServerMonitoringMode(options.ServerMonitoringModePoll))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// As Diagnose does: no endSessions, the connections closed at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = c.Disconnect(ctx)
	}()
	if err := c.Database("admin").RunCommand(context.Background(), bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		t.Fatalf("ping through the handoff: %v", err)
	}
	return m, d
}

// The driver's two handshakes are answered from the probe's hello: the
// server sees the probe's hello and buildInfo, then the driver's ping on
// the probe's own connection, and nothing else.
func TestHandoffCarriesTheDriver(t *testing.T) {
	m, d := handoffPing(t, "", false)
	if got := m.Requests(); got != 1 || m.Count("ping") != 1 {
		t.Errorf("the server received %d requests after the probe, want the ping alone: %s", got, m.CountSummary())
	}
	if got := m.Connections(); got != 0 {
		t.Errorf("the driver opened %d connections, want none: the ping goes over the kept one", got)
	}
	if d.answered != 2 {
		t.Errorf("%d handshakes answered from the probe, want 2", d.answered)
	}
}

// A handshake that asks what the probe's hello did not (here compressors)
// goes to the server as the driver wrote it, on a connection of its own:
// a server takes client metadata once per connection.
func TestHandoffSendsOtherHandshakes(t *testing.T) {
	m, d := handoffPing(t, "&compressors=zlib", false)
	if d.answered != 0 {
		t.Errorf("%d handshakes answered from the probe, want none", d.answered)
	}
	if got := m.Count("isMaster", "ismaster", "hello"); got != 2 {
		t.Errorf("%d handshakes reached the server, want the driver's 2: %s", got, m.CountSummary())
	}
	if got := m.Connections(); got != 2 {
		t.Errorf("the driver opened %d connections, want 2: a handshake never follows the probe's on the kept one", got)
	}
}

// A kept connection the server has closed meanwhile is not used: the
// driver's command goes over a connection of its own.
func TestHandoffKeptConnectionClosed(t *testing.T) {
	m, _ := handoffPing(t, "", true)
	if m.Count("ping") != 1 || m.Connections() != 1 {
		t.Errorf("ping %d times over %d new connections, want once over 1: %s", m.Count("ping"), m.Connections(), m.CountSummary())
	}
}

// The answer is in the request's protocol and spelling: OP_REPLY with
// ismaster to the legacy isMaster, OP_MSG with isWritablePrimary and
// helloOk to hello, never compression the driver did not offer.
func TestHandshakeReply(t *testing.T) {
	hello, _ := bson.Marshal(bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "maxWireVersion", Value: int32(21)},
		{Key: "compression", Value: bson.A{"zlib"}}, {Key: "ok", Value: 1.0}})
	k := &Kept{Hello: hello, Command: "hello"}
	doc := func(d bson.D) bson.Raw { b, _ := bson.Marshal(d); return b }
	legacy := wire.AppendQuery(nil, 7, "admin.$cmd", doc(bson.D{{Key: "isMaster", Value: int32(1)}, {Key: "helloOk", Value: true}, {Key: "compression", Value: bson.A{}}}))
	msg := wire.AppendMsg(nil, 9, 0, 0, doc(bson.D{{Key: "hello", Value: int32(1)}, {Key: "helloOk", Value: true}, {Key: "$db", Value: "admin"}}))
	cases := []struct {
		name    string
		req     []byte
		op      wire.OpCode
		to      int32
		role    string
		refused bool
	}{
		{name: "legacy", req: legacy, op: wire.OpReply, to: 7, role: "ismaster"},
		{name: "op_msg", req: msg, op: wire.OpMsg, to: 9, role: "isWritablePrimary"},
		{name: "credentials", req: wire.AppendQuery(nil, 3, "admin.$cmd", doc(bson.D{{Key: "isMaster", Value: int32(1)}, {Key: "saslSupportedMechs", Value: "admin.u"}})), refused: true},
		{name: "compressors", req: wire.AppendQuery(nil, 3, "admin.$cmd", doc(bson.D{{Key: "isMaster", Value: int32(1)}, {Key: "compression", Value: bson.A{"zlib"}}})), refused: true},
		{name: "api", req: wire.AppendMsg(nil, 3, 0, 0, doc(bson.D{{Key: "hello", Value: int32(1)}, {Key: "apiVersion", Value: "1"}, {Key: "$db", Value: "admin"}})), refused: true},
		{name: "other db", req: wire.AppendQuery(nil, 3, "app.$cmd", doc(bson.D{{Key: "isMaster", Value: int32(1)}})), refused: true},
		{name: "ping", req: wire.AppendMsg(nil, 3, 0, 0, doc(bson.D{{Key: "ping", Value: int32(1)}, {Key: "$db", Value: "admin"}})), refused: true},
		{name: "truncated", req: legacy[:len(legacy)-3], refused: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ok := handshakeReply(c.req, k)
			if ok == c.refused {
				t.Fatalf("answered %v, want %v", ok, !c.refused)
			}
			if c.refused {
				return
			}
			m, err := wire.Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if m.Header.OpCode != c.op || m.Header.ResponseTo != c.to {
				t.Fatalf("answer %s to %d, want %s to %d", m.Header.OpCode, m.Header.ResponseTo, c.op, c.to)
			}
			if v, err := m.Body.LookupErr(c.role); err != nil || !v.Boolean() {
				t.Errorf("answer %s has no %s: true", m.Body, c.role)
			}
			if _, err := m.Body.LookupErr("compression"); err == nil {
				t.Errorf("answer %s offers compression the driver did not ask for", m.Body)
			}
			if v, err := m.Body.LookupErr("helloOk"); err != nil || !v.Boolean() {
				t.Errorf("answer %s has no helloOk", m.Body)
			}
		})
	}
}

// A connection whose server side cannot be dialled fails the write of a
// request it may not answer, with the dial's error.
func TestHandoffDialFails(t *testing.T) {
	hello, _ := bson.Marshal(bson.D{{Key: "ok", Value: 1.0}})
	boom := errors.New("no route")
	c := (&Kept{Hello: hello, Command: "hello"}).Handoff(false, func() (net.Conn, error) { return nil, boom }, nil)
	ping, _ := bson.Marshal(bson.D{{Key: "ping", Value: int32(1)}, {Key: "$db", Value: "admin"}})
	if _, err := c.Write(wire.AppendMsg(nil, 1, 0, 0, ping)); !errors.Is(err, boom) {
		t.Fatalf("write: %v, want the dial's error", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}
