package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// PingRequest says what ping must prove.
type PingRequest struct {
	// RequirePrimary demands a writable primary, not just any member.
	RequirePrimary bool
	// knownVersion skips buildInfo: the raw probes already read it.
	knownVersion bool
	// replies, when not nil, holds back what the driver's connections
	// receive until it is closed (gatedConn).
	replies <-chan struct{}
	// handoff, when not nil, serves the driver's first dials of the
	// member a probe kept a connection to (handoffDial).
	handoff *handoffDial
}

// Ping connects with the driver and runs {ping: 1} on admin. Meanwhile it
// goes through the stages the driver hides: it resolves and dials every
// seed, checks TLS, and asks every seed and advertised member for a raw
// hello, so that a refused port, an unknown name, a silent host, a peer
// that is not MongoDB, a certificate problem, a wire version the driver
// refuses or a topology it cannot use is named at once, by its own
// finding, rather than inside a server-selection timeout. The driver runs
// in parallel and is cancelled as soon as the raw stages find a problem
// it would hit: a healthy ping costs little more than the driver alone.
func (e *Engine) Ping(ctx context.Context, t *connstr.Target, req PingRequest) (*report.Report, error) {
	ctx, cancel := e.withBudget(ctx)
	defer cancel()
	x := e.newRun("ping", t)
	x.reuseTCP = true
	x.bind(ctx, req.RequirePrimary)
	x.uriStage()
	x.awsStage()

	seeds, ok := x.resolveSeeds(ctx)
	if !ok {
		x.skip(report.StageTCP, "no seed address resolved")
		return x.finish(""), nil
	}
	dreq := req
	dreq.knownVersion = true // the raw probes read it with buildInfo
	driver := x.newPingDriver(ctx, dreq)
	defer driver.stop()
	stop := func(why string) (*report.Report, error) {
		driver.stop()
		x.skip(report.StagePing, why)
		return x.finish(""), nil
	}
	var seedsAnswered func(bool, int)
	if len(seeds) <= pingEarlyDriverSeeds {
		seedsAnswered = driver.seedsAnswered
	}

	reachable := x.tcpStage(ctx, seeds)
	if len(reachable) == 0 {
		return stop("no seed accepted a TCP connection")
	}
	if seedsAnswered != nil && !x.e.LateDriver {
		// The TCP verdict is in: the driver dials and sends its hellos
		// while the raw probes run, and reads the replies once the seeds'
		// hellos show a topology it may build (seedsAnswered).
		driver.start()
	}
	var usable []string
	for addr, ok := range x.tlsStage(ctx, reachable) {
		if ok {
			usable = append(usable, addr)
		}
	}
	if len(usable) == 0 {
		return stop("no seed completed a usable TLS handshake")
	}
	v := x.discoverWith(ctx, usable, pingHelloSamples, seedsAnswered)
	if !topofind.HasReachable(v) {
		x.topoReport(v)
		return stop("no member of the deployment answered hello")
	}
	x.wireFindings(v, false)
	x.compressionFindings(v)
	x.pingTopology(ctx, v, req)
	member, hasMember := diagnoseMember(v)
	if hasMember && (x.hasAuth() || x.e.ServerAPI != "") && !x.hasErrorFinding() {
		if cfg, err := x.tlsConfig(hostOf(member.Address)); err == nil {
			if x.hasAuth() {
				x.authStage(ctx, member.Address, cfg)
			}
			x.serverAPIStage(ctx, member.Address, cfg)
		}
	}
	if hasMember && !x.hasErrorFinding() {
		x.poolStage(ctx, v, member)
	}
	if x.hasErrorFinding() {
		return stop(x.skipPingReason())
	}
	out := driver.result(ctx)
	x.slowNotSilent(&out, v)
	if out.res.version == "" {
		out.res.version = pingVersion(v, out.res.address, member)
		if out.check.Status == report.StatusPass && out.res.version != "" {
			out.check.Summary += ", MongoDB " + out.res.version
		}
	}
	x.apply(out, false)
	return x.finish(out.res.verdict()), nil
}

// pingVersion is the version the raw probes read from the server that
// answered the driver's ping (or from the member they would pick).
func pingVersion(v *sdam.View, addr string, member report.Server) string {
	for _, s := range v.Selectable() {
		if s.Address == addr && s.Version != "" {
			return s.Version
		}
	}
	return member.Version
}

// pingHelloSamples is how many hellos ping times per member: one, with
// buildInfo; ping's own round trip is the driver's.
const pingHelloSamples = 1

// pingTopology adds the topology findings discovery supports. A replica
// set without a primary still answers ping from a secondary, so without
// --primary a missing primary is no finding (its check is a warning);
// with --primary the member that would answer must be writable, even
// through directConnection=true.
func (x *run) pingTopology(ctx context.Context, v *sdam.View, req PingRequest) {
	fs, cs := topofind.Findings(v, topofind.URIs{Given: x.t.Raw, Resolved: x.driverURI()})
	var kept []report.Finding
	dropped, blocking := false, false
	for _, f := range fs {
		if f.ID == catalogue.IDTopologyNoPrimary && !req.RequirePrimary {
			dropped = true
			continue
		}
		blocking = blocking || f.Severity == report.SeverityError
		kept = append(kept, f)
	}
	for _, c := range cs {
		if dropped && !blocking && c.Status == report.StatusFail {
			c.Status = report.StatusWarn
			c.Summary += " (ping needs no primary: a secondary answers it; --primary requires one)"
		}
		x.addCheck(c)
	}
	for _, f := range kept {
		x.addFinding(f)
	}
	if !req.RequirePrimary || x.hasFinding(catalogue.IDTopologyNoPrimary) {
		return
	}
	if v.Opts.Direct {
		x.tunnelDirectTrap(ctx, v) // a direct connection to a member that is not the primary
		return
	}
	var ev []string
	for _, m := range v.Members {
		if !m.Reachable {
			continue
		}
		switch m.Kind {
		case report.KindRSPrimary, report.KindStandalone, report.KindMongos, report.KindLoadBalancer:
			return
		}
		ev = append(ev, fmt.Sprintf("%s is a %s: it takes no writes", m.Address, sdam.KindPhrase(m.Kind)))
	}
	if len(ev) > 0 {
		x.addCheck(report.Check{Stage: report.StageTopology, Status: report.StatusFail, Summary: "no writable primary among the members that answered"})
		x.addFinding(catalogue.NewFinding(catalogue.IDTopologyNoPrimary, ev...))
	}
}

// driverOutcome is what the driver's ping showed, kept apart from the
// report until the raw probes have spoken: their findings are more precise.
type driverOutcome struct {
	res      pingResult
	check    report.Check
	findings []report.Finding
	desc     event.TopologyDescription
	// timedOut says the driver ran out of the budget (rather than being
	// told no).
	timedOut bool
	// interrupted says the interrupt cut the driver short (interruptedPing).
	interrupted bool
}

// apply records the driver's outcome in the report. With driverView, the
// driver's servers and topology kind are the report's (ping); without,
// raw discovery already recorded them (diagnose).
func (x *run) apply(out driverOutcome, driverView bool) {
	if out.interrupted {
		x.interruptedIn(report.StagePing)
	}
	if driverView {
		x.setServers(out.desc)
	}
	x.addCheck(out.check)
	x.addFindings(out.findings...)
	if out.check.Status != report.StatusPass {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if driverView {
		x.r.Topology = out.res.topology
	}
	for i := range x.r.Servers {
		if x.r.Servers[i].Version == "" && out.res.address == x.r.Servers[i].Address {
			x.r.Servers[i].Version = out.res.version
		}
	}
}

// pingResult is what the driver's ping showed.
type pingResult struct {
	rtt      time.Duration
	version  string
	topology string
	address  string
}

func (p pingResult) verdict() string {
	s := fmt.Sprintf("ping answered in %s", report.FormatMs(report.Millis(p.rtt)))
	if p.address != "" {
		s += " by " + p.address
	}
	if p.version != "" {
		s += ", MongoDB " + p.version
	}
	if p.topology != "" {
		s += ", topology " + p.topology
	}
	return s
}

// uriStage records the connection-string check and its findings (already
// added by newRun).
func (x *run) uriStage() {
	c := report.Check{Stage: report.StageURI, Status: report.StatusPass, Summary: "connection string parsed"}
	for _, f := range x.t.Findings {
		switch f.Severity {
		case report.SeverityError:
			c.Status = report.StatusFail
		case report.SeverityWarning:
			if c.Status == report.StatusPass {
				c.Status = report.StatusWarn
			}
		}
	}
	if c.Status != report.StatusPass {
		c.Summary = fmt.Sprintf("connection string parsed with %d finding(s)", len(x.t.Findings))
	}
	x.addCheck(c)
}

// skip records that stage could not run and why.
func (x *run) skip(stage report.Stage, why string) {
	if down := x.path.downReason(); down != "" {
		why = down
	}
	x.addCheck(report.Check{Stage: stage, Status: report.StatusSkip, Summary: why})
}

// driverPing connects with the driver under what is left of the budget,
// runs ping and buildInfo, and turns any failure into findings.
func (x *run) driverPing(ctx context.Context, req PingRequest) driverOutcome {
	return x.driverPingURI(ctx, req, x.driverURI())
}

// driverPingURI is driverPing with the connection string to hand the
// driver.
func (x *run) driverPingURI(ctx context.Context, req PingRequest, uri string) driverOutcome {
	defer x.waiting(report.StagePing, "", "the Go driver to select a server and answer ping")()
	var out driverOutcome
	if r := x.t.DriverRefusal; r != nil {
		// The string an application would use goes to the driver as it
		// is, or not at all.
		out.check = report.Check{Stage: report.StagePing, Status: report.StatusFail, Summary: r.Error()}
		return out
	}
	start := x.now()
	topo := &topologyWatcher{roles: &x.roles}
	conns := &closingDialer{d: x.e.dialer(), replies: req.replies, handoff: req.handoff, closed: make(chan struct{})}
	defer context.AfterFunc(ctx, conns.closeAll)()
	defer req.handoff.release()
	client, err := x.connect(ctx, uri, topo, conns)
	out.check = report.Check{Stage: report.StagePing}
	if err != nil && x.interrupted() {
		return x.interruptedPing(out, start)
	}
	if err != nil {
		out.check.Status = report.StatusFail
		out.check.Summary = connfind.DriverErrorText(err)
		out.check.DurationMs = x.since(start)
		out.findings = x.e.classifyDriverError(err, x.t)
		return out
	}
	defer disconnectBounded(func() {
		// An already cancelled context makes Disconnect close every
		// connection at once and skip the endSessions round trip: the
		// verdict is known, the server expires the session by itself, and
		// a diagnosis must cost each member few round trips.
		dctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = client.Disconnect(dctx)
	})

	rp := readpref.Nearest()
	if req.RequirePrimary {
		rp = readpref.Primary()
	}
	// RunCommand takes its read preference from its own options, not the
	// database's: without it a generic command always goes to the primary.
	db := client.Database("admin")
	runOpts := options.RunCmd().SetReadPreference(rp)
	pingStart := time.Now()
	err = db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}, runOpts).Err()
	out.res.rtt = time.Since(pingStart)
	out.desc = topo.last()
	out.res.topology = out.desc.Kind
	if err != nil && x.interrupted() {
		return x.interruptedPing(out, start)
	}
	if err != nil {
		out.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded) || connfind.IsTimeout(err)
		out.check.DurationMs = x.since(start)
		out.check.Status = report.StatusFail
		out.check.Summary = "ping failed: " + connfind.FirstLine(connfind.DriverErrorText(err))
		out.findings = x.e.classifyDriverError(err, x.t)
		if f, ok := x.awsDriverFindings(); ok {
			out.findings = []report.Finding{f}
		}
		if isAWSBlocked(err) {
			out.findings = nil // auth.aws-no-credentials, from the uri stage, says why
		}
		if req.RequirePrimary && !hasPrimary(out.desc) && len(out.desc.Servers) > 0 {
			out.findings = append([]report.Finding{driverNoPrimaryFinding(out.desc)}, out.findings...)
		}
		return out
	}
	if !req.knownVersion {
		var info struct {
			Version string `bson:"version"`
		}
		if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}, runOpts).Decode(&info); err == nil {
			out.res.version = info.Version
		}
	}
	out.check.DurationMs = x.since(start)
	if len(out.desc.Servers) == 1 {
		out.res.address = out.desc.Servers[0].Addr.String()
	}
	out.check.Status = report.StatusPass
	out.check.Summary = fmt.Sprintf("ping %s", report.FormatMs(report.Millis(out.res.rtt)))
	if out.res.version != "" {
		out.check.Summary += ", MongoDB " + out.res.version
	}
	if out.res.topology != "" {
		out.check.Summary += ", " + out.res.topology
	}
	return out
}

func (x *run) addFindings(fs ...report.Finding) {
	for _, f := range fs {
		x.addFinding(f)
	}
}

// connect builds a driver client for the target with timeouts taken from
// the budget, never the driver's 30 s defaults.
func (x *run) connect(ctx context.Context, uri string, topo *topologyWatcher, d netpath.Dialer) (*mongo.Client, error) {
	left := remaining(ctx)
	o := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(left).
		SetConnectTimeout(left).
		SetDialer(d).
		SetAppName("mongoconn")
	if o.Auth != nil && strings.EqualFold(o.Auth.AuthMechanism, "GSSAPI") {
		// This build has no Kerberos (the auth stage says so): ping, which
		// needs no authentication, still proves the driver connects.
		o.Auth = nil
	}
	if topo != nil {
		o.SetServerMonitor(topo.monitor())
		if topo.roles != nil {
			o.SetPoolMonitor(topo.roles.PoolMonitor())
		}
	}
	if o.ServerMonitoringMode == nil {
		// One check of each server is all a single ping needs: streaming
		// (the default against MongoDB 4.4 and later) would send every
		// monitored member an awaitable hello and open a second
		// connection with a hello of its own for round-trip times.
		o.SetServerMonitoringMode(options.ServerMonitoringModePoll)
	}
	// The TLS settings as the connection-string specification means them
	// (tlsAllowInvalidHostnames and tlsAllowInvalidCertificates included,
	// which the Go driver would ignore); the driver fills in ServerName
	// for each host.
	if tlsSettingsOf(x.t).enabled {
		if cfg, err := x.tlsConfig(""); err == nil && cfg != nil {
			o.SetTLSConfig(cfg)
		}
	}
	if x.e.ServerAPI != "" {
		api := options.ServerAPI(options.ServerAPIVersion(x.e.ServerAPI))
		if x.e.ServerAPIStrict {
			api.SetStrict(true).SetDeprecationErrors(true)
		}
		o.SetServerAPIOptions(api)
	}
	if err := x.prepareDriver(o); err != nil {
		return nil, err
	}
	return mongo.Connect(o)
}

// topologyWatcher keeps the driver's latest view of the topology, and
// gives roles (when set) the roles the driver's monitor hears.
type topologyWatcher struct {
	mu    sync.Mutex
	desc  event.TopologyDescription
	roles *topofind.RoleLog
}

func (w *topologyWatcher) monitor() *event.ServerMonitor {
	m := &event.ServerMonitor{
		TopologyDescriptionChanged: func(ev *event.TopologyDescriptionChangedEvent) {
			w.mu.Lock()
			w.desc = ev.NewDescription
			w.mu.Unlock()
		},
	}
	if w.roles != nil {
		w.roles.Monitor(m)
	}
	return m
}

func (w *topologyWatcher) last() event.TopologyDescription {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.desc
}

// setServers records the members the driver knows about.
func (x *run) setServers(desc event.TopologyDescription) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, s := range desc.Servers {
		srv := report.Server{
			Address:        s.Addr.String(),
			Kind:           s.Kind,
			SetName:        s.SetName,
			MinWireVersion: int64(s.MinWireVersion),
			MaxWireVersion: int64(s.MaxWireVersion),
			Hosts:          s.Hosts,
			Passives:       s.Passives,
			Arbiters:       s.Arbiters,
			Reachable:      s.Kind != "Unknown",
		}
		if s.Primary != "" {
			srv.Primary = s.Primary.String()
		}
		if s.CanonicalAddr != "" && s.CanonicalAddr != s.Addr {
			srv.Me = s.CanonicalAddr.String()
		}
		if len(s.Tags) > 0 {
			srv.Tags = map[string]string{}
			for _, tg := range s.Tags {
				srv.Tags[tg.Name] = tg.Value
			}
		}
		x.r.Servers = append(x.r.Servers, srv)
	}
}

func hasPrimary(desc event.TopologyDescription) bool {
	for _, s := range desc.Servers {
		if s.Kind == "RSPrimary" || s.Kind == "Standalone" || s.Kind == "Mongos" || s.Kind == "LoadBalancer" {
			return true
		}
	}
	return false
}

func driverNoPrimaryFinding(desc event.TopologyDescription) report.Finding {
	var ev []string
	for i, s := range desc.Servers {
		if i == connfind.MaxDriverServers {
			ev = append(ev, fmt.Sprintf("and %d more servers", len(desc.Servers)-i))
			break
		}
		ev = append(ev, fmt.Sprintf("%s is %s", s.Addr, s.Kind))
	}
	return catalogue.NewFinding(catalogue.IDTopologyNoPrimary, ev...)
}

// closingDialer remembers the connections it opens so that closeAll can
// end them: the driver's monitor may be blocked reading a hello from a
// silent server, and Disconnect waits for it, up to connectTimeoutMS.
type closingDialer struct {
	d netpath.Dialer
	// replies, when not nil, gates what every connection receives
	// (gatedConn) until it is closed.
	replies <-chan struct{}
	// handoff, when not nil, serves the first dials of the kept member.
	handoff *handoffDial
	// closed is closed by closeAll.
	closed chan struct{}

	mu    sync.Mutex
	conns []net.Conn
}

func (c *closingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn := c.handoff.dial(addr, func(ctx context.Context) (net.Conn, error) { return c.d.DialContext(ctx, network, addr) })
	if conn == nil {
		var err error
		if conn, err = c.d.DialContext(ctx, network, addr); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		_ = conn.Close()
		return nil, net.ErrClosed
	default:
	}
	c.conns = append(c.conns, conn)
	if c.replies != nil {
		return &gatedConn{Conn: conn, open: c.replies, closed: c.closed}, nil
	}
	return conn, nil
}

// closeAll closes every connection, and any dialled from now on.
func (c *closingDialer) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
}
