package diagnose

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/report"
)

func TestServerAPIStage(t *testing.T) {
	fdb := ferret.Start(t, ferret.Options{})
	fake := func(mode mongotest.APIMode, version string) func(t *testing.T) string {
		return func(t *testing.T) string {
			return mongotest.StartFakeMongod(t, mongotest.Options{API: mode, Version: version}).Addr()
		}
	}
	tests := []struct {
		name        string
		addr        func(t *testing.T) string
		version     string
		strict      bool
		wantStatus  report.Status // "" for no check at all
		wantSummary string
		want        []wantFinding
	}{
		{name: "strict accepted and enforced", addr: fake(mongotest.APIStable, ""), version: "1", strict: true,
			wantStatus: report.StatusPass, wantSummary: "strict mode enforced"},
		{name: "version without strict", addr: fake(mongotest.APIStable, ""), version: "1",
			wantStatus: report.StatusPass, wantSummary: `hello and ping accepted with apiVersion "1"`},
		{name: "server that rejects strict", addr: fake(mongotest.APIRejectStrict, ""), version: "1", strict: true,
			wantStatus: report.StatusFail, wantSummary: "refused",
			want: []wantFinding{{id: catalogue.IDAPIStrictUnsupported, sev: report.SeverityError, evidence: []string{"APIStrictError, code 323", "refuses strict mode"}}}},
		{name: "server that rejects strict, strict not asked", addr: fake(mongotest.APIRejectStrict, ""), version: "1",
			wantStatus: report.StatusPass},
		{name: "server older than 5.0", addr: fake(mongotest.APIUnknown, "4.4.29"), version: "1", strict: true,
			wantStatus: report.StatusFail,
			want:       []wantFinding{{id: catalogue.IDAPIStrictUnsupported, sev: report.SeverityError, evidence: []string{"code 40415", "needs MongoDB 5.0", "4.4.29"}}}},
		{name: "unknown API version", addr: fake(mongotest.APIStable, ""), version: "2",
			wantStatus: report.StatusFail,
			want:       []wantFinding{{id: catalogue.IDAPIStrictUnsupported, sev: report.SeverityError, evidence: []string{"code 322", `the only one is "1"`}}}},
		{name: "FerretDB accepts strict without enforcing it", addr: func(*testing.T) string { return fdb.Addr }, version: "1", strict: true,
			wantStatus: report.StatusWarn, wantSummary: "not enforced"}, // a warning check, no finding
		{name: "no version declared", addr: fake(mongotest.APIStable, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr(t)
			x := tlsTestRun(t, "mongodb://"+addr+"/")
			x.e.ServerAPI, x.e.ServerAPIStrict = tt.version, tt.strict
			x.serverAPIStage(tlsTestCtx(t), addr, nil)
			r := x.finish("ok")
			cs := stageChecks(r, report.StageHello)
			if tt.wantStatus == "" {
				if len(r.Checks) != 0 || len(r.Findings) != 0 {
					t.Fatalf("checks or findings without a declared version:%s", findingsText(r))
				}
				return
			}
			if len(cs) != 1 {
				t.Fatalf("%d hello checks, want 1%s", len(cs), findingsText(r))
			}
			if cs[0].Status != tt.wantStatus || !strings.Contains(cs[0].Summary, tt.wantSummary) {
				t.Errorf("check %s %q, want %s containing %q%s", cs[0].Status, cs[0].Summary, tt.wantStatus, tt.wantSummary, findingsText(r))
			}
			checkFindings(t, r, tt.want)
		})
	}
}

func TestServerAPIStageTLS(t *testing.T) {
	certs := mongotest.NewCerts(t)
	p := certs.Server(mongotest.CertValid)
	db := ferret.Start(t, ferret.Options{TLSCertFile: p.CertFile, TLSKeyFile: p.KeyFile})
	x := tlsTestRun(t, "mongodb://"+db.Addr+"/?tls=true&tlsCAFile="+certs.CAFile)
	x.e.ServerAPI = "1"
	cfg, err := x.tlsConfig(hostOf(db.Addr))
	if err != nil {
		t.Fatal(err)
	}
	x.serverAPIStage(tlsTestCtx(t), db.Addr, cfg)
	r := x.finish("ok")
	if cs := stageChecks(r, report.StageHello); len(cs) != 1 || cs[0].Status != report.StatusPass {
		t.Fatalf("checks %+v, want one pass over TLS%s", cs, findingsText(r))
	}
}
