package explain

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
)

// TestFixesNameTheString: a fix that names a mongoconn command carries the
// connection string the text gave (masked), else one built from its
// hosts, else $MONGODB_URI; never the catalogue's placeholder.
func TestFixesNameTheString(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"string in the text", "pymongo.errors.ConfigurationError: Server at mongodb://alice:secret@db:27017/?replicaSet=rs0 reports wire version 5, but this version of PyMongo requires at least 6 (MongoDB 3.6).",
			"mongoconn wire-check 'mongodb://alice:****@db:27017/?replicaSet=rs0'"},
		{"hosts in the text", "server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: db1:27017, Type: Unknown, Last error: dial tcp 10.0.0.1:27017: connect: connection refused }, ] }",
			"mongoconn diagnose 'mongodb://db1:27017/'"},
		{"nothing to go on", "server selection error: context deadline exceeded, current topology: { Type: Unknown, Servers: [] }",
			`mongoconn diagnose "$MONGODB_URI"`},
	}
	for _, tc := range tests {
		x := Explain(tc.text)
		if !x.Recognised() {
			t.Fatalf("%s: not recognised", tc.name)
		}
		var fixes []string
		for _, f := range x.Findings {
			fixes = append(fixes, f.Fixes...)
		}
		all := strings.Join(fixes, "\n")
		if strings.Contains(all, "<URI>") {
			t.Errorf("%s: placeholder left in the fixes:\n%s", tc.name, all)
		}
		if !strings.Contains(all, tc.want) {
			t.Errorf("%s: no fix names %s:\n%s", tc.name, tc.want, all)
		}
		if strings.Contains(all, "secret") {
			t.Errorf("%s: password in a fix", tc.name)
		}
	}
	// The catalogue keeps its placeholder for the next text.
	if !strings.Contains(strings.Join(catalogue.NewFinding(catalogue.IDSelectTimeout).Fixes, "\n"), catalogue.URIPlaceholder) {
		t.Error("explaining changed the catalogue")
	}
}
