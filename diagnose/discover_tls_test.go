package diagnose

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// discover, wire-check and tunnel-check speak TLS to every seed as the
// driver would when the string asks for it, and a seed whose handshake
// fails gets the finding the TLS stage of diagnose gives it; such a seed
// has not answered hello. Through a TLS front with a trusted certificate
// the deployment answers, over TLS.
func TestTopoCommandsOverTLS(t *testing.T) {
	certs := mongotest.NewCerts(t)
	opts := "/?tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile)
	backend := mongotest.StartFakeMongod(t, mongotest.Options{})
	front := func(kind mongotest.CertKind) string {
		return mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(kind).TLS, Backend: backend.Addr()})
	}
	commands := map[string]func(*Engine, context.Context, *connstr.Target) (*report.Report, error){
		"discover":     (*Engine).Discover,
		"wire-check":   (*Engine).WireCheck,
		"tunnel-check": (*Engine).TunnelCheck,
	}
	cases := []struct {
		name   string
		addr   string
		answer bool   // the seed answers hello over TLS
		id     string // the error finding of a seed that fails TLS
	}{
		{"trusted", front(mongotest.CertValid), true, ""},
		{"untrusted CA", front(mongotest.CertUnknownCA), false, catalogue.IDTLSUnknownAuthority},
		{"expired", front(mongotest.CertExpired), false, catalogue.IDTLSExpired},
		{"wrong host name", front(mongotest.CertWrongHost), false, catalogue.IDTLSHostnameMismatch},
		{"reset in the handshake", mongotest.StartTLSReset(t).Addr(), false, ""},
		{"plain server", backend.Addr(), false, catalogue.IDTLSServerNotTLS},
	}
	for _, c := range cases {
		for name, run := range commands {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				e := topoEngine(t)
				r, err := run(e, context.Background(), topoTarget(t, "mongodb://"+c.addr+opts))
				if err != nil {
					t.Fatal(err)
				}
				var tlsChecks []report.Check
				for _, ch := range r.Checks {
					if ch.Stage == report.StageTLS && ch.Address == c.addr {
						tlsChecks = append(tlsChecks, ch)
					}
				}
				if len(tlsChecks) != 1 {
					t.Fatalf("%d tls checks for %s, want the TLS stage's one%s", len(tlsChecks), c.addr, findingsText(r))
				}
				answered := slices.ContainsFunc(r.Servers, func(s report.Server) bool {
					return s.Reachable && s.Kind != "Unknown"
				})
				if answered != c.answer {
					t.Errorf("a server answered hello: %v, want %v; servers %+v", answered, c.answer, r.Servers)
				}
				if c.answer {
					if !r.OK || tlsChecks[0].Status != report.StatusPass {
						t.Errorf("ok %v, tls check %s %q%s", r.OK, tlsChecks[0].Status, tlsChecks[0].Summary, findingsText(r))
					}
					return
				}
				if r.OK || !r.HasErrors() || tlsChecks[0].Status != report.StatusFail {
					t.Errorf("ok %v, tls check %s%s", r.OK, tlsChecks[0].Status, findingsText(r))
				}
				if c.id != "" && !r.HasFinding(c.id) {
					t.Errorf("no %s%s", c.id, findingsText(r))
				}
				if len(r.Servers) != 1 || r.Servers[0].Address != c.addr || r.Servers[0].Reachable || !strings.Contains(r.Servers[0].Error, tlsChecks[0].Summary) {
					t.Errorf("servers %+v, want the seed, unreachable, with the TLS check's reason %q", r.Servers, tlsChecks[0].Summary)
				}
			})
		}
	}
}
