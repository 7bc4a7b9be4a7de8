package diagnose

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// A string the specification calls valid with a warning, which the Go
// driver refuses, is never OK: an application built with the driver does
// not start. Its corrected string, handed to the same commands, is OK.
func TestDriverRefusedStringIsNeverOK(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 1})
	addr := rs.Addrs()[0]
	e := topoEngine(t)
	ctx := context.Background()
	for _, opt := range []string{"retryWrites=ture", "connectTimeoutMS=abc", "tls=maybe"} {
		uri := "mongodb://" + addr + "/?replicaSet=rs0&" + opt
		runs := map[string]func(string) (*report.Report, error){
			"ping --primary": func(u string) (*report.Report, error) {
				return e.Ping(ctx, topoTarget(t, u), PingRequest{RequirePrimary: true})
			},
			"diagnose": func(u string) (*report.Report, error) { return e.Diagnose(ctx, topoTarget(t, u)) },
		}
		for name, run := range runs {
			r, err := run(uri)
			if err != nil {
				t.Fatalf("%s %s: %v", name, opt, err)
			}
			ids := topoFindingIDs(r)
			if r.OK || !slices.Contains(ids, catalogue.IDDriverRefused) || !slices.Contains(ids, catalogue.IDURIInvalidValue) {
				t.Errorf("%s %s: ok %v, findings %v; want not ok with uri.invalid-value and driver.refused", name, opt, r.OK, ids)
				continue
			}
			var ping *report.Check
			for i, c := range r.Checks {
				if c.Stage == report.StagePing {
					ping = &r.Checks[i]
				}
			}
			if ping == nil || ping.Status == report.StatusPass || !strings.Contains(ping.Summary, "refuses the connection string") {
				t.Errorf("%s %s: ping check %+v, want one saying the driver refuses the string", name, opt, ping)
			}
			var fixed string
			for _, f := range r.Findings {
				if f.ID == catalogue.IDDriverRefused {
					fixed = f.SuggestedURI
				}
			}
			if fixed == "" {
				t.Errorf("%s %s: driver.refused suggests no corrected string", name, opt)
				continue
			}
			for _, f := range r.Findings {
				if f.ID == catalogue.IDDriverRefused && !slices.Contains(f.Fixes, "Check the corrected string with: mongoconn ping '"+fixed+"'") {
					t.Errorf("%s %s: no fix checks the corrected string %s: %q", name, opt, fixed, f.Fixes)
				}
			}
			r, err = run(fixed)
			if err != nil {
				t.Fatalf("%s %s: %v", name, fixed, err)
			}
			if !r.OK {
				t.Errorf("%s on the corrected %s: %q %v", name, fixed, r.Verdict, topoFindingIDs(r))
			}
		}
	}
}
