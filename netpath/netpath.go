// Package netpath owns how bytes reach a member: the dialers every stage
// and the driver use, resolving names through the engine's resolver
// before dialing. It imports resolve and connstr only and knows nothing of
// the wire protocol or of findings.
package netpath

import (
	"context"
	"net"
)

// Dialer opens network connections. It has the shape of the driver's
// options.ContextDialer, so one value serves our probes and the driver.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}
