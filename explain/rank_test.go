package explain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
)

// TestExplainRanksAsDiagnose holds explain to the differential suite's
// record (testdata/drivers/outcomes.json): on each real client's text that
// names a cause, explain's first finding is diagnose's first error on the
// same deployment; on a text several causes print alike, diagnose's is
// among the candidates explain names; on a text without a cause, explain
// says so.
func TestExplainRanksAsDiagnose(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "drivers", "outcomes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Rows []struct {
			Scenario   string `json:"scenario"`
			Client     string `json:"client"`
			ClientOK   bool   `json:"clientOk"`
			CorpusFile string `json:"corpusFile"`
			DiagnoseID string `json:"diagnoseId"`
			TextKind   string `json:"textKind"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, c := range readCorpus(t) {
		texts[c.name+".txt"] = c.text
	}
	compared := 0
	for _, r := range o.Rows {
		if r.ClientOK || r.CorpusFile == "" || r.DiagnoseID == "" {
			continue
		}
		text, ok := texts[r.CorpusFile]
		if !ok {
			t.Errorf("%s in %s: no file %s in testdata/explain", r.Client, r.Scenario, r.CorpusFile)
			continue
		}
		compared++
		x := Explain(text)
		ids := x.IDs()
		switch r.TextKind {
		case "causeless":
			if !x.Causeless || !strings.Contains(x.Report().Verdict, "the text alone cannot tell") {
				t.Errorf("%s in %s: explain gives %v and does not say that the text names no cause", r.Client, r.Scenario, ids)
			}
		case "ambiguous":
			named := false
			for _, a := range x.Ambiguities {
				named = named || slices.Contains(a.IDs, r.DiagnoseID)
			}
			if !named {
				t.Errorf("%s in %s: explain gives %v with ambiguities %+v, none naming diagnose's %s", r.Client, r.Scenario, ids, x.Ambiguities, r.DiagnoseID)
			}
		default:
			if len(ids) == 0 || ids[0] != r.DiagnoseID {
				t.Errorf("%s in %s: explain gives %v first, diagnose %s\nfindings: %s", r.Client, r.Scenario, ids, r.DiagnoseID, dumpFindings(x))
			}
		}
	}
	if compared < 40 {
		t.Errorf("only %d client texts compared: outcomes.json and testdata/explain disagree", compared)
	}
}

func TestExplainRanking(t *testing.T) {
	tests := []struct {
		name string
		text string
		// first are the ids the findings must start with, in order.
		first []string
		// absent are ids no finding may have.
		absent []string
		// ambiguous are the candidates of an ambiguity explain must name.
		ambiguous []string
		// evidence is part of the first finding's evidence.
		evidence string
	}{
		{name: "a phrase one cause prints beats a generic one",
			text:  "the resolver said: Name or service not known; then x509: certificate signed by unknown authority",
			first: []string{catalogue.IDTLSUnknownAuthority, catalogue.IDDNSNoSuchHost}},
		{name: "the symptom comes last",
			text:  "server selection error: context deadline exceeded, current topology: { Type: Single, Servers: [{ Addr: db:27017, Type: Unknown, Last error: dial tcp 10.0.0.5:27017: connect: connection refused }, ] }",
			first: []string{catalogue.IDTCPRefused, catalogue.IDSelectTimeout}},
		{name: "an error before a warning of the same strength",
			text:  `error parsing uri: invalid value for "retryWrites": "ture"`,
			first: []string{catalogue.IDDriverRefused, catalogue.IDURIInvalidValue}},
		{name: "Node.js: an open connection that got no reply",
			text:     "MongoServerSelectionError: connection <monitor> to 10.1.2.3:27017 timed out",
			first:    []string{catalogue.IDServerNotResponding, catalogue.IDSelectTimeout},
			absent:   []string{catalogue.IDTCPTimeout},
			evidence: "10.1.2.3:27017 accepted the connection"},
		{name: "Node.js: the TCP connection did not open",
			text:  "MongoServerSelectionError: Socket 'connect' timed out after 2003ms (connectTimeoutMS: 2000)",
			first: []string{catalogue.IDTCPTimeout, catalogue.IDSelectTimeout}},
		{name: "Node.js: the TLS handshake stalled on an address that may not answer TCP",
			text:      "MongoServerSelectionError: Socket 'secureConnect' timed out after 2003ms (connectTimeoutMS: 2000) {\n  servers: Map(1) { '203.0.113.9:27017' => [ServerDescription] },",
			first:     []string{catalogue.IDTLSServerNotTLS},
			ambiguous: []string{catalogue.IDTLSServerNotTLS, catalogue.IDTCPTimeout, catalogue.IDServerNotResponding}},
		{name: "Node.js: the TLS handshake stalled on loopback, where TCP opens at once",
			text:      "MongoServerSelectionError: Socket 'secureConnect' timed out after 2003ms (connectTimeoutMS: 2000) {\n  servers: Map(1) { '127.0.0.1:27017' => [ServerDescription] },",
			first:     []string{catalogue.IDTLSServerNotTLS, catalogue.IDServerNotResponding},
			absent:    []string{catalogue.IDTCPTimeout},
			ambiguous: []string{catalogue.IDTLSServerNotTLS, catalogue.IDServerNotResponding}},
		{name: "PyMongo: a loopback address that timed out had opened",
			text:     "pymongo.errors.ServerSelectionTimeoutError: localhost:27017: timed out, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Single, servers: [<ServerDescription ('localhost', 27017) server_type: Unknown, rtt: None, error=NetworkTimeout('localhost:27017: timed out')>]>",
			first:    []string{catalogue.IDServerNotResponding, catalogue.IDSelectTimeout},
			absent:   []string{catalogue.IDTCPTimeout, catalogue.IDTopologyAdvertisedUnreachable},
			evidence: "loopback address"},
		{name: "PyMongo: another address that timed out may not have opened",
			text:  "pymongo.errors.ServerSelectionTimeoutError: db.example.net:27017: timed out, Timeout: 30s",
			first: []string{catalogue.IDTCPTimeout, catalogue.IDSelectTimeout}},
		{name: "Kubernetes names in a replica set description: the tunnel trap",
			text:   "server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: mongo-0.mongo.db.svc.cluster.local:27017, Type: Unknown, Last error: dial tcp: lookup mongo-0.mongo.db.svc.cluster.local: no such host }, ] }",
			first:  []string{catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDDNSNoSuchHost, catalogue.IDSelectTimeout},
			absent: nil},
		{name: "container names in a replica set description: the tunnel trap",
			text:  "MongoServerSelectionError: getaddrinfo ENOTFOUND mongo2\n  reason: TopologyDescription {\n    type: 'ReplicaSetNoPrimary',\n    servers: Map(3) {\n      'mongo1:27017' => [ServerDescription],",
			first: []string{catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDDNSNoSuchHost}},
		{name: "private addresses of members that time out: the tunnel trap",
			text:  "server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: 10.0.3.7:27017, Type: Unknown, Last error: dial tcp 10.0.3.7:27017: i/o timeout }, { Addr: 10.0.3.8:27017, Type: Unknown, Last error: dial tcp 10.0.3.8:27017: i/o timeout }, ] }",
			first: []string{catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDTCPTimeout}},
		{name: "internal names the connection string itself gives are not advertised",
			text:   "connecting to mongodb://mongo-a.internal:27017,mongo-b.internal:27017/?replicaSet=rs0: server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: mongo-a.internal:27017, Type: Unknown, Last error: dial tcp: lookup mongo-a.internal: no such host }, ] }",
			first:  []string{catalogue.IDDNSNoSuchHost},
			absent: []string{catalogue.IDTopologyAdvertisedUnreachable}},
		{name: "a cloud's internal name without a replica set: the trap first, dns named",
			text:      "MongoNetworkError: getaddrinfo ENOTFOUND mongo-0.internal",
			first:     []string{catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDDNSNoSuchHost},
			ambiguous: []string{catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDDNSNoSuchHost}},
		{name: "a bare name without a replica set is a host that does not resolve",
			text:   "MongoNetworkError: getaddrinfo ENOTFOUND mongo",
			first:  []string{catalogue.IDDNSNoSuchHost},
			absent: []string{catalogue.IDTopologyAdvertisedUnreachable}},
		{name: "a single server that timed out is no tunnel trap",
			text:   "MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 timed out",
			absent: []string{catalogue.IDTopologyAdvertisedUnreachable}},
		{name: "Node.js: a replica set description without servers dropped them for their set name",
			text:  "MongoServerSelectionError: Server selection timed out after 3000 ms {\n  reason: TopologyDescription {\n    type: 'ReplicaSetNoPrimary',\n    servers: Map(0) {},\n    setName: 'rs1',",
			first: []string{catalogue.IDTopologyReplSetNameMismatch, catalogue.IDSelectTimeout}},
		{name: "Node.js: monitor closed without a reply",
			text:      "MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 closed",
			first:     []string{catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotMongoDB, catalogue.IDSelectTimeout},
			ambiguous: []string{catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotMongoDB}},
		{name: "PyMongo: connection closed in a topology description is no failover",
			text:      "pymongo.errors.ServerSelectionTimeoutError: connection closed, Timeout: 3.0s, Topology Description: <TopologyDescription id: 1, topology_type: Single, servers: [<ServerDescription ('127.0.0.1', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('connection closed')>]>",
			first:     []string{catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotMongoDB, catalogue.IDSelectTimeout},
			absent:    []string{catalogue.IDTopologyFailover},
			ambiguous: []string{catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotMongoDB}},
		{name: "an Atlas host that closes the monitor is the access list, not another service",
			text:   "MongoServerSelectionError: connection <monitor> to ac-abc-shard-00-00.xyz12.mongodb.net:27017 closed",
			first:  []string{catalogue.IDAtlasAccessList, catalogue.IDSelectTimeout},
			absent: []string{catalogue.IDServerNotMongoDB, catalogue.IDTLSServerRequiresTLS}},
		{name: "an Atlas host whose TLS handshake stalls: the error diagnose would name before the likely cause",
			text:   "MongoServerSelectionError: Socket 'secureConnect' timed out after 30012ms (connectTimeoutMS: 30000) {\n  servers: Map(1) { 'ac-abc-shard-00-00.xyz12.mongodb.net:27017' => [ServerDescription] },",
			first:  []string{catalogue.IDTCPTimeout, catalogue.IDServerNotResponding, catalogue.IDAtlasAccessList},
			absent: []string{catalogue.IDTLSServerNotTLS}},
		{name: "PyMongo: an HTTP status where the response id goes",
			text:     "pymongo.errors.AutoReconnect: Got response id 808465440 but expected 1804289383",
			first:    []string{catalogue.IDServerNotMongoDB},
			evidence: `is the text " 400", the status code of an HTTP reply`},
		{name: "Node.js: an open pooled connection closed",
			text:     "MongoNetworkError: connection 1 to db.example.net:27017 closed",
			first:    []string{catalogue.IDTopologyFailover},
			evidence: "maxIdleTimeMS"},
		{name: "Node.js: the string's only message for an unescaped @",
			text:   "MongoParseError: Invalid connection string",
			first:  []string{catalogue.IDURIUnescapedCredentials},
			absent: []string{catalogue.IDURIInvalid}},
		{name: "mongoconn's own message stays uri.invalid",
			text:  "mongoconn: error: invalid connection string at position 10: port must be a number",
			first: []string{catalogue.IDURIInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := Explain(tt.text)
			ids := x.IDs()
			if len(ids) < len(tt.first) || !slices.Equal(ids[:len(tt.first)], tt.first) {
				t.Errorf("ids = %v, want them to start with %v\nfindings: %s", ids, tt.first, dumpFindings(x))
			}
			for _, id := range tt.absent {
				if slices.Contains(ids, id) {
					t.Errorf("ids = %v hold %s", ids, id)
				}
			}
			if tt.ambiguous != nil {
				found := false
				for _, a := range x.Ambiguities {
					found = found || slices.Equal(a.IDs, tt.ambiguous) && a.Tell != ""
				}
				if !found {
					t.Errorf("ambiguities = %+v, want one of %v", x.Ambiguities, tt.ambiguous)
				}
				for _, f := range x.Findings {
					if slices.Contains(tt.ambiguous, f.ID) && !strings.Contains(strings.Join(f.Evidence, "\n"), "the same text comes from") {
						t.Errorf("candidate %s does not name the others: %q", f.ID, f.Evidence)
					}
				}
				if v := x.Report().Verdict; !strings.Contains(v, strings.Join(tt.ambiguous, " or ")+" (the text alone cannot tell which)") {
					t.Errorf("verdict %q does not name the candidates together", v)
				}
			} else if len(x.Ambiguities) > 0 {
				t.Errorf("ambiguities = %+v, want none", x.Ambiguities)
			}
			if tt.evidence != "" && (len(x.Findings) == 0 || !strings.Contains(strings.Join(x.Findings[0].Evidence, "\n"), tt.evidence)) {
				t.Errorf("the first finding's evidence lacks %q\nfindings: %s", tt.evidence, dumpFindings(x))
			}
			if x.Causeless {
				t.Errorf("Causeless is set for a text with a cause")
			}
		})
	}
}

func TestExplainCauseless(t *testing.T) {
	for _, text := range []string{
		"MongoServerSelectionError: Server selection timed out after 3000 ms",
		"Server selection timed out after 30000 ms",
		"pymongo.errors.ServerSelectionTimeoutError: No servers found yet, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: [<ServerDescription ('db.example.net', 27017) server_type: Unknown, rtt: None>]>",
	} {
		x := Explain(text)
		v := x.Report().Verdict
		if !x.Causeless || !slices.Equal(x.IDs(), []string{catalogue.IDSelectTimeout}) {
			t.Errorf("%q: Causeless = %v, ids %v; want only select.timeout, without a cause", text, x.Causeless, x.IDs())
			continue
		}
		if !strings.Contains(v, "the text alone cannot tell") || !strings.Contains(v, x.Next) || !strings.HasPrefix(x.Next, "mongoconn diagnose ") {
			t.Errorf("%q: verdict %q does not say the text names no cause and what to run", text, v)
		}
		if ev := strings.Join(x.Findings[0].Evidence, "\n"); !strings.Contains(ev, "the text names no cause") {
			t.Errorf("%q: evidence %q does not say the text names no cause", text, ev)
		}
	}
	// A member's error is a cause.
	x := Explain("pymongo.errors.ServerSelectionTimeoutError: No servers found yet, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: [<ServerDescription ('db.example.net', 27017) server_type: Unknown, rtt: None, error=OperationFailure('something new')>]>")
	if x.Causeless {
		t.Errorf("Causeless with a member's error: %s", dumpFindings(x))
	}
}

func TestExplainNotAuthorized(t *testing.T) {
	for _, text := range []string{
		`MongoServerError: not authorized on test to execute command { find: "orders", filter: {}, lsid: { id: UUID("0b6b7c2e") }, $db: "test" }`,
		`pymongo.errors.OperationFailure: not authorized on shop to execute command { insert: "orders", ordered: true }, full error: {'ok': 0.0, 'errmsg': 'not authorized on shop to execute command', 'code': 13, 'codeName': 'Unauthorized'}`,
	} {
		x := Explain(text)
		if len(x.Findings) != 0 || !x.Recognised() {
			t.Errorf("%q: findings %v, recognised %v; want no finding and a remark", text, x.IDs(), x.Recognised())
			continue
		}
		r := x.Report()
		if !r.OK || !strings.HasPrefix(r.Verdict, "not a connection problem") || !strings.Contains(r.Verdict, "grantRolesToUser") {
			t.Errorf("%q: report ok %v, verdict %q", text, r.OK, r.Verdict)
		}
	}
	if x := Explain("MongoServerError: Command find requires authentication"); len(x.Findings) == 0 || x.Findings[0].ID != catalogue.IDAuthFailed || x.Remark != "" {
		t.Errorf("a command without a login: %v, remark %q; want auth.failed", x.IDs(), x.Remark)
	}
}
