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
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
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

	// CompareResolvers are the resolvers diagnose and srv also ask the
	// seed list's questions (SRV, TXT, the seeds' addresses), to compare
	// their answers (dns.resolvers-disagree). The command line sets the
	// system's (resolve.SystemSources) when --dns-server is not given, and
	// every --dns-server when it is given more than once; fewer than two
	// compare nothing.
	CompareResolvers []resolve.Source

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

	// SSH names the bastion of --ssh, --ssh-identity and
	// --ssh-known-hosts; an empty Bastion means none. Through a bastion,
	// every connection of a run is a channel of one SSH connection,
	// opened when the run starts and closed when its report is
	// finished, and member names resolve on the bastion. Empty Dialer
	// and Getenv take the engine's.
	SSH netpath.SSHConfig

	// AWSIMDS lets the driver ask the EC2 instance metadata service for
	// MONGODB-AWS credentials (--aws-imds). Without it no metadata service
	// is ever contacted, and a MONGODB-AWS string without a local
	// credential source never reaches the driver.
	AWSIMDS bool

	// Getenv reads the environment: SSH_AUTH_SOCK for the bastion, the
	// proxy variables drivers ignore (proxy.env-ignored), AWS credential
	// variables and HOME; nil reads nothing. Tests give each case its own.
	Getenv func(string) string

	// HTTPTransport carries the driver's HTTP requests (AWS credential
	// services) once the metadata guard let them through; nil means
	// http.DefaultTransport. Tests record requests with it.
	HTTPTransport http.RoundTripper

	// Instances is how many application processes will use the
	// connection string (--instances): with it, diagnose and ping weigh
	// their connection pools against the connections the server has left
	// (pool.connection-budget). 0 leaves the check out.
	Instances int

	// LateDriver makes ping start the driver only once the raw probes
	// have judged the seeds' hellos, not as soon as a seed accepts TCP.
	// Starting early overlaps the driver's handshakes with the raw probes
	// and shortens one ping; with many targets checked at once it keeps a
	// driver client per target alive for longer, and the collector pays
	// for it (--targets sets it).
	LateDriver bool

	// Waiting, when set, is called as a probe starts waiting on the
	// network: the stage, the address ("" for the whole target) and what
	// it waits for ("the TLS handshake"). The probe calls the function
	// returned when the wait ends. Calls come from any goroutine.
	Waiting func(stage report.Stage, address, what string) (done func())
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

	// path is how this run reaches members: set by openPath, which
	// points e at a copy of the engine whose Dialer is the path.
	path runPath

	mu sync.Mutex
	r  *report.Report
	// resolved keeps the addresses the dns stage found, by lower-case
	// host name, for the tcp stage to dial every one of them.
	resolved map[string][]string

	// compare asks the dns stage to compare the engine's
	// CompareResolvers (diagnose and srv); compareDone delivers the
	// comparison started in the background.
	compare     bool
	compareDone chan []resolve.Disagreement

	// aws is what the run knows of MONGODB-AWS credentials (awsPlan),
	// httpGuard the HTTP transport of its driver clients (guard).
	awsOnce   sync.Once
	aws       awsState
	guardOnce sync.Once
	httpGuard *connfind.MetadataGuard

	// ctx is the command's context (bind): cancelled from outside, the
	// run was interrupted. primary is ping --primary.
	ctx     context.Context
	primary bool
	// stoppedIn is the stage in which a probe first saw the interrupt.
	stoppedIn report.Stage

	// roles gathers every hello answer of every server, for flapFindings.
	roles topofind.RoleLog
	// kept holds diagnose's probe connections for the driver's stage.
	kept keptConns
	// reuseTCP keeps the tcp stage's connections for the next dial of
	// each address (ping and diagnose), which tcpReuse hands out.
	reuseTCP bool
	tcpReuse *reuseDialer
	// certRefused: the client certificate has a problem the server
	// refuses it for in the handshake (clientCertStage).
	certRefused bool
	// tlsUnanswered are the seeds whose TLS check could not connect:
	// refused, or no answer (discover, wire-check, tunnel-check dial
	// there first).
	tlsUnanswered map[string]bool
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
	c = x.path.mention(c)
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
	x.awaitCompare()
	x.closeKeptTCP()
	x.closePath()
	x.flapFindings()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.listUnansweredSeeds()
	x.envProxyHint()
	x.enforceRule()
	x.fillURI()
	x.r.RedactFindings(redact.RedactText)
	x.r.Finish(x.started, x.now(), okVerdict)
	return x.r
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
