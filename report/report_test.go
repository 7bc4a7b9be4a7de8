package report

import (
	"bytes"
	"encoding/json"
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

// Every key of a finding is written, lists as [] and the suggested
// string as "" when there is none, and a URI keeps its & unescaped.
func TestFindingJSONKeys(t *testing.T) {
	b, err := json.Marshal(Finding{ID: "tcp.refused", Severity: SeverityError})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"tcp.refused","severity":"error","title":"","evidence":[],"cause":"","fixes":[],"suggestedUri":"","docs":[]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Finding{SuggestedURI: "mongodb://h/?a=1&b=2"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"suggestedUri":"mongodb://h/?a=1&b=2"`) {
		t.Errorf("the URI is escaped: %s", buf.String())
	}
}
