package cmd

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testLog = `2024-05-01 09:59:59,000 INFO app: started
2024-05-01 10:00:00,100 ERROR app: could not reach mongodb://alice:hunter2@db:27017/
Traceback (most recent call last):
  File "/app/db.py", line 12, in find
    return coll.find_one({})
pymongo.errors.ServerSelectionTimeoutError: db:27017: [Errno 111] Connection refused` + "\x1b[2J" + `, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: [<ServerDescription ('db', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('db:27017: [Errno 111] Connection refused')>]>
2024-05-01 10:00:05,100 INFO app: retrying
2024-05-01 10:00:10,200 ERROR app: db:27017: [Errno 111] Connection refused
`

func TestExplainLogCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte(testLog), 0o600); err != nil {
		t.Fatal(err)
	}
	quiet := filepath.Join(dir, "quiet.log")
	if err := os.WriteFile(quiet, []byte("2024-05-01T10:00:00Z INFO all good\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long.log")
	if err := os.WriteFile(long, []byte("2024-05-01T10:00:00Z "+strings.Repeat("x", 300<<10)+"\nok\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, err := runExplain(t, "text", true, "", "--log", path)
	if !errors.As(err, new(*recognizedError)) {
		t.Errorf("error-level ids seen: err = %v, want the exit-1 error", err)
	}
	for _, want := range []string{"FAIL", "tcp.refused  error  2 times", "first:   2024-05-01T10:00:00.100 (line 2)", "last:    2024-05-01T10:00:10.200 (line 8)", "select.timeout", "next: mongoconn diagnose 'mongodb://alice:****@db:27017/'", `\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "\x1b") {
		t.Errorf("the output shows a password or a raw escape:\n%q", out)
	}

	out, _, err = runExplain(t, "json", false, testLog, "--log", "-")
	if !errors.As(err, new(*recognizedError)) {
		t.Errorf("json: err = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]logFindingJSON{}
	for _, l := range lines {
		var x logFindingJSON
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		seen[x.ID] = x
	}
	if r := seen["tcp.refused"]; r.Count != 2 || r.First.Line != 2 || r.Last.Time != "2024-05-01T10:00:10.200" || r.Severity != "error" || r.Example == "" {
		t.Errorf("tcp.refused = %+v", r)
	}

	out, _, err = runExplain(t, "text", true, "", "--log", quiet)
	if err != nil || !strings.HasPrefix(out, "OK no known driver failure") {
		t.Errorf("a quiet log: err %v, output %q", err, out)
	}
	_, stderr, err := runExplain(t, "text", true, "", "--log", long)
	if err != nil || !strings.Contains(stderr, "1 line(s) longer than 256 KiB were cut") {
		t.Errorf("a long line: err %v, stderr %q", err, stderr)
	}
	for _, args := range [][]string{{"--log", filepath.Join(dir, "missing.log")}, {"--log", dir}, {"--log", path, "text too"}} {
		if _, _, err := runExplain(t, "text", true, "", args...); !errors.As(err, new(*UsageError)) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}
