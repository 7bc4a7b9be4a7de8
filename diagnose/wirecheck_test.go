package diagnose

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

func TestWireCheck(t *testing.T) {
	drv := wireprobe.LinkedDriverWire()
	cases := []struct {
		name     string
		opts     mongotest.Options
		id       string   // the finding expected, "" for none
		summary  []string // parts of the server's wire check
		evidence string
		fixes    []string
	}{
		{
			name:    "MongoDB 7.0",
			opts:    mongotest.Options{Version: "7.0.12"},
			summary: []string{"MongoDB 7.0.12, wire 0–21", "compatible with this tool's Go driver", "PyMongo 3.0–4.17"},
		},
		{
			name:     "MongoDB 3.6 (wire 6)",
			opts:     mongotest.Options{Version: "3.6.23"},
			id:       catalogue.IDWireServerTooOld,
			summary:  []string{"MongoDB 3.6.23, wire 0–6", "too old for this tool's Go driver", "Go 1.0–2.1", "Java 3.0–5.1"},
			evidence: fmt.Sprintf("reports wire version 6, but this version of the Go driver requires at least %d (MongoDB %s)", drv.Min, wireprobe.LinkedDriverMinServer()),
			fixes:    []string{"Upgrade the server to MongoDB " + wireprobe.LinkedDriverMinServer(), "one release at a time: 4.0 → 4.2 → 4.4", "go get go.mongodb.org/mongo-driver/v2@v2.1"},
		},
		{
			name:     "MongoDB 3.4 over OP_QUERY only (wire 5)",
			opts:     mongotest.Options{Version: "3.4.24", OpQueryOnly: true},
			id:       catalogue.IDWireServerTooOld,
			summary:  []string{"MongoDB 3.4.24, wire 0–5", "OP_QUERY only", "Go 1.0–1.10", "Node.js 3.3–4.1"},
			evidence: "reports wire version 5, but this version of the Go driver requires at least",
			fixes:    []string{"go get go.mongodb.org/mongo-driver@v1.10", `pip install "pymongo==3.13.*"`, "npm install mongodb@4.1", "org.mongodb:mongodb-driver-sync:4.7.x"},
		},
		{
			name:     "a wire range newer than the driver",
			opts:     mongotest.Options{Version: "99.0.0", MinWire: drv.Max + 1, MaxWire: drv.Max + 2},
			id:       catalogue.IDWireServerTooNew,
			summary:  []string{fmt.Sprintf("wire %d–%d", drv.Max+1, drv.Max+2), "too new", "Go none"},
			evidence: fmt.Sprintf("requires wire version %d, but this version of the Go driver only supports up to %d", drv.Max+1, drv.Max),
			fixes:    []string{"Or run a server release this driver speaks"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mongotest.StartFakeMongod(t, c.opts)
			r, err := topoEngine(t).WireCheck(context.Background(), topoTarget(t, s.URI()))
			if err != nil {
				t.Fatal(err)
			}
			var wc *report.Check
			for i := range r.Checks {
				if r.Checks[i].Stage == report.StageWire && r.Checks[i].Address == s.Addr() {
					wc = &r.Checks[i]
				}
			}
			if wc == nil {
				t.Fatalf("no wire check for %s in %+v", s.Addr(), r.Checks)
			}
			for _, part := range c.summary {
				if !strings.Contains(wc.Summary, part) {
					t.Errorf("wire check %q lacks %q", wc.Summary, part)
				}
			}
			if c.id == "" {
				if !r.OK || len(r.Findings) != 0 || wc.Status != report.StatusPass {
					t.Errorf("ok=%v findings=%v status=%s", r.OK, topoFindingIDs(r), wc.Status)
				}
				return
			}
			if r.OK || !r.HasFinding(c.id) || wc.Status != report.StatusFail || !strings.HasPrefix(r.Verdict, "wire stage failed") {
				t.Fatalf("ok=%v findings=%v status=%s verdict=%q", r.OK, topoFindingIDs(r), wc.Status, r.Verdict)
			}
			f := r.Findings[0]
			if !strings.Contains(strings.Join(f.Evidence, "\n"), c.evidence) {
				t.Errorf("evidence %q lacks %q", f.Evidence, c.evidence)
			}
			fixes := strings.Join(f.Fixes, "\n")
			for _, part := range c.fixes {
				if !strings.Contains(fixes, part) {
					t.Errorf("fixes %q lack %q", f.Fixes, part)
				}
			}
		})
	}
}

func TestWireCheckFerretDB(t *testing.T) {
	f := ferret.Start(t, ferret.Options{})
	r, err := topoEngine(t).WireCheck(context.Background(), topoTarget(t, f.URI))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || len(r.Servers) != 1 || r.Servers[0].Version == "" || !strings.Contains(r.Verdict, "all 1 server(s)") {
		t.Fatalf("ok=%v servers=%+v verdict=%q findings=%v", r.OK, r.Servers, r.Verdict, topoFindingIDs(r))
	}
}

func TestWireCheckEveryMember(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
		Version: "7.0.12",
		Member:  []mongotest.MemberOptions{{}, {Version: "3.6.23"}, {}},
	})
	r, err := topoEngine(t).WireCheck(context.Background(), topoTarget(t, "mongodb://"+rs.Addrs()[0]+"/?replicaSet=rs0"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range r.Checks {
		if c.Stage == report.StageWire {
			n++
		}
	}
	if n != 3 || !r.HasFinding(catalogue.IDWireServerTooOld) {
		t.Fatalf("%d wire checks, findings %v", n, topoFindingIDs(r))
	}
	ev := strings.Join(r.Findings[0].Evidence, "\n")
	if !strings.Contains(ev, rs.Addrs()[1]) || strings.Contains(ev, rs.Addrs()[0]) {
		t.Errorf("evidence names the wrong members: %q", ev)
	}
}
