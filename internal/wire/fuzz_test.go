package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// fuzzSeeds are frames of every kind, valid and broken; the files under
// testdata/fuzz add hostile peers' bytes.
func fuzzSeeds(t testing.TB) [][]byte {
	hello := mustDoc(t, bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	reply := mustDoc(t, bson.D{{Key: "ok", Value: 1.0}, {Key: "hosts", Value: bson.A{"a:1", "b:2"}}})
	return [][]byte{
		AppendMsg(nil, 1, 0, 0, hello),
		AppendMsg(nil, 2, 1, FlagChecksumPresent, reply),
		AppendMsgSequences(nil, 3, 0, 0, hello, Section{Identifier: "documents", Documents: []bson.Raw{reply}}),
		AppendQuery(nil, 4, "admin.$cmd", hello),
		AppendReply(nil, 5, 4, reply),
		AppendReply(nil, 6, 4),
		frame(OpCompressed, le32(int32(OpMsg)), le32(10), []byte{2, 1, 2}),
		[]byte("HTTP/1.1 200 OK\r\n\r\n"),
		{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46},
	}
}

// FuzzDecode checks that Decode never panics and that what it accepts is
// self-consistent and survives re-encoding.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Decode(in)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FrameError: %v", err, err)
			}
			return
		}
		if int(m.Header.Length) != len(in) {
			t.Fatalf("accepted a frame of %d bytes declaring %d", len(in), m.Header.Length)
		}
		var again []byte
		switch m.Header.OpCode {
		case OpMsg:
			again = AppendMsgSequences(nil, m.Header.RequestID, m.Header.ResponseTo, m.FlagBits, m.Body, m.Sequences...)
		case OpQuery:
			again = AppendQuery(nil, m.Header.RequestID, m.FullCollectionName, m.Body)
		case OpReply:
			again = AppendReply(nil, m.Header.RequestID, m.Header.ResponseTo, m.Documents...)
		default:
			t.Fatalf("accepted opcode %v", m.Header.OpCode)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if !bytes.Equal(m2.Body, m.Body) || len(m2.Sequences) != len(m.Sequences) || len(m2.Documents) != len(m.Documents) {
			t.Fatalf("re-encoding changed the message: %+v vs %+v", m2, m)
		}
	})
}

// FuzzReadMessage checks that ReadMessage never panics, never accepts a
// frame over max, and reports I/O truncation as such.
func FuzzReadMessage(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, int32(MaxMessageSize))
		f.Add(s, int32(len(s)-1))
	}
	f.Fuzz(func(t *testing.T, in []byte, max int32) {
		m, err := ReadMessage(bytes.NewReader(in), max)
		limit := max
		if limit <= HeaderLen {
			limit = MaxMessageSize
		}
		if err != nil {
			var fe *FrameError
			if len(in) == 0 && errors.Is(err, io.EOF) {
				return
			}
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FrameError: %v", err, err)
			}
			if len(in) >= HeaderLen {
				declared := int32(binary.LittleEndian.Uint32(in))
				if declared >= HeaderLen && declared <= limit && int(declared) > len(in) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("short input not reported as truncated: %v", err)
				}
			}
			return
		}
		if m.Header.Length > limit || int(m.Header.Length) > len(in) {
			t.Fatalf("accepted a %d-byte frame (limit %d, input %d)", m.Header.Length, limit, len(in))
		}
	})
}
