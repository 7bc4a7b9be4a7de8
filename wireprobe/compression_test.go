package wireprobe

import (
	"slices"
	"testing"
)

func TestNegotiateCompressors(t *testing.T) {
	tests := []struct {
		asked, accepted, negotiated, refused []string
	}{
		{[]string{"zstd", "snappy"}, []string{"snappy", "zstd", "zlib"}, []string{"zstd", "snappy"}, nil},
		{[]string{"zstd", "zlib"}, []string{"snappy"}, nil, []string{"zstd", "zlib"}},
		{[]string{"ZSTD", "snappy"}, []string{"snappy"}, []string{"snappy"}, []string{"zstd"}},
		{[]string{"zlib"}, nil, nil, []string{"zlib"}},
		{[]string{"noop", "lz4", "zlib", "zlib"}, []string{"zlib"}, []string{"zlib"}, nil},
		{nil, []string{"zlib"}, nil, nil},
	}
	for _, tt := range tests {
		n, r := NegotiateCompressors(tt.asked, tt.accepted)
		if !slices.Equal(n, tt.negotiated) || !slices.Equal(r, tt.refused) {
			t.Errorf("NegotiateCompressors(%q, %q) = %q, %q; want %q, %q", tt.asked, tt.accepted, n, r, tt.negotiated, tt.refused)
		}
	}
}
