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

// designIDs is the id list of DESIGN.md (§4, then §9, then §10), copied
// for when the design document is not next to the repository.
// TestCatalogueMatchesDesign prefers the document.
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
	"uri.invalid-value", "driver.refused", "local.resources",
	// §9
	"proxy.unreachable", "proxy.auth-failed", "proxy.connect-failed", "ssh.unreachable",
	"ssh.auth-failed", "ssh.host-key-unknown", "ssh.host-key-mismatch", "ssh.forward-refused",
	"proxy.env-ignored", "tcp.some-addresses-refused",
	// §10
	"atlas.cluster-paused", "atlas.cluster-not-found", "auth.wrong-source", "auth.x509-client-cert",
	"auth.aws-no-credentials", "dns.resolvers-disagree", "dns.answer-unparseable", "dns.srv-truncated",
	"topology.split-horizon", "compression.not-negotiated", "pool.connection-budget",
}

// extraIDs are the catalogue's ids that DESIGN.md does not list (yet), in
// the order of entries_extra.go: they come after every id of DESIGN.md,
// and no other id may.
var extraIDs = []string{"dns.no-answer", "run.interrupted"}

// designWarnings are the ids DESIGN.md makes warnings (topology.failover
// is one only once a primary exists again: NewFailoverFinding).
var designWarnings = []string{
	"uri.unknown-option", "atlas.access-list", "uri.invalid-value", "proxy.env-ignored",
	"tcp.some-addresses-refused", "dns.resolvers-disagree", "dns.srv-truncated",
	"compression.not-negotiated", "pool.connection-budget",
}

// fixCredRE finds the password of a connection string in a fix.
var fixCredRE = regexp.MustCompile(`://[^/\s:@]+:([^@\s]*)@`)

var designIDRE = regexp.MustCompile("`?([a-z]+\\.[a-z][a-z0-9-]*[a-z0-9])`?")

// designSection returns the text of the section of doc whose heading
// starts with "## n.", up to the next heading.
func designSection(doc, n string) string {
	i := strings.Index(doc, "\n## "+n+".")
	if i < 0 {
		return ""
	}
	s := doc[i+1:]
	s = s[strings.Index(s, "\n")+1:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// appendIDs appends the ids written in text (backquoted or between
// " · " separators) that ids does not hold yet.
func appendIDs(ids []string, text string) []string {
	for _, m := range designIDRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(ids, m[1]) && !strings.HasSuffix(m[1], ".md") {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// idsFromDesign reads the ids of DESIGN.md, if the file is there: the
// list of §4 (up to "and the ids of §9 and §10"), the backquoted ids of
// §9 and the first column of §10's table, in that order.
func idsFromDesign(t *testing.T) []string {
	t.Helper()
	for _, p := range []string{filepath.Join("..", "..", "shared", "DESIGN.md"), filepath.Join("..", "DESIGN.md")} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		doc := string(b)
		s4 := designSection(doc, "4")
		if j := strings.Index(s4, "and the ids of"); j >= 0 {
			s4 = s4[:j]
		}
		var ids []string
		for _, item := range strings.Split(s4, "·") {
			item, _, _ = strings.Cut(item, "(")
			ids = appendIDs(ids, item)
		}
		for _, l := range strings.Split(designSection(doc, "9"), "\n") {
			for _, m := range regexp.MustCompile("`([a-z]+\\.[a-z][a-z0-9-]*)`").FindAllStringSubmatch(l, -1) {
				if strings.HasPrefix(m[1], "proxy.") || strings.HasPrefix(m[1], "ssh.") || strings.HasPrefix(m[1], "tcp.") {
					ids = appendIDs(ids, m[1])
				}
			}
		}
		for _, l := range strings.Split(designSection(doc, "10"), "\n") {
			if cells := strings.Split(l, "|"); len(cells) > 2 && strings.Contains(cells[1], "`") {
				ids = appendIDs(ids, cells[1])
			}
		}
		if len(ids) < 20 {
			t.Fatalf("%s lists only %d ids: %v", p, len(ids), ids)
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
		t.Errorf("DESIGN.md lists %v,\nthe copy in this test %v: update the copy", want, designIDs)
	}
	var got []string
	for _, e := range Catalogue() {
		got = append(got, e.ID)
	}
	for _, id := range extraIDs {
		if slices.Contains(want, id) {
			t.Errorf("%s is in DESIGN.md now: move its entry to its family and drop it from extraIDs", id)
		}
	}
	if !idsFollowDesign(got, want, extraIDs) {
		t.Errorf("catalogue ids (in order) = %v\nDESIGN.md               = %v\nthen the extras          %v", got, want, extraIDs)
	}
}

// idsFollowDesign says whether got is design's ids in their order, then
// exactly extras: an id DESIGN.md does not list is accepted only at the
// end and only when listed.
func idsFollowDesign(got, design, extras []string) bool {
	n := len(design)
	return len(got) == n+len(extras) && slices.Equal(got[:n], design) && slices.Equal(got[n:], extras)
}

// The rule of TestCatalogueMatchesDesign: DESIGN.md's ids in its order,
// then exactly the listed extras.
func TestDesignOrderWithExtras(t *testing.T) {
	design := []string{"a.one", "b.two"}
	extras := []string{"c.three"}
	for _, tc := range []struct {
		got []string
		ok  bool
	}{
		{[]string{"a.one", "b.two", "c.three"}, true},
		{[]string{"a.one", "c.three", "b.two"}, false},
		{[]string{"c.three", "a.one", "b.two"}, false},
		{[]string{"a.one", "b.two", "c.three", "d.four"}, false},
		{[]string{"a.one", "b.two"}, false},
		{[]string{"a.one"}, false},
	} {
		if got := idsFollowDesign(tc.got, design, extras); got != tc.ok {
			t.Errorf("%v: %v, want %v", tc.got, got, tc.ok)
		}
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
