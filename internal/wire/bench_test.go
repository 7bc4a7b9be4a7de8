package wire

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkReadMessage decodes a hello-sized OP_MSG reply from a stream.
func BenchmarkReadMessage(b *testing.B) {
	body, err := bson.Marshal(bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "maxWireVersion", Value: 21}, {Key: "ok", Value: 1.0}})
	if err != nil {
		b.Fatal(err)
	}
	frame := AppendMsg(nil, 1, 0, 0, body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadMessage(bytes.NewReader(frame), MaxMessageSize); err != nil {
			b.Fatal(err)
		}
	}
}
