package driverrun

import (
	"slices"
	"strings"
	"testing"
)

const diagnoseJSON = `{
  "schemaVersion": 1,
  "command": "diagnose",
  "target": "mongodb://127.0.0.1:1/",
  "ok": false,
  "verdict": "tcp stage failed: nothing is listening on the port (connection refused)",
  "durationMs": 0.4,
  "checks": [],
  "servers": [{"address": "127.0.0.1:1", "kind": "Unknown", "minWireVersion": 0, "maxWireVersion": 0, "reachable": false},
              {"address": "127.0.0.1:2", "kind": "Standalone", "minWireVersion": 0, "maxWireVersion": 5, "reachable": true}],
  "findings": [
    {"id": "uri.unknown-option", "severity": "warning", "title": "t", "evidence": ["e"], "cause": "c", "fixes": [], "docs": []},
    {"id": "tcp.refused", "severity": "error", "title": "t", "evidence": ["e"], "cause": "c", "fixes": [], "docs": []},
    {"id": "select.timeout", "severity": "error", "title": "t", "evidence": [], "cause": "c", "fixes": [], "docs": []}
  ]
}`

func TestParseReport(t *testing.T) {
	r, err := ParseReport([]byte(diagnoseJSON))
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Command != "diagnose" {
		t.Errorf("report = %+v", r)
	}
	if len(r.Servers) != 2 || r.Servers[0].Answered() || !r.Servers[1].Answered() || r.Servers[1].MaxWireVersion != 5 {
		t.Errorf("servers = %+v, want the second alone answered, with wire 0-5", r.Servers)
	}
	if got := r.FirstError(); got != "tcp.refused" {
		t.Errorf("FirstError = %q, want tcp.refused (the warning before it is not an error)", got)
	}
	if got := r.FirstID(); got != "uri.unknown-option" {
		t.Errorf("FirstID = %q", got)
	}
	if got := r.IDs(); !slices.Equal(got, []string{"uri.unknown-option", "tcp.refused", "select.timeout"}) {
		t.Errorf("IDs = %v", got)
	}
	empty, err := ParseReport([]byte(`{"schemaVersion": 1, "ok": true, "findings": []}`))
	if err != nil || empty.FirstError() != "" || empty.FirstID() != "" || len(empty.IDs()) != 0 {
		t.Errorf("empty report: %+v, %v", empty, err)
	}
	for _, bad := range []string{"", "null x", `{"schemaVersion": 2}`, `{"schemaVersion": 1, "findings": [{"severity": "error"}]}`} {
		if _, err := ParseReport([]byte(bad)); err == nil {
			t.Errorf("ParseReport(%q) accepted", bad)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add([]byte(diagnoseJSON))
	f.Add([]byte(`{"schemaVersion":1,"findings":[{"id":"a","severity":"warning"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		if id := r.FirstError(); id != "" && !slices.Contains(r.IDs(), id) {
			t.Fatalf("FirstError %q is not among %v", id, r.IDs())
		}
	})
}

func TestMongoconnErrorHidesPasswords(t *testing.T) {
	e := &MongoconnError{
		Args:     []string{"-o", "json", "diagnose", "mongodb://alice:p@ss@127.0.0.1:27017/?authSource=admin", "mongodb+srv://bob:s3cret@c0.example.test/"},
		ExitCode: 3,
	}
	got := e.Error()
	for _, secret := range []string{"p@ss", "ss@127", "s3cret"} {
		if strings.Contains(got, secret) {
			t.Errorf("Error() = %q carries %q", got, secret)
		}
	}
	if !strings.Contains(got, "mongodb://alice:****@127.0.0.1:27017/?authSource=admin") || !strings.Contains(got, "(exit 3)") {
		t.Errorf("Error() = %q", got)
	}
}
