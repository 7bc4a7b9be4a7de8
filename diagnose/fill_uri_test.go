package diagnose

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
)

// TestFinishFillsTheURI: a finished report's fixes name the target's
// string, masked and quoted, where the catalogue has its placeholder.
func TestFinishFillsTheURI(t *testing.T) {
	tg, err := connstr.ParseTarget("mongodb://alice:s3cret@127.0.0.1:1/?replicaSet=rs0&appName=it's")
	if err != nil {
		t.Fatal(err)
	}
	x := NewEngine().newRun("ping", tg)
	x.addFinding(catalogue.NewFinding(catalogue.IDTopologyNoPrimary, "no primary"))
	r := x.finish("")
	fixes := strings.Join(r.Findings[len(r.Findings)-1].Fixes, "\n")
	want := `mongoconn ping --wait 60s --primary 'mongodb://alice:****@127.0.0.1:1/?replicaSet=rs0&appName=it'\''s'`
	if !strings.Contains(fixes, want) || strings.Contains(fixes, "<URI>") || strings.Contains(fixes, "s3cret") {
		t.Errorf("fixes:\n%s\nwant one with %s", fixes, want)
	}
}
