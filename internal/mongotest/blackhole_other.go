//go:build !linux

package mongotest

import (
	"errors"
	"testing"
)

// Blackhole is a loopback address where TCP connection attempts hang. It
// needs Linux's accept-queue behaviour; elsewhere StartBlackhole skips the
// test.
type Blackhole struct{}

// StartBlackhole skips tb: blackholes need Linux.
func StartBlackhole(tb testing.TB) *Blackhole {
	tb.Helper()
	tb.Skip("a loopback blackhole needs Linux")
	return nil
}

// NewBlackhole fails: blackholes need Linux.
func NewBlackhole() (*Blackhole, error) { return nil, errors.New("a loopback blackhole needs Linux") }

// Addr is its address.
func (b *Blackhole) Addr() string { return "" }

// Close does nothing.
func (b *Blackhole) Close() {}

// Dialing returns 0.
func (b *Blackhole) Dialing() int { return 0 }
