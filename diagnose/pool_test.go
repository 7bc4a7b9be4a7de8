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
	large := mongotest.StartFakeMongod(t, mongotest.Options{})
	secured := mongotest.StartFakeMongod(t, mongotest.Options{ConnectionsAvailable: 500, Users: []mongotest.User{{Name: "alice", Password: authPassword}}})
	cases := []struct {
		name      string
		uri       string
		instances int
		evidence  []string // nil: no pool.connection-budget
		check     string   // the topology check's summary contains it
		suggested string
	}{
		{"ten processes, 500 available", small.URI(), 10, []string{"--instances 10 x (maxPoolSize 100 + 2 monitoring connections) x 1 member(s) = 1020 connections", "500 connections available"}, "budget exceeded", "maxPoolSize=48"},
		{"smaller pools fit", small.URI() + "?maxPoolSize=20", 10, nil, "at most 220 per member; " + small.Addr() + " has 500 available", ""},
		{"unbounded pools", large.URI() + "?maxPoolSize=0", 1, []string{"maxPoolSize=0 puts no bound"}, "budget exceeded", "maxPoolSize="},
		{"the default server", large.URI(), 100, nil, "has 838859 available", ""},
		{"no --instances", small.URI(), 0, nil, "", ""},
		{"as a user who may run serverStatus", "mongodb://alice:" + authPassword + "@" + secured.Addr() + "/", 10, []string{"500 connections available"}, "budget exceeded", "mongodb://alice:****@"},
		{"without credentials on a server that needs them", "mongodb://" + secured.Addr() + "/", 10, nil, "not checked: serverStatus", ""},
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
				if !strings.Contains(f.SuggestedURI, c.suggested) {
					t.Errorf("suggested %q lacks %q", f.SuggestedURI, c.suggested)
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
