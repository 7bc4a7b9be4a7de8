package diagnose

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

func TestPoolConnectionBudget(t *testing.T) {
	small := mongotest.StartFakeMongod(t, mongotest.Options{ConnectionsAvailable: 500})
	tiny := mongotest.StartFakeMongod(t, mongotest.Options{ConnectionsAvailable: 100})
	large := mongotest.StartFakeMongod(t, mongotest.Options{})
	secured := mongotest.StartFakeMongod(t, mongotest.Options{ConnectionsAvailable: 500, Users: []mongotest.User{{Name: "alice", Password: authPassword}}})
	// noneFits are the fixes when not even maxPoolSize=1 fits.
	noneFits := []string{"No maxPoolSize fits: even maxPoolSize=1 takes 40 x (1 + 2 monitoring connections) = 120 connections to each member, and 100 are available", "at most 33 with maxPoolSize=1", "net.maxIncomingConnections", "connection proxy"}
	cases := []struct {
		name      string
		uri       string
		instances int
		evidence  []string // nil: no pool.connection-budget
		check     string   // the topology check's summary contains it
		suggested string   // "": no suggested string
		fixes     []string // the fixes contain them
	}{
		{"ten processes, 500 available", small.URI(), 10, []string{"--instances 10 x (maxPoolSize 100 + 2 monitoring connections) x 1 member(s) = 1020 connections", "500 connections available"}, "budget exceeded", "maxPoolSize=48",
			[]string{"With 10 processes, maxPoolSize=48 keeps every member within its 500 available connections (10 x (48 + 2) = 500): mongodb://127.0.0.1:"}},
		{"smaller pools fit", small.URI() + "?maxPoolSize=20", 10, nil, "at most 220 per member; " + small.Addr() + " has 500 available", "", nil},
		{"unbounded pools", large.URI() + "?maxPoolSize=0", 1, []string{"(maxPoolSize=0: no bound + 2 monitoring connections) x 1 member(s), that is no bound on the connections to each member", "maxPoolSize=0 puts no bound"}, "maxPoolSize=0 puts no bound on the connections per member, 838859 available", "maxPoolSize=838857",
			[]string{"maxPoolSize=838857 keeps every member"}},
		{"the default server", large.URI(), 100, nil, "has 838859 available", "", nil},
		{"no --instances", small.URI(), 0, nil, "", "", nil},
		{"as a user who may run serverStatus", "mongodb://alice:" + authPassword + "@" + secured.Addr() + "/", 10, []string{"500 connections available"}, "budget exceeded", "mongodb://alice:****@", []string{"mongodb://alice:****@"}},
		{"without credentials on a server that needs them", "mongodb://" + secured.Addr() + "/", 10, nil, "not checked: serverStatus", "", nil},
		// 100 / 40 leaves 2 connections per process: not even a pool of
		// one and its two monitors fit, so no maxPoolSize is suggested.
		{"too many processes for any pool", tiny.URI(), 40, []string{"= 4080 connections", "100 connections available"}, "budget exceeded", "", noneFits},
		{"too many processes, maxPoolSize=1 already", tiny.URI() + "?maxPoolSize=1", 40, []string{"(maxPoolSize 1 + 2 monitoring connections) x 1 member(s) = 120 connections"}, "budget exceeded", "", noneFits},
		{"too many processes, unbounded pools", tiny.URI() + "?maxPoolSize=0", 40, []string{"maxPoolSize=0 puts no bound"}, "budget exceeded", "", noneFits},
		{"not even one process fits", mongotest.StartFakeMongod(t, mongotest.Options{ConnectionsAvailable: 2}).URI(), 1, []string{"2 connections available"}, "budget exceeded", "", []string{"No maxPoolSize fits", "not even one process"}},
		{"the smallest pool that fits", tiny.URI(), 33, []string{"100 connections available"}, "budget exceeded", "maxPoolSize=1",
			[]string{"With 33 processes, maxPoolSize=1 keeps every member within its 100 available connections (33 x (1 + 2) = 99)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine()
			e.Timeout = tlsTestBudget
			e.Instances = c.instances
			r := diagnoseURI(t, e, c.uri)
			f, ok := findingOf(r, catalogue.IDPoolConnectionBudget)
			if ok != (c.evidence != nil) {
				t.Fatalf("pool.connection-budget: %v%s", ok, findingsText(r))
			}
			if ok {
				if f.Severity != report.SeverityWarning {
					t.Errorf("severity %s", f.Severity)
				}
				ev := strings.Join(f.Evidence, "\n")
				for _, w := range c.evidence {
					if !strings.Contains(ev, w) {
						t.Errorf("evidence lacks %q:\n%s", w, ev)
					}
				}
				if c.suggested == "" && f.SuggestedURI != "" || !strings.Contains(f.SuggestedURI, c.suggested) {
					t.Errorf("suggested %q, want one containing %q", f.SuggestedURI, c.suggested)
				}
				if f.SuggestedURI != "" && strings.Contains(c.uri, "maxPoolSize") && strings.Contains(f.SuggestedURI, c.uri[strings.Index(c.uri, "maxPoolSize"):]) {
					t.Errorf("suggested %q keeps the string's own maxPoolSize", f.SuggestedURI)
				}
				fixes := strings.Join(f.Fixes, "\n")
				for _, w := range c.fixes {
					if !strings.Contains(fixes, w) {
						t.Errorf("fixes lack %q:\n%s", w, fixes)
					}
				}
				// The catalogue's example pool size is not shown beside the
				// one computed here.
				if strings.Contains(fixes, "maxPoolSize=20") || strings.Contains(fixes, "mongodb://host:27017") {
					t.Errorf("the catalogue's example fix is still there:\n%s", fixes)
				}
				if c.suggested == "" && strings.Contains(fixes, "keeps every member within") {
					t.Errorf("a pool size is offered when none fits:\n%s", fixes)
				}
			}
			var budget []string
			for _, ch := range stageChecks(r, report.StageTopology) {
				if strings.Contains(ch.Summary, "connection budget") {
					budget = append(budget, ch.Summary)
				}
			}
			if c.check == "" {
				if len(budget) != 0 {
					t.Errorf("budget checks without --instances: %q", budget)
				}
			} else if len(budget) != 1 || !strings.Contains(budget[0], c.check) {
				t.Errorf("budget checks %q, want one containing %q", budget, c.check)
			}
			assertNoSecret(t, r, authPassword)
		})
	}
}
