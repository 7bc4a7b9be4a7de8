package netpath

import (
	"context"
	"net"
	"time"
)

// fallbackTimeout bounds a dial, with its proxy or SSH handshake, when
// the caller's context has no deadline: the drivers' default
// connectTimeoutMS, so that no read ever waits without end.
const fallbackTimeout = 30 * time.Second

// Dialer opens connections to members. It has the shape of the driver's
// options.ContextDialer.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Direct dials from this machine, resolving names here.
type Direct struct{}

// DialContext dials address from this machine.
func (Direct) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := withFallback(ctx)
	defer cancel()
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Via is empty: a direct path needs no mention.
func (Direct) Via() string { return "" }

// Via returns the words a check uses for the path of d: "via socks5
// HOST:PORT", "via ssh HOST:PORT", or "" for a direct path and for
// dialers of other packages.
func Via(d Dialer) string {
	if v, ok := d.(interface{ Via() string }); ok {
		return v.Via()
	}
	return ""
}

// withFallback gives ctx the fallback deadline when it has none.
func withFallback(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, fallbackTimeout)
}

// checkNetwork accepts the TCP networks, the only ones a member speaks.
func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return nil
	}
	return &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
}

// ConfigError is a path option that cannot be used as given.
type ConfigError struct {
	// Option names it as the user wrote it: proxyHost, proxyPort,
	// proxyUsername, proxyPassword, --ssh-known-hosts, ...
	Option string
	// Reason says what is wrong, without the value of a secret.
	Reason string
}

func (e *ConfigError) Error() string { return e.Option + ": " + e.Reason }
