package report

import (
	"slices"
	"strings"
	"testing"
)

// TestRedactFindings checks that the mask reaches the evidence and the
// suggested URI of every finding, and that evidence lines made equal by
// the mask are kept once.
func TestRedactFindings(t *testing.T) {
	mask := func(s string) string { return strings.ReplaceAll(s, "hunter2", "****") }
	r := NewReport("ping", "mongodb://u:****@h:1/")
	r.AddFinding(WithSuggestedURI(Finding{ID: "a", Severity: SeverityError, Evidence: []string{"mongodb://u:hunter2@h:1/ refused", "mongodb://u:****@h:1/ refused", "h:1 refused"}}, "mongodb://u:hunter2@h:1/?directConnection=true"))
	r.AddFinding(Finding{ID: "b", Severity: SeverityWarning})
	r.RedactFindings(mask)
	a, b := r.Findings[0], r.Findings[1]
	if want := []string{"mongodb://u:****@h:1/ refused", "h:1 refused"}; !slices.Equal(a.Evidence, want) {
		t.Errorf("evidence = %q, want %q", a.Evidence, want)
	}
	if a.SuggestedURI != "mongodb://u:****@h:1/?directConnection=true" {
		t.Errorf("suggested URI = %q", a.SuggestedURI)
	}
	if b.Evidence != nil || b.SuggestedURI != "" {
		t.Errorf("a finding without evidence got %+v", b)
	}
}
