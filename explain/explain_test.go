package explain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// corpusCase is one file of testdata/explain: a real error text and what
// explain must find in it. The file starts with "# key: value" lines
// (ids, driver, next, evidence, secret), then a line "---", then the text.
type corpusCase struct {
	name     string
	ids      []string
	driver   string
	next     string
	evidence []string
	secrets  []string
	text     string
}

func readCorpus(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "explain", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("the explain corpus has %d files, want at least 50", len(files))
	}
	var out []corpusCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, text, ok := strings.Cut(string(b), "\n---\n")
		if !ok {
			t.Fatalf("%s: no --- line between the header and the text", f)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(f), ".txt"), text: strings.TrimSuffix(text, "\n")}
		sawIDs := false
		for _, l := range strings.Split(head, "\n") {
			k, v, ok := strings.Cut(strings.TrimPrefix(l, "# "), ":")
			if !ok || !strings.HasPrefix(l, "# ") {
				t.Fatalf("%s: bad header line %q", f, l)
			}
			v = strings.TrimSpace(v)
			switch k {
			case "ids":
				c.ids, sawIDs = strings.Fields(v), true
			case "driver":
				c.driver = v
			case "next":
				c.next = v
			case "evidence":
				c.evidence = append(c.evidence, v)
			case "secret":
				c.secrets = append(c.secrets, v)
			default:
				t.Fatalf("%s: unknown header %q", f, k)
			}
		}
		if !sawIDs {
			t.Fatalf("%s: no ids line", f)
		}
		out = append(out, c)
	}
	return out
}

// suiteCorpusFile matches the names of the texts the differential suite
// (internal/drivertest) captured from real clients: client, major
// version, scenario.
var suiteCorpusFile = regexp.MustCompile(`^(?:node|mongosh|pymongo)\d+_`)

func TestExplainCorpus(t *testing.T) {
	for _, c := range readCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			x := Explain(c.text)
			got := x.IDs()
			if suiteCorpusFile.MatchString(c.name) && !slices.Equal(got, c.ids) {
				// The differential suite writes explain's ids in its order:
				// the first is the cause it names.
				t.Errorf("ids in order = %v, want %v", got, c.ids)
			}
			want := slices.Clone(c.ids)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("ids = %v, want %v\nfindings: %s", got, want, dumpFindings(x))
			}
			if x.Recognised() != (len(c.ids) > 0) {
				t.Errorf("Recognised() = %v with ids %v", x.Recognised(), c.ids)
			}
			if c.driver != "" && x.Driver != c.driver {
				t.Errorf("driver = %q, want %q", x.Driver, c.driver)
			}
			if c.next != "" && x.Next != c.next {
				t.Errorf("next = %q, want %q", x.Next, c.next)
			}
			all := dumpFindings(x)
			for _, e := range c.evidence {
				if !strings.Contains(all, e) {
					t.Errorf("no evidence contains %q\nfindings: %s", e, all)
				}
			}
			out := all + x.Next + x.URI + strings.Join(x.Addresses, " ") + x.Report().Verdict
			for _, s := range c.secrets {
				if strings.Contains(out, s) {
					t.Errorf("the secret %q appears in the explanation: %s", s, out)
				}
			}
			for _, f := range x.Findings {
				if f.Cause == "" || len(f.Fixes) == 0 || len(f.Docs) == 0 {
					t.Errorf("finding %s lacks cause, fixes or docs", f.ID)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("finding %s has no evidence", f.ID)
				}
			}
		})
	}
}

// dumpFindings lists the findings and their evidence as plain text.
func dumpFindings(x Explanation) string {
	var b strings.Builder
	for _, f := range x.Findings {
		b.WriteString("\n  " + f.ID + " (" + string(f.Severity) + ")")
		if f.SuggestedURI != "" {
			b.WriteString(" try " + f.SuggestedURI)
		}
		for _, e := range f.Evidence {
			b.WriteString("\n    " + e)
		}
	}
	return b.String()
}

// TestExplainCorpusCoversCatalogue checks that every catalogue id is
// recognised in at least one text of the corpus, or produced by a probe
// stage: explain is the place where each failure can be looked up.
func TestExplainCorpusCoversCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range readCorpus(t) {
		for _, id := range c.ids {
			seen[id] = true
		}
	}
	for _, e := range catalogue.Catalogue() {
		if !seen[e.ID] {
			t.Errorf("no text of testdata/explain is expected to yield %s", e.ID)
		}
	}
}

func TestExplainNextCommand(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"uri in the text", "could not reach mongodb://u:p@h1:27017,h2:27017/?replicaSet=rs0: connection refused",
			"mongoconn diagnose 'mongodb://u:****@h1:27017,h2:27017/?replicaSet=rs0'"},
		{"srv name", "Error: querySrv ENOTFOUND _mongodb._tcp.c0.example.net", "mongoconn diagnose 'mongodb+srv://c0.example.net/'"},
		{"address", "dial tcp 10.1.2.3:27018: connect: connection refused", "mongoconn diagnose 'mongodb://10.1.2.3:27018/'"},
		{"failed host without port", "getaddrinfo ENOTFOUND db.example.invalid", "mongoconn diagnose 'mongodb://db.example.invalid:27017/'"},
		{"nothing", "Authentication failed.", `mongoconn diagnose "$MONGODB_URI"`},
		{"quote in the uri", "mongodb://h:27017/?appName=it's: connection refused", `mongoconn diagnose 'mongodb://h:27017/?appName=it'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.text).Next; got != tt.want {
				t.Errorf("Next = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExplainSuggestedURI(t *testing.T) {
	tests := []struct {
		name, text, id, want string
	}{
		{"tunnel trap gets directConnection",
			"connecting to mongodb://alice:pw@localhost:27017/app?replicaSet=rs0&tls=false: server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: mongo-a.internal:27017, Type: Unknown, Last error: dial tcp: lookup mongo-a.internal: no such host }, ] }",
			catalogue.IDTopologyAdvertisedUnreachable, "mongodb://alice:****@localhost:27017/app?tls=false&directConnection=true"},
		{"direct connection keeps one host",
			"mongodb://h1:27017,h2:27017/?directConnection=true: a direct connection cannot be made if multiple hosts are specified",
			catalogue.IDURIDirectMultipleHosts, "mongodb://h1:27017/?directConnection=true"},
		{"srv loses its port",
			"mongodb+srv://c0.example.net:27017/: URI with srv must not include a port number",
			catalogue.IDURISRVWithPort, "mongodb+srv://c0.example.net/"},
		{"plain client turns tls on",
			"mongodb://db.example.net:27017/?ssl=false connection() error occurred during connection handshake: EOF",
			catalogue.IDTLSServerRequiresTLS, "mongodb://db.example.net:27017/?tls=true"},
		{"tls client turns tls off",
			"mongodb://db.example.net:27017/?tls=true tls: first record does not look like a TLS handshake",
			catalogue.IDTLSServerNotTLS, "mongodb://db.example.net:27017/?tls=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := Explain(tt.text)
			for _, f := range x.Findings {
				if f.ID == tt.id {
					if f.SuggestedURI != tt.want {
						t.Errorf("SuggestedURI = %q, want %q", f.SuggestedURI, tt.want)
					}
					return
				}
			}
			t.Errorf("no %s finding; got %v", tt.id, x.IDs())
		})
	}
}

func TestExplainFailoverSeverity(t *testing.T) {
	x := Explain("pymongo.errors.AutoReconnect: connection closed")
	if len(x.Findings) != 1 || x.Findings[0].Severity != report.SeverityError {
		t.Fatalf("findings = %s, want one error-level topology.failover", dumpFindings(x))
	}
}

func TestExplainTruncatesLongInput(t *testing.T) {
	line := strings.Repeat("x", 100) + "\n"
	text := "dial tcp 127.0.0.1:27017: connect: connection refused\n" + strings.Repeat(line, MaxExplainInput/len(line)+10) +
		"server at h:1 reports wire version 5, but this version of the Go driver requires at least 9 (MongoDB 4.4)\n"
	x := Explain(text)
	if !x.Truncated {
		t.Error("Truncated = false for a text longer than MaxExplainInput")
	}
	if got := x.IDs(); !slices.Equal(got, []string{catalogue.IDTCPRefused}) {
		t.Errorf("ids = %v, want only what the first %d bytes hold", got, MaxExplainInput)
	}
}

func TestExplainReport(t *testing.T) {
	x := Explain("dial tcp 127.0.0.1:27017: connect: connection refused")
	r := x.Report()
	if r.Command != "explain" || r.Target != "" || len(r.Checks) != 0 {
		t.Errorf("report = %+v, want command explain, no target, no checks", r)
	}
	if r.OK || !strings.Contains(r.Verdict, catalogue.IDTCPRefused) || !strings.Contains(r.Verdict, "mongoconn diagnose") {
		t.Errorf("verdict = %q ok = %v", r.Verdict, r.OK)
	}
	u := Explain("nothing to see here")
	if u.Recognised() || !u.Report().OK || !strings.Contains(u.Report().Verdict, "nothing in the text matches") {
		t.Errorf("unrecognised report = %+v", u.Report())
	}
}

func TestRedactText(t *testing.T) {
	tests := []struct {
		in     string
		secret string // must be gone ("" when there is none)
		keep   string // must stay
	}{
		{"mongodb://alice:secret@h:27017/db", "secret", "mongodb://alice:****@h:27017/db"},
		{"mongodb+srv://alice:secret@c0.example.net/?retryWrites=true", "secret", "mongodb+srv://alice:****@c0.example.net/?retryWrites=true"},
		{"MONGODB://alice:secret@h", "secret", "@h"},
		{"user only: mongodb://alice@h:27017/", "", "mongodb://alice@h:27017/"},
		{"no credentials: mongodb://h:27017/?replicaSet=rs0", "", "mongodb://h:27017/?replicaSet=rs0"},
		{"unescaped @: mongodb://alice:p@ss@h:27017/", "ss@h", "@h:27017/"},
		{"unescaped /: mongodb://alice:pa/ss@h:27017/", "pa/ss", "@h:27017/"},
		{"two: 'mongodb://a:x1@h1' and \"mongodb://b:x2@h2\"", "x1", "mongodb://b:****@h2"},
		{"two: 'mongodb://a:x1@h1' and \"mongodb://b:x2@h2\"", "x2", "mongodb://a:****@h1"},
		{"glued: mongodb://amongodb://u:x3@h", "x3", "@h"},
		{"password=hunter2&x=1", "hunter2", "&x=1"},
		{`{"password": "hunter2"}`, "hunter2", `"password"`},
		{"pwd: 'hunter2'", "hunter2", "pwd"},
		{"{ username: 'app', password: 'hunter2' }", "hunter2", "username: 'app'"},
		{"Percent-encode the password: @ is %40", "", "password: @ is %40"},
		{"tlsCertificateKeyFilePassword=hunter2", "hunter2", "tlsCertificateKeyFilePassword="},
		{`invalid password: invalid URL escape "%zz"`, "%zz", "invalid password: invalid URL escape"},
		{"Password contains unescaped characters", "", "Password contains unescaped characters"},
		{"", "", ""},
	}
	for _, tt := range tests {
		got := redact.RedactText(tt.in)
		if tt.secret != "" && strings.Contains(got, tt.secret) {
			t.Errorf("RedactText(%q) = %q, still holds %q", tt.in, got, tt.secret)
		}
		if !strings.Contains(got, tt.keep) {
			t.Errorf("RedactText(%q) = %q, lost %q", tt.in, got, tt.keep)
		}
		if again := redact.RedactText(got); again != got {
			t.Errorf("RedactText is not idempotent on %q: %q", got, again)
		}
	}
}

// fuzzSentinel is a password that must never come out of Explain.
const fuzzSentinel = "Sent1nel-Pa55w0rd"

func FuzzExplain(f *testing.F) {
	for _, seed := range []struct{ prefix, suffix string }{
		{"", ""},
		{"server selection error: ", ": connection refused"},
		{"pymongo.errors.ServerSelectionTimeoutError: ", ", Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: []>"},
		{"MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017\n", "\n  reason: TopologyDescription {"},
		{"Timed out after 30000 ms while waiting to connect. Client view of cluster state is {type=UNKNOWN, servers=[{address=", "}]"},
		{"mongodb://", "@"},
		{"mongodb+srv:/", "password="},
		{"server at x reports wire version 5, but this version of the Go driver requires at least 9 (MongoDB 4.4)", "\x00\xff"},
		{"querySrv ECONNREFUSED _mongodb._tcp.", " getaddrinfo ENOTFOUND mongo1"},
		{"x509: certificate is valid for ", ", not "},
		{"pymongo.errors.AutoReconnect: Got response id 808464928 but expected ", "1"},
		{"MongoServerSelectionError: Socket 'secureConnect' timed out after 20", "ms {\n  servers: Map(0) {},\n"},
		{"MongoServerError: not authorized on test to execute command { find: 1 } ", ""},
		{"MongoNetworkError: getaddrinfo ENOTFOUND mongo-0.", ".svc.cluster.local"},
	} {
		f.Add(seed.prefix, seed.suffix)
	}
	f.Fuzz(func(t *testing.T, prefix, suffix string) {
		text := prefix + "mongodb://admin:" + fuzzSentinel + "@db.example.net:27017/?authSource=admin " + suffix
		x := Explain(text)
		if strings.Contains(prefix+suffix, fuzzSentinel) || len(text) > MaxExplainInput {
			return // the sentinel is not only in the connection string
		}
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		out := string(b) + x.Report().Verdict
		if strings.Contains(out, fuzzSentinel) {
			t.Fatalf("the password leaked into the explanation of %q: %s", text, out)
		}
		for _, f := range x.Findings {
			if _, ok := catalogue.Lookup(f.ID); !ok {
				t.Fatalf("finding %q is not in the catalogue", f.ID)
			}
		}
		if x.Recognised() != (len(x.Findings) > 0 || x.Remark != "") || x.Next == "" || x.Causeless && len(x.Findings) != 1 {
			t.Fatalf("inconsistent explanation: %+v", x)
		}
	})
}

// TestExplainGatesKeepEveryMatch checks the literal prefilter: a line the
// gate skips must be one the rule's expression cannot match.
func TestExplainGatesKeepEveryMatch(t *testing.T) {
	var lines []string
	for _, c := range readCorpus(t) {
		lines = append(lines, strings.Split(redact.RedactText(c.text), "\n")...)
	}
	lines = append(lines, "CONNECTION REFUSED", "Server Selection Timed Out After 5 ms", "ſerver at x reports wire version 1, but this version of the driver requires at least 2")
	gated := 0
	for i, r := range exRules() {
		if exGates()[i].lits != nil {
			gated++
		}
		for _, l := range lines {
			if r.pattern.MatchString(l) && !exGates()[i].mayMatch(strings.ToLower(l)) {
				t.Errorf("rule %d (%s): the gate %q skips a line it matches: %q", i, r.id, exGates()[i].lits, l)
			}
		}
	}
	if gated < len(exRules())*3/4 {
		t.Errorf("only %d of %d rules have a literal gate", gated, len(exRules()))
	}
}

func TestExLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`connection refused`, []string{"connection refused"}},
		{`(?i)Connection Refused|ECONNREFUSED`, []string{"connection refused", "econnrefused"}},
		{`dial tcp (\S+?): i/o timeout`, []string{": i/o timeout"}},
		{`\btimed out\b`, []string{"timed out"}},
		{`a*|b`, nil},
		{`(x|y?)z`, []string{"z"}},
		{`[`, nil},
	}
	for _, tt := range tests {
		if got := exLiterals(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("exLiterals(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}
