package netpath

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// MaxAddresses bounds how many addresses of one name DialEvery dials:
// more than any real deployment's name has, few enough that a hostile
// answer cannot open hundreds of connections.
const MaxAddresses = 16

// LookupFunc returns the IP addresses of host, in the order a client
// would try them. The engine passes its own resolver's (for
// --dns-server).
type LookupFunc func(ctx context.Context, host string) ([]string, error)

// AddressResult is the dial of one address of a name.
type AddressResult struct {
	Address  string        // IP:PORT
	Err      error         // nil when it connected
	Duration time.Duration // how long the dial took
}

// Refused reports whether the address refused the connection (nothing
// listens there).
func (r AddressResult) Refused() bool { return errors.Is(r.Err, syscall.ECONNREFUSED) }

// DialEvery resolves the host of address with lookup and dials every
// address it returns (at most MaxAddresses), in parallel, with d (Direct
// when nil). It closes each connection at once and returns one result
// per address in the lookup's order, so results[0] is what a client that
// tries only the first address gets. An IP address is dialled as it is.
// The error is the lookup's, or a *net.AddrError for a bad address.
//
// DialEvery is for the direct path: through a proxy or a bastion the
// name resolves on the far side, and the path dials it.
func DialEvery(ctx context.Context, d Dialer, lookup LookupFunc, address string) ([]AddressResult, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var ips []string
	if net.ParseIP(host) != nil {
		ips = []string{host}
	} else if ips, err = lookup(ctx, host); err != nil {
		return nil, err
	}
	var addrs []string
	for _, ip := range ips {
		a := net.JoinHostPort(ip, port)
		if len(addrs) < MaxAddresses && !containsString(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if d == nil {
		d = Direct{}
	}
	ctx, cancel := withFallback(ctx)
	defer cancel()
	results := make([]AddressResult, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			c, err := d.DialContext(ctx, "tcp", a)
			results[i] = AddressResult{Address: a, Err: err, Duration: time.Since(start)}
			if c != nil {
				_ = c.Close()
			}
		}()
	}
	wg.Wait()
	return results, nil
}

// SomeRefused reports the tcp.some-addresses-refused case: at least one
// address connected and at least one refused.
func SomeRefused(results []AddressResult) bool {
	ok, refused := false, false
	for _, r := range results {
		ok = ok || r.Err == nil
		refused = refused || r.Refused()
	}
	return ok && refused
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
