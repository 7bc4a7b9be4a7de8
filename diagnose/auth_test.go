package diagnose

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// authPassword is the right password of the fake users; authWrong is a
// wrong one. Both are distinctive so a leak is easy to spot.
const (
	authPassword = "Corr3ct-h0rse"
	authWrong    = "wr0ng-Batt3ry"
)

func TestAuthStage(t *testing.T) {
	users := []mongotest.User{
		{DB: "admin", Name: "alice", Password: authPassword},
		{DB: "admin", Name: "sha256only", Password: authPassword, Mechanisms: []string{mongotest.MechSCRAMSHA256}},
		{DB: "admin", Name: "sha1only", Password: authPassword, Mechanisms: []string{mongotest.MechSCRAMSHA1}},
		{DB: "app", Name: "bob", Password: authPassword},
		{DB: "admin", Name: "carol", Password: authPassword},
		{DB: "app", Name: "carol", Password: authPassword},
	}
	srv := mongotest.StartFakeMongod(t, mongotest.Options{Users: users})
	tests := []struct {
		name        string
		userinfo    string // user:password@
		path        string // /db?options
		wantStatus  report.Status
		wantSummary string
		want        []wantFinding
	}{
		{name: "right password, negotiated", userinfo: "alice:" + authPassword + "@", path: "/",
			wantStatus: report.StatusPass, wantSummary: `authenticated as "alice" on admin with SCRAM-SHA-256 (negotiated)`},
		{name: "right password, SCRAM-SHA-1 asked", userinfo: "alice:" + authPassword + "@", path: "/?authMechanism=SCRAM-SHA-1",
			wantStatus: report.StatusPass, wantSummary: "with SCRAM-SHA-1"},
		{name: "negotiation falls back to SCRAM-SHA-1", userinfo: "sha1only:" + authPassword + "@", path: "/",
			wantStatus: report.StatusPass, wantSummary: "SCRAM-SHA-1 (negotiated)"},
		{name: "user in a database named by the path", userinfo: "bob:" + authPassword + "@", path: "/app",
			wantStatus: report.StatusPass, wantSummary: "on app"},
		{name: "wrong password", userinfo: "alice:" + authWrong + "@", path: "/",
			wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDAuthFailed, sev: report.SeverityError,
				evidence: []string{`authSource "admin"`, `user "alice" exists in "admin"`, "password is wrong", "AuthenticationFailed, code 18"}}}},
		{name: "user in admin, authSource from the path", userinfo: "alice:" + authPassword + "@", path: "/app",
			wantStatus: report.StatusFail, wantSummary: `user "alice" does not exist in "app" but in "admin": the password was not tried`,
			want: []wantFinding{{id: catalogue.IDAuthWrongSource, sev: report.SeverityError,
				evidence:  []string{`authSource "app"`, "the database in the connection string's path", `saslSupportedMechs for "app.alice" is absent`, `"admin.alice" answers SCRAM-SHA-1, SCRAM-SHA-256`},
				suggested: "/app?authSource=admin"}}},
		{name: "user in admin, wrong authSource option", userinfo: "alice:" + authWrong + "@", path: "/?authSource=app",
			wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDAuthWrongSource, sev: report.SeverityError,
				evidence: []string{`authSource "app" (the authSource option)`, `created in "admin"`}, suggested: "?authSource=admin"}}},
		{name: "user in the path database, authSource=admin", userinfo: "bob:" + authPassword + "@", path: "/app?authSource=admin",
			wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDAuthWrongSource, sev: report.SeverityError,
				evidence: []string{`authSource "admin" (the authSource option)`, `"app.bob" answers`, `created in "app"`}, suggested: "/app?authSource=app"}}},
		{name: "user in admin and in the path database", userinfo: "carol:" + authPassword + "@", path: "/app",
			wantStatus: report.StatusPass, wantSummary: "on app"},
		{name: "unknown user", userinfo: "mallory:" + authPassword + "@", path: "/",
			wantStatus: report.StatusFail,
			want:       []wantFinding{{id: catalogue.IDAuthFailed, sev: report.SeverityError, evidence: []string{`knows no user "mallory" in "admin"`, "check the user name"}}}},
		{name: "mechanism the user lacks", userinfo: "sha256only:" + authPassword + "@", path: "/?authMechanism=SCRAM-SHA-1",
			wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDAuthMechanismUnsupported, sev: report.SeverityError,
				evidence: []string{"credentials for SCRAM-SHA-256 only, not SCRAM-SHA-1", "MechanismUnavailable"}, suggested: "mongodb://sha256only:****@"}}},
		{name: "mechanism asked for an unknown user", userinfo: "mallory:" + authPassword + "@", path: "/?authMechanism=SCRAM-SHA-256",
			wantStatus: report.StatusFail,
			want:       []wantFinding{{id: catalogue.IDAuthFailed, sev: report.SeverityError, evidence: []string{`saslSupportedMechs for "admin.mallory" was empty`}}}},
		{name: "no credentials", path: "/", wantStatus: report.StatusSkip, wantSummary: "no credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri := "mongodb://" + tt.userinfo + srv.Addr() + tt.path
			x := tlsTestRun(t, uri)
			x.authStage(tlsTestCtx(t), srv.Addr(), nil)
			r := x.finish("ok")
			cs := stageChecks(r, report.StageAuth)
			if len(cs) != 1 {
				t.Fatalf("%d auth checks, want 1%s", len(cs), findingsText(r))
			}
			if cs[0].Status != tt.wantStatus || !strings.Contains(cs[0].Summary, tt.wantSummary) {
				t.Errorf("check %s %q, want %s containing %q%s", cs[0].Status, cs[0].Summary, tt.wantStatus, tt.wantSummary, findingsText(r))
			}
			checkFindings(t, r, tt.want)
			// auth.failed's fixes name this string's user and database,
			// never the catalogue's examples.
			if f, ok := findingOf(r, catalogue.IDAuthFailed); ok {
				user, _, _ := strings.Cut(tt.userinfo, ":")
				fixes := strings.Join(f.Fixes, "\n")
				if strings.Contains(fixes, "host:27017") || strings.Contains(fixes, "mydb") || !strings.Contains(fixes, `"`+user+`"`) {
					t.Errorf("auth.failed fixes for %q:\n%s", user, fixes)
				}
			}
			if tt.want != nil && !strings.Contains(r.Findings[len(r.Findings)-1].SuggestedURI, "****") && strings.Contains(r.Findings[len(r.Findings)-1].SuggestedURI, "@") {
				t.Errorf("suggested URI not redacted: %s", r.Findings[len(r.Findings)-1].SuggestedURI)
			}
			assertNoSecret(t, r, authPassword, authWrong)
		})
	}
}

// TestAuthStageTLS authenticates through a TLS front, with the stage's
// TLS configuration.
func TestAuthStageTLS(t *testing.T) {
	certs := mongotest.NewCerts(t)
	srv := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: authPassword}}})
	addr := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(mongotest.CertValid).TLS, Backend: srv.Addr()})
	for _, tt := range []struct {
		pass       string
		wantStatus report.Status
	}{{authPassword, report.StatusPass}, {authWrong, report.StatusFail}} {
		x := tlsTestRun(t, "mongodb://alice:"+tt.pass+"@"+addr+"/?tls=true&tlsCAFile="+certs.CAFile)
		cfg, err := x.tlsConfig(hostOf(addr))
		if err != nil {
			t.Fatal(err)
		}
		x.authStage(tlsTestCtx(t), addr, cfg)
		r := x.finish("ok")
		if cs := stageChecks(r, report.StageAuth); len(cs) != 1 || cs[0].Status != tt.wantStatus {
			t.Errorf("auth checks %+v, want one %s%s", cs, tt.wantStatus, findingsText(r))
		}
		assertNoSecret(t, r, authPassword, authWrong)
	}
}

// assertNoSecret fails when any secret appears anywhere in the report.
func assertNoSecret(t *testing.T, r *report.Report, secrets ...string) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("the report shows a secret: %s", b)
		}
	}
}

// TestWrongSourceFixes: the fixes of auth.wrong-source name this user,
// the database that holds it and this string with the right authSource,
// and nothing of the catalogue's example (alice, shop, host:27017), which
// would repeat the failing setup.
func TestWrongSourceFixes(t *testing.T) {
	srv := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{
		{DB: "shop", Name: "bob", Password: authPassword},
		{DB: "admin", Name: "carol", Password: authPassword},
	}})
	tests := []struct {
		name, uri string
		fixes     []string
	}{
		{"user in the path database, authSource=admin", "mongodb://bob:" + authPassword + "@" + srv.Addr() + "/shop?authSource=admin", []string{
			`Set authSource=shop, the database that holds the user "bob": mongodb://bob:****@` + srv.Addr() + "/shop?authSource=shop",
			`db.getSiblingDB("admin").createUser({user: "bob", pwd: passwordPrompt(), roles: [{role: "readWrite", db: "shop"}]})`,
		}},
		{"user in admin, authSource from the path", "mongodb://carol:" + authPassword + "@" + srv.Addr() + "/orders", []string{
			`Set authSource=admin, the database that holds the user "carol": mongodb://carol:****@` + srv.Addr() + "/orders?authSource=admin",
			`db.getSiblingDB("orders").createUser({user: "carol", pwd: passwordPrompt(), roles: ["readWrite"]})`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tlsTestRun(t, tt.uri)
			x.authStage(tlsTestCtx(t), srv.Addr(), nil)
			r := x.finish("ok")
			f, ok := findingOf(r, catalogue.IDAuthWrongSource)
			if !ok {
				t.Fatalf("no auth.wrong-source: %s", findingsText(r))
			}
			if len(f.Fixes) != len(tt.fixes) {
				t.Errorf("%d fixes, want %d: %q", len(f.Fixes), len(tt.fixes), f.Fixes)
			}
			fixes := strings.Join(f.Fixes, "\n")
			for _, w := range tt.fixes {
				if !strings.Contains(fixes, w) {
					t.Errorf("fixes lack %q:\n%s", w, fixes)
				}
			}
			for _, example := range []string{"alice", "host:27017", "<password>"} {
				if strings.Contains(fixes, example) {
					t.Errorf("fixes carry the catalogue's example %q:\n%s", example, fixes)
				}
			}
			assertNoSecret(t, r, authPassword)
			if strings.Contains(fixes, authPassword) {
				t.Errorf("password in the fixes:\n%s", fixes)
			}
		})
	}
}
