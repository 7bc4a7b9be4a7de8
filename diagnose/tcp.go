package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
)

// tcpResult is what dialing one seed showed.
type tcpResult struct {
	addr string
	ok   bool
	// unanswered is true when the dial was refused or timed out (the
	// address resolved; nothing took the connection).
	unanswered bool
}

// tcpStage dials every address in parallel, adds a check per address and
// the finding that explains each failure. It returns the addresses that
// accepted a connection, in the order given.
func (x *run) tcpStage(ctx context.Context, addrs []string) []string {
	addrs = x.boundSeeds(addrs)
	results := make([]tcpResult, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = x.dialOne(ctx, addr)
		}()
	}
	wg.Wait()
	var ok []string
	unanswered := true
	for _, r := range results {
		if r.ok {
			ok = append(ok, r.addr)
		}
		unanswered = unanswered && (r.ok || r.unanswered)
	}
	x.atlasPaused(addrs, len(addrs)-len(ok), unanswered)
	return ok
}

func (x *run) dialOne(ctx context.Context, addr string) tcpResult {
	defer x.waiting(report.StageTCP, addr, "the TCP handshake")()
	if !x.path.farSide() && topoNeedsLookup(hostOf(addr)) {
		return x.dialEvery(ctx, addr)
	}
	start := x.now()
	conn, err := x.e.dialer().DialContext(ctx, "tcp", addr)
	c := report.Check{Stage: report.StageTCP, Address: addr, DurationMs: x.since(start)}
	if err == nil {
		if !x.keepTCP(addr, conn) {
			_ = conn.Close()
		}
		c.Status = report.StatusPass
		c.Summary = "connected"
		if ra := conn.RemoteAddr(); ra != nil && ra.String() != addr && !x.path.farSide() {
			c.Summary = "connected to " + ra.String()
		}
		x.addCheck(c)
		return tcpResult{addr: addr, ok: true}
	}
	return x.dialFailed(ctx, c, addr, err)
}

// dialFailed records the check c of a dial of addr that failed with
// err, and the finding that explains it.
func (x *run) dialFailed(ctx context.Context, c report.Check, addr string, err error) tcpResult {
	if interrupted(ctx) {
		x.skipInterrupted(report.StageTCP, addr, c.DurationMs)
		return tcpResult{addr: addr}
	}
	c.Status = report.StatusFail
	f := x.dialFinding(ctx, addr, err)
	c.Summary = f.Evidence[0]
	if f.ID == catalogue.IDDNSNoSuchHost {
		c.Stage = report.StageDNS
	}
	x.addCheck(c)
	x.addFinding(f)
	return tcpResult{addr: addr, unanswered: f.ID == catalogue.IDTCPRefused || f.ID == catalogue.IDTCPTimeout}
}

// dialFinding explains why dialing addr failed.
func (x *run) dialFinding(ctx context.Context, addr string, err error) report.Finding {
	if f, ok := connfind.LocalFinding(addr, err); ok {
		return f
	}
	if f, ok := x.pathFinding(err); ok {
		return f
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return catalogue.NewFinding(catalogue.IDTCPRefused, fmt.Sprintf("%s: connection refused: nothing listens on port %s", addr, portOf(addr)))
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || !dnsErr.IsTimeout && !dnsErr.IsTemporary):
		return catalogue.NewFinding(catalogue.IDDNSNoSuchHost, fmt.Sprintf("%s: host %q does not resolve: %s", addr, hostOf(addr), dnsErr.Err))
	case connfind.IsTimeout(err) || ctx.Err() != nil:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: no answer to the TCP connection attempt within %s", addr, report.FormatMs(x.since(x.started))))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: %v (no route to the host from this machine)", addr, connfind.UnwrapOp(err)))
	default:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: %v", addr, connfind.UnwrapOp(err)))
	}
}

// interrupted reports whether ctx was cancelled from outside (a signal)
// rather than having reached its deadline.
func interrupted(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// hostOf is the host of a host:port address, or addr itself (without
// IPv6 brackets) when it has no port: topofind.HostOf.
func hostOf(addr string) string { return topofind.HostOf(addr) }

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "27017"
	}
	return p
}
