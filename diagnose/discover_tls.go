package diagnose

import (
	"context"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// topoTLSSeeds is the TLS stage of discover, wire-check and tunnel-check:
// when the string asks for TLS (tls=true, or mongodb+srv), every seed is
// handshaken with exactly the TLS stage of diagnose and ping, the same
// configuration the driver is given, so that a handshake that fails gets
// the same check and the same finding (tls.unknown-authority,
// tls.expired, tls.hostname-mismatch, server.not-responding for a peer
// that never answers the ClientHello, ...). It returns the seeds that may
// be asked hello and those that may not: a seed that fails TLS has not
// answered hello, and is listed by topoTLSFailedServers. Without TLS
// every seed is usable and nothing is recorded (the hello checks say
// plain TCP).
func (x *run) topoTLSSeeds(ctx context.Context, seeds []string) (usable, failed []string) {
	if !tlsSettingsOf(x.t).enabled {
		return seeds, nil
	}
	ok := x.tlsStage(ctx, seeds)
	for _, a := range seeds {
		if ok[a] {
			usable = append(usable, a)
		} else {
			failed = append(failed, a)
		}
	}
	x.mu.Lock()
	unanswered := true
	for _, a := range failed {
		unanswered = unanswered && x.tlsUnanswered[a]
	}
	x.mu.Unlock()
	x.atlasPaused(seeds, len(failed), unanswered)
	return usable, failed
}

// topoTLSFailedServers adds to Report.Servers each seed that failed TLS
// and is not listed already (a member may advertise it, and discovery
// probed it): Unknown, unreachable, with the TLS check's reason.
func (x *run) topoTLSFailedServers(failed []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	listed := map[string]bool{}
	for _, s := range x.r.Servers {
		listed[sdam.Canonical(s.Address)] = true
	}
	for _, a := range failed {
		if listed[sdam.Canonical(a)] {
			continue
		}
		why := "the TLS handshake failed"
		for _, c := range x.r.Checks {
			if c.Stage == report.StageTLS && c.Address == a && c.Status == report.StatusFail && c.Summary != "" {
				why = c.Summary
			}
		}
		x.r.Servers = append(x.r.Servers, report.Server{Address: a, Kind: report.KindUnknown, Seed: true, Error: why})
	}
}
