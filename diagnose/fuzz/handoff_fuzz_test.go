package fuzz

import (
	"errors"
	"io"
	"net"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// FuzzHandoff writes arbitrary bytes to a handoff connection whose kept
// hello is arbitrary too (a server's reply): it answers a handshake with
// one whole frame addressed to the request, or sends the bytes on (here
// to a dial that fails), never panics.
func FuzzHandoff(f *testing.F) {
	doc := func(d bson.D) []byte { b, _ := bson.Marshal(d); return b }
	hello := doc(bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "maxWireVersion", Value: int32(21)}, {Key: "ok", Value: 1.0}})
	f.Add(hello, wire.AppendQuery(nil, 7, "admin.$cmd", doc(bson.D{{Key: "isMaster", Value: int32(1)}, {Key: "helloOk", Value: true}, {Key: "compression", Value: bson.A{}}})))
	f.Add(hello, wire.AppendMsg(nil, 9, 0, 0, doc(bson.D{{Key: "hello", Value: int32(1)}, {Key: "$db", Value: "admin"}})))
	f.Add([]byte{5, 0, 0, 0, 0}, wire.AppendMsg(nil, 9, 0, 0, doc(bson.D{{Key: "hello", Value: int32(1)}})))
	f.Add(hello, []byte{0xff, 0xff, 0xff, 0x7f})
	dialFails := errors.New("not dialled")
	f.Fuzz(func(t *testing.T, hello, req []byte) {
		k := &wireprobe.Kept{Hello: hello, Command: "hello"}
		c := k.Handoff(false, func() (net.Conn, error) { return nil, dialFails }, nil)
		defer c.Close()
		if _, err := c.Write(req); err != nil {
			if !errors.Is(err, dialFails) {
				t.Fatalf("write: %v", err)
			}
			return
		}
		h, ok := wire.ParseHeader(req)
		if !ok || int(h.Length) != len(req) {
			return // a part of a message: nothing to read yet
		}
		reply, err := wire.ReadMessage(c, 0)
		if err != nil {
			if errors.Is(err, dialFails) || errors.Is(err, io.EOF) {
				return
			}
			t.Fatalf("the answer is no frame: %v", err)
		}
		if reply.Header.ResponseTo != h.RequestID {
			t.Fatalf("answer to %d, request %d", reply.Header.ResponseTo, h.RequestID)
		}
	})
}
