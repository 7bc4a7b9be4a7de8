package diagnose

import (
	"context"
	"net"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/sdam"
)

// A primary that lists itself under every spelling of its name (case,
// the trailing dot of an absolute name, the default port) is one member,
// listed once, and works; a warning says that the driver keeps the dotted
// spelling apart.
func TestDuplicateMemberSpellings(t *testing.T) {
	m := mongotest.StartFakeMongodDefaultPort(t, mongotest.Options{Hello: func() bson.D { return mongotest.DuplicateMembersHello("db.dup.test") }})
	host, _, _ := net.SplitHostPort(m.Addr())
	dns := mongotest.StartDNS(t)
	if err := dns.AddHost("db.dup.test", 60, host); err != nil {
		t.Fatal(err)
	}
	commands := map[string]func(*Engine, context.Context, *connstr.Target) (*report.Report, error){
		"discover":     (*Engine).Discover,
		"wire-check":   (*Engine).WireCheck,
		"tunnel-check": (*Engine).TunnelCheck,
		"diagnose":     (*Engine).Diagnose,
		"ping": func(e *Engine, ctx context.Context, t *connstr.Target) (*report.Report, error) {
			return e.Ping(ctx, t, PingRequest{RequirePrimary: true})
		},
	}
	for name, run := range commands {
		t.Run(name, func(t *testing.T) {
			e := NewEngine()
			e.Resolver = resolve.NewResolver(dns.Addr)
			e.Timeout = topoTestBudget
			r, err := run(e, context.Background(), topoTarget(t, "mongodb://db.dup.test/?replicaSet="+mongotest.HostileSetName))
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK {
				t.Errorf("ok false: %q%s", r.Verdict, findingsText(r))
			}
			seen := map[string]string{}
			for _, s := range r.Servers {
				c := sdam.Canonical(s.Address)
				if first, ok := seen[c]; ok {
					t.Errorf("member %s listed as %q and %q", c, first, s.Address)
				}
				seen[c] = s.Address
			}
			if name == "ping" || name == "wire-check" {
				return // neither reports the topology when it works
			}
			warned := false
			for _, c := range r.Checks {
				if c.Stage == report.StageTopology && c.Status == report.StatusWarn && strings.Contains(c.Summary, "db.dup.test.:27017") && strings.Contains(c.Summary, "4 times") {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning about the spellings the driver keeps apart%s", findingsText(r))
			}
		})
	}
}
