package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// Discover shows the deployment as the driver's discovery rules (SDAM) see
// it from here: every seed and every member they advertise, probed in
// parallel with a raw hello, with kind, state, version, RTT, tags, which
// members are reachable and which fall in the localThresholdMS latency
// window. A blocked network yields a Report, not an error.
func (e *Engine) Discover(ctx context.Context, t *Target) (*Report, error) {
	if t == nil {
		return nil, errors.New("discover: no target")
	}
	ctx, cancel := e.withBudget(ctx)
	defer cancel()
	x := e.newRun("discover", t)
	v, ok := x.topoDiscover(ctx)
	if !ok {
		return x.finish(""), nil
	}
	x.topoReport(v)
	x.wireFindings(v, false)
	if c, ok := topoDirectTrapCheck(v); ok {
		x.addCheck(c)
	}
	return x.finish(topoVerdict(v)), nil
}

// topoDiscover is the first half of discover, wire-check and tunnel-check:
// the uri and dns stages, then discovery from the seeds that resolved. It
// fills Report.Servers and Report.Topology and adds one check per probe.
// It returns false when no seed could be probed.
func (x *run) topoDiscover(ctx context.Context) (*topologyView, bool) {
	x.uriStage()
	seeds, ok := x.resolveSeeds(ctx)
	if !ok || len(seeds) == 0 {
		x.skip(StageHello, "no seed address to ask hello")
		return nil, false
	}
	return x.discoverFrom(ctx, seeds, 0), true
}

// discoverFrom runs discovery from seeds, timing samples hellos per member
// (0: the prober's default), and records the servers and topology kind.
func (x *run) discoverFrom(ctx context.Context, seeds []string, samples int) *topologyView {
	opts := x.topoOptions()
	p := newTopoProber(x, seeds, opts)
	p.samples = samples
	v := discoverTopology(ctx, opts, seeds, p.probe)
	p.report(v.order)
	x.mu.Lock()
	x.r.Topology = string(v.kind)
	x.r.Servers = append(x.r.Servers, v.allServers()...)
	x.mu.Unlock()
	return v
}

// topoOptions reads the discovery options from the connection string and,
// for mongodb+srv, from the TXT record (replicaSet, loadBalanced) when the
// string itself does not set them.
func (x *run) topoOptions() topoOptions {
	o := topoOptionsFrom(x.t.Conn)
	x.mu.Lock()
	srv := x.r.SRV
	x.mu.Unlock()
	if srv == nil || x.t.Conn == nil {
		return o
	}
	if o.setName == "" {
		o.setName = srv.Options["replicaSet"]
	}
	if !x.t.Conn.LoadBalancedSet && strings.EqualFold(srv.Options["loadBalanced"], "true") {
		o.loadBalanced = true
	}
	return o
}

// topoReport adds the topology findings and checks of v.
func (x *run) topoReport(v *topologyView) {
	fs, cs := topoFindings(v, topoURIs{given: x.t.Raw, resolved: x.driverURI()})
	for _, c := range cs {
		x.addCheck(c)
	}
	for _, f := range fs {
		x.addFinding(f)
	}
}

// topoProber probes addresses for discovery and keeps the check of each
// probe until discovery ends, so that checks are reported in a stable
// order whatever order the parallel probes finish in.
type topoProber struct {
	x     *run
	opts  topoOptions
	seeds map[string]bool
	// samples is how many hellos each probe times (0: the prober's
	// default).
	samples int

	mu     sync.Mutex
	checks map[string][]Check
	finds  map[string][]Finding
}

func newTopoProber(x *run, seeds []string, opts topoOptions) *topoProber {
	p := &topoProber{x: x, opts: opts, seeds: map[string]bool{}, checks: map[string][]Check{}, finds: map[string][]Finding{}}
	for _, s := range seeds {
		p.seeds[topoCanonical(s)] = true
	}
	return p
}

// probe asks addr for its hello. A member name that does not resolve
// through the engine's resolver is not dialled (the seeds were resolved
// by the dns stage already).
func (p *topoProber) probe(ctx context.Context, addr string) Server {
	ca := topoCanonical(addr)
	seed := p.seeds[ca]
	host := hostOf(addr)
	start := p.x.now()
	if !seed && topoNeedsLookup(host) {
		if _, err := p.x.e.Resolver.LookupHost(ctx, host); err != nil {
			why := fmt.Sprintf("the host name %s does not resolve from this machine (%s)", host, topoDNSReason(err))
			p.keep(ca, Check{Stage: StageDNS, Address: addr, Status: StatusWarn, DurationMs: p.x.since(start),
				Summary: "advertised member: " + why}, nil)
			return Server{Address: addr, Kind: srvKindUnknown, Error: why}
		}
	}
	ho := HelloOptions{LoadBalanced: p.opts.loadBalanced, Verbose: p.x.e.Verbose, Samples: p.samples}
	cfg, err := p.x.tlsConfig(host)
	if err != nil {
		var f []Finding
		if seed {
			f = []Finding{tlsFileFinding(p.x.t, err)}
		}
		p.keep(ca, Check{Stage: StageTLS, Address: addr, Status: StatusFail, Summary: Redact(err.Error())}, f)
		return Server{Address: addr, Kind: srvKindUnknown, Error: Redact(err.Error())}
	}
	ho.TLS = cfg
	res := p.x.e.ProbeHello(ctx, addr, ho)
	s := res.Server
	s.Address = addr
	c := Check{Stage: StageHello, Address: addr, DurationMs: p.x.since(start)}
	if res.Err != nil || !s.Reachable {
		s.Reachable = false
		s.Kind = srvKindUnknown
		var pe *ProbeError
		s.refused = errors.As(res.Err, &pe) && pe.Kind == ProbeRefused
		if s.Error == "" && res.Err != nil {
			s.Error = Redact(res.Err.Error())
		}
		c.Stage = topoFailStage(res.Err)
		c.Summary = topoProbeReason(res.Err, s.Error)
		s.Error = c.Summary
		var fs []Finding
		if seed {
			c.Status = StatusFail
			if p.x.tlsRequiredAfterHello(ctx, addr, res.Err) {
				// tls.server-requires-tls says it all.
			} else if f, ok := p.x.e.FindingForProbe(res.Err, addr); ok {
				fs = append(fs, f)
			}
		} else {
			c.Status = StatusWarn
			c.Summary = "advertised member: " + c.Summary
		}
		p.keep(ca, c, fs)
		return s
	}
	if s.Version == "" && s.MaxWireVersion > 0 {
		s.Version = ServerVersionForWire(s.MaxWireVersion)
	}
	c.Status = StatusPass
	c.Summary = topoHelloSummary(s, res)
	if p.x.e.Verbose {
		if res.Hello != nil {
			c.Detail = append(c.Detail, "hello: "+Redact(res.Hello.String()))
		}
		if res.BuildInfo != nil {
			c.Detail = append(c.Detail, "buildInfo: "+Redact(res.BuildInfo.String()))
		}
		for i, d := range res.RTTs {
			c.Detail = append(c.Detail, fmt.Sprintf("round trip %d: %s", i+1, fmtDuration(Millis(d))))
		}
	}
	p.keep(ca, c, nil)
	return s
}

func (p *topoProber) keep(addr string, c Check, fs []Finding) {
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
	var ne *net.DNSError
	if errors.As(err, &ne) {
		if ne.IsNotFound {
			return "no such host"
		}
		return ne.Err
	}
	return Redact(err.Error())
}

// topoFailStage is the stage a failed probe failed in.
func topoFailStage(err error) Stage {
	var pe *ProbeError
	if !errors.As(err, &pe) {
		return StageHello
	}
	switch pe.Kind {
	case ProbeRefused, ProbeTimeout, ProbeUnreachable:
		return StageTCP
	case ProbeUnresolved:
		return StageDNS
	case ProbeTLS:
		return StageTLS
	}
	return StageHello
}

// topoProbeReason is a failed probe's reason without the address.
func topoProbeReason(err error, fallback string) string {
	var pe *ProbeError
	if errors.As(err, &pe) && pe.Detail != "" {
		return Redact(pe.Detail)
	}
	if fallback != "" {
		return fallback
	}
	return "did not answer"
}

// topoHelloSummary is one line about a server that answered.
func topoHelloSummary(s Server, res HelloResult) string {
	var b strings.Builder
	b.WriteString(s.Kind)
	if s.SetName != "" {
		fmt.Fprintf(&b, " of %q", s.SetName)
	}
	var flags []string
	if s.Hidden {
		flags = append(flags, "hidden")
	}
	if s.Passive {
		flags = append(flags, "passive")
	}
	if s.ArbiterOnly && s.Kind != srvKindRSArbiter {
		flags = append(flags, "arbiter")
	}
	if len(flags) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(flags, ", "))
	}
	if res.BuildInfoErr == nil && s.Version != "" {
		fmt.Fprintf(&b, ", MongoDB %s", s.Version)
	} else if s.Version != "" {
		fmt.Fprintf(&b, ", MongoDB %s (from the wire version; buildInfo gave none)", s.Version)
	}
	fmt.Fprintf(&b, ", wire %s", WireRange{s.MinWireVersion, s.MaxWireVersion})
	switch {
	case s.LegacyHello:
		b.WriteString(" (legacy isMaster over OP_QUERY)")
	case res.Command == "isMaster":
		b.WriteString(" (no hello command: isMaster over OP_MSG)")
	}
	fmt.Fprintf(&b, ", RTT %s", fmtDuration(s.RTTMs))
	if n := len(res.RTTs); n > 1 {
		fmt.Fprintf(&b, " (mean of %d)", n)
	}
	return b.String()
}

// topoDirectTrapCheck warns when directConnection=true reaches a replica
// set member that is not the primary: reads work, writes fail.
func topoDirectTrapCheck(v *topologyView) (Check, bool) {
	if !v.opts.direct || len(v.members) != 1 {
		return Check{}, false
	}
	m := v.members[0]
	if !m.Reachable || m.Kind == srvKindRSPrimary || !topoIsRSMember(m.Kind) {
		return Check{}, false
	}
	s := fmt.Sprintf("directConnection=true pins every operation to this %s of replica set %q: reads work, writes fail with NotWritablePrimary", topoRole(m.Kind), m.SetName)
	if m.Primary != "" {
		s += "; the set's primary is " + m.Primary
	}
	return Check{Stage: StageTopology, Address: topoDisplayAddr(v, m.Address), Status: StatusWarn, Summary: s}, true
}

// topoVerdict is discover's sentence when nothing is wrong.
func topoVerdict(v *topologyView) string {
	win := ""
	if n := topoCountInWindow(v.members); n > 0 {
		win = fmt.Sprintf(", %d in the %s latency window", n, topoThreshold(v))
	}
	switch v.kind {
	case TopologySingle:
		if len(v.members) == 1 {
			m := v.members[0]
			s := fmt.Sprintf("single server %s: %s", topoDisplayAddr(v, m.Address), topoKindPhrase(m.Kind))
			if m.SetName != "" {
				s += fmt.Sprintf(" of %q", m.SetName)
			}
			if m.Version != "" {
				s += ", MongoDB " + m.Version
			}
			return s
		}
	case TopologyReplicaSetWithPrimary:
		p, _ := v.primary()
		return fmt.Sprintf("replica set %q with primary %s: %d of %d members reachable%s",
			v.setName, p.Address, topoCountReachable(v.members), len(v.members), win)
	case TopologySharded:
		return fmt.Sprintf("sharded cluster: %d mongos router(s) reachable%s", topoCountReachable(v.members), win)
	case TopologyLoadBalanced:
		if len(v.members) == 1 {
			return fmt.Sprintf("load-balanced deployment behind %s", topoDisplayAddr(v, v.members[0].Address))
		}
	}
	return topoSummary(v)
}
