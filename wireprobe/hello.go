// Package wireprobe speaks the MongoDB wire protocol itself, without the
// driver, to describe servers the driver would refuse: raw hello (and the
// legacy isMaster over OP_QUERY), buildInfo and saslSupportedMechs, and
// the tables of wire versions against server and driver releases. It
// imports report, redact, catalogue, netpath and internal/wire; it never
// imports the engine.
package wireprobe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe/hellodoc"
)

// Hello probe limits. The probe speaks the wire protocol itself (not
// through the driver) so that it can describe servers the driver refuses:
// 2.6-3.4 servers that only know OP_QUERY, wire ranges the driver does not
// support, peers that are not MongoDB at all.
const (
	// DefaultHelloSamples is how many hello round trips are timed per
	// member (the first included) when HelloOptions.Samples is 0: three
	// samples smooth one slow reply, and with buildInfo they make the
	// MaxHelloRoundTrips requests a member costs.
	DefaultHelloSamples = 3

	// MaxHelloRoundTrips caps the requests Prober.Hello sends to one member
	// when Samples is left at its default: hello, buildInfo and two more
	// hellos, inside DESIGN.md §6's five round trips per member.
	MaxHelloRoundTrips = 4

	// helloRoundTripCap bounds the wait for any one reply, whatever is left
	// of the command's budget: a hello is answered in milliseconds even
	// across continents, so a member silent for 5 s is not responding.
	helloRoundTripCap = 5 * time.Second

	// legacyFallbackAfter is how long an OP_MSG hello may go unanswered
	// before an OP_QUERY isMaster is sent behind it on the same connection:
	// MongoDB 2.6-3.4 ignore OP_MSG without a word, while newer servers
	// answer a hello at once.
	legacyFallbackAfter = 500 * time.Millisecond

	// legacyFallbackDialRTTs stretches legacyFallbackAfter on slow links:
	// the fallback waits at least this many TCP connect times.
	legacyFallbackDialRTTs = 8

	// helloMaxReply bounds a hello or buildInfo reply. Real ones are a few
	// KiB even for a 50-member set; 1 MiB leaves ample room, and a peer
	// that declares more (a 16 MiB hello) is rejected before its bytes are
	// read, keeping the probe far under the 30 MiB memory budget.
	helloMaxReply = 1 << 20

	// helloClientName names this tool in the client metadata of the first
	// hello, so that server logs show who connected.
	helloClientName = "mongoconn"

	// codeCommandNotFound is the server's error code for an unknown
	// command (hello on servers before 4.4.2).
	codeCommandNotFound = 59
)

// helloCompressors are offered in the first hello only to learn which ones
// the server supports (it answers with the ones it shares). The probe never
// compresses, and a server only compresses replies to compressed requests.
var helloCompressors = []string{"snappy", "zlib", "zstd"}

// Stable API error codes that mean the server rejected the apiVersion or
// apiStrict fields of a hello rather than the hello itself.
var apiErrorCodes = map[int32]bool{
	322:   true, // APIVersionError
	323:   true, // APIStrictError
	324:   true, // APIDeprecationError
	40415: true, // unknown field: a server before 5.0 that has no Stable API
}

// HelloOptions configures Prober.Hello.
type HelloOptions struct {
	// TLS, when set, wraps the connection in TLS with this configuration
	// (ServerName defaults to the host of the address). Nil: plain TCP.
	TLS *tls.Config
	// SASLSupportedMechs asks the server which mechanisms "<db>.<user>"
	// may use; "" asks nothing.
	SASLSupportedMechs string
	// MoreSASLSupportedMechs are further "<db>.<user>" questions, each
	// asked with one more hello on the same connection (the same user in
	// other databases, to find where it exists).
	MoreSASLSupportedMechs []string
	// APIVersion and APIStrict declare the Stable API on the first hello.
	APIVersion string
	APIStrict  bool
	// LoadBalanced says the address is a load balancer (loadBalanced=true
	// in the connection string); the server then reports its serviceId.
	LoadBalanced bool
	// Samples is how many hellos are timed for the RTT; 0 means
	// DefaultHelloSamples within MaxHelloRoundTrips.
	Samples int
	// Verbose keeps the raw hello and buildInfo replies in the result.
	Verbose bool
	// Keep hands the connection of a probe that succeeded over plain TCP
	// to the caller (HelloResult.Kept) instead of closing it.
	Keep bool
}

// HelloResult is what one hello probe learned.
type HelloResult struct {
	// Server describes the member. On failure its Kind is "Unknown" and
	// Error says why.
	Server report.Server
	// Hello and BuildInfo are the raw replies, kept when
	// HelloOptions.Verbose is set.
	Hello     bson.Raw
	BuildInfo bson.Raw
	// SASLSupportedMechs is the server's answer to
	// HelloOptions.SASLSupportedMechs.
	SASLSupportedMechs []string
	// SASLAnswers are the answers to every saslSupportedMechs question,
	// HelloOptions.SASLSupportedMechs first, in the order asked.
	SASLAnswers []SASLAnswer
	// RTTs are the timed hello round trips; Server.RTTMs is their mean.
	RTTs []time.Duration
	// Answers are the server's answers to every hello of the probe, in
	// order: the first, then those timed for the RTT. A healthy server
	// gives the same kind each time; a member that flaps between roles
	// does not (see Flapped).
	Answers []HelloAnswer
	// RoundTrips counts the requests sent (each one waits for a reply).
	RoundTrips int
	// Command is the command the server answered: "hello", or "isMaster"
	// for servers that do not know hello (before 4.4.2), over OP_MSG from
	// 3.6 on and over OP_QUERY (Server.LegacyHello) before.
	Command string
	// Err is a *ProbeError when the probe failed.
	Err error
	// APIError is a *CommandError when the server rejected the Stable API
	// fields of the hello; the probe then asked again without them, so the
	// rest of the result still describes the server.
	APIError error
	// BuildInfoErr says why buildInfo gave no version (a *CommandError or
	// a *ProbeError); Server.Version is then empty.
	BuildInfoErr error
	// Kept is the probe's open connection when HelloOptions.Keep asked
	// for it and the probe could keep it; the caller closes it.
	Kept *Kept
}

// HelloAnswer is how the server answered one hello of the probe.
type HelloAnswer struct {
	// Kind is the kind the reply gives the server (hellodoc.Parse); ""
	// when the server answered with an error or a reply the driver
	// refuses.
	Kind string
	// Err is the server's error answer (a *CommandError) or why the
	// driver refuses the reply (a *hellodoc.FieldError).
	Err error
	// RTT is the round trip of this hello.
	RTT time.Duration
	// Sent is when the hello was written (wall clock), to order the
	// answers with what other clients saw of the same server.
	Sent time.Time
}

// Role names the answer: its kind, or the error the server answered with.
func (a HelloAnswer) Role() string {
	var ce *CommandError
	switch {
	case a.Err == nil:
		return a.Kind
	case errors.As(a.Err, &ce) && ce.CodeName != "":
		return fmt.Sprintf("the error %s (code %d)", ce.CodeName, ce.Code)
	case errors.As(a.Err, &ce) && ce.Code != 0:
		return fmt.Sprintf("an error (code %d)", ce.Code)
	case errors.As(a.Err, &ce):
		return "an error"
	}
	return "a reply the Go driver refuses"
}

// Flapped reports whether the server's answers to the probe's hellos gave
// it more than one role: primary, then secondary, then an error, all
// within the few milliseconds of one probe. No election is that fast.
func (r HelloResult) Flapped() bool {
	for _, a := range r.Answers[min(1, len(r.Answers)):] {
		if a.Role() != r.Answers[0].Role() {
			return true
		}
	}
	return false
}

// ProbeErrorKind classifies why a probe failed.
type ProbeErrorKind int

// The kinds of probe failure.
const (
	// ProbeRefused: the TCP connection was refused.
	ProbeRefused ProbeErrorKind = iota + 1
	// ProbeTimeout: the TCP connection attempt timed out.
	ProbeTimeout
	// ProbeUnresolved: the host name does not resolve.
	ProbeUnresolved
	// ProbeUnreachable: no route to the host, or another dial failure.
	ProbeUnreachable
	// ProbeNotResponding: connected, but no complete reply came before the
	// deadline.
	ProbeNotResponding
	// ProbeNotMongoDB: the peer answered with bytes that are not a MongoDB
	// reply (HTTP, TLS records, garbage, absurd lengths, a reply to another
	// request).
	ProbeNotMongoDB
	// ProbeClosed: the peer closed the connection without a complete
	// reply.
	ProbeClosed
	// ProbeTLS: the TLS handshake failed.
	ProbeTLS
	// ProbeCommandFailed: the server answered ok:0 (Err is a
	// *CommandError).
	ProbeCommandFailed
	// ProbeCanceled: the caller cancelled the probe.
	ProbeCanceled
)

var probeKindNames = map[ProbeErrorKind]string{
	ProbeRefused:       "refused",
	ProbeTimeout:       "timeout",
	ProbeUnresolved:    "unresolved",
	ProbeUnreachable:   "unreachable",
	ProbeNotResponding: "not responding",
	ProbeNotMongoDB:    "not MongoDB",
	ProbeClosed:        "closed",
	ProbeTLS:           "TLS",
	ProbeCommandFailed: "command failed",
	ProbeCanceled:      "canceled",
}

// String names the kind.
func (k ProbeErrorKind) String() string {
	if s, ok := probeKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ProbeErrorKind(%d)", int(k))
}

// What a peer seems to speak, in ProbeError.Peer.
const (
	PeerTLS  = "TLS"
	PeerHTTP = "HTTP"
	PeerSSH  = "SSH"
)

// ProbeError says why a hello probe of one address failed.
type ProbeError struct {
	Kind ProbeErrorKind
	Addr string
	// Detail is one sentence for people, without the address.
	Detail string
	// Peer is what the peer seems to speak instead (PeerTLS, PeerHTTP,
	// PeerSSH), "" when unknown.
	Peer string
	Err  error
}

// Error says which address failed and why, with secrets redacted.
func (e *ProbeError) Error() string {
	s := e.Addr + ": " + e.Detail
	if e.Err != nil && !strings.Contains(e.Detail, e.Err.Error()) {
		s += " (" + e.Err.Error() + ")"
	}
	return redact.Redact(s)
}

// Unwrap returns the underlying error.
func (e *ProbeError) Unwrap() error { return e.Err }

// CommandError is a server's ok:0 answer to one of the probe's commands.
type CommandError struct {
	Command  string
	Code     int32
	CodeName string
	Message  string
}

// Error quotes the server's message, code and code name, redacted.
func (e *CommandError) Error() string {
	s := e.Command + " failed"
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.CodeName != "" {
		s += fmt.Sprintf(" (%s, code %d)", e.CodeName, e.Code)
	} else if e.Code != 0 {
		s += fmt.Sprintf(" (code %d)", e.Code)
	}
	return redact.Redact(s)
}

// Prober speaks the wire protocol to one member at a time.
type Prober struct {
	// Dialer opens every connection; names are resolved by it.
	Dialer netpath.Dialer
	// Now is the clock of round-trip times; nil means time.Now.
	Now func() time.Time
}

// Hello asks the server at addr who it is: hello over OP_MSG; isMaster
// over OP_MSG when the server does not know hello (3.6-4.4.1); the legacy
// isMaster over OP_QUERY only when the server ignores or hangs up on
// OP_MSG (2.6-3.4). Then buildInfo for the version, then more hellos for
// the RTT, in the same command and protocol. It never takes longer than
// ctx allows and never fails as a function: a failed probe is a result
// whose Err is a *ProbeError.
func (pr Prober) Hello(ctx context.Context, addr string, opts HelloOptions) HelloResult {
	p := &helloProbe{dialer: pr.Dialer, clock: pr.Now, addr: addr, opts: opts}
	p.run(ctx)
	return p.res
}

// helloProbe is the state of one Prober.Hello.
type helloProbe struct {
	dialer netpath.Dialer
	clock  func() time.Time
	addr   string
	opts   HelloOptions

	conn     net.Conn
	stop     func() bool // unregisters the cancellation hook of conn
	dialTime time.Duration
	nextID   int32
	legacy   bool      // the server speaks OP_QUERY only (2.6-3.4)
	isMaster bool      // the server knows isMaster, not hello (before 4.4.2)
	pending  int32     // a pipelined request whose reply is still to come
	sentAt   time.Time // when the last request was written (wall clock)
	firstAt  time.Time // when the first request was written: silence is counted from it
	res      HelloResult
}

func (p *helloProbe) now() time.Time {
	if p.clock != nil {
		return p.clock()
	}
	return time.Now()
}

func (p *helloProbe) id() int32 {
	p.nextID++
	return p.nextID
}

func (p *helloProbe) fail(err *ProbeError) {
	p.res.Err = err
	p.res.Server.Kind = "Unknown"
	p.res.Server.Reachable = false
	p.res.Server.Error = err.Error()
}

func (p *helloProbe) run(ctx context.Context) {
	p.res.Server = report.Server{Address: p.addr, Kind: "Unknown"}
	defer p.hangUp()
	if err := p.dial(ctx); err != nil {
		p.fail(err)
		return
	}
	reply, rtt, err := p.handshake(ctx)
	if err != nil {
		p.fail(err)
		return
	}
	p.res.Command = p.helloName()
	if p.opts.Verbose {
		p.res.Hello = reply
	}
	// The driver reads ok first (a number, whatever its type), then
	// every field of the reply, and refuses it at the first field of a
	// type it does not accept: such a server is not MongoDB to it.
	if ferr := hellodoc.OKField(reply); ferr != nil {
		p.refused(ferr)
		return
	}
	sent := p.sentAt
	if cerr := replyError(reply, p.helloName()); cerr != nil {
		p.res.Answers = append(p.res.Answers, HelloAnswer{Err: cerr, RTT: rtt, Sent: sent})
		// Asked once more: an error that passes at once is a member
		// changing its state between two hellos, which Answers shows.
		again, artt, ok := p.helloAgain(ctx)
		if !ok {
			p.fail(&ProbeError{Kind: ProbeCommandFailed, Addr: p.addr, Detail: "the server answered " + p.helloName() + " with an error", Err: cerr})
			p.res.Server.Reachable = true // it answered, only not with ok:1
			return
		}
		reply, rtt, sent = again, artt, p.sentAt
		if p.opts.Verbose {
			p.res.Hello = reply
		}
	}
	s, perr := hellodoc.Parse(p.addr, reply)
	if perr != nil {
		p.refused(perr)
		return
	}
	p.res.RTTs = append(p.res.RTTs, rtt)
	p.res.Answers = append(p.res.Answers, HelloAnswer{Kind: p.answerKind(s.Kind), RTT: rtt, Sent: sent})
	p.res.Server = s
	p.res.Server.LegacyHello = p.legacy
	p.res.SASLSupportedMechs = helloStrings(reply, "saslSupportedMechs")
	if q := p.opts.SASLSupportedMechs; q != "" {
		p.res.SASLAnswers = append(p.res.SASLAnswers, saslAnswerOf(q, reply))
	}
	for _, q := range p.opts.MoreSASLSupportedMechs {
		reply, err := p.saslHello(ctx, q)
		if err != nil {
			break
		}
		p.res.SASLAnswers = append(p.res.SASLAnswers, saslAnswerOf(q, reply))
	}

	bi, _, berr := p.command(ctx, "buildInfo")
	var bpe *ProbeError
	if errors.As(berr, &bpe) && bpe.Kind == ProbeNotMongoDB {
		// A valid hello followed by bytes that are no MongoDB message:
		// the driver's next message on the connection gets them too.
		p.fail(&ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Peer: bpe.Peer, Err: bpe.Err,
			Detail: "answered " + p.helloName() + ", but its reply to the next command (buildInfo) is no MongoDB message: it " + bpe.Detail})
		return
	}
	if berr != nil {
		p.res.BuildInfoErr = berr
	} else if cerr := replyError(bi, "buildInfo"); cerr != nil {
		p.res.BuildInfoErr = cerr
	} else {
		p.res.Server.Version = helloString(bi, "version")
		if p.opts.Verbose {
			p.res.BuildInfo = bi
		}
	}

	samples, limit := p.opts.Samples, 0
	if samples <= 0 {
		samples, limit = DefaultHelloSamples, MaxHelloRoundTrips
	}
	// A buildInfo that failed on the wire (not with ok:0) left the
	// connection unusable: keep the one sample there is.
	usable := p.res.BuildInfoErr == nil || isCommandError(p.res.BuildInfoErr)
	for usable && len(p.res.RTTs) < samples && (limit == 0 || p.res.RoundTrips < limit) {
		reply, rtt, err := p.command(ctx, p.helloName())
		var pe *ProbeError
		if errors.As(err, &pe) && pe.Kind == ProbeNotMongoDB {
			// Junk after the replies so far: the driver's next read on
			// such a connection gets it too.
			p.fail(&ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Peer: pe.Peer, Err: pe.Err,
				Detail: "answered " + p.helloName() + " and buildInfo, but its reply to the next " + p.helloName() + " is no MongoDB message: it " + pe.Detail})
			return
		}
		if err != nil {
			break
		}
		a := p.answerOf(reply, rtt)
		a.Sent = p.sentAt
		p.res.Answers = append(p.res.Answers, a)
		if a.Err != nil {
			break
		}
		p.res.RTTs = append(p.res.RTTs, rtt)
	}
	var sum time.Duration
	for _, d := range p.res.RTTs {
		sum += d
	}
	p.res.Server.RTTMs = report.Millis(sum / time.Duration(len(p.res.RTTs)))
	p.res.Server.Reachable = true
	p.keep(reply)
}

// refused fails the probe of a server whose hello reply the driver
// refuses: err is the *hellodoc.FieldError naming the field.
func (p *helloProbe) refused(err error) {
	p.res.Answers = append(p.res.Answers, HelloAnswer{Err: err, Sent: p.sentAt})
	why := err.Error()
	if fe, ok := hellodoc.AsFieldError(err); ok && fe.Field != "" {
		why = "its " + why
	}
	p.fail(&ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Err: err,
		Detail: "answered " + p.helloName() + " with a reply the Go driver refuses: " + why + "; the driver marks the server Unknown and never selects it"})
}

// helloAgain sends one more hello after the first was answered with an
// error, and returns its reply when it is a usable one; an answer that is
// not is kept in Answers.
func (p *helloProbe) helloAgain(ctx context.Context) (bson.Raw, time.Duration, bool) {
	reply, rtt, err := p.command(ctx, p.helloName())
	if err != nil {
		return nil, 0, false
	}
	if a := p.answerOf(reply, rtt); a.Err != nil {
		a.Sent = p.sentAt
		p.res.Answers = append(p.res.Answers, a)
		return nil, 0, false
	}
	return reply, rtt, true
}

// answerOf reads one more hello reply for Answers.
func (p *helloProbe) answerOf(reply bson.Raw, rtt time.Duration) HelloAnswer {
	if ferr := hellodoc.OKField(reply); ferr != nil {
		return HelloAnswer{Err: ferr, RTT: rtt}
	}
	if cerr := replyError(reply, p.helloName()); cerr != nil {
		return HelloAnswer{Err: cerr, RTT: rtt}
	}
	s, err := hellodoc.Parse("", reply)
	if err != nil {
		return HelloAnswer{Err: err, RTT: rtt}
	}
	return HelloAnswer{Kind: p.answerKind(s.Kind), RTT: rtt}
}

// answerKind is the kind an answer gives the server, for Answers. Behind
// a load balancer every answer is the load balancer's, whatever the
// server behind it says (only the first hello asks it for its serviceId),
// as the driver sees it.
func (p *helloProbe) answerKind(kind string) string {
	if p.opts.LoadBalanced {
		return report.KindLoadBalancer
	}
	return kind
}

func isCommandError(err error) bool {
	var c *CommandError
	return errors.As(err, &c)
}

func (p *helloProbe) helloName() string {
	if p.legacy || p.isMaster {
		return "isMaster"
	}
	return "hello"
}

// dial opens the connection (and the TLS session) to p.addr.
func (p *helloProbe) dial(ctx context.Context) *ProbeError {
	p.hangUp()
	d := p.dialer
	if d == nil {
		d = &net.Dialer{}
	}
	start := p.now()
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return p.dialError(ctx, err)
	}
	p.dialTime = p.now().Sub(start)
	if p.opts.TLS != nil {
		cfg := p.opts.TLS.Clone()
		if cfg.ServerName == "" {
			if host, _, err := net.SplitHostPort(p.addr); err == nil {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, helloRoundTripCap)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = c.Close()
			if ctx.Err() == context.Canceled {
				return &ProbeError{Kind: ProbeCanceled, Addr: p.addr, Detail: "cancelled during the TLS handshake", Err: ctx.Err()}
			}
			detail := "the TLS handshake failed"
			var rh tls.RecordHeaderError
			switch {
			case errors.As(err, &rh):
				detail = "the TLS handshake got a reply that is not TLS: the server does not speak TLS on this port"
			case errors.Is(err, context.DeadlineExceeded) || isNetTimeout(err):
				detail = "no answer to the TLS handshake (a server without TLS waits silently for the rest of what it takes for a message)"
			}
			return &ProbeError{Kind: ProbeTLS, Addr: p.addr, Detail: detail, Err: err}
		}
		c = tc
	}
	p.conn = c
	// A cancelled context moves the deadline to the past, which wakes a
	// blocked read or write at once.
	p.stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return nil
}

func (p *helloProbe) hangUp() {
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
	p.pending = 0
}

func (p *helloProbe) dialError(ctx context.Context, err error) *ProbeError {
	var dnsErr *net.DNSError
	if errno, ok := netpath.LocalResourceError(err); ok {
		what := "the connection could not be opened: "
		if errors.As(err, &dnsErr) {
			what = "the host name could not be looked up: "
		}
		return &ProbeError{Kind: ProbeUnreachable, Addr: p.addr, Detail: what + netpath.LocalResourceReason(errno), Err: err}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &ProbeError{Kind: ProbeRefused, Addr: p.addr, Detail: "connection refused: nothing listens on this port", Err: err}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return &ProbeError{Kind: ProbeUnresolved, Addr: p.addr, Detail: "the host name does not resolve from this machine", Err: err}
	case errors.Is(ctx.Err(), context.Canceled):
		return &ProbeError{Kind: ProbeCanceled, Addr: p.addr, Detail: "cancelled while connecting", Err: ctx.Err()}
	case isNetTimeout(err) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return &ProbeError{Kind: ProbeTimeout, Addr: p.addr, Detail: "the TCP connection attempt timed out", Err: err}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &ProbeError{Kind: ProbeUnreachable, Addr: p.addr, Detail: "no route to the host from this machine", Err: err}
	case errors.As(err, &dnsErr):
		return &ProbeError{Kind: ProbeUnresolved, Addr: p.addr, Detail: "the host name could not be resolved", Err: err}
	}
	return &ProbeError{Kind: ProbeUnreachable, Addr: p.addr, Detail: "the connection failed", Err: err}
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// helloFields says what a hello (or isMaster) document carries.
type helloFields struct {
	// client adds the client metadata. A server accepts it only in the
	// first hello of a connection, so only that one carries it.
	client bool
	// questions adds what the probe wants to learn beyond the role:
	// compressors, SASL mechanisms, the load balancer's serviceId.
	questions bool
	// opMsg adds $db (OP_MSG); OP_QUERY names the database in the
	// collection name instead.
	opMsg bool
	// api adds the Stable API fields, when the options ask for them.
	api bool
	// sasl, when not "", asks saslSupportedMechs for this "<db>.<user>"
	// in a hello that asks nothing else.
	sasl string
}

// helloCommand builds the hello (or isMaster) document.
func (p *helloProbe) helloCommand(name string, f helloFields) bson.Raw {
	d := bson.D{{Key: name, Value: int32(1)}}
	if name == "isMaster" {
		d = append(d, bson.E{Key: "helloOk", Value: true})
	}
	if f.client {
		d = append(d, bson.E{Key: "client", Value: clientMetadata()})
	}
	if f.questions {
		d = append(d, bson.E{Key: "compression", Value: helloCompressors})
		if p.opts.SASLSupportedMechs != "" {
			d = append(d, bson.E{Key: "saslSupportedMechs", Value: p.opts.SASLSupportedMechs})
		}
		if p.opts.LoadBalanced {
			d = append(d, bson.E{Key: "loadBalanced", Value: true})
		}
	}
	if f.sasl != "" && !f.questions {
		d = append(d, bson.E{Key: "saslSupportedMechs", Value: f.sasl})
	}
	if f.api && p.opts.APIVersion != "" {
		d = append(d, bson.E{Key: "apiVersion", Value: p.opts.APIVersion})
		if p.opts.APIStrict {
			d = append(d, bson.E{Key: "apiStrict", Value: true})
		}
	}
	if f.opMsg {
		d = append(d, bson.E{Key: "$db", Value: "admin"})
	}
	b, err := bson.Marshal(d)
	if err != nil { // only plain values above: cannot happen
		panic(err)
	}
	return b
}

func clientMetadata() bson.D {
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	return bson.D{
		{Key: "application", Value: bson.D{{Key: "name", Value: helloClientName}}},
		{Key: "driver", Value: bson.D{{Key: "name", Value: helloClientName + "-probe"}, {Key: "version", Value: version}}},
		{Key: "os", Value: bson.D{{Key: "type", Value: runtime.GOOS}, {Key: "architecture", Value: runtime.GOARCH}}},
		{Key: "platform", Value: runtime.Version()},
	}
}

func (p *helloProbe) frame(id int32, doc bson.Raw) []byte {
	if p.legacy {
		return wire.AppendQuery(nil, id, "admin.$cmd", doc)
	}
	return wire.AppendMsg(nil, id, 0, 0, doc)
}

// rtDeadline is the deadline of one round trip started now.
func (p *helloProbe) rtDeadline(ctx context.Context) time.Time {
	dl := time.Now().Add(helloRoundTripCap)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	return dl
}

// setDeadline sets the connection's deadline, then checks ctx: a
// cancellation that came before cannot be overwritten unnoticed.
func (p *helloProbe) setDeadline(ctx context.Context, t time.Time) *ProbeError {
	_ = p.conn.SetDeadline(t)
	if ctx.Err() != nil {
		return p.ctxError(ctx)
	}
	return nil
}

// ctxError explains a failure that happened because ctx is done.
func (p *helloProbe) ctxError(ctx context.Context) *ProbeError {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &ProbeError{Kind: ProbeCanceled, Addr: p.addr, Detail: "cancelled", Err: ctx.Err()}
	}
	return &ProbeError{Kind: ProbeNotResponding, Addr: p.addr, Detail: p.silence(), Err: context.DeadlineExceeded}
}

// silence describes a server that has not answered the last request.
func (p *helloProbe) silence() string {
	if p.firstAt.IsZero() {
		return "connected, but no reply before the deadline"
	}
	return fmt.Sprintf("connected, but no reply in %s", time.Since(p.firstAt).Round(time.Millisecond))
}

func (p *helloProbe) send(ctx context.Context, req []byte, what string) *ProbeError {
	p.res.RoundTrips++
	p.sentAt = time.Now()
	if p.firstAt.IsZero() {
		p.firstAt = p.sentAt
	}
	if _, err := p.conn.Write(req); err != nil {
		pe := p.ioError(ctx, err, "sending "+what)
		if pe.Kind == ProbeNotResponding {
			pe.Detail = "connected, but the " + what + " request could not be sent before the deadline"
		}
		return pe
	}
	return nil
}

// handshake sends the first hello and returns the reply. A server that
// answers OP_MSG but not hello (3.6 to 4.4.1) is asked isMaster over
// OP_MSG; one that ignores, rejects or hangs up on OP_MSG (2.6-3.4) is
// asked isMaster over OP_QUERY.
func (p *helloProbe) handshake(ctx context.Context) (bson.Raw, time.Duration, *ProbeError) {
	id := p.id()
	withAPI := p.opts.APIVersion != ""
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, 0, err
	}
	start := p.now()
	if err := p.send(ctx, wire.AppendMsg(nil, id, 0, 0, p.helloCommand("hello", helloFields{client: true, questions: true, opMsg: true, api: withAPI})), "hello"); err != nil {
		if err.Kind == ProbeClosed {
			return p.redialLegacy(ctx, err)
		}
		return nil, 0, err
	}

	// Wait a little for the OP_MSG answer; a server that says nothing may
	// be 2.6-3.4, which ignore OP_MSG: ask again behind it with OP_QUERY.
	wait := max(legacyFallbackAfter, legacyFallbackDialRTTs*p.dialTime)
	full := p.rtDeadline(ctx)
	if half := time.Until(full) / 2; wait > half {
		wait = half
	}
	var legacyID int32
	var legacyStart time.Time
	first, err := p.firstByte(ctx, time.Now().Add(wait))
	if err != nil && err.Kind == ProbeNotResponding && ctx.Err() == nil {
		legacyID = p.id()
		if perr := p.setDeadline(ctx, full); perr != nil {
			return nil, 0, perr
		}
		legacyStart = p.now()
		if perr := p.send(ctx, wire.AppendQuery(nil, legacyID, "admin.$cmd", p.helloCommand("isMaster", helloFields{questions: true})), "isMaster"); perr != nil {
			if perr.Kind == ProbeClosed {
				return p.redialLegacy(ctx, perr)
			}
			return nil, 0, perr
		}
		first, err = p.firstByte(ctx, full)
	}
	if err != nil {
		if err.Kind == ProbeClosed {
			return p.redialLegacy(ctx, err)
		}
		return nil, 0, err
	}
	if perr := p.setDeadline(ctx, full); perr != nil {
		return nil, 0, perr
	}
	m, err := p.readRest(ctx, first)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case m.Header.ResponseTo == id && m.Header.OpCode == wire.OpMsg:
		rtt := p.now().Sub(start)
		cerr := replyError(m.Body, "hello")
		if cerr == nil || hellodoc.OKField(m.Body) != nil || !(withAPI && apiErrorCodes[cerr.Code]) && !IsCommandNotFound(cerr) {
			// A reply to the hello itself, which run reads: an answer
			// (even one whose ok the driver cannot read), or an error
			// other than an unknown command or refused Stable API fields
			// (a member shutting down, say).
			if legacyID != 0 {
				p.pending = legacyID // its reply will follow: skip it
			}
			return m.Body, rtt, nil
		}
		if withAPI && apiErrorCodes[cerr.Code] {
			p.res.APIError = cerr
			if legacyID == 0 {
				// The Stable API fields were refused: ask again without
				// them, over the OP_MSG the server evidently speaks.
				return p.helloWithoutAPI(ctx)
			}
		} else {
			// hello is unknown before 4.4.2 ("no such command"), but a
			// server that answers OP_MSG (3.6 and newer) knows isMaster
			// over it.
			p.isMaster = true
		}
		if legacyID != 0 {
			// The isMaster over OP_QUERY sent behind the hello is answered
			// too: take that reply, and go on over OP_MSG.
			return p.pendingLegacy(ctx, legacyID, legacyStart)
		}
		return p.msgIsMaster(ctx)
	case m.Header.ResponseTo == id && m.Header.OpCode == wire.OpReply:
		// An old server's complaint about OP_MSG, over the legacy protocol.
		p.legacy = true
		if legacyID != 0 {
			return p.expect(ctx, legacyID, legacyStart)
		}
		return p.legacyIsMaster(ctx, false)
	case legacyID != 0 && m.Header.ResponseTo == legacyID:
		// It answered the OP_QUERY and ignored the OP_MSG: 2.6-3.4.
		p.legacy = true
		return p.legacyBody(m, legacyStart)
	}
	return nil, 0, p.wrongResponseTo(m, id)
}

func (p *helloProbe) wrongResponseTo(m *wire.Message, want int32) *ProbeError {
	return &ProbeError{
		Kind:   ProbeNotMongoDB,
		Addr:   p.addr,
		Detail: fmt.Sprintf("the reply answers request %d, not the request sent (%d)", m.Header.ResponseTo, want),
		Err:    &wire.FrameError{Reason: "responseTo mismatch", Length: int64(m.Header.Length)},
	}
}

// helloWithoutAPI sends the first hello again, without the Stable API
// fields, on the current connection.
func (p *helloProbe) helloWithoutAPI(ctx context.Context) (bson.Raw, time.Duration, *ProbeError) {
	id := p.id()
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, 0, err
	}
	start := p.now()
	if err := p.send(ctx, wire.AppendMsg(nil, id, 0, 0, p.helloCommand("hello", helloFields{questions: true, opMsg: true})), "hello"); err != nil {
		return nil, 0, err
	}
	return p.expect(ctx, id, start)
}

// redialLegacy retries the handshake as isMaster over OP_QUERY on a new
// connection, after the server hung up on OP_MSG.
func (p *helloProbe) redialLegacy(ctx context.Context, cause *ProbeError) (bson.Raw, time.Duration, *ProbeError) {
	if err := p.dial(ctx); err != nil {
		return nil, 0, err
	}
	p.legacy = true
	reply, rtt, err := p.legacyIsMaster(ctx, true)
	if err != nil && err.Kind == ProbeClosed {
		err.Detail = "closed the connection without answering hello (OP_MSG) or isMaster (OP_QUERY); a server that requires TLS does this to plain connections"
		if err.Err == nil {
			err.Err = cause.Err
		}
	}
	return reply, rtt, err
}

// msgIsMaster sends isMaster over OP_MSG on the current connection, to a
// server that answered OP_MSG but not hello. It carries no client
// metadata: the server may have taken it from the refused hello.
func (p *helloProbe) msgIsMaster(ctx context.Context) (bson.Raw, time.Duration, *ProbeError) {
	id := p.id()
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, 0, err
	}
	start := p.now()
	if err := p.send(ctx, wire.AppendMsg(nil, id, 0, 0, p.helloCommand("isMaster", helloFields{questions: true, opMsg: true})), "isMaster"); err != nil {
		return nil, 0, err
	}
	return p.expect(ctx, id, start)
}

// pendingLegacy reads the reply to the isMaster over OP_QUERY (request
// id, sent at start) that the handshake pipelined behind an OP_MSG hello
// the server has since answered: the server speaks OP_MSG, so the
// commands that follow use it.
func (p *helloProbe) pendingLegacy(ctx context.Context, id int32, start time.Time) (bson.Raw, time.Duration, *ProbeError) {
	p.legacy = true
	defer func() { p.legacy = false }()
	return p.expect(ctx, id, start)
}

// legacyIsMaster sends isMaster over OP_QUERY on the current connection.
func (p *helloProbe) legacyIsMaster(ctx context.Context, first bool) (bson.Raw, time.Duration, *ProbeError) {
	id := p.id()
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, 0, err
	}
	start := p.now()
	if err := p.send(ctx, wire.AppendQuery(nil, id, "admin.$cmd", p.helloCommand("isMaster", helloFields{client: first, questions: true})), "isMaster"); err != nil {
		return nil, 0, err
	}
	return p.expect(ctx, id, start)
}

// expect reads the reply to request id, skipping the reply to a pipelined
// request that is still due.
func (p *helloProbe) expect(ctx context.Context, id int32, start time.Time) (bson.Raw, time.Duration, *ProbeError) {
	for {
		first, err := p.firstByte(ctx, p.rtDeadline(ctx))
		if err != nil {
			return nil, 0, err
		}
		m, err := p.readRest(ctx, first)
		if err != nil {
			return nil, 0, err
		}
		if p.pending != 0 && m.Header.ResponseTo == p.pending {
			p.pending = 0
			continue
		}
		if m.Header.ResponseTo != id {
			return nil, 0, p.wrongResponseTo(m, id)
		}
		if p.legacy {
			return p.legacyBody(m, start)
		}
		if m.Header.OpCode != wire.OpMsg {
			return nil, 0, &ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Detail: fmt.Sprintf("answered an OP_MSG with %s", m.Header.OpCode)}
		}
		return m.Body, p.now().Sub(start), nil
	}
}

func (p *helloProbe) legacyBody(m *wire.Message, start time.Time) (bson.Raw, time.Duration, *ProbeError) {
	rtt := p.now().Sub(start)
	if m.Header.OpCode != wire.OpReply || m.Body == nil {
		return nil, 0, &ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Detail: fmt.Sprintf("answered an OP_QUERY with %s and no document", m.Header.OpCode)}
	}
	return m.Body, rtt, nil
}

// command runs one more command (buildInfo, an RTT hello) over the
// protocol the handshake settled on.
func (p *helloProbe) command(ctx context.Context, name string) (bson.Raw, time.Duration, error) {
	if p.conn == nil {
		return nil, 0, &ProbeError{Kind: ProbeClosed, Addr: p.addr, Detail: "no connection"}
	}
	var doc bson.Raw
	if name == "buildInfo" {
		d := bson.D{{Key: "buildInfo", Value: int32(1)}}
		if !p.legacy {
			d = append(d, bson.E{Key: "$db", Value: "admin"})
		}
		doc, _ = bson.Marshal(d)
	} else {
		doc = p.helloCommand(name, helloFields{opMsg: !p.legacy})
	}
	id := p.id()
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, 0, err
	}
	start := p.now()
	if err := p.send(ctx, p.frame(id, doc), name); err != nil {
		return nil, 0, err
	}
	reply, rtt, perr := p.expect(ctx, id, start)
	if perr != nil {
		return nil, 0, perr
	}
	return reply, rtt, nil
}

// saslHello asks one more saslSupportedMechs question with a hello over
// the protocol the handshake settled on.
func (p *helloProbe) saslHello(ctx context.Context, question string) (bson.Raw, error) {
	if p.conn == nil {
		return nil, &ProbeError{Kind: ProbeClosed, Addr: p.addr, Detail: "no connection"}
	}
	doc := p.helloCommand(p.helloName(), helloFields{opMsg: !p.legacy, sasl: question})
	id := p.id()
	if err := p.setDeadline(ctx, p.rtDeadline(ctx)); err != nil {
		return nil, err
	}
	start := p.now()
	if err := p.send(ctx, p.frame(id, doc), p.helloName()); err != nil {
		return nil, err
	}
	reply, _, perr := p.expect(ctx, id, start)
	if perr != nil {
		return nil, perr
	}
	if cerr := replyError(reply, p.helloName()); cerr != nil {
		return nil, cerr
	}
	return reply, nil
}

// firstByte waits until deadline for the first byte of a reply, without
// losing it: a wait that ends in silence consumes nothing.
func (p *helloProbe) firstByte(ctx context.Context, deadline time.Time) ([]byte, *ProbeError) {
	_ = p.conn.SetReadDeadline(deadline)
	if ctx.Err() != nil {
		return nil, p.ctxError(ctx)
	}
	var b [1]byte
	for {
		n, err := p.conn.Read(b[:])
		if n == 1 {
			return b[:], nil
		}
		if err != nil {
			return nil, p.ioError(ctx, err, "waiting for a reply")
		}
	}
}

// readRest reads the rest of a reply whose first byte is first.
func (p *helloProbe) readRest(ctx context.Context, first []byte) (*wire.Message, *ProbeError) {
	m, err := wire.ReadMessage(io.MultiReader(bytes.NewReader(first), p.conn), helloMaxReply)
	if err == nil {
		return m, nil
	}
	var fe *wire.FrameError
	if !errors.As(err, &fe) {
		return nil, p.ioError(ctx, err, "reading the reply")
	}
	pe := &ProbeError{Kind: ProbeNotMongoDB, Addr: p.addr, Err: err}
	peer, what := sniffPeer(fe.Prefix)
	switch {
	case peer != "":
		pe.Peer = peer
		pe.Detail = what
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, p.ctxError(ctx)
		}
		return nil, pe
	case fe.Err != nil:
		ioe := p.ioError(ctx, fe.Err, "")
		switch ioe.Kind {
		case ProbeNotResponding:
			ioe.Detail = fmt.Sprintf("the reply stalled: %s", fe.Reason)
		case ProbeClosed:
			ioe.Detail = fmt.Sprintf("closed the connection in the middle of a reply: %s", fe.Reason)
		}
		ioe.Err = err
		return nil, ioe
	case fe.Length > int64(helloMaxReply) && fe.Length <= wire.MaxMessageSize:
		pe.Detail = fmt.Sprintf("declares a %d-byte reply to hello, far beyond the %d bytes any MongoDB hello takes", fe.Length, helloMaxReply)
	case fe.Length < 0:
		pe.Detail = fmt.Sprintf("declares a negative message length (%d): it does not speak the MongoDB wire protocol", fe.Length)
	case fe.Length > wire.MaxMessageSize:
		pe.Detail = fmt.Sprintf("declares a %d-byte message, beyond MongoDB's %d-byte limit: it does not speak the wire protocol", fe.Length, wire.MaxMessageSize)
	default:
		pe.Detail = "sent a malformed MongoDB message: " + fe.Reason
	}
	return nil, pe
}

// sniffPeer recognises a few protocols from the first bytes a peer sent.
func sniffPeer(b []byte) (peer, detail string) {
	switch {
	case len(b) >= 2 && b[0] == 0x15 && b[1] == 0x03:
		return PeerTLS, "answered with a TLS alert: the server expects TLS (add tls=true to the connection string)"
	case len(b) >= 2 && b[0] == 0x16 && b[1] == 0x03:
		return PeerTLS, "answered with a TLS handshake record: the server speaks TLS on this port"
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return PeerHTTP, "answered with HTTP text: this port serves HTTP, not MongoDB"
	case bytes.HasPrefix(b, []byte("SSH-")):
		return PeerSSH, "answered with an SSH banner: this is an SSH server's port (tunnel to the MongoDB port instead)"
	}
	return "", ""
}

// ioError classifies a read or write failure.
func (p *helloProbe) ioError(ctx context.Context, err error, what string) *ProbeError {
	if ctx.Err() != nil {
		return p.ctxError(ctx)
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || isNetTimeout(err):
		return &ProbeError{Kind: ProbeNotResponding, Addr: p.addr, Detail: p.silence(), Err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, net.ErrClosed):
		return &ProbeError{Kind: ProbeClosed, Addr: p.addr, Detail: "closed the connection without a reply", Err: err}
	}
	d := "the connection failed"
	if what != "" {
		d += " " + what
	}
	return &ProbeError{Kind: ProbeClosed, Addr: p.addr, Detail: d, Err: err}
}

// replyError returns the server's error when reply is not ok:1.
func replyError(reply bson.Raw, command string) *CommandError {
	if v, err := reply.LookupErr("ok"); err == nil {
		if n, ok := v.AsFloat64OK(); ok && n == 1 {
			return nil
		}
		if b, ok := v.BooleanOK(); ok && b {
			return nil
		}
	}
	ce := &CommandError{Command: command}
	ce.Message = helloString(reply, "errmsg")
	if ce.Message == "" {
		ce.Message = helloString(reply, "$err") // legacy OP_REPLY errors
	}
	if c, ok := helloInt(reply, "code"); ok {
		ce.Code = int32(c)
	}
	ce.CodeName = helloString(reply, "codeName")
	if ce.Message == "" && ce.Code == 0 {
		ce.Message = "the reply has no ok:1"
	}
	return ce
}

// IsCommandNotFound reports whether err is the server's "no such command".
func IsCommandNotFound(err error) bool {
	var c *CommandError
	return errors.As(err, &c) && (c.Code == codeCommandNotFound || strings.Contains(strings.ToLower(c.Message), "no such command"))
}

func helloString(h bson.Raw, key string) string {
	s, _ := h.Lookup(key).StringValueOK()
	return s
}

// helloInt reads an integer field whatever its numeric BSON type.
func helloInt(h bson.Raw, key string) (int64, bool) {
	v := h.Lookup(key)
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble:
		return v.AsInt64OK()
	}
	return 0, false
}

func helloStrings(h bson.Raw, key string) []string {
	arr, ok := h.Lookup(key).ArrayOK()
	if !ok {
		return nil
	}
	vals, err := arr.Values()
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range vals {
		if s, ok := v.StringValueOK(); ok {
			out = append(out, s)
		}
	}
	return out
}

// FindingForProbe maps a failed probe to its catalogue finding. It returns
// false for errors that are not a *ProbeError, for cancellations, for
// command failures (the caller knows which command mattered) and for TLS
// failures other than a server that does not speak TLS (the TLS stage
// explains those).
func FindingForProbe(err error, addr string) (report.Finding, bool) {
	var pe *ProbeError
	if !errors.As(err, &pe) {
		return report.Finding{}, false
	}
	if addr == "" {
		addr = pe.Addr
	}
	ev := func(s string) string { return redact.Redact(addr + ": " + s) }
	if errno, ok := netpath.LocalResourceError(pe.Err); ok {
		what := "the connection could not be opened: "
		var dnsErr *net.DNSError
		if errors.As(pe.Err, &dnsErr) {
			what = "the host name could not be looked up: "
		}
		return catalogue.NewFinding(catalogue.IDLocalResources, ev(what+netpath.LocalResourceReason(errno))), true
	}
	switch pe.Kind {
	case ProbeRefused:
		return catalogue.NewFinding(catalogue.IDTCPRefused, ev("connection refused: nothing listens on this port")), true
	case ProbeTimeout:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, ev("no answer to the TCP connection attempt")), true
	case ProbeUnreachable:
		return catalogue.NewFinding(catalogue.IDTCPTimeout, ev(pe.Detail+probeCause(pe))), true
	case ProbeUnresolved:
		return catalogue.NewFinding(catalogue.IDDNSNoSuchHost, ev(pe.Detail+probeCause(pe))), true
	case ProbeNotResponding:
		return catalogue.NewFinding(catalogue.IDServerNotResponding, ev(pe.Detail)), true
	case ProbeNotMongoDB:
		if pe.Peer == PeerTLS && strings.Contains(pe.Detail, "alert") {
			return catalogue.NewFinding(catalogue.IDTLSServerRequiresTLS, ev(pe.Detail)), true
		}
		return catalogue.NewFinding(catalogue.IDServerNotMongoDB, ev(pe.Detail)), true
	case ProbeClosed:
		return catalogue.NewFinding(catalogue.IDServerNotMongoDB, ev(pe.Detail)), true
	case ProbeTLS:
		var rh tls.RecordHeaderError
		if errors.As(pe.Err, &rh) {
			return catalogue.NewFinding(catalogue.IDTLSServerNotTLS, ev(pe.Detail)), true
		}
	}
	return report.Finding{}, false
}

func probeCause(pe *ProbeError) string {
	if pe.Err == nil {
		return ""
	}
	var op *net.OpError
	err := pe.Err
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return " (" + err.Error() + ")"
}
