package diagnose

import (
	"context"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Diagnose runs every stage against the target under one deadline:
//
//	uri -> dns/srv -> tcp -> tls -> hello -> wire -> auth -> topology -> selection -> ping
//
// Stages that probe hosts do so in parallel. A stage that cannot run
// because an earlier one failed is recorded as skipped with the reason, and
// the verdict names the first failing stage. The raw probes see what the
// driver hides (wire versions it refuses, the members a seed advertises);
// the last stage is the driver's own ping, so that "OK" means an
// application with this connection string would work.
func (e *Engine) Diagnose(ctx context.Context, t *connstr.Target) (*report.Report, error) {
	ctx, cancel := e.withBudget(ctx)
	defer cancel()
	x := e.newRun("diagnose", t)
	x.bind(ctx, false)
	x.compare = true
	x.reuseTCP = true
	x.kept.on = x.keepForDriver()
	defer x.kept.take("")
	x.uriStage()
	x.awsStage()

	skipAfter := func(stage report.Stage, why string) (*report.Report, error) {
		skipping := false
		for _, st := range report.Stages {
			if skipping && !x.hasCheck(st) {
				x.skip(st, why)
			}
			if st == stage {
				skipping = true
			}
		}
		return x.finish(""), nil
	}

	// The raw stages leave the driver's ping its share of the budget.
	raw, cancelRaw := rawBudget(ctx)
	defer cancelRaw()
	seeds, ok := x.resolveSeeds(raw)
	if !ok {
		return skipAfter(report.StageDNS, "no seed address to connect to")
	}
	reachable := x.tcpStage(raw, seeds)
	if len(reachable) == 0 {
		return skipAfter(report.StageTCP, "no seed accepted a TCP connection")
	}
	if interrupted(ctx) {
		return x.finish(""), nil
	}
	tlsOK := x.tlsStage(raw, reachable)
	var usable []string
	for _, a := range reachable {
		if tlsOK[a] {
			usable = append(usable, a)
		}
	}
	if len(usable) == 0 {
		return skipAfter(report.StageTLS, "no seed completed a usable TLS handshake")
	}

	v := x.discoverFrom(raw, usable, diagnoseHelloSamples)
	if !topofind.HasReachable(v) {
		x.topoReport(v) // the topology says why: advertised names, set name, ...
		return skipAfter(report.StageTopology, "no member of the deployment can be reached from here")
	}
	// One check per incompatible server; wire-check lists every server
	// with the driver releases that can talk to it.
	if n := x.wireFindings(v, false); n > 0 && !x.hasFinding(catalogue.IDWireServerTooOld) && !x.hasFinding(catalogue.IDWireServerTooNew) {
		x.addCheck(report.Check{Stage: report.StageWire, Status: report.StatusPass, Summary: fmt.Sprintf(
			"%d server(s) within the wire range of this tool's Go driver (%s); mongoconn wire-check lists the driver releases of other languages", n, wireprobe.LinkedDriverWire())})
	}
	if x.hasFinding(catalogue.IDWireServerTooOld) || x.hasFinding(catalogue.IDWireServerTooNew) {
		x.topoReport(v)
		return skipAfter(report.StageWire, "the driver refuses to talk to a server outside its wire range")
	}

	x.compressionFindings(v)

	target, hasTarget := diagnoseMember(v)
	if hasTarget {
		cfg, err := x.tlsConfig(hostOf(target.Address))
		if err == nil {
			x.authStage(raw, target.Address, cfg)
			x.serverAPIStage(raw, target.Address, cfg)
		}
		if !x.hasErrorFinding() {
			x.poolStage(ctx, v, target)
		}
	} else {
		x.skip(report.StageAuth, "no data-bearing member answered")
	}

	x.topoReport(v)
	if v.Opts.Direct {
		x.tunnelDirectTrap(raw, v)
	}
	x.selectAndFailover(raw, v)

	if interrupted(ctx) {
		return x.finish(""), nil
	}
	if x.hasErrorFinding() {
		x.skip(report.StagePing, x.skipPingReason())
		return x.finish(""), nil
	}
	req := PingRequest{knownVersion: true}
	if hasTarget && corroborated(v, target) {
		if k := x.kept.take(target.Address); k != nil {
			req.handoff = &handoffDial{kept: k, ctx: ctx, roles: &x.roles}
		}
	}
	out := x.driverPingURI(ctx, req, x.diagnosePingURI(v))
	x.slowNotSilent(&out, v)
	if m, ok := diagnoseMember(v); ok && out.check.Status == report.StatusPass {
		out.check.Address = m.Address
		out.check.Summary = fmt.Sprintf("the Go driver connected to %s and ran ping in %s", m.Address, report.FormatMs(report.Millis(out.res.rtt)))
	}
	x.apply(out, false)
	verdict := diagnoseVerdict(v, out)
	if verdict != "" && x.hasAuth() && x.authSkipped() {
		verdict += "; the credentials were not tested (see the auth check)"
	}
	return x.finish(verdict), nil
}

// diagnoseHelloSamples is how many hellos discovery times per member in
// diagnose: one (with buildInfo, two round trips) leaves room under the
// budget of five round trips per member for the driver's own monitoring
// and ping. discover, whose job is latency, times more.
const diagnoseHelloSamples = 1

// diagnoseMember is the member authentication and the Stable API are
// tried on: the primary, else the first reachable data-bearing member.
func diagnoseMember(v *sdam.View) (report.Server, bool) {
	if p, ok := v.Primary(); ok && p.Reachable {
		return p, true
	}
	for _, s := range v.Members {
		if !s.Reachable {
			continue
		}
		switch s.Kind {
		case report.KindStandalone, report.KindMongos, report.KindRSSecondary, report.KindLoadBalancer:
			return s, true
		}
	}
	return report.Server{}, false
}

func (x *run) hasErrorFinding() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.HasErrors()
}

// diagnoseVerdict is the sentence of a healthy diagnosis.
func diagnoseVerdict(v *sdam.View, out driverOutcome) string {
	if out.check.Status != report.StatusPass {
		return ""
	}
	parts := []string{"every stage passed"}
	switch {
	case v.IsReplicaSet():
		parts = append(parts, fmt.Sprintf("replica set %q, %d member(s) reachable", v.SetName, topofind.CountReachable(v.Members)))
	case v.Kind == sdam.TopologySharded:
		parts = append(parts, fmt.Sprintf("sharded cluster, %d mongos reachable", topofind.CountReachable(v.Members)))
	case v.Kind == sdam.TopologyLoadBalanced:
		parts = append(parts, "load-balanced deployment")
	default:
		if m, ok := diagnoseMember(v); ok {
			parts = append(parts, sdam.KindPhrase(m.Kind)+" "+m.Address)
		}
	}
	if out.res.version != "" {
		parts = append(parts, "MongoDB "+out.res.version)
	} else if p, ok := diagnoseMember(v); ok && p.Version != "" {
		parts = append(parts, "MongoDB "+p.Version)
	}
	parts = append(parts, "ping "+report.FormatMs(report.Millis(out.res.rtt)))
	return strings.Join(parts, ", ")
}

// selectAndFailover runs the topology's election analysis, then server
// selection, over the topology's members (not the seeds SDAM dropped).
func (x *run) selectAndFailover(ctx context.Context, v *sdam.View) {
	servers := v.Selectable()
	a := x.failoverStage(ctx, servers)
	x.selectionStage(ctx, a.LatestServers(servers))
}

// diagnosePingURI is the connection string of the last stage's driver
// ping: a direct connection to the member the earlier stages chose, with
// every other option kept. Discovery has already walked the topology the
// way the driver would; a second walk by the driver's monitors would cost
// each member round trips beyond the budget of DESIGN.md §6. A
// load-balanced deployment keeps its string: it allows no direct
// connection.
func (x *run) diagnosePingURI(v *sdam.View) string {
	uri := x.driverURI()
	m, ok := diagnoseMember(v)
	if !ok || v.Opts.LoadBalanced || v.Kind == sdam.TopologyLoadBalanced {
		return uri
	}
	if direct, err := connstr.Rewrite(uri, connstr.Edit{Hosts: []string{m.Address}, Set: []connstr.Setting{{Key: "directConnection", Value: "true"}}, Drop: []string{"replicaSet"}}); err == nil {
		return direct
	}
	return uri
}

// hasCheck reports whether a check of stage was recorded; with addr, a
// check of stage for that address.
func (x *run) hasCheck(stage report.Stage, addr ...string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range x.r.Checks {
		if c.Stage == stage && (len(addr) == 0 || c.Address == addr[0]) {
			return true
		}
	}
	return false
}

// authSkipped reports whether the auth stage ran no authentication.
func (x *run) authSkipped() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range x.r.Checks {
		if c.Stage == report.StageAuth && c.Status != report.StatusSkip {
			return false
		}
	}
	return true
}
