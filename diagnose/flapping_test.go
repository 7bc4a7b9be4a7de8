package diagnose

import (
	"context"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// flapRuns is how many fresh flapping members each command meets: the
// driver's hellos and the probe's interleave differently from run to run.
const flapRuns = 4

// A member whose role changes on every hello (primary, secondary, an
// error) is never OK, whatever command meets it and however its hellos
// interleave with the driver's; discover, wire-check, tunnel-check and
// diagnose name it: topology.failover, an error, first among the
// findings, with the roles seen in order.
func TestFlappingMemberNeverOK(t *testing.T) {
	commands := map[string]func(*Engine, context.Context, *connstr.Target) (*report.Report, error){
		"discover":     (*Engine).Discover,
		"wire-check":   (*Engine).WireCheck,
		"tunnel-check": (*Engine).TunnelCheck,
		"diagnose":     (*Engine).Diagnose,
		"ping": func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error) {
			return e.Ping(ctx, t, PingRequest{})
		},
		"ping--primary": func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error) {
			return e.Ping(ctx, t, PingRequest{RequirePrimary: true})
		},
	}
	for name, run := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i := 0; i < flapRuns; i++ {
				m := mongotest.StartFakeMongod(t, mongotest.Options{})
				m.SetHello(mongotest.FlappingHello(m.Addr()))
				e := topoEngine(t)
				r, err := run(e, context.Background(), topoTarget(t, m.URI()+"?replicaSet="+mongotest.HostileSetName))
				if err != nil {
					t.Fatal(err)
				}
				if r.OK || !r.HasErrors() {
					t.Fatalf("run %d: ok %v, verdict %q%s", i, r.OK, r.Verdict, findingsText(r))
				}
				if strings.HasPrefix(name, "ping") {
					continue // the driver may stop the probe early: never OK is the rule
				}
				f := r.Findings[0]
				if f.ID != catalogue.IDTopologyFailover || f.Severity != report.SeverityError || len(f.Evidence) == 0 ||
					!strings.Contains(f.Evidence[0], m.Addr()) || !strings.Contains(f.Evidence[0], "RSPrimary") {
					t.Fatalf("run %d: first finding %s %s %q%s", i, f.ID, f.Severity, f.Evidence, findingsText(r))
				}
				if !strings.HasPrefix(r.Verdict, "topology stage failed: a member changes its role") {
					t.Errorf("run %d: verdict %q", i, r.Verdict)
				}
			}
		})
	}
}

// A healthy replica set, seen by the probes and the driver, is no flap.
func TestSteadySetDoesNotFlap(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3})
	e := topoEngine(t)
	for _, req := range []PingRequest{{}, {RequirePrimary: true}} {
		r, err := e.Ping(context.Background(), topoTarget(t, rs.URI()), req)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK || r.HasFinding(catalogue.IDTopologyFailover) {
			t.Errorf("ping %+v: ok %v%s", req, r.OK, findingsText(r))
		}
	}
	r, err := e.Diagnose(context.Background(), topoTarget(t, rs.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.HasFinding(catalogue.IDTopologyFailover) {
		t.Errorf("diagnose: ok %v%s", r.OK, findingsText(r))
	}
}
