package catalogue

import (
	"strings"
	"testing"
)

func TestFillURI(t *testing.T) {
	f := NewFinding(IDWireServerTooOld)
	before := strings.Join(f.Fixes, "\n")
	if !strings.Contains(before, URIPlaceholder) {
		t.Fatalf("%s has no fix with %s: the test needs another entry", IDWireServerTooOld, URIPlaceholder)
	}
	got := FillURI(f, QuoteURI("mongodb://alice:****@db:27017/?replicaSet=rs0&w=1"))
	after := strings.Join(got.Fixes, "\n")
	if strings.Contains(after, "<URI>") {
		t.Errorf("placeholder left:\n%s", after)
	}
	if !strings.Contains(after, "mongoconn wire-check 'mongodb://alice:****@db:27017/?replicaSet=rs0&w=1'") {
		t.Errorf("fixes do not name the string:\n%s", after)
	}
	// The catalogue's own entry keeps its placeholder.
	if again := strings.Join(NewFinding(IDWireServerTooOld).Fixes, "\n"); again != before {
		t.Errorf("FillURI changed the catalogue:\n%s", again)
	}
	if strings.Join(f.Fixes, "\n") != before {
		t.Errorf("FillURI changed its argument")
	}
	if env := FillURI(f, `"$MONGODB_URI"`); !strings.Contains(strings.Join(env.Fixes, "\n"), `mongoconn wire-check "$MONGODB_URI"`) {
		t.Errorf("shell expression not put in:\n%s", strings.Join(env.Fixes, "\n"))
	}
}

func TestQuoteURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mongodb://h/?a=1&b=2", `'mongodb://h/?a=1&b=2'`},
		{"mongodb://h/?appName=it's", `'mongodb://h/?appName=it'\''s'`},
		{"", "''"},
	}
	for _, tc := range tests {
		if got := QuoteURI(tc.in); got != tc.want {
			t.Errorf("QuoteURI(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
