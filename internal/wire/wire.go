// Package wire encodes and decodes MongoDB wire protocol frames: the
// message header, OP_MSG (body, document sequences, flag bits, optional
// CRC-32C checksum), the legacy OP_QUERY on admin.$cmd and its OP_REPLY.
// Reads are bounded: a declared length below HeaderLen or above the
// caller's maximum is rejected before anything is allocated. BSON is the
// driver's go.mongodb.org/mongo-driver/v2/bson.
//
// The layouts follow the MongoDB wire protocol reference and the OP_MSG
// specification (mongodb/specifications, source/message/OP_MSG.md).
package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// HeaderLen is the size of the standard message header: messageLength,
// requestID, responseTo and opCode, four little-endian int32 each.
const HeaderLen = 16

// MaxMessageSize is the default maxMessageSizeBytes a server advertises in
// its hello reply; no frame of a conforming peer is larger.
const MaxMessageSize = 48_000_000

// minDocLen is the size of the empty BSON document: int32 length + 0x00.
const minDocLen = 5

// OpCode identifies the kind of a message.
type OpCode int32

// The opcodes this package knows.
const (
	OpReply      OpCode = 1
	OpQuery      OpCode = 2004
	OpCompressed OpCode = 2012
	OpMsg        OpCode = 2013
)

// String names the opcode as the protocol reference does.
func (o OpCode) String() string {
	switch o {
	case OpReply:
		return "OP_REPLY"
	case OpQuery:
		return "OP_QUERY"
	case OpCompressed:
		return "OP_COMPRESSED"
	case OpMsg:
		return "OP_MSG"
	case 1000:
		return "OP_MSG_LEGACY"
	case 2001:
		return "OP_UPDATE"
	case 2002:
		return "OP_INSERT"
	case 2005:
		return "OP_GET_MORE"
	case 2006:
		return "OP_DELETE"
	case 2007:
		return "OP_KILL_CURSORS"
	}
	return fmt.Sprintf("opcode(%d)", int32(o))
}

// OP_MSG flag bits. Bits 0-15 are required: a parser must reject a
// message with a required bit it does not know. Bits 16-31 are optional.
const (
	// FlagChecksumPresent says a CRC-32C of the message follows the
	// last section.
	FlagChecksumPresent uint32 = 1 << 0
	// FlagMoreToCome says the sender will not wait for (or will send
	// more without) a reply.
	FlagMoreToCome uint32 = 1 << 1
	// FlagExhaustAllowed lets the server answer with moreToCome replies.
	FlagExhaustAllowed uint32 = 1 << 16

	knownRequiredFlags = FlagChecksumPresent | FlagMoreToCome
	requiredFlagsMask  = 0xffff
)

// OP_MSG section kinds.
const (
	sectionBody     byte = 0
	sectionSequence byte = 1
)

// Compressor ids of OP_COMPRESSED, named in errors.
var compressorNames = map[byte]string{0: "noop", 1: "snappy", 2: "zlib", 3: "zstd"}

// castagnoli is the CRC-32C table of the OP_MSG checksum. It is read-only
// after package initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the standard message header.
type Header struct {
	Length, RequestID, ResponseTo int32
	OpCode                        OpCode
}

// Section is an OP_MSG kind-1 document sequence.
type Section struct {
	Identifier string
	Documents  []bson.Raw
}

// Message is one decoded frame. Which fields are set depends on
// Header.OpCode. Documents and Body alias the frame they were decoded from.
type Message struct {
	Header Header
	// Body is the OP_MSG kind-0 body, the OP_QUERY query document, or the
	// first OP_REPLY document (nil if the reply has none).
	Body bson.Raw

	// OP_MSG
	FlagBits    uint32
	Sequences   []Section
	Checksum    uint32
	HasChecksum bool

	// OP_QUERY
	QueryFlags           int32
	FullCollectionName   string
	NumberToSkip         int32
	NumberToReturn       int32
	ReturnFieldsSelector bson.Raw // optional; nil when absent

	// OP_REPLY
	ResponseFlags  int32
	CursorID       int64
	StartingFrom   int32
	NumberReturned int32
	Documents      []bson.Raw
}

// FrameError says why bytes are not a valid frame, or why a frame could
// not be read whole. Length is the declared length when known (0 if not).
// Prefix holds the first bytes seen (at most HeaderLen), so a caller can
// tell what the peer speaks instead (HTTP, a TLS record). Err is the
// underlying I/O error when the stream ended or timed out mid-frame
// (io.ErrUnexpectedEOF, a deadline error), nil for malformed bytes.
type FrameError struct {
	Reason string
	Length int64
	Prefix []byte
	Err    error
}

// Error gives the reason, the declared length and the I/O cause.
func (e *FrameError) Error() string {
	s := "wire: invalid frame: " + e.Reason
	if e.Length != 0 {
		s += fmt.Sprintf(" (declared length %d)", e.Length)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying I/O error, if any.
func (e *FrameError) Unwrap() error { return e.Err }

// Truncated reports whether the frame ended early: the stream closed or
// timed out mid-frame, or a decoded frame is shorter than it declares.
func (e *FrameError) Truncated() bool { return e.Err != nil }

func frameErr(length int64, format string, args ...any) *FrameError {
	return &FrameError{Reason: fmt.Sprintf(format, args...), Length: length}
}

// ParseHeader reads the header at the start of b.
func ParseHeader(b []byte) (Header, bool) {
	if len(b) < HeaderLen {
		return Header{}, false
	}
	return Header{
		Length:     int32(binary.LittleEndian.Uint32(b[0:])),
		RequestID:  int32(binary.LittleEndian.Uint32(b[4:])),
		ResponseTo: int32(binary.LittleEndian.Uint32(b[8:])),
		OpCode:     OpCode(int32(binary.LittleEndian.Uint32(b[12:]))),
	}, true
}

// Decode decodes one whole frame: len(frame) must equal the declared
// length. Malformed input yields a *FrameError, never a panic. The
// documents of the result alias frame.
func Decode(frame []byte) (*Message, error) {
	h, ok := ParseHeader(frame)
	if !ok {
		return nil, &FrameError{Reason: fmt.Sprintf("%d bytes, shorter than the %d-byte header", len(frame), HeaderLen), Prefix: prefix(frame)}
	}
	if h.Length < HeaderLen {
		return nil, &FrameError{Reason: "declared length is smaller than the header", Length: int64(h.Length), Prefix: prefix(frame)}
	}
	if int64(h.Length) != int64(len(frame)) {
		return nil, &FrameError{Reason: fmt.Sprintf("frame has %d bytes but declares %d", len(frame), h.Length), Length: int64(h.Length), Prefix: prefix(frame)}
	}
	m := &Message{Header: h}
	var err *FrameError
	payload := frame[HeaderLen:]
	switch h.OpCode {
	case OpMsg:
		err = decodeMsg(m, frame, payload)
	case OpQuery:
		err = decodeQuery(m, payload)
	case OpReply:
		err = decodeReply(m, payload)
	case OpCompressed:
		err = describeCompressed(payload)
	default:
		err = frameErr(0, "unsupported opcode %s", h.OpCode)
	}
	if err != nil {
		err.Length = int64(h.Length)
		err.Prefix = prefix(frame)
		return nil, err
	}
	return m, nil
}

func prefix(b []byte) []byte {
	if len(b) > HeaderLen {
		b = b[:HeaderLen]
	}
	return append([]byte(nil), b...)
}

func decodeMsg(m *Message, frame, p []byte) *FrameError {
	if len(p) < 4 {
		return frameErr(0, "OP_MSG without flag bits")
	}
	m.FlagBits = binary.LittleEndian.Uint32(p)
	if unknown := m.FlagBits & requiredFlagsMask &^ knownRequiredFlags; unknown != 0 {
		return frameErr(0, "OP_MSG sets unknown required flag bits %#x", unknown)
	}
	p = p[4:]
	if m.FlagBits&FlagChecksumPresent != 0 {
		if len(p) < 4 {
			return frameErr(0, "OP_MSG declares a checksum but has no room for it")
		}
		n := len(frame) - 4
		m.Checksum = binary.LittleEndian.Uint32(frame[n:])
		m.HasChecksum = true
		if got := crc32.Checksum(frame[:n], castagnoli); got != m.Checksum {
			return frameErr(0, "OP_MSG checksum mismatch: message says %#08x, content gives %#08x", m.Checksum, got)
		}
		p = p[:len(p)-4]
	}
	bodies := 0
	for len(p) > 0 {
		kind := p[0]
		p = p[1:]
		switch kind {
		case sectionBody:
			doc, rest, err := readDoc(p, "OP_MSG body")
			if err != nil {
				return err
			}
			bodies++
			if bodies > 1 {
				return frameErr(0, "OP_MSG has more than one body section")
			}
			m.Body = doc
			p = rest
		case sectionSequence:
			if len(p) < 4 {
				return frameErr(0, "OP_MSG document sequence without a size")
			}
			size := int64(int32(binary.LittleEndian.Uint32(p)))
			if size < 4+1 || size > int64(len(p)) {
				return frameErr(0, "OP_MSG document sequence size %d does not fit the %d bytes left", size, len(p))
			}
			sec, err := decodeSequence(p[4:size])
			if err != nil {
				return err
			}
			m.Sequences = append(m.Sequences, sec)
			p = p[size:]
		default:
			return frameErr(0, "OP_MSG section kind %d is not 0 or 1", kind)
		}
	}
	if bodies == 0 {
		return frameErr(0, "OP_MSG has no body section")
	}
	return nil
}

func decodeSequence(p []byte) (Section, *FrameError) {
	id, rest, ok := readCString(p)
	if !ok {
		return Section{}, frameErr(0, "OP_MSG document sequence identifier is not terminated")
	}
	sec := Section{Identifier: id}
	for len(rest) > 0 {
		doc, r, err := readDoc(rest, "document sequence "+fmt.Sprintf("%q", id))
		if err != nil {
			return Section{}, err
		}
		sec.Documents = append(sec.Documents, doc)
		rest = r
	}
	return sec, nil
}

func decodeQuery(m *Message, p []byte) *FrameError {
	if len(p) < 4 {
		return frameErr(0, "OP_QUERY without flags")
	}
	m.QueryFlags = int32(binary.LittleEndian.Uint32(p))
	ns, rest, ok := readCString(p[4:])
	if !ok {
		return frameErr(0, "OP_QUERY collection name is not terminated")
	}
	m.FullCollectionName = ns
	if len(rest) < 8 {
		return frameErr(0, "OP_QUERY ends before numberToSkip/numberToReturn")
	}
	m.NumberToSkip = int32(binary.LittleEndian.Uint32(rest))
	m.NumberToReturn = int32(binary.LittleEndian.Uint32(rest[4:]))
	doc, rest, err := readDoc(rest[8:], "OP_QUERY query")
	if err != nil {
		return err
	}
	m.Body = doc
	if len(rest) > 0 {
		sel, r, err := readDoc(rest, "OP_QUERY returnFieldsSelector")
		if err != nil {
			return err
		}
		if len(r) > 0 {
			return frameErr(0, "OP_QUERY has %d trailing bytes", len(r))
		}
		m.ReturnFieldsSelector = sel
	}
	return nil
}

func decodeReply(m *Message, p []byte) *FrameError {
	if len(p) < 20 {
		return frameErr(0, "OP_REPLY shorter than its 20-byte preamble")
	}
	m.ResponseFlags = int32(binary.LittleEndian.Uint32(p))
	m.CursorID = int64(binary.LittleEndian.Uint64(p[4:]))
	m.StartingFrom = int32(binary.LittleEndian.Uint32(p[12:]))
	m.NumberReturned = int32(binary.LittleEndian.Uint32(p[16:]))
	if m.NumberReturned < 0 {
		return frameErr(0, "OP_REPLY numberReturned %d is negative", m.NumberReturned)
	}
	rest := p[20:]
	// Every document is at least minDocLen bytes: a count beyond that is
	// a lie, caught before the slice is sized by it.
	if int64(m.NumberReturned) > int64(len(rest)/minDocLen) {
		return frameErr(0, "OP_REPLY numberReturned %d does not fit %d bytes", m.NumberReturned, len(rest))
	}
	m.Documents = make([]bson.Raw, 0, m.NumberReturned)
	for len(rest) > 0 {
		doc, r, err := readDoc(rest, "OP_REPLY document")
		if err != nil {
			return err
		}
		m.Documents = append(m.Documents, doc)
		rest = r
	}
	if int32(len(m.Documents)) != m.NumberReturned {
		return frameErr(0, "OP_REPLY numberReturned is %d but it holds %d documents", m.NumberReturned, len(m.Documents))
	}
	if len(m.Documents) > 0 {
		m.Body = m.Documents[0]
	}
	return nil
}

func describeCompressed(p []byte) *FrameError {
	if len(p) < 9 {
		return frameErr(0, "OP_COMPRESSED shorter than its 9-byte preamble")
	}
	orig := OpCode(int32(binary.LittleEndian.Uint32(p)))
	name, ok := compressorNames[p[8]]
	if !ok {
		name = fmt.Sprintf("id %d", p[8])
	}
	return frameErr(0, "OP_COMPRESSED (%s, wrapping %s) is not supported: do not negotiate compression", name, orig)
}

// readDoc reads one BSON document at the start of p and validates it; the
// declared length must fit in p.
func readDoc(p []byte, what string) (bson.Raw, []byte, *FrameError) {
	if len(p) < 4 {
		return nil, nil, frameErr(0, "%s: %d bytes left, too few for a document length", what, len(p))
	}
	n := int64(int32(binary.LittleEndian.Uint32(p)))
	if n < minDocLen {
		return nil, nil, frameErr(0, "%s: document length %d is below the minimum %d", what, n, minDocLen)
	}
	if n > int64(len(p)) {
		return nil, nil, frameErr(0, "%s: document length %d runs past the frame (%d bytes left)", what, n, len(p))
	}
	doc := bson.Raw(p[:n])
	if err := doc.Validate(); err != nil {
		return nil, nil, frameErr(0, "%s: invalid BSON: %v", what, err)
	}
	return doc, p[n:], nil
}

func readCString(p []byte) (string, []byte, bool) {
	for i, c := range p {
		if c == 0 {
			return string(p[:i]), p[i+1:], true
		}
	}
	return "", nil, false
}
