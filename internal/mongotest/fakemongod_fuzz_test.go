package mongotest

import (
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/wire"
)

// discardConn is a connection whose writes vanish, for driving the
// server's request handling without a socket.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error)      { return len(b), nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzFakeMongodRequest feeds arbitrary frames to the fake server's
// request handling (command parsing, Stable API checks, SCRAM payloads):
// the fixture parses outside input too, and must never panic on it.
func FuzzFakeMongodRequest(f *testing.F) {
	raw := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	msg := func(d bson.D) []byte { return wire.AppendMsg(nil, 1, 0, 0, raw(d)) }
	f.Add(msg(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}}))
	f.Add(msg(bson.D{{Key: "hello", Value: 1}, {Key: "saslSupportedMechs", Value: "admin.alice"}, {Key: "$db", Value: "admin"}}))
	f.Add(msg(bson.D{{Key: "hello", Value: 1}, {Key: "speculativeAuthenticate", Value: bson.D{
		{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: MechSCRAMSHA256},
		{Key: "payload", Value: bson.Binary{Data: []byte("n,,n=alice,r=abcdef")}}, {Key: "db", Value: "admin"}}}}))
	f.Add(msg(bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: MechSCRAMSHA1},
		{Key: "payload", Value: bson.Binary{Data: []byte("n,,n=alice,r=xyz")}}, {Key: "$db", Value: "admin"}}))
	f.Add(msg(bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: int32(1)},
		{Key: "payload", Value: bson.Binary{Data: []byte("c=biws,r=xyz,p=AAAA")}}}))
	f.Add(msg(bson.D{{Key: "buildInfo", Value: 1}, {Key: "apiVersion", Value: "1"}, {Key: "apiStrict", Value: true}}))
	f.Add(msg(bson.D{}))
	f.Add(wire.AppendMsg(nil, 1, 0, wire.FlagMoreToCome, raw(bson.D{{Key: "ping", Value: 1}})))
	f.Add(wire.AppendQuery(nil, 2, "admin.$cmd", raw(bson.D{{Key: "$query", Value: bson.D{{Key: "isMaster", Value: 1}}}})))
	f.Add(wire.AppendQuery(nil, 3, "test.coll", raw(bson.D{{Key: "x", Value: 1}})))
	f.Add([]byte(HTTPReply))
	f.Add([]byte(TLSAlert))

	store, err := newUserStore([]User{{Name: "alice", Password: "pw"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := wire.Decode(frame)
		if err != nil {
			return
		}
		for _, api := range []APIMode{APIStable, APIRejectStrict, APIUnknown} {
			s := newFake(Options{API: api, Version: "5.0.1"}, store)
			cc := &conn{c: discardConn{}, id: 1}
			s.handle(cc, m)
			s.handle(cc, m) // a second time, with whatever state the first left
		}
	})
}
