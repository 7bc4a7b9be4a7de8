package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

const (
	// everyAddressWait bounds the dial of each address of a name that
	// has several, in the tcp stage: a SYN on a LAN is answered in
	// milliseconds and 2 s allows for one lost packet.
	everyAddressWait = 2 * time.Second

	// everyAddressGrace is how much longer the other addresses of a name
	// are waited for once one accepted: a refusal comes back in about
	// the round trip the acceptance took, and an address that stays
	// silent (a blackholed IPv6 route) must not hold a healthy check.
	everyAddressGrace = 250 * time.Millisecond
)

// runPath is how one run reaches members: directly, through the
// connection string's SOCKS5 proxy, through the --ssh bastion, or both
// (the proxy reached through the bastion). Everything but down is set by
// openPath before any stage dials.
type runPath struct {
	opened, usable bool

	// via is what checks through the path say ("via socks5 HOST:PORT",
	// "via ssh HOST:PORT"); "" for the direct path.
	via string
	// ends are the HOST:PORT of the proxy and the bastion: a check that
	// names one says which path it took already.
	ends []string
	// resolver names who resolves member names on the far side: "the
	// bastion", "the proxy".
	resolver string
	// ssh is the run's one SSH connection, closed when the run ends.
	ssh *netpath.SSH
	// here is this machine's own way to the members, without the
	// bastion: the connection string's proxy reached from here, or the
	// direct path. tunnel-check --ssh compares it with the bastion.
	here netpath.Dialer

	mu sync.Mutex
	// down says why the path cannot be used, once a failure of the
	// proxy or the bastion itself was seen: every stage skipped after it
	// says so.
	down string
}

// farSide reports whether member names travel to a proxy or a bastion
// that resolves them, rather than resolving here.
func (p *runPath) farSide() bool { return p.via != "" }

func (p *runPath) downReason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

func (p *runPath) setDown(why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down == "" {
		p.down = why
	}
}

// pathStages are the stages whose probes travel through the path.
var pathStages = []report.Stage{report.StageDNS, report.StageTCP, report.StageTLS, report.StageHello, report.StageAuth, report.StagePing}

// mention adds the path to the summary of a check whose probe went
// through it (DESIGN.md §9: checks say "via socks5 HOST:PORT").
func (p *runPath) mention(c report.Check) report.Check {
	if p.via == "" || c.Status == report.StatusSkip || !slices.Contains(pathStages, c.Stage) {
		return c
	}
	for _, end := range p.ends {
		if strings.Contains(c.Summary, end) {
			return c
		}
	}
	if c.Summary == "connected" {
		c.Summary += " " + p.via
	} else {
		c.Summary += ", " + p.via
	}
	return c
}

// openPath sets up the run's path, once: the bastion's SSH connection
// (a check of its own, and its finding when it fails) and the SOCKS5
// proxy of the connection string. Through either, the run's engine
// becomes a copy whose Dialer is the path, so that every probe and the
// driver go through it, and member names are no longer resolved here.
// It returns false when the path cannot be used: nothing may then be
// dialled, as the application would not dial it either.
func (x *run) openPath(ctx context.Context) bool {
	p := &x.path
	if p.opened {
		return p.usable
	}
	p.opened = true
	base := x.e.dialer() // names resolve here, through --dns-server when given
	p.here = base
	d := base
	var vias []string
	if x.e.SSH.Bastion != "" {
		s, ok := x.openSSH(ctx, base)
		if !ok {
			return false
		}
		p.ssh = s
		d = s
		vias = append(vias, s.Via())
		p.ends = append(p.ends, s.Bastion().Addr())
		p.resolver = "the bastion"
	}
	if px := x.t.Proxy(); px.Host != "" {
		cfg := netpath.ProxyConfig{Host: px.Host, Port: px.Port, Username: px.Username, Password: px.Password}
		through, err := netpath.NewSOCKS5(cfg)
		if err != nil {
			x.addFinding(catalogue.NewFinding(catalogue.IDURIInvalid, err.Error()))
			p.setDown("the proxy options of the connection string cannot be used")
			return false
		}
		fromHere, _ := netpath.NewSOCKS5(cfg) // cfg was just accepted
		fromHere.Forward = base
		p.here = fromHere
		through.Forward = d
		d = through
		vias = append([]string{through.Via()}, vias...)
		p.ends = append(p.ends, through.Config().Addr())
		p.resolver = "the proxy"
	}
	p.usable = true
	if len(vias) > 0 {
		p.via = strings.Join(vias, ", reached ")
		x.useDialer(d)
	}
	x.installReuse()
	return true
}

// useDialer points the run's engine at a copy of it whose Dialer is d.
// Only openPath calls it, before any stage dials or runs in the
// background.
func (x *run) useDialer(d netpath.Dialer) {
	e := *x.e
	e.Dialer = d
	x.e = &e
}

// openSSH logs in to the bastion, recording a tcp check for it.
func (x *run) openSSH(ctx context.Context, base netpath.Dialer) (*netpath.SSH, bool) {
	cfg := x.e.SSH
	if cfg.Dialer == nil {
		cfg.Dialer = base
	}
	if cfg.Getenv == nil {
		cfg.Getenv = x.getenv
	}
	addr := cfg.Bastion
	if b, err := netpath.ParseBastion(cfg.Bastion); err == nil {
		addr = b.Addr()
	}
	start := x.now()
	s, err := netpath.DialSSH(ctx, cfg)
	c := report.Check{Stage: report.StageTCP, Address: addr, DurationMs: x.since(start)}
	if err != nil {
		f, ok := x.pathFinding(err)
		if !ok {
			f = catalogue.NewFinding(catalogue.IDSSHUnreachable, "ssh bastion "+addr+": "+err.Error())
			x.path.setDown(connfind.PathDownReason(f))
		}
		c.Status = report.StatusFail
		c.Summary = f.Evidence[0]
		if interrupted(ctx) {
			c.Status, c.Summary = report.StatusSkip, "interrupted while connecting to the SSH bastion"
			x.addCheck(c)
			return nil, false
		}
		x.addCheck(c)
		x.addFinding(f)
		return nil, false
	}
	c.Status = report.StatusPass
	c.Summary = fmt.Sprintf("SSH bastion %s: logged in, host key %s as known_hosts holds it", s.Bastion(), s.HostKey())
	x.addCheck(c)
	return s, true
}

// closePath ends the run's SSH connection, and every connection through
// it.
func (x *run) closePath() {
	if s := x.path.ssh; s != nil {
		x.path.ssh = nil
		_ = s.Close()
	}
}

// getenv reads the engine's environment; nothing without one.
func (x *run) getenv(key string) string { return x.e.getenv(key) }

// pathFinding is connfind.PathFinding that also remembers a failure of the
// proxy or the bastion itself, so that the stages skipped after it say
// why.
func (x *run) pathFinding(err error) (report.Finding, bool) {
	f, whole, ok := connfind.PathFinding(err)
	if ok && whole {
		x.path.setDown(connfind.PathDownReason(f))
	}
	return f, ok
}

// farSideNames is the dns stage of host names through a proxy or a
// bastion: they are not resolved here (a name only the far side knows
// is the usual reason for the path), and every seed is usable.
func (x *run) farSideNames(res *seedResolution) {
	var names []string
	for _, s := range res.seeds {
		res.usable = append(res.usable, s)
		h := seedHost(s)
		if connstr.IsSocket(s) || connstr.IsIP(h) || slices.Contains(names, h) {
			continue
		}
		names = append(names, h)
	}
	for _, h := range names {
		x.addCheck(report.Check{Stage: report.StageDNS, Address: h, Status: report.StatusPass,
			Summary: fmt.Sprintf("not resolved here: sent as written for %s to resolve, %s", x.path.resolver, x.path.via)})
	}
}

// remember keeps the addresses host resolved to, for the tcp stage.
func (x *run) remember(host string, ips []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.resolved == nil {
		x.resolved = map[string][]string{}
	}
	x.resolved[resolve.Normalize(host)] = ips
}

// lookupIPs returns the addresses of host: those the dns stage found,
// else the engine's resolver's answer.
func (x *run) lookupIPs(ctx context.Context, host string) ([]string, error) {
	x.mu.Lock()
	ips := x.resolved[resolve.Normalize(host)]
	x.mu.Unlock()
	if len(ips) > 0 {
		return ips, nil
	}
	ips, err := x.resolver().LookupHost(ctx, host)
	if err == nil && len(ips) == 0 {
		err = &resolve.DNSError{Kind: resolve.DNSNoData, Name: host, Type: "A/AAAA", Rcode: -1}
	}
	return ips, err
}

// dialEvery is the tcp stage of a seed named by a host name on the
// direct path: every address of the name is dialled. The seed passes
// when one accepts; when some refuse while others accept, the check is
// a warning and tcp.some-addresses-refused names the address that works
// and the clients that fail.
func (x *run) dialEvery(ctx context.Context, addr string) tcpResult {
	start := x.now()
	c := report.Check{Stage: report.StageTCP, Address: addr}
	ips, err := x.lookupIPs(ctx, hostOf(addr))
	if err != nil {
		c.DurationMs = x.since(start)
		return x.dialFailed(ctx, c, addr, &net.OpError{Op: "dial", Net: "tcp", Err: err})
	}
	results, err := x.dialAll(ctx, addr, ips)
	c.DurationMs = x.since(start)
	if err != nil {
		return x.dialFailed(ctx, c, addr, err)
	}
	working := firstAccepted(results)
	if working < 0 {
		return x.dialFailed(ctx, c, addr, results[0].Err)
	}
	x.addressesCheck(c, addr, results, working)
	return tcpResult{addr: addr, ok: true}
}

// dialAll dials every address ips of addr's host at once, and once one
// accepted gives the others everyAddressGrace more.
func (x *run) dialAll(ctx context.Context, addr string, ips []string) ([]netpath.AddressResult, error) {
	dctx, d := ctx, x.e.dialer()
	if len(ips) > 1 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, min(everyAddressWait, remaining(ctx)))
		defer cancel()
		g := &graceDialer{d: d, cancel: cancel}
		defer g.stop()
		d = g
	}
	given := func(context.Context, string) ([]string, error) { return ips, nil }
	return netpath.DialEvery(dctx, d, given, addr)
}

// firstAccepted is the index of the first address that accepted, or -1.
func firstAccepted(results []netpath.AddressResult) int {
	for i, r := range results {
		if r.Err == nil {
			return i
		}
	}
	return -1
}

// addressesCheck records c, the passed tcp check of addr whose address
// results[working] accepted: a warning with tcp.some-addresses-refused
// when other addresses refused.
func (x *run) addressesCheck(c report.Check, addr string, results []netpath.AddressResult, working int) {
	c.Status = report.StatusPass
	c.Summary = "connected"
	if a := results[working].Address; a != addr {
		c.Summary = "connected to " + a
	}
	if netpath.SomeRefused(results) {
		var refused []string
		for _, r := range results {
			if r.Refused() {
				refused = append(refused, r.Address)
			}
		}
		c.Status = report.StatusWarn
		c.Summary += "; " + strings.Join(refused, ", ") + " refused"
		x.addFinding(someRefusedFinding(x.t.Raw, len(x.t.Hosts) == 1, addr, results, working))
	}
	x.addCheck(c)
}

// everyAddressChecks gives discover, wire-check and tunnel-check, whose
// hello probes dial the seeds and stop at the first address that
// answers, what their tcp stage gives ping and diagnose when a seed's
// name has several addresses (DESIGN.md §9: every address a name
// resolves to is dialled): when some refuse while others accept, the
// seed's tcp check and tcp.some-addresses-refused. Any other outcome is
// the hello probe's to report.
func (x *run) everyAddressChecks(ctx context.Context, seeds []string) {
	if x.path.farSide() {
		return
	}
	var wg sync.WaitGroup
	for _, addr := range seeds {
		if !topoNeedsLookup(hostOf(addr)) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := x.now()
			ips, err := x.lookupIPs(ctx, hostOf(addr))
			if err != nil || len(ips) < 2 {
				return
			}
			results, err := x.dialAll(ctx, addr, ips)
			if err != nil || !netpath.SomeRefused(results) {
				return
			}
			c := report.Check{Stage: report.StageTCP, Address: addr, DurationMs: x.since(start)}
			x.addressesCheck(c, addr, results, firstAccepted(results))
		}()
	}
	wg.Wait()
}

// graceDialer dials with d and, once a dial succeeded, cancels the
// others everyAddressGrace later.
type graceDialer struct {
	d      netpath.Dialer
	cancel context.CancelFunc

	mu    sync.Mutex
	timer *time.Timer
}

func (g *graceDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := g.d.DialContext(ctx, network, address)
	if err == nil {
		g.mu.Lock()
		if g.timer == nil {
			g.timer = time.AfterFunc(everyAddressGrace, g.cancel)
		}
		g.mu.Unlock()
	}
	return c, err
}

// stop ends the wait for the grace, once the dials are over.
func (g *graceDialer) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		g.timer.Stop()
	}
}

// someRefusedFinding is tcp.some-addresses-refused for addr, whose
// results[working] accepted. With single, the connection string names
// only this host, and the finding suggests it with the working address.
func someRefusedFinding(raw string, single bool, addr string, results []netpath.AddressResult, working int) report.Finding {
	var all []string
	for _, r := range results {
		all = append(all, hostOf(r.Address))
	}
	ev := []string{fmt.Sprintf("%s resolves to %s", hostOf(addr), strings.Join(all, ", "))}
	for _, r := range results {
		switch {
		case r.Err == nil:
			ev = append(ev, r.Address+": accepts connections")
		case r.Refused():
			ev = append(ev, r.Address+": connection refused: nothing listens on this address")
		case errors.Is(r.Err, context.Canceled):
			ev = append(ev, fmt.Sprintf("%s: no answer within %s of the address that accepted", r.Address, everyAddressGrace))
		default:
			ev = append(ev, r.Address+": "+redact.Redact(connfind.UnwrapOp(r.Err).Error()))
		}
	}
	ok := results[working].Address
	ev = append(ev, whoIsRefused(results, ok))
	f := catalogue.NewFinding(catalogue.IDTCPSomeAddressesRefused, ev...)
	// The catalogue's first fix is the general one (explain has no
	// addresses): this one names them.
	fix := fmt.Sprintf("Write the address that accepts, %s, instead of the name %s", ok, hostOf(addr))
	if single {
		if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Hosts: []string{ok}}); err == nil {
			f.Fixes = append([]string{fix + ": " + u}, f.Fixes[1:]...)
			return report.WithSuggestedURI(f, u)
		}
	}
	f.Fixes = append([]string{fix}, f.Fixes[1:]...)
	return f
}

// whoIsRefused says which clients the refused addresses of results
// fail, by family: resolvers that follow RFC 6724 (getaddrinfo, Go's)
// put IPv6 first on a machine that has IPv6, and ::1 before 127.0.0.1
// always; Node.js 17 and later keep that order. A client that tries the
// addresses in turn connects to ok.
func whoIsRefused(results []netpath.AddressResult, ok string) string {
	var v4, v6 []string
	for _, r := range results {
		if !r.Refused() {
			continue
		}
		if ip := net.ParseIP(hostOf(r.Address)); ip != nil && ip.To4() == nil {
			v6 = append(v6, r.Address)
		} else {
			v4 = append(v4, r.Address)
		}
	}
	okIP := net.ParseIP(hostOf(ok))
	okV4 := okIP == nil || okIP.To4() != nil
	switch {
	case len(v4) == 0 && okV4:
		return fmt.Sprintf("a client that tries only the IPv6 address (%s) is refused: getaddrinfo and Go sort IPv6 first when the machine has it (RFC 6724; ::1 always comes before 127.0.0.1), and Node.js 17+ (mongosh, Compass) keeps that order; a client that tries every address in turn connects to %s",
			strings.Join(v6, ", "), ok)
	case len(v6) == 0 && !okV4:
		return fmt.Sprintf("a client that tries only the IPv4 address (%s) is refused: Node.js before 17, node --dns-result-order=ipv4first and Java with java.net.preferIPv4Stack=true put IPv4 first or use it alone; a client that tries every address in turn connects to %s",
			strings.Join(v4, ", "), ok)
	}
	return fmt.Sprintf("a client that tries only %s is refused; a client that tries every address in turn connects to %s", strings.Join(append(v6, v4...), ", "), ok)
}

// envFailureIDs are the findings that mean a member could not be reached
// from here: the case where a proxy set in the environment may be what
// the user expected to be used.
var envFailureIDs = []string{
	catalogue.IDTCPRefused, catalogue.IDTCPTimeout, catalogue.IDDNSNoSuchHost,
	catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDAtlasAccessList,
}

// unreachableMember names a member that a set advertises and this machine
// could not resolve or connect to (its check warns: the set works without
// it), or "" when there is none.
func unreachableMember(checks []report.Check) string {
	for _, c := range checks {
		if (c.Stage == report.StageTCP || c.Stage == report.StageDNS) && c.Status == report.StatusWarn &&
			strings.HasPrefix(c.Summary, advertisedMember) {
			return "advertised member " + c.Address
		}
	}
	return ""
}

// envProxyHint adds proxy.env-ignored when a member failed from here on
// the direct path while HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (in either
// case) is set: drivers never use them. The caller holds x.mu.
func (x *run) envProxyHint() {
	r := x.r
	if x.path.farSide() || x.e.Getenv == nil || r.HasFinding(catalogue.IDProxyEnvIgnored) {
		return
	}
	failed := ""
	for _, id := range envFailureIDs {
		if r.HasFinding(id) {
			failed = id
			break
		}
	}
	if failed == "" {
		failed = unreachableMember(r.Checks)
	}
	if failed == "" {
		return
	}
	proxies := netpath.EnvProxies(x.e.Getenv)
	if len(proxies) == 0 {
		return
	}
	var ev, fixes []string
	suggested := ""
	for _, p := range proxies {
		kind := "an HTTP proxy, which cannot carry the MongoDB protocol"
		if p.SOCKS5 {
			kind = "a SOCKS5 proxy, which drivers can use when the connection string names it"
		}
		ev = append(ev, fmt.Sprintf("%s=%s is set (%s) while a member cannot be reached from here (%s): MongoDB drivers do not read it", p.Name, p.Value, kind, failed))
		if opts := p.Options(); opts != "" && suggested == "" {
			fixes = append(fixes, fmt.Sprintf("%s names a SOCKS5 proxy: add %s to the connection string", p.Name, opts))
			set := []connstr.Setting{{Key: "proxyHost", Value: p.Host}, {Key: "proxyPort", Value: fmt.Sprint(p.Port)}}
			if p.Username != "" {
				set = append(set, connstr.Setting{Key: "proxyUsername", Value: p.Username}, connstr.Setting{Key: "proxyPassword", Value: redact.RedactedSecret})
			}
			// New keys are appended in Set's order: proxyHost before
			// proxyPort before the credentials, as people write them.
			if u, err := connstr.RewriteRedacted(x.t.Raw, connstr.Edit{Set: set}); err == nil {
				suggested = u
			}
		}
	}
	f := catalogue.NewFinding(catalogue.IDProxyEnvIgnored, ev...)
	f.Fixes = append(fixes, f.Fixes...)
	if suggested != "" {
		f = report.WithSuggestedURI(f, suggested)
	}
	r.AddFinding(f)
}
