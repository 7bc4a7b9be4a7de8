//go:build drivers && linux

package drivertest

import (
	"regexp"
	"testing"

	"github.com/mongoconn/mongoconn/internal/driverrun"
)

// catalogueID is the shape of a finding id.
var catalogueID = regexp.MustCompile(`^[a-z]+\.[a-z0-9-]+$`)

// TestKnownGapsNameRealRows checks the tables themselves, root or not:
// every row names a scenario and a client of the suite, once, with ids of
// the catalogue's shape.
func TestKnownGapsNameRealRows(t *testing.T) {
	names := map[string]bool{}
	for _, sc := range scenarios() {
		if names[sc.name] {
			t.Errorf("two scenarios are named %s", sc.name)
		}
		names[sc.name] = true
	}
	type key struct {
		c driverrun.Client
		s string
	}
	known := func(c driverrun.Client) bool {
		for _, k := range driverrun.AllClients() {
			if k == c {
				return true
			}
		}
		return false
	}
	seen := map[key]bool{}
	for _, g := range knownOKGaps {
		if !names[g.scenario] || !known(g.client) || g.why == "" {
			t.Errorf("knownOKGaps row %+v: unknown scenario or client, or no reason", g)
		}
		if seen[key{g.client, g.scenario}] {
			t.Errorf("knownOKGaps lists %s in %s twice", g.client, g.scenario)
		}
		seen[key{g.client, g.scenario}] = true
	}
	seen = map[key]bool{}
	for _, g := range knownExplainGaps {
		if !names[g.scenario] || !known(g.client) {
			t.Errorf("knownExplainGaps row %+v: unknown scenario or client", g)
		}
		if !catalogueID.MatchString(g.diagnose) || (g.explain != "" && !catalogueID.MatchString(g.explain)) || g.diagnose == g.explain {
			t.Errorf("knownExplainGaps row %+v: ids are not catalogue ids, or agree", g)
		}
		if seen[key{g.client, g.scenario}] {
			t.Errorf("knownExplainGaps lists %s in %s twice", g.client, g.scenario)
		}
		seen[key{g.client, g.scenario}] = true
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		text string
		want textKind
	}{
		{"MongoServerSelectionError: Server selection timed out after 3000 ms", causeless},
		{"Server selection timed out after 30000 ms\n", causeless},
		// Node.js prints the topology description with it: not bare.
		{"MongoServerSelectionError: Server selection timed out after 3000 ms {\n  reason: TopologyDescription {\n    type: 'ReplicaSetNoPrimary'\n  }\n}", namesCause},
		{"MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 closed", ambiguous},
		{"MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 closed {\n  code: undefined\n}", ambiguous},
		{"pymongo.errors.ServerSelectionTimeoutError: connection closed, Timeout: 3.0s, Topology Description: <...>", ambiguous},
		{"MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 timed out", namesCause},
		{"MongoNetworkError: connect ECONNREFUSED 127.0.0.1:27017", namesCause},
	}
	for _, tt := range tests {
		if got := kindOf(tt.text); got != tt.want {
			t.Errorf("kindOf(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestNamesNoCause(t *testing.T) {
	const next = "nothing in the text matches a known failure; next: mongoconn diagnose \"$MONGODB_URI\""
	tests := []struct {
		ids     []string
		verdict string
		want    bool
	}{
		{nil, next, true},
		{[]string{"select.timeout"}, "recognised select.timeout; next: mongoconn diagnose \"$MONGODB_URI\"", true},
		{[]string{"tcp.timeout", "select.timeout"}, "recognised tcp.timeout, select.timeout; next: mongoconn diagnose 'mongodb://h:1/'", false},
		{nil, "nothing in the text matches a known failure", false},
	}
	for _, tt := range tests {
		if got := namesNoCause(tt.ids, tt.verdict); got != tt.want {
			t.Errorf("namesNoCause(%v, %q) = %v, want %v", tt.ids, tt.verdict, got, tt.want)
		}
	}
}

func TestCorpusNames(t *testing.T) {
	v := driverrun.Versions{NodeDriver: "7.9.1", Mongosh: "2.12.0", PyMongo: "3.11.0"}
	tests := []struct {
		c        driverrun.Client
		scenario string
		want     string
	}{
		{driverrun.Node, "tls-to-plain", "node7_tls_to_plain.txt"},
		{driverrun.Mongosh, "refused", "mongosh2_refused.txt"},
		{driverrun.PyMongo, "wire-3.6", "pymongo3_wire_3.6.txt"},
	}
	for _, tt := range tests {
		got := corpusName(tt.c, v, tt.scenario)
		if got != tt.want || !ownCorpusFile(got) {
			t.Errorf("corpusName(%s, %s) = %q (own: %v), want %q", tt.c, tt.scenario, got, ownCorpusFile(got), tt.want)
		}
	}
	// The hand-written texts of testdata/explain are never the suite's.
	for _, name := range []string{"node_refused.txt", "mongosh_refused.txt", "py_auth.txt", "node_getaddrinfo_replset.txt", "nodeX_y.txt", "node7.txt", "go_auth.txt"} {
		if ownCorpusFile(name) {
			t.Errorf("ownCorpusFile(%q) = true: -update would delete it", name)
		}
	}
}

func TestWireExpectation(t *testing.T) {
	v := driverrun.Versions{NodeDriver: "7.9.1", Mongosh: "2.12.0", PyMongo: "3.11.0"}
	report := func(first string, servers ...driverrun.Server) driverrun.Report {
		return driverrun.Report{Servers: servers, Findings: []driverrun.Finding{{ID: first, Severity: "error"}}}
	}
	mongo34 := driverrun.Server{Address: "127.0.0.1:1", Kind: "Standalone", MinWireVersion: 0, MaxWireVersion: 5, Reachable: true}
	tooNew := driverrun.Server{Address: "127.0.0.1:1", Kind: "Standalone", MinWireVersion: 99, MaxWireVersion: 99, Reachable: true}
	silent := driverrun.Server{Address: "127.0.0.1:2", Kind: "Unknown"}
	tests := []struct {
		name         string
		c            driverrun.Client
		r            driverrun.Report
		speaks, isOK bool
	}{
		{"PyMongo 3.11 speaks MongoDB 3.4", driverrun.PyMongo, report("wire.server-too-old", mongo34, silent), true, true},
		{"the Node.js driver 7.9 does not", driverrun.Node, report("wire.server-too-old", mongo34), false, true},
		{"nor does mongosh, with the same driver", driverrun.Mongosh, report("wire.server-too-old", mongo34), false, true},
		{"no client speaks wire 99", driverrun.PyMongo, report("wire.server-too-new", tooNew), false, true},
		{"another cause: diagnose's ok stands", driverrun.PyMongo, report("tcp.refused", mongo34), false, false},
		{"no server answered", driverrun.PyMongo, report("wire.server-too-old", silent), false, false},
	}
	for _, tt := range tests {
		speaks, ok := wireExpectation(tt.c, v, tt.r)
		if speaks != tt.speaks || ok != tt.isOK {
			t.Errorf("%s: wireExpectation = %v, %v; want %v, %v", tt.name, speaks, ok, tt.speaks, tt.isOK)
		}
	}
	if _, ok := wireExpectation(driverrun.PyMongo, driverrun.Versions{PyMongo: "2.8.0"}, report("wire.server-too-old", mongo34)); ok {
		t.Error("a release the table does not hold gave an expectation")
	}
}
