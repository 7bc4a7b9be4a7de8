package diagnose

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// tlsTestBudget is the whole-command budget of the tests in this file: far
// above what a loopback probe needs, so only a hang reaches it.
const tlsTestBudget = 10 * time.Second

// tlsSilentBudget is the command budget of the silent-server case: the
// handshake and the plain hello both wait for it, so it is short.
const tlsSilentBudget = 300 * time.Millisecond

func tlsTestRun(t *testing.T, uri string) *run {
	t.Helper()
	tgt, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", redact.Redact(uri), err)
	}
	e := NewEngine()
	e.Timeout = tlsTestBudget
	e.Verbose = true
	return e.newRun("diagnose", tgt)
}

func tlsTestCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tlsTestBudget)
	t.Cleanup(cancel)
	return ctx
}

// wantFinding is a finding a test expects: its id, severity, and strings
// its evidence (all lines joined) and suggested URI must contain.
type wantFinding struct {
	id        string
	sev       report.Severity
	evidence  []string
	suggested string
}

func checkFindings(t *testing.T, r *report.Report, want []wantFinding, ignore ...string) {
	t.Helper()
	got := map[string]report.Finding{}
	for _, f := range r.Findings {
		got[f.ID] = f
	}
	skip := map[string]bool{}
	for _, id := range ignore {
		skip[id] = true
	}
	for _, w := range want {
		f, ok := got[w.id]
		if !ok {
			t.Errorf("no finding %s; findings: %s", w.id, findingsText(r))
			continue
		}
		delete(got, w.id)
		if f.Severity != w.sev {
			t.Errorf("%s severity %s, want %s", w.id, f.Severity, w.sev)
		}
		for _, line := range f.Evidence {
			if !strings.Contains(line, ": ") {
				t.Errorf("%s evidence line %q says nothing beyond an address", w.id, line)
			}
		}
		ev := strings.Join(f.Evidence, "\n")
		for _, s := range w.evidence {
			if !strings.Contains(ev, s) {
				t.Errorf("%s evidence lacks %q:\n%s", w.id, s, ev)
			}
		}
		if !strings.Contains(f.SuggestedURI, w.suggested) {
			t.Errorf("%s suggested URI %q lacks %q", w.id, f.SuggestedURI, w.suggested)
		}
	}
	for id, f := range got {
		if !skip[id] && !strings.HasPrefix(id, "uri.") {
			t.Errorf("unexpected finding %s: %v", id, f.Evidence)
		}
	}
}

func findingsText(r *report.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  %s (%s): %s", f.ID, f.Severity, strings.Join(f.Evidence, " | "))
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "\n  check %s %s %s: %s", c.Stage, c.Address, c.Status, c.Summary)
	}
	return b.String()
}

func stageChecks(r *report.Report, st report.Stage) []report.Check {
	var out []report.Check
	for _, c := range r.Checks {
		if c.Stage == st {
			out = append(out, c)
		}
	}
	return out
}

func TestTLSStageCertificates(t *testing.T) {
	certs := mongotest.NewCerts(t)
	ca := "tlsCAFile=" + certs.CAFile
	tests := []struct {
		name       string
		cert       mongotest.CertKind
		host       string // "" for 127.0.0.1
		query      string
		wantStatus report.Status
		wantOK     bool
		want       []wantFinding
		detail     string // a Detail line must contain it
	}{
		{name: "valid with tlsCAFile", cert: mongotest.CertValid, query: "tls=true&" + ca, wantStatus: report.StatusPass, wantOK: true},
		{name: "valid by name", cert: mongotest.CertValid, host: "localhost", query: "tls=true&" + ca, wantStatus: report.StatusPass, wantOK: true},
		{name: "private CA without tlsCAFile", cert: mongotest.CertValid, query: "tls=true", wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError,
				evidence: []string{mongotest.CAName, "system trust store"}, suggested: "tlsCAFile=/path/to/ca.pem"}}},
		{name: "unknown CA", cert: mongotest.CertUnknownCA, query: "tls=true&" + ca, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError,
				evidence: []string{mongotest.UnknownCAName, "tlsCAFile " + certs.CAFile, mongotest.CAName}}}},
		{name: "wrong host", cert: mongotest.CertWrongHost, query: "tls=true&" + ca, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSHostnameMismatch, sev: report.SeverityError,
				evidence: []string{"DNS:" + mongotest.WrongHostName, `not "127.0.0.1"`}, suggested: "mongodb://" + mongotest.WrongHostName + ":"}}},
		{name: "expired", cert: mongotest.CertExpired, query: "tls=true&" + ca, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSExpired, sev: report.SeverityError, evidence: []string{"expired on", "24 hours ago"}}}},
		{name: "not yet valid", cert: mongotest.CertNotYetValid, query: "tls=true&" + ca, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSExpired, sev: report.SeverityError, evidence: []string{"is not valid before", "clock says"}}}},
		{name: "expired and unknown CA both named", cert: mongotest.CertExpired, query: "tls=true", wantStatus: report.StatusFail,
			want: []wantFinding{
				{id: catalogue.IDTLSExpired, sev: report.SeverityError, evidence: []string{"expired on"}},
				{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError, evidence: []string{mongotest.CAName}},
			}},
		{name: "tlsInsecure waives an unknown CA, loudly", cert: mongotest.CertUnknownCA, query: "tls=true&tlsInsecure=true", wantStatus: report.StatusWarn, wantOK: true,
			detail: "WAIVED tls.unknown-authority"}, // a warning check, no finding
		{name: "tlsInsecure on a valid certificate still warns", cert: mongotest.CertValid, query: "tls=true&tlsInsecure=true&" + ca, wantStatus: report.StatusWarn, wantOK: true,
			detail: "WARNING: tlsInsecure=true"},
		{name: "tlsAllowInvalidCertificates waives expiry", cert: mongotest.CertExpired, query: "tls=true&tlsAllowInvalidCertificates=true&" + ca, wantStatus: report.StatusWarn, wantOK: true,
			detail: "WAIVED tls.expired"},
		{name: "tlsAllowInvalidHostnames waives the name only", cert: mongotest.CertWrongHost, query: "tls=true&tlsAllowInvalidHostnames=true&" + ca, wantStatus: report.StatusWarn, wantOK: true,
			detail: "WAIVED tls.hostname-mismatch"},
		{name: "tlsAllowInvalidHostnames does not waive an unknown CA", cert: mongotest.CertUnknownCA, query: "tls=true&tlsAllowInvalidHostnames=true&" + ca, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(tt.cert).TLS})
			if tt.host != "" {
				_, port, _ := net.SplitHostPort(addr)
				addr = net.JoinHostPort(tt.host, port)
			}
			x := tlsTestRun(t, "mongodb://"+addr+"/?"+tt.query)
			ok := x.tlsStage(tlsTestCtx(t), []string{addr})
			r := x.finish("ok")
			if ok[addr] != tt.wantOK {
				t.Errorf("ok[%s] = %v, want %v%s", addr, ok[addr], tt.wantOK, findingsText(r))
			}
			cs := stageChecks(r, report.StageTLS)
			if len(cs) != 1 {
				t.Fatalf("%d tls checks, want 1%s", len(cs), findingsText(r))
			}
			c := cs[0]
			if c.Status != tt.wantStatus || c.Address != addr {
				t.Errorf("check %s %s, want %s %s: %s", c.Address, c.Status, addr, tt.wantStatus, c.Summary)
			}
			if !strings.Contains(c.Summary, "TLS 1.3") {
				t.Errorf("summary %q does not name the TLS version", c.Summary)
			}
			if tt.detail != "" && !strings.Contains(strings.Join(c.Detail, "\n"), tt.detail) {
				t.Errorf("detail lacks %q:\n%s", tt.detail, strings.Join(c.Detail, "\n"))
			}
			if !strings.Contains(strings.Join(c.Detail, "\n"), "certificate 0: subject") {
				t.Errorf("verbose detail lacks the chain:\n%s", strings.Join(c.Detail, "\n"))
			}
			checkFindings(t, r, tt.want)
		})
	}
}

func TestTLSStageClientCertificates(t *testing.T) {
	certs := mongotest.NewCerts(t)
	base := "tls=true&tlsCAFile=" + certs.CAFile
	tests := []struct {
		name       string
		query      string
		wantStatus report.Status
		want       []wantFinding
	}{
		{name: "client certificate given", query: base + "&tlsCertificateKeyFile=" + certs.Client.PEMFile, wantStatus: report.StatusPass},
		{name: "separate certificate and key files", query: base + "&tlsCertificateFile=" + certs.Client.CertFile + "&tlsPrivateKeyFile=" + certs.Client.KeyFile, wantStatus: report.StatusPass},
		{name: "encrypted key with its password", query: base + "&tlsCertificateKeyFile=" + certs.ClientEncryptedFile + "&tlsCertificateKeyFilePassword=" + mongotest.ClientKeyPassword, wantStatus: report.StatusPass},
		{name: "client certificate missing", query: base, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError, evidence: []string{"certificate required", "requires a client certificate"}, suggested: "tlsCertificateKeyFile=/path/to/client.pem"}}},
		{name: "encrypted key without password", query: base + "&tlsCertificateKeyFile=" + certs.ClientEncryptedFile, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDURIInvalid, sev: report.SeverityError, evidence: []string{"tlsCertificateKeyFile", "encrypted"}}}},
		{name: "encrypted key, wrong password", query: base + "&tlsCertificateKeyFile=" + certs.ClientEncryptedFile + "&tlsCertificateKeyFilePassword=nope", wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDURIInvalid, sev: report.SeverityError, evidence: []string{"cannot decrypt"}}}},
		{name: "missing CA file", query: "tls=true&tlsCAFile=" + certs.Dir + "/absent.pem", wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDURIInvalid, sev: report.SeverityError, evidence: []string{"tlsCAFile", "absent.pem"}}}},
		{name: "CA file that is not PEM", query: "tls=true&tlsCAFile=" + certs.Client.KeyFile, wantStatus: report.StatusFail,
			want: []wantFinding{{id: catalogue.IDURIInvalid, sev: report.SeverityError, evidence: []string{"no PEM CERTIFICATE"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := mongotest.ServeTLS(t, mongotest.TLSServer{
				Cert:      certs.Server(mongotest.CertValid).TLS,
				ClientCAs: certs.Pool(),
				Backend:   mongotest.ServeBytes(t, []byte("unused")),
			})
			x := tlsTestRun(t, "mongodb://"+addr+"/?"+tt.query)
			x.tlsStage(tlsTestCtx(t), []string{addr})
			r := x.finish("ok")
			cs := stageChecks(r, report.StageTLS)
			if len(cs) != 1 || cs[0].Status != tt.wantStatus {
				t.Fatalf("tls checks %+v, want one %s%s", cs, tt.wantStatus, findingsText(r))
			}
			checkFindings(t, r, tt.want)
			for _, f := range r.Findings {
				for _, s := range append(append([]string{f.SuggestedURI}, f.Evidence...), f.Fixes...) {
					if strings.Contains(s, "nope") || strings.Contains(s, mongotest.ClientKeyPassword) {
						t.Errorf("a key password leaked: %q", s)
					}
				}
			}
		})
	}
}

func TestTLSStageOff(t *testing.T) {
	x := tlsTestRun(t, "mongodb://127.0.0.1:1/")
	ok := x.tlsStage(tlsTestCtx(t), []string{"127.0.0.1:1"})
	r := x.finish("ok")
	cs := stageChecks(r, report.StageTLS)
	if len(cs) != 1 || cs[0].Status != report.StatusSkip || !strings.Contains(cs[0].Summary, "TLS is off") {
		t.Fatalf("checks %+v, want one skip", cs)
	}
	if !ok["127.0.0.1:1"] || len(r.Findings) != 0 {
		t.Fatalf("ok %v findings %v, want the address usable and no finding", ok, r.Findings)
	}
}

func TestTLSStageMismatch(t *testing.T) {
	certs := mongotest.NewCerts(t)
	fdb := ferret.Start(t, ferret.Options{})
	tests := []struct {
		name   string
		addr   func(t *testing.T) string
		budget time.Duration // a command budget shorter than the test's
		want   []wantFinding
	}{
		{name: "TLS client, silent server", addr: func(t *testing.T) string { return mongotest.SilentListener(t) }, budget: tlsSilentBudget,
			want: []wantFinding{{id: catalogue.IDServerNotResponding, sev: report.SeverityError, evidence: []string{"did not answer the TLS ClientHello", "a plain hello got no answer either"}}}},
		{name: "TLS client, plain MongoDB server", addr: func(*testing.T) string { return fdb.Addr },
			want: []wantFinding{{id: catalogue.IDTLSServerNotTLS, sev: report.SeverityError, evidence: []string{"a plain MongoDB hello on the same port got an answer"}, suggested: "tls=false"}}},
		{name: "TLS client, server answering plain bytes", addr: func(t *testing.T) string { return mongotest.ServeBytes(t, []byte{0x3a, 0x01, 0, 0, 0x10, 0, 0, 0}) },
			want: []wantFinding{{id: catalogue.IDTLSServerNotTLS, sev: report.SeverityError, evidence: []string{"not a TLS record", "3a 01 00 00 10"}, suggested: "tls=false"}}},
		{name: "TLS client, HTTP server", addr: func(t *testing.T) string {
			return mongotest.ServeBytes(t, []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		},
			want: []wantFinding{{id: catalogue.IDServerNotMongoDB, sev: report.SeverityError, evidence: []string{"HTTP"}}}},
		{name: "TLS client, server that sends a TLS alert", addr: func(t *testing.T) string {
			return mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(mongotest.CertValid).TLS, ClientCAs: certs.Pool()})
		},
			want: []wantFinding{{id: catalogue.IDTLSUnknownAuthority, sev: report.SeverityError, evidence: []string{"TLS alert"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr(t)
			x := tlsTestRun(t, "mongodb://"+addr+"/?tls=true&tlsCAFile="+certs.CAFile)
			ctx := tlsTestCtx(t)
			if tt.budget > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.budget)
				defer cancel()
			}
			ok := x.tlsStage(ctx, []string{addr})
			r := x.finish("ok")
			if ok[addr] {
				t.Errorf("ok[%s] is true%s", addr, findingsText(r))
			}
			if cs := stageChecks(r, report.StageTLS); len(cs) != 1 || cs[0].Status != report.StatusFail {
				t.Errorf("tls checks %+v, want one fail", cs)
			}
			checkFindings(t, r, tt.want)
		})
	}
}

func TestTLSRequiredAfterHello(t *testing.T) {
	certs := mongotest.NewCerts(t)
	valid := certs.Server(mongotest.CertValid).TLS
	fdb := ferret.Start(t, ferret.Options{})
	tests := []struct {
		name     string
		addr     func(t *testing.T) string
		tlsOn    bool
		want     bool
		evidence string
	}{
		{name: "TLS server closes on a plain hello", addr: func(t *testing.T) string { return mongotest.ServeTLS(t, mongotest.TLSServer{Cert: valid}) },
			want: true, evidence: "closed the connection"},
		{name: "TLS terminator sends an alert", addr: func(t *testing.T) string {
			return mongotest.ServeTLS(t, mongotest.TLSServer{Cert: valid, AlertOnPlain: true})
		}, want: true, evidence: "TLS alert record"},
		{name: "plain server answers", addr: func(*testing.T) string { return fdb.Addr }},
		{name: "peer closes but speaks no TLS", addr: func(t *testing.T) string { return mongotest.ServeBytes(t, nil) }},
		{name: "TLS already on", addr: func(t *testing.T) string { return mongotest.ServeTLS(t, mongotest.TLSServer{Cert: valid}) }, tlsOn: true},
	}
	for _, tt := range tests {
		for _, src := range []string{"round trip", "ProbeHello"} {
			t.Run(tt.name+"/"+src, func(t *testing.T) {
				addr := tt.addr(t)
				uri := "mongodb://" + addr + "/"
				if tt.tlsOn {
					uri += "?tls=true"
				}
				x := tlsTestRun(t, uri)
				ctx := tlsTestCtx(t)
				helloErr := plainHelloErr(ctx, t, addr)
				if src == "ProbeHello" {
					helloErr = x.e.ProbeHello(ctx, addr, wireprobe.HelloOptions{}).Err
				}
				got := x.tlsRequiredAfterHello(ctx, addr, helloErr)
				r := x.finish("ok")
				if got != tt.want {
					t.Fatalf("tlsRequiredAfterHello(%v) = %v, want %v%s", helloErr, got, tt.want, findingsText(r))
				}
				if !tt.want {
					if len(r.Findings) != 0 {
						t.Fatalf("findings without a TLS requirement:%s", findingsText(r))
					}
					return
				}
				checkFindings(t, r, []wantFinding{{id: catalogue.IDTLSServerRequiresTLS, sev: report.SeverityError, evidence: []string{tt.evidence}, suggested: "tls=true"}})
				if cs := stageChecks(r, report.StageTLS); len(cs) != 1 || cs[0].Status != report.StatusFail {
					t.Errorf("tls checks %+v, want one fail", cs)
				}
			})
		}
	}
}

// plainHelloErr is the error of a real plain hello to addr (nil when it
// is answered).
func plainHelloErr(ctx context.Context, t *testing.T, addr string) error {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, tlsTestBudget)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = tlsconf.HelloRoundTrip(ctx, conn, tlsTestBudget)
	return err
}

// TestTLSStageFerretDB runs the stage against FerretDB's own TLS listener.
func TestTLSStageFerretDB(t *testing.T) {
	certs := mongotest.NewCerts(t)
	tests := []struct {
		kind   mongotest.CertKind
		wantID string // "" for a pass
	}{
		{mongotest.CertValid, ""},
		{mongotest.CertUnknownCA, catalogue.IDTLSUnknownAuthority},
		{mongotest.CertWrongHost, catalogue.IDTLSHostnameMismatch},
		{mongotest.CertExpired, catalogue.IDTLSExpired},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			p := certs.Server(tt.kind)
			db := ferret.Start(t, ferret.Options{TLSCertFile: p.CertFile, TLSKeyFile: p.KeyFile})
			x := tlsTestRun(t, "mongodb://"+db.Addr+"/?tls=true&tlsCAFile="+certs.CAFile)
			ctx := tlsTestCtx(t)
			ok := x.tlsStage(ctx, []string{db.Addr})
			r := x.finish("ok")
			if ok[db.Addr] != (tt.wantID == "") {
				t.Fatalf("ok = %v for %v%s", ok[db.Addr], tt.kind, findingsText(r))
			}
			if tt.wantID == "" {
				checkFindings(t, r, nil)
				// The configuration the stage verified carries a real
				// conversation with the server.
				cfg, err := x.tlsConfig(hostOf(db.Addr))
				if err != nil {
					t.Fatal(err)
				}
				conn, err := tls.DialWithDialer(&net.Dialer{Timeout: tlsTestBudget}, "tcp", db.Addr, cfg)
				if err != nil {
					t.Fatalf("dial with tlsConfig: %v", err)
				}
				defer conn.Close()
				doc, err := tlsconf.HelloRoundTrip(ctx, conn, tlsTestBudget)
				if err != nil {
					t.Fatalf("hello over TLS: %v", err)
				}
				if _, ok := doc.Lookup("maxWireVersion").AsInt64OK(); !ok {
					t.Fatalf("hello reply without maxWireVersion: %v", doc)
				}
				return
			}
			checkFindings(t, r, []wantFinding{{id: tt.wantID, sev: report.SeverityError}})
		})
	}
}

func TestTLSConfigOptions(t *testing.T) {
	certs := mongotest.NewCerts(t)
	tests := []struct {
		query        string
		wantNil      bool
		wantSkip     bool
		wantVerifyFn bool
		wantRoots    bool
		wantCerts    int
	}{
		{query: "", wantNil: true},
		{query: "tls=false", wantNil: true},
		{query: "tls=true"},
		{query: "ssl=true&tlsCAFile=" + certs.CAFile, wantRoots: true},
		{query: "tlsCAFile=" + certs.CAFile, wantRoots: true}, // a tls* file option turns TLS on
		{query: "tls=true&tlsInsecure=true", wantSkip: true},
		{query: "tls=true&tlsAllowInvalidCertificates=true", wantSkip: true},
		{query: "tls=true&tlsAllowInvalidHostnames=true", wantSkip: true, wantVerifyFn: true},
		{query: "tls=true&tlsCertificateKeyFile=" + certs.Client.PEMFile, wantCerts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			x := tlsTestRun(t, "mongodb://db.example.test:27017/?"+tt.query)
			cfg, err := x.tlsConfig("db.example.test")
			if err != nil {
				t.Fatal(err)
			}
			if (cfg == nil) != tt.wantNil {
				t.Fatalf("config %v, want nil: %v", cfg, tt.wantNil)
			}
			if cfg == nil {
				return
			}
			if cfg.ServerName != "db.example.test" {
				t.Errorf("ServerName %q", cfg.ServerName)
			}
			if cfg.InsecureSkipVerify != tt.wantSkip || (cfg.VerifyConnection != nil) != tt.wantVerifyFn ||
				(cfg.RootCAs != nil) != tt.wantRoots || len(cfg.Certificates) != tt.wantCerts {
				t.Errorf("config skip=%v verifyFn=%v roots=%v certs=%d", cfg.InsecureSkipVerify, cfg.VerifyConnection != nil, cfg.RootCAs != nil, len(cfg.Certificates))
			}
		})
	}
	t.Run("mongodb+srv turns TLS on", func(t *testing.T) {
		x := tlsTestRun(t, "mongodb+srv://cluster0.example.test/")
		if cfg, err := x.tlsConfig("shard-00.example.test"); err != nil || cfg == nil {
			t.Fatalf("config %v, %v; want TLS on", cfg, err)
		}
		x = tlsTestRun(t, "mongodb+srv://cluster0.example.test/?tls=false")
		if cfg, err := x.tlsConfig("shard-00.example.test"); err != nil || cfg != nil {
			t.Fatalf("config %v, %v; want TLS off", cfg, err)
		}
	})
}
