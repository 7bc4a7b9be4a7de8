package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// DefaultRoundTripTimeout caps a round trip when neither the caller nor
// the context gives a deadline: no read may wait forever, and a server
// that has not answered a command in 10 s is not going to.
const DefaultRoundTripTimeout = 10 * time.Second

// initialReadBuffer is the first allocation for a frame's bytes. The buffer
// then grows as bytes actually arrive (see grow), so a peer that declares a
// large length and sends little costs little memory.
const initialReadBuffer = 64 << 10

// ReadMessage reads one frame from r and decodes it. It rejects a declared
// length below HeaderLen or above max (MaxMessageSize when max is not
// above HeaderLen) before allocating, and never holds more memory than the
// bytes received. The caller sets the deadline on the connection (or uses
// RoundTrip).
//
// A stream that ends or fails before the first byte returns that error
// unchanged (io.EOF for a clean close). After the first byte every failure
// is a *FrameError; for I/O failures its Err is the cause
// (io.ErrUnexpectedEOF when the peer closed mid-frame).
func ReadMessage(r io.Reader, max int32) (*Message, error) {
	if max <= HeaderLen {
		max = MaxMessageSize
	}
	var hdr [HeaderLen]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		if n == 0 {
			return nil, err
		}
		return nil, &FrameError{
			Reason: fmt.Sprintf("stream ended after %d of %d header bytes", n, HeaderLen),
			Prefix: prefix(hdr[:n]),
			Err:    err,
		}
	}
	length := int32(binary.LittleEndian.Uint32(hdr[:]))
	if length < HeaderLen {
		return nil, &FrameError{Reason: "declared length is smaller than the header", Length: int64(length), Prefix: prefix(hdr[:])}
	}
	if length > max {
		return nil, &FrameError{Reason: fmt.Sprintf("declared length exceeds the %d-byte limit", max), Length: int64(length), Prefix: prefix(hdr[:])}
	}
	buf := make([]byte, HeaderLen, min(int(length), initialReadBuffer))
	copy(buf, hdr[:])
	for len(buf) < int(length) {
		if len(buf) == cap(buf) {
			buf = grow(buf, int(length))
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < int(length) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, &FrameError{
				Reason: fmt.Sprintf("stream ended after %d of %d bytes", len(buf), length),
				Length: int64(length),
				Prefix: prefix(hdr[:]),
				Err:    err,
			}
		}
	}
	return Decode(buf)
}

// grow returns buf with more capacity for a frame of length bytes. It
// doubles, and jumps to the whole length once doubling would pass a quarter
// of it: the peer must send an eighth of what it declares before the
// frame's full size is allocated, and the old and new buffers together
// never hold more than the frame plus the larger of a quarter of it and
// initialReadBuffer.
func grow(buf []byte, length int) []byte {
	c := 2 * cap(buf)
	if c > length/4 {
		c = length
	}
	grown := make([]byte, len(buf), c)
	copy(grown, buf)
	return grown
}

// RoundTrip writes req and reads the reply under one deadline (the earlier
// of ctx's deadline and now+timeout; DefaultRoundTripTimeout when timeout
// is not positive), and checks that the reply answers requestID (a
// *FrameError otherwise). Cancelling ctx interrupts it. Replies may be up
// to MaxMessageSize bytes.
func RoundTrip(ctx context.Context, c net.Conn, requestID int32, req []byte, timeout time.Duration) (*Message, error) {
	return RoundTripLimit(ctx, c, requestID, req, timeout, MaxMessageSize)
}

// RoundTripLimit is RoundTrip with a reply size bound other than
// MaxMessageSize.
func RoundTripLimit(ctx context.Context, c net.Conn, requestID int32, req []byte, timeout time.Duration, max int32) (*Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultRoundTripTimeout
	}
	dl := time.Now().Add(timeout)
	fromCtx := false
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl, fromCtx = d, true
	}
	if err := c.SetDeadline(dl); err != nil {
		return nil, err
	}
	defer c.SetDeadline(time.Time{})
	// A cancelled context moves the deadline to the past, which wakes
	// the blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	m, err := roundTrip(c, requestID, req, max)
	if err != nil {
		cerr := ctx.Err()
		if cerr == nil && fromCtx && errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline was the context's: the
			// context's timer may just not have fired yet.
			cerr = context.DeadlineExceeded
		}
		if cerr != nil {
			return nil, fmt.Errorf("wire: %w: %w", cerr, err)
		}
	}
	return m, err
}

func roundTrip(c net.Conn, requestID int32, req []byte, max int32) (*Message, error) {
	if _, err := c.Write(req); err != nil {
		return nil, fmt.Errorf("wire: writing request: %w", err)
	}
	m, err := ReadMessage(c, max)
	if err != nil {
		return nil, err
	}
	if m.Header.ResponseTo != requestID {
		return nil, &FrameError{
			Reason: fmt.Sprintf("reply responseTo %d does not answer request %d", m.Header.ResponseTo, requestID),
			Length: int64(m.Header.Length),
		}
	}
	return m, nil
}
