package netpath

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/resolve"
)

// dialMinShare is the least time the resolving dialer gives one address
// of a host before trying the next, as net.Dialer does: a SYN on a LAN is
// answered in milliseconds, 2 s allows for one lost packet.
const dialMinShare = 2 * time.Second

// Resolving resolves host names through r, then dials each address
// in turn through d until one answers.
type Resolving struct {
	Dialer   Dialer
	Resolver resolve.Resolver
}

// DialContext implements Dialer. A name that does not resolve gives a
// *net.OpError around the resolver's error (which errors.As also sees as
// a *net.DNSError); a failed dial gives the first address's error as d
// returned it.
func (rd *Resolving) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil || host == "" || connstr.IsIP(host) || !strings.HasPrefix(network, "tcp") {
		return rd.Dialer.DialContext(ctx, network, address)
	}
	ips, err := rd.Resolver.LookupHost(ctx, host)
	if err == nil {
		ips = filterFamily(ips, network)
		if len(ips) == 0 {
			err = &resolve.DNSError{Kind: resolve.DNSNoData, Name: host, Type: familyType(network), Rcode: -1}
		}
	}
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var first error
	for i, ip := range ips {
		dctx, cancel := shareDeadline(ctx, len(ips)-i)
		conn, err := rd.Dialer.DialContext(dctx, network, net.JoinHostPort(ip, port))
		cancel()
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// shareDeadline gives one of n remaining addresses its share of the time
// left, at least dialMinShare.
func shareDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return ctx, func() {}
	}
	share := time.Until(dl) / time.Duration(n)
	if share < dialMinShare {
		share = dialMinShare
	}
	return context.WithTimeout(ctx, share)
}

func filterFamily(ips []string, network string) []string {
	switch network {
	case "tcp4", "tcp6":
	default:
		return ips
	}
	var out []string
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			continue
		}
		if (ip.To4() != nil) == (network == "tcp4") {
			out = append(out, s)
		}
	}
	return out
}

func familyType(network string) string {
	switch network {
	case "tcp4":
		return "A"
	case "tcp6":
		return "AAAA"
	}
	return "A/AAAA"
}
