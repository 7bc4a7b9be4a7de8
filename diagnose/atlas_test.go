package diagnose

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// atlasTestBudget is the command budget of the Atlas cases: every peer is
// on loopback and answers (or refuses) at once.
const atlasTestBudget = 5 * time.Second

// atlasZone is an Atlas-like seed list: SRV and TXT of
// cluster0.abcde.mongodb.net, with one member per port, every name on
// 127.0.0.1.
func atlasZone(ports ...string) string {
	z := "cluster0.abcde.mongodb.net. 60 IN TXT \"authSource=admin&replicaSet=atlas-x1-shard-0\"\n"
	for i, p := range ports {
		host := fmt.Sprintf("cluster0-shard-00-%02d.abcde.mongodb.net.", i)
		z += fmt.Sprintf("_mongodb._tcp.cluster0.abcde.mongodb.net. 60 IN SRV 0 0 %s %s\n%s 60 IN A 127.0.0.1\n", p, host, host)
	}
	return z
}

func portOfAddr(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// atlasDiagnose runs diagnose on uri with the fixture as the resolver.
func atlasDiagnose(t *testing.T, s *mongotest.DNSServer, uri string, budget time.Duration) *report.Report {
	t.Helper()
	tgt, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	e.Resolver = dnsServerResolver(s.Addr)
	e.Timeout = budget
	r, err := e.Diagnose(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reportIDs(r *report.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestAtlasAccessListFromTheTLSHandshake(t *testing.T) {
	for _, c := range []struct {
		name string
		how  mongotest.TLSReject
		what string
	}{
		{"alert 80", mongotest.RejectAlertInternalError, "alert internal_error (80)"},
		{"reset", mongotest.RejectReset, "reset the connection"},
		{"closed", mongotest.RejectClose, "closed the connection"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := mongotest.ServeTLSRejecter(t, c.how)
			s := mongotest.StartDNS(t)
			if err := s.AddZone(atlasZone(portOfAddr(t, addr))); err != nil {
				t.Fatal(err)
			}
			r := atlasDiagnose(t, s, "mongodb+srv://cluster0.abcde.mongodb.net/", atlasTestBudget)
			checkFindings(t, r, []wantFinding{
				{id: catalogue.IDAtlasAccessList, sev: report.SeverityWarning, evidence: []string{"accepted the TCP connection", c.what}},
				{id: catalogue.IDServerNotResponding, sev: report.SeverityError, evidence: []string{c.what}},
			})
			if r.OK {
				t.Error("report ok")
			}

			// The same peer under a name that is not Atlas's: no hint.
			s.AddZone("db.example.test. 60 IN A 127.0.0.1\n")
			r = atlasDiagnose(t, s, "mongodb://db.example.test:"+portOfAddr(t, addr)+"/?tls=true", atlasTestBudget)
			if slices.Contains(reportIDs(r), catalogue.IDAtlasAccessList) {
				t.Errorf("atlas.access-list for a host that is not Atlas's: %s", findingsText(r))
			}
		})
	}
}

func TestAtlasAccessListNeverOnDNSOrSilence(t *testing.T) {
	s := mongotest.StartDNS(t)
	silent := mongotest.SilentListener(t)
	if err := s.AddZone(atlasZone(portOfAddr(t, silent))); err != nil {
		t.Fatal(err)
	}
	s.SetRcode("_mongodb._tcp.cluster0.abcde.mongodb.net", dns.RcodeServerFailure)
	r := atlasDiagnose(t, s, "mongodb+srv://cluster0.abcde.mongodb.net/", atlasTestBudget)
	if ids := reportIDs(r); slices.Contains(ids, catalogue.IDAtlasAccessList) || !slices.Contains(ids, catalogue.IDDNSNoAnswer) {
		t.Errorf("SRV lookup failure: %s", findingsText(r))
	}
	s.SetRcode("_mongodb._tcp.cluster0.abcde.mongodb.net", 0)
	r = atlasDiagnose(t, s, "mongodb+srv://cluster0.abcde.mongodb.net/", 300*time.Millisecond)
	if slices.Contains(reportIDs(r), catalogue.IDAtlasAccessList) {
		t.Errorf("a silent member got atlas.access-list: %s", findingsText(r))
	}
}

func TestAtlasClusterPaused(t *testing.T) {
	closed1, closed2 := mongotest.ClosedPort(t), mongotest.ClosedPort(t)
	s := mongotest.StartDNS(t)
	if err := s.AddZone(atlasZone(portOfAddr(t, closed1), portOfAddr(t, closed2))); err != nil {
		t.Fatal(err)
	}
	r := atlasDiagnose(t, s, "mongodb+srv://cluster0.abcde.mongodb.net/", atlasTestBudget)
	checkFindings(t, r, []wantFinding{
		{id: catalogue.IDAtlasClusterPaused, sev: report.SeverityError, evidence: []string{"2 SRV record(s)", "none of its 2 member(s)"}},
		{id: catalogue.IDTCPRefused, sev: report.SeverityError},
	})
	// The fixes name a member, its port and the cluster: no HOST is left
	// for the reader to fill.
	if f, ok := findingOf(r, catalogue.IDAtlasClusterPaused); ok {
		fixes := strings.Join(f.Fixes, "\n")
		nc0 := "nc -vz cluster0-shard-00-00.abcde.mongodb.net " + portOfAddr(t, closed1)
		nc1 := "nc -vz cluster0-shard-00-01.abcde.mongodb.net " + portOfAddr(t, closed2)
		if !strings.Contains(fixes, nc0) && !strings.Contains(fixes, nc1) {
			t.Errorf("fixes lack %q or %q:\n%s", nc0, nc1, fixes)
		}
		if !strings.Contains(fixes, "mongoconn srv cluster0.abcde.mongodb.net") || strings.Contains(fixes, "HOST") {
			t.Errorf("fixes do not name the cluster:\n%s", fixes)
		}
	}
	// The commands without a tcp stage, whose TLS check dials first.
	tgt, err := connstr.ParseTarget("mongodb+srv://cluster0.abcde.mongodb.net/")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	e.Resolver = dnsServerResolver(s.Addr)
	e.Timeout = atlasTestBudget
	for name, run := range map[string]func(context.Context, *connstr.Target) (*report.Report, error){
		"discover": e.Discover, "wire-check": e.WireCheck, "tunnel-check": e.TunnelCheck,
	} {
		r, err := run(context.Background(), tgt)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			checkFindings(t, r, []wantFinding{
				{id: catalogue.IDAtlasClusterPaused, sev: report.SeverityError, evidence: []string{"none of its 2 member(s)"}},
				{id: catalogue.IDTCPRefused, sev: report.SeverityError, evidence: []string{portOfAddr(t, closed1), portOfAddr(t, closed2)}},
			})
		})
	}

	// One member listens: not paused.
	up := mongotest.ServeTLSRejecter(t, mongotest.RejectAlertInternalError)
	s2 := mongotest.StartDNS(t)
	if err := s2.AddZone(atlasZone(portOfAddr(t, closed1), portOfAddr(t, up))); err != nil {
		t.Fatal(err)
	}
	r = atlasDiagnose(t, s2, "mongodb+srv://cluster0.abcde.mongodb.net/", atlasTestBudget)
	if slices.Contains(reportIDs(r), catalogue.IDAtlasClusterPaused) {
		t.Errorf("paused with a member listening: %s", findingsText(r))
	}

	// The same refusals behind a seed list that is not Atlas's.
	s3 := mongotest.StartDNS(t)
	if err := s3.AddZone(fmt.Sprintf("_mongodb._tcp.rs.example.test. 60 IN SRV 0 0 %s m0.rs.example.test.\nm0.rs.example.test. 60 IN A 127.0.0.1\n", portOfAddr(t, closed1))); err != nil {
		t.Fatal(err)
	}
	r = atlasDiagnose(t, s3, "mongodb+srv://rs.example.test/", atlasTestBudget)
	if ids := reportIDs(r); slices.Contains(ids, catalogue.IDAtlasClusterPaused) || !slices.Contains(ids, catalogue.IDTCPRefused) {
		t.Errorf("not Atlas: %s", findingsText(r))
	}
}

// TestAtlasClusterNotFoundFixes: the fix that checks the name names the
// string's host, not the catalogue's example cluster0.abcde.
func TestAtlasClusterNotFoundFixes(t *testing.T) {
	s := mongotest.StartDNS(t)
	r := atlasDiagnose(t, s, "mongodb+srv://orders.xy9zq.mongodb.net/", atlasTestBudget)
	f, ok := findingOf(r, catalogue.IDAtlasClusterNotFound)
	if !ok {
		t.Fatalf("no atlas.cluster-not-found: %s", findingsText(r))
	}
	fixes := strings.Join(f.Fixes, "\n")
	if !strings.Contains(fixes, "Verify the name with: mongoconn srv orders.xy9zq.mongodb.net") || strings.Contains(fixes, "cluster0.abcde") {
		t.Errorf("fixes:\n%s", fixes)
	}
}
