package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// tcpResult is what dialing one seed showed.
type tcpResult struct {
	addr string
	ok   bool
}

// tcpStage dials every address in parallel, adds a check per address and
// the finding that explains each failure. It returns the addresses that
// accepted a connection, in the order given.
func (x *run) tcpStage(ctx context.Context, addrs []string) []string {
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
	for _, r := range results {
		if r.ok {
			ok = append(ok, r.addr)
		}
	}
	return ok
}

func (x *run) dialOne(ctx context.Context, addr string) tcpResult {
	defer x.waiting(report.StageTCP, addr, "the TCP handshake")()
	start := x.now()
	conn, err := x.e.dialer().DialContext(ctx, "tcp", addr)
	c := report.Check{Stage: report.StageTCP, Address: addr, DurationMs: x.since(start)}
	if err == nil {
		_ = conn.Close()
		c.Status = report.StatusPass
		c.Summary = "connected"
		if ra := conn.RemoteAddr(); ra != nil && ra.String() != addr {
			c.Summary = "connected to " + ra.String()
		}
		x.addCheck(c)
		return tcpResult{addr: addr, ok: true}
	}
	if interrupted(ctx) {
		c.Status = report.StatusSkip
		c.Summary = "interrupted"
		x.addCheck(c)
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
	if f.ID == catalogue.IDTCPTimeout && resolve.IsAtlas([]string{hostOf(addr)}) {
		x.addFinding(catalogue.NewFinding(catalogue.IDAtlasAccessList, addr+": the connection attempt timed out"))
	}
	return tcpResult{addr: addr}
}

// dialFinding explains why dialing addr failed.
func (x *run) dialFinding(ctx context.Context, addr string, err error) report.Finding {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return catalogue.NewFinding(catalogue.IDTCPRefused, fmt.Sprintf("%s: connection refused: nothing listens on port %s", addr, portOf(addr)))
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || !dnsErr.IsTimeout && !dnsErr.IsTemporary):
		return catalogue.NewFinding(catalogue.IDDNSNoSuchHost, fmt.Sprintf("%s: host %q does not resolve: %s", addr, hostOf(addr), dnsErr.Err))
	case isTimeout(err) || ctx.Err() != nil:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: no answer to the TCP connection attempt within %s", addr, report.FormatMs(x.since(x.started))))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: %v (no route to the host from this machine)", addr, unwrapOp(err)))
	default:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, fmt.Sprintf("%s: %v", addr, unwrapOp(err)))
	}
}

// interrupted reports whether ctx was cancelled from outside (a signal)
// rather than having reached its deadline.
func interrupted(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// unwrapOp drops the "dial tcp a->b:" prefix of a *net.OpError.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// hostOf is the host part of host:port (addr itself when it has no port).
// hostOf is the host of a host:port address, or addr itself (without
// IPv6 brackets) when it has no port.
func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return h
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "27017"
	}
	return p
}
