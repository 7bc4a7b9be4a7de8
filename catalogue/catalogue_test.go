package catalogue

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/report"
)

// designIDs is DESIGN.md §4, copied for when the design document is not
// next to the repository. TestCatalogueMatchesDesign prefers the document.
var designIDs = []string{
	"uri.invalid", "uri.unescaped-credentials", "uri.unknown-option", "uri.direct-multiple-hosts",
	"uri.srv-with-port", "dns.no-such-host", "srv.no-records", "srv.domain-mismatch",
	"srv.txt-option-not-allowed", "srv.multiple-txt", "tcp.refused", "tcp.timeout",
	"tls.unknown-authority", "tls.hostname-mismatch", "tls.expired", "tls.server-not-tls",
	"tls.server-requires-tls", "server.not-responding", "server.not-mongodb",
	"wire.server-too-old", "wire.server-too-new", "topology.advertised-unreachable",
	"topology.replset-name-mismatch", "topology.replset-not-initiated", "topology.no-primary",
	"topology.failover", "auth.failed",
	"auth.mechanism-unsupported", "api.strict-unsupported", "select.timeout", "atlas.access-list",
}

// designWarnings are the ids DESIGN.md §4 makes warnings.
var designWarnings = []string{IDURIUnknownOption, IDAtlasAccessList}

// fixCredRE finds the password of a connection string in a fix.
var fixCredRE = regexp.MustCompile(`://[^/\s:@]+:([^@\s]*)@`)

var designIDRE = regexp.MustCompile("`?([a-z]+\\.[a-z][a-z-]*[a-z])`?")

// idsFromDesign reads the §4 id list of DESIGN.md, if the file is there.
func idsFromDesign(t *testing.T) []string {
	t.Helper()
	for _, p := range []string{filepath.Join("..", "..", "shared", "DESIGN.md"), filepath.Join("..", "DESIGN.md")} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.Index(s, "## 4.")
		if i < 0 {
			t.Fatalf("%s has no section 4", p)
		}
		s = s[i:]
		s = s[strings.Index(s, "\n")+1:]
		if j := strings.Index(s, "\nEach entry"); j >= 0 {
			s = s[:j]
		} else if j := strings.Index(s, "\n## "); j >= 0 {
			s = s[:j]
		}
		var ids []string
		for _, m := range designIDRE.FindAllStringSubmatch(s, -1) {
			ids = append(ids, m[1])
		}
		if len(ids) < 20 {
			t.Fatalf("%s §4 lists only %d ids: %v", p, len(ids), ids)
		}
		t.Logf("ids read from %s", p)
		return ids
	}
	t.Log("DESIGN.md not found: using the copy of its id list")
	return designIDs
}

func TestCatalogueMatchesDesign(t *testing.T) {
	want := idsFromDesign(t)
	if !slices.Equal(want, designIDs) {
		t.Errorf("DESIGN.md §4 lists %v, the copy in this test %v: update the copy", want, designIDs)
	}
	var got []string
	for _, e := range Catalogue() {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("catalogue ids (in order) = %v\nDESIGN.md §4            = %v", got, want)
	}
}

func TestCatalogueEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Catalogue() {
		t.Run(e.ID, func(t *testing.T) {
			if seen[e.ID] {
				t.Fatal("duplicate id")
			}
			seen[e.ID] = true
			if e.Title == "" || strings.HasSuffix(e.Title, ".") {
				t.Errorf("title %q: want one line without a final period", e.Title)
			}
			if len(e.Cause) < 120 || strings.Contains(e.Cause, "\n") {
				t.Errorf("cause must be one paragraph of some substance, got %d bytes", len(e.Cause))
			}
			if len(e.Fixes) == 0 {
				t.Error("no fixes")
			}
			for _, f := range e.Fixes {
				if strings.TrimSpace(f) == "" {
					t.Error("empty fix")
				}
				for _, m := range fixCredRE.FindAllStringSubmatch(f, -1) {
					if m[1] != "<password>" {
						t.Errorf("fix %q shows a password: use <password>", f)
					}
				}
			}
			if len(e.Docs) == 0 {
				t.Error("no documentation links")
			}
			for _, d := range e.Docs {
				if !strings.HasPrefix(d, "https://www.mongodb.com/docs/") {
					t.Errorf("doc link %q is not an official MongoDB documentation page", d)
				}
			}
			wantSev := report.SeverityError
			if slices.Contains(designWarnings, e.ID) {
				wantSev = report.SeverityWarning
			}
			if e.Severity != wantSev {
				t.Errorf("severity %q, DESIGN.md §4 says %q", e.Severity, wantSev)
			}
		})
	}
}

// TestCatalogueFixesShowURIs checks that the entries whose fix is a
// different connection string show that string.
func TestCatalogueFixesShowURIs(t *testing.T) {
	for _, id := range []string{
		IDURIUnescapedCredentials, IDURIDirectMultipleHosts, IDURISRVWithPort, IDSRVNoRecords,
		IDTLSUnknownAuthority, IDTLSServerNotTLS, IDTLSServerRequiresTLS,
		IDTopologyAdvertisedUnreachable, IDTopologyReplSetNameMismatch, IDAuthFailed, IDAuthMechanismUnsupported,
		IDTopologyFailover,
	} {
		e, ok := Lookup(id)
		if !ok {
			t.Fatalf("no entry %s", id)
		}
		if !strings.Contains(strings.Join(e.Fixes, "\n"), "mongodb") {
			t.Errorf("%s: no fix shows the corrected connection string", id)
		}
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	e, ok := Lookup(IDTCPRefused)
	if !ok {
		t.Fatal("no tcp.refused")
	}
	e.Fixes[0] = "changed"
	e.Docs[0] = "changed"
	c := Catalogue()
	c[0].Fixes[0] = "changed"
	f := NewFinding(IDTCPRefused)
	f.Fixes[0] = "changed"
	again, _ := Lookup(IDTCPRefused)
	first, _ := Lookup(c[0].ID)
	if again.Fixes[0] == "changed" || again.Docs[0] == "changed" || first.Fixes[0] == "changed" {
		t.Error("changing a returned entry or finding changed the catalogue")
	}
	if _, ok := Lookup("no.such-id"); ok {
		t.Error("Lookup found an id that does not exist")
	}
}

func TestNewFinding(t *testing.T) {
	tests := []struct {
		name     string
		f        report.Finding
		id       string
		sev      report.Severity
		evidence []string
	}{
		{"from the catalogue", NewFinding(IDAuthFailed, "user alice"), IDAuthFailed, report.SeverityError, []string{"user alice"}},
		{"warning entry", NewFinding(IDAtlasAccessList), IDAtlasAccessList, report.SeverityWarning, nil},
		{"unknown id", NewFinding("x.unknown", "e"), "x.unknown", report.SeverityError, []string{"e"}},
		{"explicit severity", NewFindingSeverity(IDTCPTimeout, report.SeverityInfo), IDTCPTimeout, report.SeverityInfo, nil},
		{"failover without primary", NewFailoverFinding(false, "no primary"), IDTopologyFailover, report.SeverityError, []string{"no primary"}},
		{"failover with a new primary", NewFailoverFinding(true), IDTopologyFailover, report.SeverityWarning, nil},
		{"with severity", NewFinding(IDTopologyFailover).WithSeverity(report.SeverityWarning), IDTopologyFailover, report.SeverityWarning, nil},
		{"evidence as seen", NewFinding(IDTCPRefused, "h:1 refused", "h:2 refused"), IDTCPRefused, report.SeverityError, []string{"h:1 refused", "h:2 refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.ID != tt.id || tt.f.Severity != tt.sev {
				t.Errorf("got %s/%s, want %s/%s", tt.f.ID, tt.f.Severity, tt.id, tt.sev)
			}
			if !slices.Equal(tt.f.Evidence, tt.evidence) {
				t.Errorf("evidence = %q, want %q", tt.f.Evidence, tt.evidence)
			}
			if e, ok := Lookup(tt.id); ok && (tt.f.Title != e.Title || tt.f.Cause != e.Cause || !slices.Equal(tt.f.Fixes, e.Fixes)) {
				t.Error("finding does not carry its entry's title, cause and fixes")
			}
		})
	}
}
