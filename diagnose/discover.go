package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Discover shows the deployment as the driver's discovery rules (SDAM) see
// it from here: every seed and every member they advertise, probed in
// parallel with a raw hello, with kind, state, version, RTT, tags, which
// members are reachable and which fall in the localThresholdMS latency
// window. A blocked network yields a Report, not an error.
func (e *Engine) Discover(ctx context.Context, t *connstr.Target) (*report.Report, error) {
	return e.topoCommand(ctx, "discover", t, func(_ context.Context, x *run, v *sdam.View) string {
		x.topoReport(v)
		x.wireFindings(v, false)
		x.compressionFindings(v)
		if c, ok := topofind.DirectTrapCheck(v); ok {
			x.addCheck(c)
		}
		return topofind.Verdict(v)
	})
}

// topoCommand runs discover, wire-check or tunnel-check: under one budget,
// the stages up to discovery (topoDiscover), then the command's own body,
// whose verdict finishes the report. A discovery that probed no seed
// finishes it without a verdict of its own.
func (e *Engine) topoCommand(ctx context.Context, command string, t *connstr.Target, body func(context.Context, *run, *sdam.View) string) (*report.Report, error) {
	if t == nil {
		return nil, fmt.Errorf("%s: no target", command)
	}
	ctx, cancel := e.withBudget(ctx)
	defer cancel()
	x := e.newRun(command, t)
	x.bind(ctx, false)
	v, ok := x.topoDiscover(ctx)
	if !ok {
		return x.finish(""), nil
	}
	return x.finish(body(ctx, x, v)), nil
}

// topoDiscover is the first half of discover, wire-check and tunnel-check:
// the uri and dns stages, the tls stage when the string asks for TLS, then
// discovery from the seeds that resolved (and completed TLS). It fills
// Report.Servers and Report.Topology and adds one check per probe. It
// returns false when no seed could be probed.
func (x *run) topoDiscover(ctx context.Context) (*sdam.View, bool) {
	x.uriStage()
	seeds, ok := x.resolveSeeds(ctx)
	if !ok || len(seeds) == 0 {
		x.skip(report.StageHello, "no seed address to ask hello")
		return nil, false
	}
	x.everyAddressChecks(ctx, seeds)
	seeds, failedTLS := x.topoTLSSeeds(ctx, seeds)
	defer x.topoTLSFailedServers(failedTLS)
	if len(seeds) == 0 {
		x.skip(report.StageHello, "no seed completed a usable TLS handshake")
		return nil, false
	}
	return x.discoverFrom(ctx, seeds, 0), true
}

// discoverFrom runs discovery from seeds, timing samples hellos per member
// (0: the prober's default), and records the servers and topology kind.
func (x *run) discoverFrom(ctx context.Context, seeds []string, samples int) *sdam.View {
	return x.discoverWith(ctx, seeds, samples, nil)
}

// discoverWith is discoverFrom that calls seedsDone, when not nil, once
// every seed has been probed: whether one answered hello, and the most
// members one of them advertises.
func (x *run) discoverWith(ctx context.Context, seeds []string, samples int, seedsDone func(answered bool, mostMembers int)) *sdam.View {
	opts := x.topoOptions()
	p := newTopoProber(x, seeds, opts)
	p.samples = samples
	p.seedsDone = seedsDone
	p.seedsLeft = len(p.seeds)
	v := sdam.Discover(ctx, opts, seeds, p.probe)
	p.report(v.Order)
	x.memberCapCheck(v, seeds)
	x.mu.Lock()
	x.r.Topology = string(v.Kind)
	x.r.Servers = append(x.r.Servers, v.AllServers()...)
	x.mu.Unlock()
	return v
}

// topoOptions reads the discovery options from the connection string and,
// for mongodb+srv, from the TXT record (replicaSet, loadBalanced) when the
// string itself does not set them.
func (x *run) topoOptions() sdam.Options {
	o := sdam.OptionsFrom(x.t.Conn)
	x.mu.Lock()
	srv := x.r.SRV
	x.mu.Unlock()
	if srv == nil || x.t.Conn == nil {
		return o
	}
	if o.SetName == "" {
		o.SetName = srv.Options["replicaSet"]
	}
	if !x.t.Conn.LoadBalancedSet && strings.EqualFold(srv.Options["loadBalanced"], "true") {
		o.LoadBalanced = true
	}
	return o
}

// topoReport adds the topology findings and checks of v.
func (x *run) topoReport(v *sdam.View) {
	fs, cs := topofind.Findings(v, topofind.URIs{Given: x.t.Raw, Resolved: x.driverURI()})
	for _, c := range cs {
		x.addCheck(c)
	}
	for _, f := range fs {
		x.addFinding(f)
	}
	if f, ok := topofind.SplitHorizonFinding(x.t.Raw, tlsSettingsOf(x.t).enabled, v, fs); ok {
		x.addFinding(f)
	}
}

// topoProber probes addresses for discovery and keeps the check of each
// probe until discovery ends, so that checks are reported in a stable
// order whatever order the parallel probes finish in.
type topoProber struct {
	x     *run
	opts  sdam.Options
	seeds map[string]bool
	// samples is how many hellos each probe times (0: the prober's
	// default).
	samples int

	mu     sync.Mutex
	checks map[string][]report.Check
	finds  map[string][]report.Finding

	// seedsDone is told once every seed was probed (discoverWith).
	seedsDone    func(answered bool, mostMembers int)
	seedsLeft    int
	seedAnswered bool
	mostMembers  int
}

func newTopoProber(x *run, seeds []string, opts sdam.Options) *topoProber {
	p := &topoProber{x: x, opts: opts, seeds: map[string]bool{}, checks: map[string][]report.Check{}, finds: map[string][]report.Finding{}}
	for _, s := range seeds {
		p.seeds[sdam.Canonical(s)] = true
	}
	return p
}

// advertisedMember begins the summary of a check of a member that only a
// host list names, when it fails: a warning, since the set may work
// without it.
const advertisedMember = "advertised member: "

// probe asks addr for its hello. A member name that does not resolve
// through the engine's resolver is not dialled (the seeds were resolved
// by the dns stage already).
func (p *topoProber) probe(ctx context.Context, addr string) (out report.Server) {
	defer p.x.waiting(report.StageHello, addr, "a reply to hello")()
	ca := sdam.Canonical(addr)
	seed := p.seeds[ca]
	if seed {
		defer func() { p.seedProbed(out) }()
	}
	host := hostOf(addr)
	start := p.x.now()
	if !seed && !p.x.path.farSide() && topoNeedsLookup(host) {
		if _, err := p.x.e.Resolver.LookupHost(ctx, host); err != nil && interrupted(ctx) {
			p.x.interruptedIn(report.StageDNS)
			p.keep(ca, report.Check{Stage: report.StageDNS, Address: addr, Status: report.StatusSkip, DurationMs: p.x.since(start), Summary: "interrupted"}, nil)
			return report.Server{Address: addr, Kind: report.KindUnknown, Error: "interrupted"}
		} else if lf, local := connfind.LocalDNSFinding(host, err); local {
			// The question never left this machine: nothing is known of
			// the name, so the member is not "unreachable".
			why := fmt.Sprintf("the host name %s could not be looked up: %s", host, topoDNSReason(err))
			p.keep(ca, report.Check{Stage: report.StageDNS, Address: addr, Status: report.StatusFail, DurationMs: p.x.since(start), Summary: why}, []report.Finding{lf})
			return report.Server{Address: addr, Kind: report.KindUnknown, Error: why, Local: true}
		} else if err != nil {
			why := fmt.Sprintf("the host name %s does not resolve from this machine (%s)", host, topoDNSReason(err))
			p.keep(ca, report.Check{Stage: report.StageDNS, Address: addr, Status: report.StatusWarn, DurationMs: p.x.since(start),
				Summary: advertisedMember + why}, nil)
			return report.Server{Address: addr, Kind: report.KindUnknown, Error: why}
		}
	}
	ho := wireprobe.HelloOptions{LoadBalanced: p.opts.LoadBalanced, Verbose: p.x.e.Verbose, Samples: p.samples}
	cfg, err := p.x.tlsConfig(host)
	if err != nil {
		var f []report.Finding
		lf, local := tlsFileLocal(err)
		switch {
		case local:
			// Whatever the member is, this machine could not read the
			// files to ask it with.
			f = []report.Finding{lf}
		case seed:
			f = []report.Finding{tlsFileFinding(p.x.t, err)}
		}
		p.keep(ca, report.Check{Stage: report.StageTLS, Address: addr, Status: report.StatusFail, Summary: redact.Redact(err.Error())}, f)
		return report.Server{Address: addr, Kind: report.KindUnknown, Error: redact.Redact(err.Error()), Local: local}
	}
	ho.TLS = cfg
	ho.Keep = p.x.kept.wanted()
	res := p.x.e.ProbeHello(ctx, addr, ho)
	if res.Kept != nil {
		p.x.kept.add(res.Kept, res.Server.Kind)
	}
	p.x.roles.Probed(addr, res)
	s := res.Server
	s.Address = addr
	c := report.Check{Stage: report.StageHello, Address: addr, DurationMs: p.x.since(start)}
	if res.Err != nil && interrupted(ctx) {
		// No verdict on a peer whose answer was not awaited to the end.
		c.Stage, c.Status, c.Summary = topofind.FailStage(res.Err), report.StatusSkip, "interrupted"
		p.x.interruptedIn(c.Stage)
		p.keep(ca, c, nil)
		return report.Server{Address: addr, Kind: report.KindUnknown, Error: "interrupted"}
	}
	if res.Err != nil || !s.Reachable {
		s.Reachable = false
		s.Kind = report.KindUnknown
		var pe *wireprobe.ProbeError
		s.Refused = errors.As(res.Err, &pe) && pe.Kind == wireprobe.ProbeRefused
		_, s.Local = netpath.LocalResourceError(res.Err)
		if s.Error == "" && res.Err != nil {
			s.Error = redact.Redact(res.Err.Error())
		}
		c.Stage = topofind.FailStage(res.Err)
		c.Summary = topofind.ProbeReason(res.Err, s.Error)
		pf, throughPath := p.x.pathFinding(res.Err)
		if throughPath {
			c.Summary = pf.Evidence[0]
		}
		s.Error = c.Summary
		var fs []report.Finding
		if seed {
			c.Status = report.StatusFail
			if throughPath {
				fs = append(fs, pf)
			} else if p.x.tlsRequiredAfterHello(ctx, addr, res.Err) {
				// tls.server-requires-tls says it all.
			} else if summary, afs, ok := atlasProbeRejected(addr, res.Err); ok {
				c.Summary, s.Error = summary, summary
				fs = append(fs, afs...)
			} else if ho.TLS != nil && p.x.clientCertRefused() && topofind.ClosedAfterTLS(res.Err) {
				// TLS 1.3 ends the handshake before the server has judged
				// the certificate: its refusal comes on the first read.
				c.Stage = report.StageTLS
				c.Summary = "the server ended the TLS connection after the handshake: it refuses the client certificate (auth.x509-client-cert)"
				s.Error = c.Summary
			} else if f, ok := wireprobe.FindingForProbe(res.Err, addr); ok {
				fs = append(fs, f)
			}
		} else if s.Local {
			// Not tried: this machine is out of descriptors, ports or
			// memory, whatever the member is.
			c.Status = report.StatusFail
			if f, ok := wireprobe.FindingForProbe(res.Err, addr); ok {
				fs = append(fs, f)
			}
		} else {
			c.Status = report.StatusWarn
			c.Summary = advertisedMember + c.Summary
		}
		p.keep(ca, c, fs)
		return s
	}
	if s.Version == "" && s.MaxWireVersion > 0 {
		s.Version = wireprobe.ServerVersionForReportedWire(s.MaxWireVersion)
	}
	c.Status = report.StatusPass
	c.Summary = topofind.HelloSummary(s, res)
	if p.x.e.Verbose {
		if res.Hello != nil {
			c.Detail = append(c.Detail, "hello: "+redact.Redact(wireprobe.RelaxedJSON(res.Hello)))
		}
		if res.BuildInfo != nil {
			c.Detail = append(c.Detail, "buildInfo: "+redact.Redact(wireprobe.RelaxedJSON(res.BuildInfo)))
		}
		for i, d := range res.RTTs {
			c.Detail = append(c.Detail, fmt.Sprintf("round trip %d: %s", i+1, report.FormatMs(report.Millis(d))))
		}
	}
	p.keep(ca, c, nil)
	return s
}

// seedProbed counts a probed seed and calls seedsDone after the last.
func (p *topoProber) seedProbed(s report.Server) {
	p.mu.Lock()
	if p.seedsDone == nil || p.seedsLeft <= 0 {
		p.mu.Unlock()
		return
	}
	p.seedsLeft--
	if s.Reachable {
		p.seedAnswered = true
		p.mostMembers = max(p.mostMembers, len(s.Hosts)+len(s.Passives)+len(s.Arbiters))
	}
	last := p.seedsLeft == 0
	answered, most := p.seedAnswered, p.mostMembers
	p.mu.Unlock()
	if last {
		p.seedsDone(answered, most)
	}
}

func (p *topoProber) keep(addr string, c report.Check, fs []report.Finding) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks[addr] = append(p.checks[addr], c)
	p.finds[addr] = append(p.finds[addr], fs...)
}

// report adds the kept checks and findings in the order given.
func (p *topoProber) report(order []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range order {
		for _, c := range p.checks[a] {
			p.x.addCheck(c)
		}
		for _, f := range p.finds[a] {
			p.x.addFinding(f)
		}
		delete(p.checks, a)
		delete(p.finds, a)
	}
}

// topoNeedsLookup says whether host is a name to resolve (not an IP
// literal, not a socket path).
func topoNeedsLookup(host string) bool {
	h := strings.Trim(host, "[]")
	return net.ParseIP(h) == nil && !strings.HasPrefix(h, "/") && !strings.HasSuffix(h, ".sock")
}

// topoDNSReason says why a lookup failed, briefly.
func topoDNSReason(err error) string {
	if errno, ok := resolve.IsLocal(err); ok {
		return "the question was not sent: " + netpath.LocalResourceReason(errno)
	}
	var ne *net.DNSError
	if errors.As(err, &ne) {
		if ne.IsNotFound {
			return "no such host"
		}
		return ne.Err
	}
	return redact.Redact(err.Error())
}
