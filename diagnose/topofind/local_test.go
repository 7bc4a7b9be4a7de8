package topofind

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/sdam/sdamtest"
)

// untried is a member this machine could not ask: no file descriptor
// for the socket or the lookup (local.resources).
func untried(addr string) report.Server {
	return report.Server{Address: addr, Kind: report.KindUnknown, Local: true,
		Error: "the connection could not be opened: this process has no file descriptor left (EMFILE: the open-file limit, ulimit -n, is reached)"}
}

// TestTopoFindingsUntriedMembers: members this machine could not ask are
// neither out of reach (topology.advertised-unreachable) nor proof that
// the set has no primary (topology.no-primary): local.resources, added
// where the probe failed, says why they were not asked.
func TestTopoFindingsUntriedMembers(t *testing.T) {
	for _, c := range []struct {
		name    string
		raw     string
		replies sdamtest.Replies
		local   []string
	}{
		{
			name:    "a secondary whose primary could not be asked",
			raw:     "mongodb://a:1/?replicaSet=rs0",
			replies: sdamtest.Replies{"a:1": sdamtest.Secondary("rs0", "a:1", "b:1", "a:1", "b:1", "c:1")},
			local:   []string{"b:1", "c:1"},
		},
		{
			name:    "a secondary naming no primary, the others not asked",
			raw:     "mongodb://a:1/?replicaSet=rs0",
			replies: sdamtest.Replies{"a:1": sdamtest.Secondary("rs0", "a:1", "", "a:1", "mongo-b.internal:27017")},
			local:   []string{"mongo-b.internal:27017"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := connstr.ParseTarget(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			var mu sync.Mutex
			probe := c.replies.Probe(&calls, &mu)
			v := sdam.Discover(context.Background(), sdam.OptionsFrom(tg.Conn), tg.Hosts, func(ctx context.Context, addr string) report.Server {
				for _, l := range c.local {
					if sdam.Canonical(addr) == l {
						return untried(addr)
					}
				}
				return probe(ctx, addr)
			})
			fs, cs := Findings(v, URIs{Given: c.raw})
			for _, f := range fs {
				t.Errorf("finding %s (%q) drawn from members this machine could not ask", f.ID, f.Evidence)
			}
			for _, ch := range cs {
				if ch.Address == "" && ch.Status == report.StatusFail {
					t.Errorf("topology check fails: %q", ch.Summary)
				}
			}
		})
	}
}

// TestAnalyzeFailoverUntried: a look this machine could not take says
// nothing of the member: a second look that failed so keeps what the
// first saw (no "stepped down or went away"), and a set with members
// never asked is not judged to have no primary (Untried).
func TestAnalyzeFailoverUntried(t *testing.T) {
	t.Run("second look not taken", func(t *testing.T) {
		first := []report.Server{foPrim("h0:27017", foTerm1), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "h0:27017")}
		second := []Look{{Server: untried("h0:27017")}, {Server: foSec("h1:27017", "h0:27017")}, {Server: foSec("h2:27017", "h0:27017")}}
		a := AnalyzeFailover("rs0", SetMembers("rs0", first), second)
		if a.Outcome() != OutcomeHealthy || a.Primary == nil || a.Primary.Address != "h0:27017" {
			t.Errorf("outcome %d, primary %v, signs %q: want healthy with primary h0:27017", a.Outcome(), a.Primary, a.Signs)
		}
		if a.Untried != 0 {
			t.Errorf("untried = %d, want 0: every member answered the first look", a.Untried)
		}
	})
	t.Run("members never asked", func(t *testing.T) {
		first := []report.Server{foSec("h0:27017", ""), untried("h1:27017"), untried("h2:27017")}
		second := []Look{{Server: foSec("h0:27017", "")}, {Server: untried("h1:27017")}, {Server: untried("h2:27017")}}
		a := AnalyzeFailover("rs0", SetMembers("rs0", first), second)
		if a.Untried != 2 {
			t.Errorf("untried = %d, want 2", a.Untried)
		}
		if a.UnreachableDown != 0 {
			t.Errorf("down = %d, want 0: a member not asked is not down", a.UnreachableDown)
		}
		for _, s := range a.Signs {
			if strings.Contains(s, "h1") || strings.Contains(s, "h2") {
				t.Errorf("sign %q drawn from a member not asked", s)
			}
		}
	})
}
