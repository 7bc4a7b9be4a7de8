package diagnose

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
)

func TestTunnelCheck(t *testing.T) {
	internal := mongotest.InternalHostNames(3)
	cases := []struct {
		name string
		opts mongotest.ReplSetOptions
		// via is the member the forwarder reaches (-1: no forwarder, the
		// seed is member 0's real address).
		via      int
		query    string
		id       string
		evidence []string
		try      func(seed string) string
		verdict  string
		// lead is how the first evidence line and the first fix begin.
		lead [2]string
	}{
		{
			name: "healthy set", via: -1, query: "replicaSet=rs0",
			verdict: `every member replica set "rs0" advertises is reachable from here (3 of 3)`,
		},
		{
			name: "internal names behind a tunnel to the primary", opts: mongotest.ReplSetOptions{Advertise: internal},
			via: 0, query: "replicaSet=rs0&authSource=admin",
			id:       catalogue.IDTopologyAdvertisedUnreachable,
			evidence: []string{"calls itself mongo-0.internal:27017", "advertised member mongo-2.internal:27017 is not reachable from here: the host name mongo-2.internal does not resolve"},
			try: func(seed string) string {
				return "mongodb://alice:****@" + seed + "/?authSource=admin&directConnection=true"
			},
		},
		{
			name: "direct connection to a secondary, primary reachable", via: -1, query: "directConnection=true",
			id:       catalogue.IDTopologyNoPrimary,
			evidence: []string{"directConnection=true connects only to", "writes fail with NotWritablePrimary", "is reachable from here"},
			try:      func(seed string) string { return "mongodb://alice:****@" + seed + "/?replicaSet=rs0" },
			verdict:  "topology stage failed: this connection reaches a secondary, not the primary 127.0.0.1:",
			lead:     [2]string{"this connection string reaches 127.0.0.1:", "Drop directConnection=true"},
		},
		{
			name: "direct connection through a tunnel to a secondary", opts: mongotest.ReplSetOptions{Advertise: internal},
			via: 1, query: "directConnection=true",
			id:       catalogue.IDTopologyAdvertisedUnreachable,
			evidence: []string{"the primary mongo-0.internal:27017 that", "is not reachable from here"},
		},
		{
			name: "direct connection through a tunnel to the primary", opts: mongotest.ReplSetOptions{Advertise: internal},
			via: 0, query: "directConnection=true",
			verdict: "nothing is hidden behind it",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := mongotest.StartReplSet(t, c.opts)
			seed := rs.Addrs()[0]
			if c.via >= 0 {
				seed = mongotest.StartForwarder(t, rs.Addrs()[c.via]).Addr()
			}
			if c.id == catalogue.IDTopologyNoPrimary {
				seed = rs.Addrs()[1] // a secondary
			}
			raw := "mongodb://alice:s3cret@" + seed + "/?" + c.query
			r, err := topoEngine(t).TunnelCheck(context.Background(), topoTarget(t, raw))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(r)
			if strings.Contains(string(b), "s3cret") {
				t.Errorf("password in report: %s", b)
			}
			if c.id == "" {
				if !r.OK || len(r.Findings) != 0 || !strings.Contains(r.Verdict, c.verdict) {
					t.Fatalf("ok=%v findings=%v verdict=%q", r.OK, topoFindingIDs(r), r.Verdict)
				}
				return
			}
			if r.OK || len(r.Findings) != 1 || r.Findings[0].ID != c.id {
				t.Fatalf("ok=%v findings=%v verdict=%q", r.OK, topoFindingIDs(r), r.Verdict)
			}
			f := r.Findings[0]
			ev := strings.Join(f.Evidence, "\n")
			for _, part := range c.evidence {
				if !strings.Contains(ev, part) {
					t.Errorf("evidence %q lacks %q", ev, part)
				}
			}
			if c.try != nil && f.SuggestedURI != c.try(seed) {
				t.Errorf("suggested %q, want %q", f.SuggestedURI, c.try(seed))
			}
			if !strings.HasPrefix(r.Verdict, c.verdict) || strings.Contains(r.Verdict, "no primary") && f.ID != catalogue.IDTopologyNoPrimary {
				t.Errorf("verdict %q, want it to begin %q", r.Verdict, c.verdict)
			}
			if c.lead[0] != "" {
				if !strings.HasPrefix(f.Evidence[0], c.lead[0]) || !strings.HasPrefix(f.Fixes[0], c.lead[1]) {
					t.Errorf("evidence %q and fixes %q do not lead with %q", f.Evidence, f.Fixes, c.lead)
				}
				all := f.Title + f.Cause + strings.Join(f.Fixes, " ") + r.Verdict
				for _, wrong := range []string{"has no primary", "none of them is primary", "Wait for the election"} {
					if strings.Contains(all, wrong) {
						t.Errorf("the finding says %q of a set whose primary is reachable: %+v", wrong, f)
					}
				}
			}
		})
	}
}

// The connection string tunnel-check suggests works: checked again, it
// passes.
func TestTunnelCheckSuggestionWorks(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Advertise: mongotest.InternalHostNames(3)})
	fwd := mongotest.StartForwarder(t, rs.Addrs()[0])
	e := topoEngine(t)
	r, err := e.TunnelCheck(context.Background(), topoTarget(t, "mongodb://"+fwd.Addr()+"/?replicaSet=rs0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].SuggestedURI == "" {
		t.Fatalf("no suggestion: %v", topoFindingIDs(r))
	}
	again, err := e.TunnelCheck(context.Background(), topoTarget(t, r.Findings[0].SuggestedURI))
	if err != nil {
		t.Fatal(err)
	}
	if !again.OK {
		t.Errorf("the suggested %s fails: %q %v", r.Findings[0].SuggestedURI, again.Verdict, topoFindingIDs(again))
	}
}
