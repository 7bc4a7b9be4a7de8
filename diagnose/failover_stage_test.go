package diagnose

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// foTestBudget is the whole budget of one staged run in these tests: the
// fakes answer in microseconds, and the failover stage's second look
// takes topofind.SecondLookPause of it.
const foTestBudget = 8 * time.Second

// foRun runs discovery, then the failover and selection stages, as the
// diagnose command does, against uri.
func foRun(t *testing.T, uri string) (*report.Report, *topofind.Failover) {
	t.Helper()
	tg, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatalf("parse %s: %v", uri, err)
	}
	e := NewEngine()
	e.Timeout = foTestBudget
	ctx, cancel := e.withBudget(context.Background())
	defer cancel()
	x := e.newRun("diagnose", tg)
	v, ok := x.topoDiscover(ctx)
	if !ok {
		t.Fatalf("discovery found no seed")
	}
	x.topoReport(v)
	servers := append([]report.Server(nil), x.r.Servers...)
	a := x.failoverStage(ctx, servers)
	x.selectionStage(ctx, a.LatestServers(servers))
	return x.finish("healthy"), a
}

func foFinding(r *report.Report, id string) (report.Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return report.Finding{}, false
}

func foChecks(r *report.Report, stage report.Stage) []report.Check {
	var out []report.Check
	for _, c := range r.Checks {
		if c.Stage == stage {
			out = append(out, c)
		}
	}
	return out
}

// foCheck returns the failover stage's check (the topology check whose
// summary starts with the set's name).
func foCheck(t *testing.T, r *report.Report) report.Check {
	t.Helper()
	for _, c := range foChecks(r, report.StageTopology) {
		if strings.HasPrefix(c.Summary, "replica set ") {
			return c
		}
	}
	t.Fatalf("no failover check among %+v", r.Checks)
	return report.Check{}
}

// foSpec is one member of a scripted replica set.
type foSpec struct {
	state string // primary, secondary, recovering, down
	names int    // index of the member it names as primary; -1 for none
	lag   time.Duration
	tags  map[string]string
	term  int64
}

// startScriptedSet starts fake members whose hello replies follow specs:
// members that name a primary that is down, recovering members, lagging
// secondaries. It returns the set's connection string (every member that
// runs is a seed) and the members' addresses.
func startScriptedSet(t *testing.T, extra string, specs ...foSpec) (string, []string) {
	t.Helper()
	addrs := make([]string, len(specs))
	fakes := make([]*mongotest.FakeMongod, len(specs))
	var seeds []string
	for i, s := range specs {
		if s.state == "down" {
			addrs[i] = mongotest.ClosedPort(t)
			continue
		}
		fakes[i] = mongotest.StartFakeMongod(t, mongotest.Options{})
		addrs[i] = fakes[i].Addr()
		seeds = append(seeds, addrs[i])
	}
	hosts := bson.A{}
	for _, a := range addrs {
		hosts = append(hosts, a)
	}
	for i, s := range specs {
		if fakes[i] == nil {
			continue
		}
		fakes[i].SetHello(func() bson.D {
			d := bson.D{
				{Key: "hosts", Value: hosts},
				{Key: "setName", Value: "rs0"},
				{Key: "setVersion", Value: int32(1)},
				{Key: "isWritablePrimary", Value: s.state == "primary"},
				{Key: "secondary", Value: s.state == "secondary"},
				{Key: "me", Value: addrs[i]},
			}
			if s.names >= 0 {
				d = append(d, bson.E{Key: "primary", Value: addrs[s.names]})
			}
			if s.state == "primary" {
				var id bson.ObjectID
				binary.BigEndian.PutUint32(id[:4], 0x7fffffff)
				binary.BigEndian.PutUint64(id[4:], uint64(max(s.term, 1)))
				d = append(d, bson.E{Key: "electionId", Value: id})
			}
			if len(s.tags) > 0 {
				tags := bson.D{}
				for k, v := range s.tags {
					tags = append(tags, bson.E{Key: k, Value: v})
				}
				d = append(d, bson.E{Key: "tags", Value: tags})
			}
			if s.state == "primary" || s.state == "secondary" {
				d = append(d, bson.E{Key: "lastWrite", Value: bson.D{
					{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(time.Now().Add(-s.lag))},
				}})
			}
			return d
		})
	}
	return "mongodb://" + strings.Join(seeds, ",") + "/?replicaSet=rs0" + extra, addrs
}

func TestFailoverStageHealthySet(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{})
	r, a := foRun(t, rs.URI())
	if a == nil || a.Outcome() != topofind.OutcomeHealthy {
		t.Fatalf("analysis = %+v", a)
	}
	if a.SecondLook {
		t.Errorf("a healthy set was asked twice")
	}
	c := foCheck(t, r)
	if c.Status != report.StatusPass || !strings.Contains(c.Summary, "primary "+rs.Addrs()[0]) || !strings.Contains(c.Summary, "term 1") {
		t.Errorf("check = %+v", c)
	}
	for _, id := range []string{catalogue.IDTopologyFailover, catalogue.IDTopologyNoPrimary, catalogue.IDSelectTimeout} {
		if _, ok := foFinding(r, id); ok {
			t.Errorf("unexpected %s in %+v", id, r.Findings)
		}
	}
	sel := foChecks(r, report.StageSelection)
	if len(sel) != 2 || sel[0].Status != report.StatusPass || sel[1].Status != report.StatusPass {
		t.Fatalf("selection checks = %+v", sel)
	}
	if !strings.Contains(sel[0].Summary, "read with readPreference=primary: "+rs.Addrs()[0]) || !strings.Contains(sel[1].Summary, "write: "+rs.Addrs()[0]) {
		t.Errorf("selection = %q / %q", sel[0].Summary, sel[1].Summary)
	}
	if !r.OK {
		t.Errorf("report not OK: %+v", r.Findings)
	}
}

func TestFailoverStageDirectConnection(t *testing.T) {
	// A direct connection to a secondary asks no other member: the
	// primary it names is not missing, only not asked.
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{})
	r, a := foRun(t, "mongodb://"+rs.Addrs()[1]+"/?directConnection=true")
	if a != nil {
		t.Errorf("analysis of a direct connection: %+v", a)
	}
	for _, id := range []string{catalogue.IDTopologyFailover, catalogue.IDTopologyNoPrimary} {
		if _, ok := foFinding(r, id); ok {
			t.Errorf("unexpected %s: %+v", id, r.Findings)
		}
	}
	sel := foChecks(r, report.StageSelection)
	if len(sel) != 2 || sel[0].Status != report.StatusPass || sel[1].Status != report.StatusWarn || !strings.Contains(sel[1].Summary, "NotWritablePrimary") {
		t.Errorf("selection checks = %+v", sel)
	}
}

func TestFailoverStageElectionDuringProbe(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{})
	rs.StepDown()
	// Elected well inside the second look's pause, long after discovery.
	rs.After(topofind.SecondLookPause/2, func() { _ = rs.Elect(2) })
	r, a := foRun(t, rs.URI())
	if a == nil || !a.SecondLook || a.Outcome() != topofind.OutcomeFailover || a.Primary == nil || a.Primary.Address != rs.Addrs()[2] {
		t.Fatalf("analysis = %+v", a)
	}
	f, ok := foFinding(r, catalogue.IDTopologyFailover)
	if !ok || f.Severity != report.SeverityWarning {
		t.Fatalf("findings = %+v", r.Findings)
	}
	if _, ok := foFinding(r, catalogue.IDTopologyNoPrimary); ok {
		t.Errorf("topology.no-primary kept beside topology.failover")
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{rs.Addrs()[2] + " became primary during the probe window", "term 2", "AutoReconnect"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if c := foCheck(t, r); c.Status != report.StatusWarn {
		t.Errorf("check = %+v", c)
	}
	// Selection works on the second look: the new primary takes writes.
	sel := foChecks(r, report.StageSelection)
	if len(sel) != 2 || sel[1].Status != report.StatusPass || !strings.Contains(sel[1].Summary, rs.Addrs()[2]) {
		t.Errorf("selection checks = %+v", sel)
	}
	if !r.OK {
		t.Errorf("a finished failover is a warning, yet the report fails: %+v", r.Findings)
	}
}

func TestFailoverStageNoPrimary(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{NoPrimary: true})
	r, a := foRun(t, rs.URI()+"&serverSelectionTimeoutMS=5000")
	if a == nil || !a.SecondLook || a.Outcome() != topofind.OutcomeNoPrimary {
		t.Fatalf("analysis = %+v", a)
	}
	if _, ok := foFinding(r, catalogue.IDTopologyFailover); ok {
		t.Errorf("topology.failover without a sign of an election")
	}
	n := 0
	var f report.Finding
	for _, g := range r.Findings {
		if g.ID == catalogue.IDTopologyNoPrimary {
			n++
			f = g
		}
	}
	if n != 1 || f.Severity != report.SeverityError {
		t.Fatalf("want one topology.no-primary: %+v", r.Findings)
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{"3 of 3 listed members answer from here: a majority", "serverSelectionTimeoutMS (5000 ms, from the connection string)", "shorter than a typical election"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if _, ok := foFinding(r, catalogue.IDSelectTimeout); ok {
		t.Errorf("select.timeout repeats topology.no-primary: %+v", r.Findings)
	}
	sel := foChecks(r, report.StageSelection)
	if len(sel) != 2 || sel[0].Status != report.StatusFail || sel[1].Status != report.StatusFail {
		t.Errorf("selection checks = %+v", sel)
	}
	if r.OK {
		t.Errorf("report OK without a primary")
	}
}

func TestFailoverStageScripted(t *testing.T) {
	cases := []struct {
		name     string
		specs    []foSpec
		id       string
		severity report.Severity
		evidence []string
	}{
		{name: "the primary is down and the members still name it",
			specs: []foSpec{{state: "down"}, {state: "secondary", names: 0}, {state: "secondary", names: 0}},
			id:    catalogue.IDTopologyFailover, severity: report.SeverityError,
			evidence: []string{"refuses connections: the primary is down", "2 of 3 listed members answer from here: a majority"}},
		{name: "a recovering member beside a primary",
			specs: []foSpec{{state: "primary", names: 0}, {state: "secondary", names: 0}, {state: "recovering", names: 0}},
			id:    catalogue.IDTopologyFailover, severity: report.SeverityWarning,
			evidence: []string{"neither primary nor secondary (RECOVERING, STARTUP2 or ROLLBACK)"}},
		{name: "the only member left cannot elect itself",
			specs: []foSpec{{state: "secondary", names: -1}, {state: "down"}, {state: "down"}},
			id:    catalogue.IDTopologyNoPrimary, severity: report.SeverityError,
			evidence: []string{"1 of 3 listed members answer from here: not a majority (2 needed), so no election can succeed", "2 refuse connections"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri, _ := startScriptedSet(t, "", tc.specs...)
			r, a := foRun(t, uri)
			if a == nil {
				t.Fatal("no analysis")
			}
			f, ok := foFinding(r, tc.id)
			if !ok || f.Severity != tc.severity {
				t.Fatalf("want %s (%s); findings %+v", tc.id, tc.severity, r.Findings)
			}
			ev := strings.Join(f.Evidence, "\n")
			for _, want := range tc.evidence {
				if !strings.Contains(ev, want) {
					t.Errorf("evidence lacks %q:\n%s", want, ev)
				}
			}
		})
	}
}

func TestSelectionStage(t *testing.T) {
	cases := []struct {
		name     string
		specs    []foSpec
		extra    string
		status   report.Status // of the read check
		finding  bool          // select.timeout
		evidence []string
		suggest  string // in the suggested URI
	}{
		{name: "tags nobody has",
			specs: []foSpec{{state: "primary", names: 0, tags: map[string]string{"dc": "west"}}, {state: "secondary", names: 0, tags: map[string]string{"dc": "west"}}, {state: "secondary", names: 0, tags: map[string]string{"dc": "north"}}},
			extra: "&readPreference=nearest&readPreferenceTags=dc:east", status: report.StatusFail, finding: true,
			evidence: []string{`no member carries tags {dc: "east"}`, `has {dc: "north"}`, "serverSelectionTimeoutMS (30000 ms, the default)"},
			suggest:  "readPreferenceTags=dc:east&readPreferenceTags="},
		{name: "tags a secondary has",
			specs: []foSpec{{state: "primary", names: 0, tags: map[string]string{"dc": "west"}}, {state: "secondary", names: 0, tags: map[string]string{"dc": "east"}}},
			extra: "&readPreference=secondary&readPreferenceTags=dc:east", status: report.StatusPass},
		{name: "every secondary stale",
			specs: []foSpec{{state: "primary", names: 0}, {state: "secondary", names: 0, lag: 300 * time.Second}, {state: "secondary", names: 0, lag: 400 * time.Second}},
			extra: "&readPreference=secondary&maxStalenessSeconds=90", status: report.StatusFail, finding: true,
			evidence: []string{"every candidate lags more than maxStalenessSeconds=90", "estimated staleness: ", "310 s"},
			suggest:  "maxStalenessSeconds=31"},
		{name: "fresh enough secondaries",
			specs: []foSpec{{state: "primary", names: 0}, {state: "secondary", names: 0, lag: 5 * time.Second}},
			extra: "&readPreference=secondary&maxStalenessSeconds=90", status: report.StatusPass},
		{name: "maxStalenessSeconds below 90",
			specs: []foSpec{{state: "primary", names: 0}, {state: "secondary", names: 0}},
			extra: "&readPreference=secondary&maxStalenessSeconds=30", status: report.StatusFail, finding: true,
			evidence: []string{"below the smallest allowed value"},
			suggest:  "maxStalenessSeconds=90"},
		{name: "secondary mode with no secondary",
			specs: []foSpec{{state: "primary", names: 0}, {state: "down"}},
			extra: "&readPreference=secondary", status: report.StatusFail, finding: true,
			evidence: []string{"no member is a secondary"},
			suggest:  "readPreference=secondaryPreferred"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri, _ := startScriptedSet(t, tc.extra, tc.specs...)
			r, _ := foRun(t, uri)
			sel := foChecks(r, report.StageSelection)
			if len(sel) != 2 {
				t.Fatalf("selection checks = %+v", sel)
			}
			if sel[0].Status != tc.status {
				t.Errorf("read check = %+v, want %s", sel[0], tc.status)
			}
			if sel[1].Status != report.StatusPass {
				t.Errorf("write check = %+v", sel[1])
			}
			f, ok := foFinding(r, catalogue.IDSelectTimeout)
			if ok != tc.finding {
				t.Fatalf("select.timeout = %v, want %v; findings %+v", ok, tc.finding, r.Findings)
			}
			if !ok {
				return
			}
			ev := strings.Join(f.Evidence, "\n")
			for _, want := range tc.evidence {
				if !strings.Contains(ev, want) {
					t.Errorf("evidence lacks %q:\n%s", want, ev)
				}
			}
			if !strings.Contains(f.SuggestedURI, tc.suggest) {
				t.Errorf("suggested URI %q lacks %q", f.SuggestedURI, tc.suggest)
			}
			if _, err := connstr.ParseTarget(f.SuggestedURI); err != nil {
				t.Errorf("suggested URI %q does not parse: %v", f.SuggestedURI, err)
			}
		})
	}
}

func TestSelectionStageNothingAnswered(t *testing.T) {
	addr := mongotest.ClosedPort(t)
	tg, err := connstr.ParseTarget(fmt.Sprintf("mongodb://%s/?replicaSet=rs0", addr))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	x := e.newRun("diagnose", tg)
	sel := x.selectionStage(context.Background(), []report.Server{{Address: addr, Kind: report.KindUnknown}})
	if sel.Read.Op != "" {
		t.Errorf("selection ran on nothing: %+v", sel)
	}
	if a := x.failoverStage(context.Background(), []report.Server{{Address: addr, Kind: report.KindUnknown}}); a != nil {
		t.Errorf("failover analysed nothing: %+v", a)
	}
	r := x.finish("")
	if len(r.Checks) != 1 || r.Checks[0].Status != report.StatusSkip || r.Checks[0].Stage != report.StageSelection {
		t.Errorf("checks = %+v", r.Checks)
	}
}
