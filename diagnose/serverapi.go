package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
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
	ctx, cancel := context.WithTimeout(ctx, min(connfind.APICheckTimeout, remaining(ctx)))
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
		x.addFinding(connfind.APIRefusedFinding(addr, "hello", declared, refused, res.Server.Version, strict))
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
		done(report.StatusSkip, "not checked: "+redact.Redact(connfind.UnwrapOp(err).Error()))
		return
	}
	defer conn.Close()
	api := bson.D{{Key: "apiVersion", Value: version}}
	if strict {
		api = append(api, bson.E{Key: "apiStrict", Value: true})
	}
	if cerr, err := connfind.APICommand(ctx, conn, 1, "ping", api); err != nil {
		done(report.StatusSkip, "ping not answered: "+redact.Redact(err.Error()))
		return
	} else if cerr != nil {
		x.addFinding(connfind.APIRefusedFinding(addr, "ping", declared, cerr, res.Server.Version, strict))
		done(report.StatusFail, "ping with "+declared+" refused: "+cerr.Error())
		return
	}
	if !strict {
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s", declared))
		return
	}
	cerr, err := connfind.APICommand(ctx, conn, 2, "buildInfo", api)
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
	case cerr.Code == connfind.APICodeStrictError:
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s; strict mode enforced (buildInfo refused with APIStrictError)", declared))
	default:
		done(report.StatusPass, fmt.Sprintf("hello and ping accepted with %s (buildInfo: %s)", declared, cerr.Error()))
	}
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
