package explain

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

func readLogString(t *testing.T, s string) *LogSummary {
	t.Helper()
	sum, err := ReadLog(context.Background(), strings.NewReader(s))
	if err != nil {
		t.Fatalf("ReadLog: %v", err)
	}
	return sum
}

func logFinding(sum *LogSummary, id string) *LogFinding {
	for i := range sum.Findings {
		if sum.Findings[i].ID == id {
			return &sum.Findings[i]
		}
	}
	return nil
}

func logIDs(sum *LogSummary) []string {
	var ids []string
	for _, f := range sum.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestParseLogTime(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"2024-05-01T10:00:00Z app started", "2024-05-01T10:00:00Z"},
		{"2024-05-01T10:00:00.123456+02:00 INFO x", "2024-05-01T10:00:00.123456+02:00"},
		{"2024-05-01T10:00:00-0500 x", "2024-05-01T10:00:00-05:00"},
		{"2024-05-01 10:00:00.123  INFO 1 --- [main] c.e.App : x", "2024-05-01T10:00:00.123"},
		{"2024-05-01 10:00:00,123 - pymongo - ERROR - x", "2024-05-01T10:00:00.123"},
		{"[2024-05-01 10:00:00,123] ERROR in app: x", "2024-05-01T10:00:00.123"},
		{"2024/05/01 10:00:00 server selection error", "2024-05-01T10:00:00"},
		{"May  1 10:00:00 host app[123]: x", "--05-01T10:00:00"},
		{"Dec 31 23:59:59 host app: x", "--12-31T23:59:59"},
		{"May 01, 2024 1:02:03 PM com.example.App main", "2024-05-01T13:02:03"},
		{"May 01, 2024 12:02:03 AM com.example.App main", "2024-05-01T00:02:03"},
		{`{"t":{"$date":"2024-05-01T10:00:00.000+00:00"},"s":"I"}`, "2024-05-01T10:00:00.000+00:00"},
		{"ERROR 2024-05-01T10:00:00Z after a level", "2024-05-01T10:00:00Z"},
	}
	for _, tc := range tests {
		got, n, ok := parseLogTime([]byte(tc.line))
		if !ok || got.String() != tc.want {
			t.Errorf("parseLogTime(%q) = %v %q, want %q", tc.line, ok, got, tc.want)
			continue
		}
		if n <= 0 || n > len(tc.line) {
			t.Errorf("parseLogTime(%q) ends at %d", tc.line, n)
		}
	}
	for _, line := range []string{
		"", "no time here", "12345678", "2024-13-01T10:00:00Z", "2024-05-01T25:00:00Z", "Foo 12 10:00:00",
		"a message that quotes a time far into its line: 2024-05-01 10:00:00", "v2024-05-01T10:00:00Z",
	} {
		if got, _, ok := parseLogTime([]byte(line)); ok {
			t.Errorf("parseLogTime(%q) = %q, want none", line, got)
		}
	}
}

// Java: the log line, the exception class, frames and Caused by.
const javaTrace = `2024-05-01 10:00:00.100 ERROR 1 --- [main] com.example.App : could not reach the database
com.mongodb.MongoTimeoutException: Timed out after 30000 ms while waiting to connect. Client view of cluster state is {type=UNKNOWN, servers=[{address=localhost:27017, type=UNKNOWN, state=CONNECTING, exception={com.mongodb.MongoSocketOpenException: Exception opening socket}, caused by {java.net.ConnectException: Connection refused}}]
	at com.mongodb.internal.connection.BaseCluster.getDescription(BaseCluster.java:177)
	at com.mongodb.internal.connection.SingleServerCluster.getDescription(SingleServerCluster.java:41)
Caused by: java.net.ConnectException: Connection refused
	... 12 more
`

// Python: logging.exception's line, then a chained traceback and the
// final exception line.
const pyTrace = `2024-05-01 10:00:01,200 ERROR app: lookup failed
Traceback (most recent call last):
  File "/app/db.py", line 12, in find
    return coll.find_one({})
socket.timeout: timed out

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/db.py", line 14, in find
    raise
pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: [<ServerDescription ('localhost', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('localhost:27017: [Errno 111] Connection refused')>]>
`

// Node.js: console.error of an error object.
const nodeError = `2024-05-01T10:00:02.300Z failed to connect MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017
    at Timeout._onTimeout (/app/node_modules/mongodb/lib/sdam/topology.js:278:38)
    at listOnTimeout (node:internal/timers:573:17) {
  reason: TopologyDescription {
    type: 'Unknown',
    servers: Map(1) { '127.0.0.1:27017' => [ServerDescription] },
  },
  code: undefined,
  [Symbol(errorLabels)]: Set(0) {}
}
`

func TestReadLogJoinsTraces(t *testing.T) {
	noise := "2024-05-01 09:59:59,000 INFO app: started\n"
	sum := readLogString(t, noise+javaTrace+noise+pyTrace+noise+nodeError+noise)
	// 4 noise lines and three entries with their traces.
	if sum.Entries != 7 {
		t.Errorf("entries = %d, want 7 (lines %d)", sum.Entries, sum.Lines)
	}
	if sum.Matched != 3 {
		t.Errorf("matched = %d, want 3: %v", sum.Matched, logIDs(sum))
	}
	refused := logFinding(sum, catalogue.IDTCPRefused)
	if refused == nil {
		t.Fatalf("no tcp.refused in %v", logIDs(sum))
	}
	if refused.Count != 3 || refused.First.Time == nil || refused.First.Time.String() != "2024-05-01T10:00:00.100" ||
		refused.Last.Time == nil || refused.Last.Time.String() != "2024-05-01T10:00:02.300Z" {
		t.Errorf("tcp.refused count %d first %+v last %+v", refused.Count, refused.First.Time, refused.Last.Time)
	}
	if refused.First.Line != 2 {
		t.Errorf("first seen on line %d, want 2", refused.First.Line)
	}
	if refused.Example == "" || refused.Severity != report.SeverityError {
		t.Errorf("example %q severity %s", refused.Example, refused.Severity)
	}
	if sel := logFinding(sum, catalogue.IDSelectTimeout); sel == nil || sel.Count != 3 {
		t.Errorf("select.timeout %+v, want 3 entries", sel)
	}
	if !sum.HasErrors() {
		t.Error("HasErrors = false")
	}
}

// TestReadLogCorpus puts every text of testdata/explain into a log, behind
// a timestamp and between ordinary lines, and checks that ReadLog
// recognises what Explain recognises in the text alone.
func TestReadLogCorpus(t *testing.T) {
	stamps := []string{"2024-05-01T10:00:00Z ", "2024-05-01 10:00:00,123 ERROR ", "May  1 10:00:00 host app[1]: ", "2024/05/01 10:00:00 "}
	for i, c := range readCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			entry := stamps[i%len(stamps)] + c.text
			x := Explain(entry)
			want := x.IDs()
			log := "2024-05-01T09:00:00Z INFO GET /health 200\n" + entry + "\n2024-05-01T11:00:00Z INFO GET /health 200\n"
			sum := readLogString(t, log)
			got := logIDs(sum)
			for _, id := range want {
				if !slices.Contains(got, id) {
					t.Errorf("ReadLog found %v in the log, Explain %v in the entry\n%s", got, want, entry)
					break
				}
			}
			if len(want) > 0 && sum.Matched == 0 {
				t.Errorf("no entry matched")
			}
		})
	}
}

func TestReadLogCountsRepeats(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "2024-05-01T10:%02d:%02dZ ERROR server selection error: context deadline exceeded, current topology: { Type: Unknown, Servers: [{ Addr: db:27017, Type: Unknown, Last error: dial tcp 10.0.0.1:27017: connect: connection refused }, ] }\n", i/60%60, i%60)
		b.WriteString("2024-05-01T10:00:00Z INFO served a request\n")
	}
	sum := readLogString(t, b.String())
	f := logFinding(sum, catalogue.IDTCPRefused)
	if f == nil || f.Count != 1000 || f.First.Line != 1 || f.Last.Line != 1999 {
		t.Fatalf("tcp.refused %+v, want 1000 entries from line 1 to 1999", f)
	}
	if f.Last.Time.String() != "2024-05-01T10:16:39Z" {
		t.Errorf("last seen %s", f.Last.Time)
	}
	if sum.Entries != 2000 || sum.Lines != 2000 {
		t.Errorf("entries %d lines %d", sum.Entries, sum.Lines)
	}
}

func TestReadLogRedactsExamples(t *testing.T) {
	log := "2024-05-01T10:00:00Z ERROR connecting to mongodb://alice:hunter2@db.example.net:27017/?replicaSet=rs0: server selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: db.example.net:27017, Type: Unknown, Last error: dial tcp 10.0.0.1:27017: connect: connection refused }, ] }\n"
	sum := readLogString(t, log)
	if len(sum.Findings) == 0 {
		t.Fatal("nothing recognised")
	}
	for _, f := range sum.Findings {
		if strings.Contains(f.Example, "hunter2") {
			t.Errorf("%s example shows the password: %q", f.ID, f.Example)
		}
	}
	if strings.Contains(sum.URI, "hunter2") || strings.Contains(sum.Next, "hunter2") || sum.URI == "" {
		t.Errorf("URI %q next %q", sum.URI, sum.Next)
	}
}

// endless is a reader of n bytes of one line without an end.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

func TestReadLogCutsLongLines(t *testing.T) {
	long := io.MultiReader(strings.NewReader("2024-05-01T10:00:00Z INFO start\n"), &endless{n: 4 * MaxLogLine},
		strings.NewReader("\n2024-05-01T10:00:01Z ERROR dial tcp 127.0.0.1:27017: connect: connection refused\n"))
	sum, err := ReadLog(context.Background(), long)
	if err != nil {
		t.Fatal(err)
	}
	if sum.CutLines != 1 || sum.FirstCut != 2 || sum.Lines != 3 {
		t.Errorf("cut %d (first %d), lines %d; want 1 cut at line 2 of 3", sum.CutLines, sum.FirstCut, sum.Lines)
	}
	if f := logFinding(sum, catalogue.IDTCPRefused); f == nil || f.First.Line != 3 {
		t.Errorf("tcp.refused %+v, want it on line 3", f)
	}
}

func TestReadLogStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := strings.NewReader(strings.Repeat("a line\n", 3*logCheckEvery))
	if _, err := ReadLog(ctx, r); err == nil {
		t.Error("ReadLog went on after its context ended")
	}
}

// TestLogGateHoldsEveryRuleLiteral checks that the gate is complete and
// that it lets through every text of the corpus that Explain recognises.
func TestLogGateHoldsEveryRuleLiteral(t *testing.T) {
	if !exGateComplete() {
		t.Fatal("a rule has no literal: the log gate cannot skip any entry")
	}
	g := exLogGate()
	for _, c := range readCorpus(t) {
		if x := Explain(c.text); x.Recognised() && !g.match([]byte(c.text)) {
			t.Errorf("%s: the gate rejects a text Explain recognises", c.name)
		}
	}
	for _, s := range []string{"GET /index.html 200 12ms", "user logged in", ""} {
		if g.match([]byte(s)) {
			t.Errorf("the gate lets %q through", s)
		}
	}
	if !g.match([]byte("xx CONNECTION REFUSED xx")) {
		t.Error("the gate is not case-insensitive")
	}
}
