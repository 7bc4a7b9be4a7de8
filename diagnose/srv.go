package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
)

// ErrNoTarget is returned by engine entry points given a nil target.
var ErrNoTarget = errors.New("no connection string to check")

// SRVTarget turns the argument of `mongoconn srv` into a connection
// string: a bare host name becomes mongodb+srv://HOST/; a connection
// string is returned as it is.
func SRVTarget(arg string) string {
	if strings.Contains(arg, "://") {
		return arg
	}
	return "mongodb+srv://" + strings.TrimSuffix(arg, "/") + "/"
}

// SRV diagnoses a DNS seed list: the SRV and TXT records of a mongodb+srv
// host with their TTLs and the server that answered, the specification's
// rules, every target's addresses and whether it accepts TCP from here
// (in parallel), and the resulting seed list, options and equivalent
// mongodb:// string (in the report's SRV section). For a mongodb://
// string it resolves and dials the hosts, without SRV.
func (e *Engine) SRV(ctx context.Context, t *connstr.Target) (*report.Report, error) {
	if t == nil {
		return nil, ErrNoTarget
	}
	ctx, cancel := e.withBudget(ctx)
	defer cancel()

	// The tcp stage dials through e.dialer(), which resolves the target
	// names through our resolver, so --dns-server holds for it too.
	x := e.newRun("srv", t)
	x.bind(ctx, false)
	x.compare = true
	x.uriStage()

	res := x.dnsStage(ctx)
	if len(res.usable) == 0 {
		x.skip(report.StageTCP, "no target to dial")
		return x.finish(""), nil
	}
	reachable := x.tcpStage(ctx, res.usable)
	return x.finish(srvVerdict(t, res, len(reachable))), nil
}

func srvVerdict(t *connstr.Target, res *seedResolution, reachable int) string {
	n := len(res.seeds)
	if !t.SRV {
		return fmt.Sprintf("no SRV lookup for a mongodb:// string; %d of %d hosts resolve and accept TCP", reachable, n)
	}
	noun := "seeds"
	if n == 1 {
		noun = "seed"
	}
	return fmt.Sprintf("the SRV records give %d %s; %d resolve and accept TCP", n, noun, reachable)
}
