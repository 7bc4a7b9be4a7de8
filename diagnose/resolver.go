package diagnose

import (
	"context"
	"net"
)

// Resolver answers the DNS questions the engine asks.
type Resolver interface {
	// LookupHost returns the addresses of host.
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// NewResolver returns a resolver that asks server (HOST:PORT), or the
// system's resolvers when server is empty.
func NewResolver(server string) Resolver {
	r := &net.Resolver{}
	if server != "" {
		r.PreferGo = true
		r.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		}
	}
	return r
}
