package wire

import (
	"encoding/binary"
	"hash/crc32"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// emptyDoc is the empty BSON document, used where a document is required
// but none was given.
var emptyDoc = []byte{5, 0, 0, 0, 0}

func appendInt32(dst []byte, v int32) []byte {
	return binary.LittleEndian.AppendUint32(dst, uint32(v))
}

// startFrame appends a header with a placeholder length and returns the
// offset of the frame in dst.
func startFrame(dst []byte, requestID, responseTo int32, op OpCode) ([]byte, int) {
	start := len(dst)
	dst = appendInt32(dst, 0)
	dst = appendInt32(dst, requestID)
	dst = appendInt32(dst, responseTo)
	dst = appendInt32(dst, int32(op))
	return dst, start
}

// endFrame writes the length of the frame that starts at start.
func endFrame(dst []byte, start int) []byte {
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

func docOrEmpty(d bson.Raw) []byte {
	if len(d) == 0 {
		return emptyDoc
	}
	return d
}

// AppendMsg appends an OP_MSG with a kind-0 body (the empty document when
// body is empty) to dst. When flags has FlagChecksumPresent, the CRC-32C
// of the message is appended.
func AppendMsg(dst []byte, requestID, responseTo int32, flags uint32, body bson.Raw) []byte {
	return AppendMsgSequences(dst, requestID, responseTo, flags, body)
}

// AppendMsgSequences is AppendMsg with kind-1 document sequences after the
// body.
func AppendMsgSequences(dst []byte, requestID, responseTo int32, flags uint32, body bson.Raw, seqs ...Section) []byte {
	dst, start := startFrame(dst, requestID, responseTo, OpMsg)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = append(dst, sectionBody)
	dst = append(dst, docOrEmpty(body)...)
	for _, s := range seqs {
		dst = append(dst, sectionSequence)
		sizeAt := len(dst)
		dst = appendInt32(dst, 0)
		dst = append(dst, s.Identifier...)
		dst = append(dst, 0)
		for _, d := range s.Documents {
			dst = append(dst, docOrEmpty(d)...)
		}
		binary.LittleEndian.PutUint32(dst[sizeAt:], uint32(len(dst)-sizeAt))
	}
	if flags&FlagChecksumPresent != 0 {
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
		sum := crc32.Checksum(dst[start:], castagnoli)
		return binary.LittleEndian.AppendUint32(dst, sum)
	}
	return endFrame(dst, start)
}

// AppendQuery appends a legacy OP_QUERY for ns (for commands:
// "admin.$cmd") with flags 0, numberToSkip 0 and numberToReturn -1 (one
// document, then close the cursor), as drivers send isMaster.
func AppendQuery(dst []byte, requestID int32, ns string, query bson.Raw) []byte {
	dst, start := startFrame(dst, requestID, 0, OpQuery)
	dst = appendInt32(dst, 0)
	dst = append(dst, ns...)
	dst = append(dst, 0)
	dst = appendInt32(dst, 0)
	dst = appendInt32(dst, -1)
	dst = append(dst, docOrEmpty(query)...)
	return endFrame(dst, start)
}

// AppendReply appends an OP_REPLY holding docs, with response flags 0,
// cursor id 0 and startingFrom 0.
func AppendReply(dst []byte, requestID, responseTo int32, docs ...bson.Raw) []byte {
	dst, start := startFrame(dst, requestID, responseTo, OpReply)
	dst = appendInt32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, 0)
	dst = appendInt32(dst, 0)
	dst = appendInt32(dst, int32(len(docs)))
	for _, d := range docs {
		dst = append(dst, docOrEmpty(d)...)
	}
	return endFrame(dst, start)
}
