package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Stable API check limits.
const (
	// apiCheckTimeout caps the Stable API check of one member: a hello,
	// then ping and buildInfo on one connection, to a member that has
	// already answered the hello stage within the same budget.
	apiCheckTimeout = 3 * time.Second

	// apiMaxReply bounds the ping and buildInfo replies: a few hundred
	// bytes from any server; more means the peer is not one.
	apiMaxReply = 1 << 20
)

// Stable API error codes (error_codes.yml of the server sources).
const (
	apiCodeVersionError         = 322   // APIVersionError: unknown apiVersion
	apiCodeStrictError          = 323   // APIStrictError: command outside the version
	apiCodeUnknownField         = 40415 // a server before 5.0: apiVersion is an unknown field
	apiCodeStrictWithoutVersion = 4886600
)

// serverAPIStage checks, when the engine declares a Stable API version
// (--server-api 1, with --server-api-strict for strict mode), that the
// server at addr accepts it: a hello and a ping carrying apiVersion (and
// apiStrict) must succeed. In strict mode it also checks that the server
// enforces strictness: buildInfo, which is outside API version 1, must be
// refused. A server that refuses the fields gives api.strict-unsupported;
// one that accepts apiStrict without enforcing it (FerretDB ignores the
// fields) gives a warning with the same id. It adds one hello-stage check,
// and nothing when no version is declared.
func (x *run) serverAPIStage(ctx context.Context, addr string, tlsCfg *tls.Config) {
	version, strict := x.e.ServerAPI, x.e.ServerAPIStrict
	if version == "" {
		return
	}
	start := x.now()
	ctx, cancel := context.WithTimeout(ctx, min(apiCheckTimeout, remaining(ctx)))
	defer cancel()
	declared := fmt.Sprintf("apiVersion %q", version)
	if strict {
		declared += " and apiStrict: true"
	}
	check := report.Check{Stage: report.StageHello, Address: addr}
	done := func(st report.Status, summary string) {
		check.Status, check.Summary, check.DurationMs = st, "Stable API: "+summary, x.since(start)
		x.addCheck(check)
	}

	res := x.e.ProbeHello(ctx, addr, wireprobe.HelloOptions{TLS: tlsCfg, APIVersion: version, APIStrict: strict, Samples: 1})
	var refused *wireprobe.CommandError
	switch {
	case res.APIError != nil && errors.As(res.APIError, &refused):
		x.addFinding(apiRefusedFinding(addr, "hello", declared, refused, res.Server.Version, strict))
		done(report.StatusFail, "hello with "+declared+" refused: "+refused.Error())
		return
	case res.APIError != nil:
		x.addFinding(catalogue.NewFinding(catalogue.IDAPIStrictUnsupported, fmt.Sprintf("%s: hello with %s was refused: %s", addr, declared, redact.Redact(res.APIError.Error()))))
		done(report.StatusFail, "hello with "+declared+" refused")
		return
	case res.Err != nil:
		done(report.StatusSkip, "not checked: "+redact.Redact(res.Err.Error()))
		return
	}

	conn, err := x.apiDial(ctx, addr, tlsCfg)
	if err != nil {
		done(report.StatusSkip, "not checked: "+redact.Redact(unwrapOp(err).Error()))
		return
	}
	defer conn.Close()
	api := bson.D{{Key: "apiVersion", Value: version}}
	if strict {
		api = append(api, bson.E{Key: "apiStrict", Value: true})
	}
	if cerr, err := apiCommand(ctx, conn, 1, "ping", api); err != nil {
		done(report.StatusSkip, "ping not answered: "+redact.Redact(err.Error()))
		return
	} else if cerr != nil {
		x.addFinding(apiRefusedFinding(addr, "ping", declared, cerr, res.Server.Version, strict))
		done(report.StatusFail, "ping with "+declared+" refused: "+cerr.Error())
		return
	}
	if !strict {
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s", declared))
		return
	}
	cerr, err := apiCommand(ctx, conn, 2, "buildInfo", api)
	switch {
	case err != nil:
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s (enforcement not checked: %v)", declared, redact.Redact(err.Error())))
	case cerr == nil:
		// Not a failure: strict mode is accepted, so applications connect;
		// but what passes here may fail against MongoDB. A warning check,
		// not api.strict-unsupported (an error by the catalogue's rules).
		check.Detail = append(check.Detail, fmt.Sprintf("%s: buildInfo, which is outside Stable API version 1, succeeded with apiStrict: true (MongoDB 5.0+ refuses it with APIStrictError): commands that work here in strict mode may fail against MongoDB", addr))
		if res.Server.Version != "" {
			check.Detail = append(check.Detail, fmt.Sprintf("%s: the server reports version %s", addr, res.Server.Version))
		}
		done(report.StatusWarn, fmt.Sprintf("hello and ping accepted with %s, but strict mode is not enforced (buildInfo succeeded under apiStrict)", declared))
	case cerr.Code == apiCodeStrictError:
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s; strict mode enforced (buildInfo refused with APIStrictError)", declared))
	default:
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s (buildInfo: %s)", declared, cerr.Error()))
	}
}

// apiRefusedFinding explains a command refused because of its Stable API
// fields.
func apiRefusedFinding(addr, command, declared string, cerr *wireprobe.CommandError, version string, strict bool) report.Finding {
	ev := fmt.Sprintf("%s: %s with %s was refused: %s", addr, command, declared, cerr.Error())
	var why string
	switch cerr.Code {
	case apiCodeUnknownField:
		why = "the server does not know the Stable API at all: it needs MongoDB 5.0 or later"
	case apiCodeStrictError:
		why = "the server (or a proxy in front of it) refuses strict mode for this command"
	case apiCodeVersionError:
		why = "the server knows no such API version: the only one is \"1\""
	case apiCodeStrictWithoutVersion:
		why = "apiStrict was sent without apiVersion"
	default:
		why = "the server refused the Stable API fields"
	}
	if version != "" {
		why += fmt.Sprintf(" (the server reports version %s)", version)
	}
	f := catalogue.NewFinding(catalogue.IDAPIStrictUnsupported, ev, addr+": "+why)
	if !strict {
		// The catalogue entry speaks of strict mode; this server refuses
		// the Stable API itself.
		f.Title = "The server does not accept the Stable API version declared"
		f.Cause = "The connection declares a Stable API version (apiVersion), and the server refuses it: servers before MongoDB 5.0 do not know the Stable API at all, and only version \"1\" exists. A driver configured with a server API sends apiVersion with every command, so every command fails."
	}
	switch {
	case cerr.Code == apiCodeUnknownField:
		f.Fixes = append([]string{"Do not declare a Stable API version for this server (drop --server-api, or options.ServerAPI in the application)"}, f.Fixes...)
	case strict:
		f.Fixes = append([]string{"Declare the version without strict mode (drop --server-api-strict, or SetStrict(false) in the application)"}, f.Fixes...)
	}
	return f
}

// apiDial connects to addr, with TLS when tlsCfg is set.
func (x *run) apiDial(ctx context.Context, addr string, tlsCfg *tls.Config) (net.Conn, error) {
	conn, err := x.e.dialer().DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsCfg == nil {
		return conn, nil
	}
	cfg := tlsCfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = hostOf(addr)
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}

// apiCommand runs {name: 1, <api fields>, $db: "admin"} over OP_MSG on
// conn. It returns the server's refusal as a *CommandError, and an error
// when no valid reply came.
func apiCommand(ctx context.Context, conn net.Conn, id int32, name string, api bson.D) (*wireprobe.CommandError, error) {
	d := append(bson.D{{Key: name, Value: int32(1)}}, api...)
	d = append(d, bson.E{Key: "$db", Value: "admin"})
	body, err := bson.Marshal(d)
	if err != nil {
		return nil, err
	}
	m, err := wire.RoundTripLimit(ctx, conn, id, wire.AppendMsg(nil, id, 0, 0, body), apiCheckTimeout, apiMaxReply)
	if err != nil {
		return nil, err
	}
	if m.Body == nil {
		return nil, errors.New("the reply holds no document")
	}
	return apiReplyError(name, m.Body), nil
}

// apiReplyError is the refusal in reply, nil when it says ok: 1.
func apiReplyError(command string, reply bson.Raw) *wireprobe.CommandError {
	if ok, isNum := reply.Lookup("ok").AsFloat64OK(); isNum && ok == 1 {
		return nil
	}
	if b, isBool := reply.Lookup("ok").BooleanOK(); isBool && b {
		return nil
	}
	e := &wireprobe.CommandError{Command: command}
	if c, ok := reply.Lookup("code").AsInt64OK(); ok {
		e.Code = int32(c)
	}
	e.CodeName, _ = reply.Lookup("codeName").StringValueOK()
	e.Message, _ = reply.Lookup("errmsg").StringValueOK()
	return e
}
