package tlsconf

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/mongoconn/mongoconn/wireprobe"
)

func TestPlainRejected(t *testing.T) {
	tests := []struct {
		err             error
		rejected, alert bool
	}{
		{io.EOF, true, false},
		{fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF), true, false},
		{context.DeadlineExceeded, false, false},
		{&wireprobe.ProbeError{Kind: wireprobe.ProbeClosed, Err: io.EOF}, true, false},
		{&wireprobe.ProbeError{Kind: wireprobe.ProbeNotMongoDB, Peer: wireprobe.PeerTLS}, true, true},
		{&wireprobe.ProbeError{Kind: wireprobe.ProbeNotMongoDB, Peer: wireprobe.PeerHTTP}, false, false},
		{&wireprobe.ProbeError{Kind: wireprobe.ProbeNotResponding, Err: context.DeadlineExceeded}, false, false},
		{&wireprobe.ProbeError{Kind: wireprobe.ProbeRefused}, false, false},
		{nil, false, false},
	}
	for _, tt := range tests {
		r, a := PlainRejected(tt.err)
		if r != tt.rejected || a != tt.alert {
			t.Errorf("PlainRejected(%v) = %v, %v; want %v, %v", tt.err, r, a, tt.rejected, tt.alert)
		}
	}
}
