package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func mustDoc(t testing.TB, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTripEncodings(t *testing.T) {
	hello := mustDoc(t, bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	isMaster := mustDoc(t, bson.D{{Key: "isMaster", Value: 1}})
	reply := mustDoc(t, bson.D{{Key: "ok", Value: 1.0}, {Key: "maxWireVersion", Value: 21}})
	doc2 := mustDoc(t, bson.D{{Key: "_id", Value: 2}})

	tests := []struct {
		name  string
		frame []byte
		check func(t *testing.T, m *Message)
	}{
		{
			name:  "op_msg body",
			frame: AppendMsg(nil, 7, 0, 0, hello),
			check: func(t *testing.T, m *Message) {
				if m.Header.OpCode != OpMsg || m.Header.RequestID != 7 || m.FlagBits != 0 || m.HasChecksum {
					t.Errorf("header/flags: %+v flags=%x checksum=%v", m.Header, m.FlagBits, m.HasChecksum)
				}
				if !bytes.Equal(m.Body, hello) {
					t.Errorf("body = %v", m.Body)
				}
			},
		},
		{
			name:  "op_msg checksum and sequences",
			frame: AppendMsgSequences(nil, 8, 3, FlagChecksumPresent|FlagExhaustAllowed, reply, Section{Identifier: "documents", Documents: []bson.Raw{hello, doc2}}, Section{Identifier: "updates"}),
			check: func(t *testing.T, m *Message) {
				if !m.HasChecksum || m.Header.ResponseTo != 3 || m.FlagBits != FlagChecksumPresent|FlagExhaustAllowed {
					t.Errorf("checksum=%v responseTo=%d flags=%#x", m.HasChecksum, m.Header.ResponseTo, m.FlagBits)
				}
				if len(m.Sequences) != 2 || m.Sequences[0].Identifier != "documents" || len(m.Sequences[0].Documents) != 2 ||
					!bytes.Equal(m.Sequences[0].Documents[1], doc2) || m.Sequences[1].Identifier != "updates" || len(m.Sequences[1].Documents) != 0 {
					t.Errorf("sequences = %+v", m.Sequences)
				}
				if !bytes.Equal(m.Body, reply) {
					t.Errorf("body = %v", m.Body)
				}
			},
		},
		{
			name:  "op_msg empty body",
			frame: AppendMsg(nil, 1, 0, FlagMoreToCome, nil),
			check: func(t *testing.T, m *Message) {
				if len(m.Body) != 5 || m.FlagBits != FlagMoreToCome {
					t.Errorf("body = %v flags = %x", m.Body, m.FlagBits)
				}
			},
		},
		{
			name:  "op_query",
			frame: AppendQuery(nil, 9, "admin.$cmd", isMaster),
			check: func(t *testing.T, m *Message) {
				if m.Header.OpCode != OpQuery || m.FullCollectionName != "admin.$cmd" || m.NumberToReturn != -1 || m.NumberToSkip != 0 || m.QueryFlags != 0 {
					t.Errorf("query = %+v", m)
				}
				if !bytes.Equal(m.Body, isMaster) || m.ReturnFieldsSelector != nil {
					t.Errorf("body = %v selector = %v", m.Body, m.ReturnFieldsSelector)
				}
			},
		},
		{
			name:  "op_reply two documents",
			frame: AppendReply(nil, 10, 9, reply, doc2),
			check: func(t *testing.T, m *Message) {
				if m.Header.OpCode != OpReply || m.Header.ResponseTo != 9 || m.NumberReturned != 2 || len(m.Documents) != 2 {
					t.Errorf("reply = %+v", m)
				}
				if !bytes.Equal(m.Body, reply) || !bytes.Equal(m.Documents[1], doc2) {
					t.Errorf("documents = %v", m.Documents)
				}
			},
		},
		{
			name:  "op_reply no documents",
			frame: AppendReply(nil, 11, 9),
			check: func(t *testing.T, m *Message) {
				if m.Body != nil || len(m.Documents) != 0 || m.NumberReturned != 0 {
					t.Errorf("reply = %+v", m)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := int(binary.LittleEndian.Uint32(tc.frame)); got != len(tc.frame) {
				t.Fatalf("encoded length %d, frame has %d bytes", got, len(tc.frame))
			}
			m, err := Decode(tc.frame)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if int(m.Header.Length) != len(tc.frame) {
				t.Errorf("Header.Length = %d", m.Header.Length)
			}
			tc.check(t, m)
			// The same frame read from a stream decodes identically.
			m2, err := ReadMessage(bytes.NewReader(tc.frame), MaxMessageSize)
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			tc.check(t, m2)
		})
	}
}

func TestAppendToExistingBuffer(t *testing.T) {
	prefix := []byte("xyz")
	body := mustDoc(t, bson.D{{Key: "ping", Value: 1}})
	for _, flags := range []uint32{0, FlagChecksumPresent} {
		out := AppendMsg(append([]byte(nil), prefix...), 1, 0, flags, body)
		if !bytes.HasPrefix(out, prefix) {
			t.Fatalf("prefix lost")
		}
		if _, err := Decode(out[len(prefix):]); err != nil {
			t.Errorf("flags %x: %v", flags, err)
		}
	}
}

// frame builds a frame from an opcode and a raw payload.
func frame(op OpCode, payload ...[]byte) []byte {
	b := make([]byte, HeaderLen)
	binary.LittleEndian.PutUint32(b[12:], uint32(op))
	for _, p := range payload {
		b = append(b, p...)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func TestDecodeRejects(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "hello", Value: 1}})
	good := AppendMsg(nil, 1, 0, FlagChecksumPresent, body)
	badSum := append([]byte(nil), good...)
	badSum[len(badSum)-1] ^= 0xff
	flipped := append([]byte(nil), good...)
	flipped[HeaderLen+6] ^= 0x01 // inside the body: the checksum no longer matches
	longDoc := append([]byte(nil), body...)
	binary.LittleEndian.PutUint32(longDoc, uint32(len(body)+10))
	badBSON := append([]byte(nil), body...)
	badBSON[len(badBSON)-1] = 1 // no terminating zero
	http := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

	tests := []struct {
		name   string
		frame  []byte
		reason string
	}{
		{"empty", nil, "shorter than"},
		{"short header", []byte{1, 2, 3}, "shorter than"},
		{"length below header", append(le32(8), make([]byte, 12)...), "smaller than the header"},
		{"length mismatch", append(AppendMsg(nil, 1, 0, 0, body), 0), "declares"},
		{"http text", http, "declares"},
		{"msg no flags", frame(OpMsg), "without flag bits"},
		{"msg no sections", frame(OpMsg, le32(0)), "no body section"},
		{"msg bad kind", frame(OpMsg, le32(0), []byte{2}, body), "section kind 2"},
		{"msg unknown required flag", frame(OpMsg, le32(1<<4), []byte{0}, body), "unknown required flag"},
		{"msg two bodies", frame(OpMsg, le32(0), []byte{0}, body, []byte{0}, body), "more than one body"},
		{"msg doc past frame", frame(OpMsg, le32(0), []byte{0}, longDoc), "runs past the frame"},
		{"msg doc too small", frame(OpMsg, le32(0), []byte{0}, le32(3)), "below the minimum"},
		{"msg doc length cut", frame(OpMsg, le32(0), []byte{0}, []byte{9, 0}), "too few"},
		{"msg invalid bson", frame(OpMsg, le32(0), []byte{0}, badBSON), "invalid BSON"},
		{"msg checksum mismatch", badSum, "checksum mismatch"},
		{"msg content changed", flipped, "checksum mismatch"},
		{"msg checksum missing", frame(OpMsg, le32(1), []byte{0}), "no room"},
		{"msg seq size too big", frame(OpMsg, le32(0), []byte{0}, body, []byte{1}, le32(100), []byte("x\x00")), "does not fit"},
		{"msg seq size too small", frame(OpMsg, le32(0), []byte{0}, body, []byte{1}, le32(2)), "does not fit"},
		{"msg seq no size", frame(OpMsg, le32(0), []byte{0}, body, []byte{1, 0}), "without a size"},
		{"msg seq unterminated id", frame(OpMsg, le32(0), []byte{0}, body, []byte{1}, le32(7), []byte("abc")), "not terminated"},
		{"msg seq bad doc", frame(OpMsg, le32(0), []byte{0}, body, []byte{1}, le32(10), []byte("d\x00"), le32(9)), "runs past"},
		{"query no flags", frame(OpQuery, []byte{0}), "without flags"},
		{"query unterminated ns", frame(OpQuery, le32(0), []byte("admin.$cmd")), "not terminated"},
		{"query no counts", frame(OpQuery, le32(0), []byte("a\x00"), le32(0)), "numberToSkip"},
		{"query no doc", frame(OpQuery, le32(0), []byte("a\x00"), le32(0), le32(-1)), "too few"},
		{"query trailing", frame(OpQuery, le32(0), []byte("a\x00"), le32(0), le32(-1), body, body, []byte{7}), "trailing"},
		{"reply short", frame(OpReply, le32(0)), "preamble"},
		{"reply negative count", frame(OpReply, le32(0), make([]byte, 8), le32(0), le32(-1)), "negative"},
		{"reply count too large", frame(OpReply, le32(0), make([]byte, 8), le32(0), le32(1<<30), body), "does not fit"},
		{"reply count mismatch", frame(OpReply, le32(0), make([]byte, 8), le32(0), le32(0), body), "holds 1"},
		{"reply doc past frame", frame(OpReply, le32(0), make([]byte, 8), le32(0), le32(1), longDoc), "runs past"},
		{"compressed", frame(OpCompressed, le32(int32(OpMsg)), le32(100), []byte{1}, []byte("zz")), "OP_COMPRESSED (snappy, wrapping OP_MSG)"},
		{"compressed short", frame(OpCompressed, le32(1)), "preamble"},
		{"unknown opcode", frame(OpCode(2001), le32(0)), "OP_UPDATE"},
		{"weird opcode", frame(OpCode(-5)), "opcode(-5)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.frame)
			if err == nil {
				t.Fatalf("Decode accepted %x: %+v", tc.frame, m)
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FrameError", err, err)
			}
			if !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", fe.Reason, tc.reason)
			}
			if fe.Truncated() {
				t.Errorf("a malformed frame is not an I/O failure: %v", fe.Err)
			}
			if len(tc.frame) > 0 && !bytes.HasPrefix(tc.frame, fe.Prefix) || len(fe.Prefix) > HeaderLen {
				t.Errorf("prefix %x is not the start of the frame", fe.Prefix)
			}
		})
	}
}

func TestChecksumIsCRC32C(t *testing.T) {
	f := AppendMsg(nil, 1, 0, FlagChecksumPresent, mustDoc(t, bson.D{{Key: "x", Value: "y"}}))
	n := len(f) - 4
	want := crc32.Checksum(f[:n], crc32.MakeTable(crc32.Castagnoli))
	if got := binary.LittleEndian.Uint32(f[n:]); got != want {
		t.Fatalf("checksum %#x, want CRC-32C %#x", got, want)
	}
	if ieee := crc32.ChecksumIEEE(f[:n]); ieee == want {
		t.Fatalf("test is not discriminating")
	}
}

// trickle returns at most one byte per Read, as a slow network does.
type trickle struct{ r io.Reader }

func (t trickle) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return t.r.Read(p)
}

func TestReadMessageStream(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ok", Value: 1.0}})
	msg := AppendMsg(nil, 5, 4, 0, body)
	big := AppendMsg(nil, 6, 0, 0, mustDoc(t, bson.D{{Key: "s", Value: strings.Repeat("a", 3*initialReadBuffer)}}))

	tests := []struct {
		name      string
		in        io.Reader
		max       int32
		wantErr   error // matched with errors.Is; nil: expect success unless reason set
		reason    string
		wantBytes int
	}{
		{name: "whole", in: bytes.NewReader(msg), max: MaxMessageSize, wantBytes: len(msg)},
		{name: "trickled", in: trickle{bytes.NewReader(msg)}, max: MaxMessageSize, wantBytes: len(msg)},
		{name: "grows past first buffer", in: trickle{bytes.NewReader(big)}, max: MaxMessageSize, wantBytes: len(big)},
		{name: "max below header means default", in: bytes.NewReader(msg), max: 0, wantBytes: len(msg)},
		{name: "two frames, reads one", in: bytes.NewReader(append(append([]byte(nil), msg...), msg...)), max: MaxMessageSize, wantBytes: len(msg)},
		{name: "clean close", in: bytes.NewReader(nil), max: MaxMessageSize, wantErr: io.EOF},
		{name: "closed in header", in: bytes.NewReader(msg[:7]), max: MaxMessageSize, wantErr: io.ErrUnexpectedEOF, reason: "7 of 16 header"},
		{name: "closed in body", in: bytes.NewReader(msg[:len(msg)-2]), max: MaxMessageSize, wantErr: io.ErrUnexpectedEOF, reason: "stream ended"},
		{name: "over max", in: bytes.NewReader(msg), max: int32(len(msg) - 1), reason: "exceeds"},
		{name: "absurd length", in: bytes.NewReader(append(le32(1<<30), make([]byte, 12)...)), max: MaxMessageSize, reason: "exceeds"},
		{name: "negative length", in: bytes.NewReader(append(le32(-1), make([]byte, 12)...)), max: MaxMessageSize, reason: "smaller than the header"},
		{name: "http text", in: strings.NewReader("HTTP/1.0 200 OK\r\n\r\nIt looks like you are trying to access MongoDB over HTTP"), max: MaxMessageSize, reason: "exceeds"},
		{name: "tls alert", in: bytes.NewReader([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}), max: MaxMessageSize, wantErr: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(tc.in, tc.max)
			if tc.wantErr == nil && tc.reason == "" {
				if err != nil {
					t.Fatalf("ReadMessage: %v", err)
				}
				if int(m.Header.Length) != tc.wantBytes {
					t.Errorf("length %d, want %d", m.Header.Length, tc.wantBytes)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadMessage accepted: %+v", m.Header)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v is not %v", err, tc.wantErr)
			}
			if tc.reason != "" {
				var fe *FrameError
				if !errors.As(err, &fe) || !strings.Contains(fe.Reason, tc.reason) {
					t.Errorf("error %v: want a FrameError mentioning %q", err, tc.reason)
				}
			}
		})
	}
}

// TestReadMessageDoesNotTrustLength checks that a peer declaring a frame
// just under the maximum and sending a few bytes costs a small buffer, not
// the declared length.
func TestReadMessageDoesNotTrustLength(t *testing.T) {
	in := append(le32(MaxMessageSize-1), make([]byte, 100)...)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := ReadMessage(bytes.NewReader(in), MaxMessageSize)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 2*initialReadBuffer {
		t.Fatalf("a 116-byte stream cost %d bytes of allocation", per)
	}
}

func TestFrameErrorText(t *testing.T) {
	tests := []struct {
		err  *FrameError
		want string
	}{
		{&FrameError{Reason: "bad"}, "wire: invalid frame: bad"},
		{&FrameError{Reason: "bad", Length: 99}, "wire: invalid frame: bad (declared length 99)"},
		{&FrameError{Reason: "cut", Length: 99, Err: io.ErrUnexpectedEOF}, "wire: invalid frame: cut (declared length 99): unexpected EOF"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestGrow(t *testing.T) {
	tests := []struct {
		cap, length, want int
	}{
		{initialReadBuffer, 48_000_000, 2 * initialReadBuffer},
		{1 << 20, 16 << 20, 2 << 20},
		{2 << 20, 16 << 20, 4 << 20},
		{4 << 20, 16 << 20, 16 << 20}, // 8 MiB would pass a quarter: jump
		{initialReadBuffer, 3 * initialReadBuffer, 3 * initialReadBuffer},
	}
	for _, tc := range tests {
		buf := make([]byte, tc.cap)
		buf[0] = 42
		got := grow(buf, tc.length)
		if cap(got) != tc.want || len(got) != tc.cap || got[0] != 42 {
			t.Errorf("grow(cap %d, length %d): len %d cap %d, want cap %d", tc.cap, tc.length, len(got), cap(got), tc.want)
		}
		if cap(buf)+cap(got) > tc.length+max(tc.length/4, initialReadBuffer) {
			t.Errorf("grow(cap %d, length %d) holds %d bytes at once", tc.cap, tc.length, cap(buf)+cap(got))
		}
	}
}
