// Package diagnose is mongoconn's probe engine: it turns a connection string
// into a Report of checks, servers and findings, stage by stage (uri, dns,
// tcp, tls, hello, wire, auth, topology, selection, ping: one file each),
// over the lower packages (connstr, resolve, netpath, wireprobe, sdam,
// catalogue). It never prints and never exits; a failed probe is a
// Finding, and a command returns an error only when it could not run at
// all. It imports neither cobra nor color, and nothing above it.
package diagnose

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// Timeouts. Every one of them is a share of, or a cap under, the command's
// --timeout; none of them is the driver's 30 s default.
const (
	// DefaultTimeout bounds a whole command when --timeout is not given:
	// long enough for a cross-region TLS handshake and SCRAM, short enough
	// for a person waiting at a prompt.
	DefaultTimeout = 10 * time.Second

	// MinStageTimeout is the least a network stage is given even when the
	// budget is nearly spent, so that a loopback probe can still answer.
	MinStageTimeout = 20 * time.Millisecond
)

// Engine runs probes. The zero value is not ready: use NewEngine, then
// replace the seams a test needs.
type Engine struct {
	// Dialer opens every TCP connection the engine and the driver make.
	Dialer netpath.Dialer

	// Resolver answers SRV, TXT and address lookups. Tests and
	// --dns-server point it at a server of their choice.
	Resolver resolve.Resolver

	// Now is the clock used for durations in the report.
	Now func() time.Time

	// Timeout is the budget of a whole command.
	Timeout time.Duration

	// ServerAPI is the Stable API version to declare ("" for none) and
	// ServerAPIStrict asks for strict mode.
	ServerAPI       string
	ServerAPIStrict bool

	// Verbose adds raw replies and timings to check details.
	Verbose bool

	// Progress, when set, is called as each check finishes (from any
	// goroutine, one call at a time).
	Progress func(report.Check)
}

// NewEngine returns an engine with real network seams and the default
// timeout.
func NewEngine() *Engine {
	return &Engine{
		Dialer:   &net.Dialer{},
		Resolver: resolve.NewResolver(""),
		Now:      time.Now,
		Timeout:  DefaultTimeout,
	}
}

// run is the state of one command against one target: the report being
// built, guarded for the probes that fill it concurrently.
type run struct {
	e       *Engine
	t       *connstr.Target
	started time.Time

	mu sync.Mutex
	r  *report.Report

	// roles gathers every hello answer of every server, for flapFindings.
	roles roleLog
}

func (e *Engine) newRun(command string, t *connstr.Target) *run {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	x := &run{e: e, t: t, started: now(), r: report.NewReport(command, t.Redacted)}
	for _, f := range t.Findings {
		x.r.AddFinding(f)
	}
	return x
}

func (x *run) now() time.Time {
	if x.e.Now != nil {
		return x.e.Now()
	}
	return time.Now()
}

// since returns milliseconds elapsed since t.
func (x *run) since(t time.Time) float64 { return report.Millis(x.now().Sub(t)) }

func (x *run) addCheck(c report.Check) {
	x.mu.Lock()
	x.r.Checks = append(x.r.Checks, c)
	x.mu.Unlock()
	if x.e.Progress != nil {
		x.mu.Lock()
		x.e.Progress(c)
		x.mu.Unlock()
	}
}

func (x *run) addFinding(f report.Finding) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.r.AddFinding(f)
}

func (x *run) hasFinding(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.HasFinding(id)
}

func (x *run) finish(okVerdict string) *report.Report {
	x.flapFindings()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.atlasHint()
	x.r.RedactFindings(redact.RedactText)
	x.r.Finish(x.started, x.now(), okVerdict)
	return x.r
}

// atlasHint adds atlas.access-list when an Atlas deployment (every host a
// .mongodb.net name) did not answer: a TCP timeout, or silence after the
// connection opened (Atlas holds the TLS handshake of an address that is
// not on the project's IP access list). The caller holds x.mu.
func (x *run) atlasHint() {
	r := x.r
	if r.HasFinding(catalogue.IDAtlasAccessList) || !(r.HasFinding(catalogue.IDTCPTimeout) || r.HasFinding(catalogue.IDServerNotResponding)) {
		return
	}
	hosts := append([]string(nil), x.t.Hosts...)
	if r.SRV != nil {
		hosts = append(hosts, r.SRV.Seeds...)
	}
	if !resolve.IsAtlas(hosts) {
		return
	}
	r.AddFinding(catalogue.NewFinding(catalogue.IDAtlasAccessList, fmt.Sprintf(
		"the deployment is on MongoDB Atlas (%s) and did not answer from here: Atlas drops connections from addresses that are not on the project's IP access list", hostOf(hosts[0]))))
}

// deadline returns ctx bounded by the engine's timeout.
func (e *Engine) withBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	d := e.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// remaining is the time left before ctx's deadline, never less than
// MinStageTimeout.
func remaining(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return DefaultTimeout
	}
	d := time.Until(dl)
	if d < MinStageTimeout {
		return MinStageTimeout
	}
	return d
}
