package diagnose

import (
	"context"
	"slices"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// A set without a primary whose other member is down (its address
// refuses connections) is missing a primary, not caught in the SSH-tunnel
// trap: no command may suggest directConnection=true for it, and ping
// without --primary still works on a secondary.
func TestDownMemberIsNotTheTunnelTrap(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
		Name: "rs0", Members: 3, NoPrimary: true,
		Member: []mongotest.MemberOptions{{}, {}, {Down: true}},
	})
	uri := "mongodb://" + rs.Addrs()[0] + "," + rs.Addrs()[1] + "/?replicaSet=rs0"
	e := topoEngine(t)
	ctx := context.Background()

	for name, run := range map[string]func() (*report.Report, error){
		"discover": func() (*report.Report, error) { return e.Discover(ctx, topoTarget(t, uri)) },
		"diagnose": func() (*report.Report, error) { return e.Diagnose(ctx, topoTarget(t, uri)) },
		"ping --primary": func() (*report.Report, error) {
			return e.Ping(ctx, topoTarget(t, uri), PingRequest{RequirePrimary: true})
		},
	} {
		r, err := run()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := topoFindingIDs(r)
		if slices.Contains(ids, catalogue.IDTopologyAdvertisedUnreachable) {
			t.Errorf("%s: a down primary reported as advertised-unreachable: %v (verdict %q)", name, ids, r.Verdict)
		}
		if !slices.Contains(ids, catalogue.IDTopologyNoPrimary) && !slices.Contains(ids, catalogue.IDTopologyFailover) {
			t.Errorf("%s: findings %v, want topology.no-primary or topology.failover", name, ids)
		}
	}

	r, err := e.Ping(ctx, topoTarget(t, uri), PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Errorf("ping without --primary on a set whose secondaries answer: %q %v", r.Verdict, topoFindingIDs(r))
	}
}
