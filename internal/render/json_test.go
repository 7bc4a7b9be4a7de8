package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return m
}

// TestJSONContract checks DESIGN.md §3 on every fixture and on reports
// that were never finished or filled in.
func TestJSONContract(t *testing.T) {
	reports := map[string]*report.Report{
		"zero value":        {},
		"nil lists and srv": {Command: "srv", SRV: &report.SRVInfo{Name: "_mongodb._tcp.example.net"}},
		"ok left false": {Command: "ping", Findings: []report.Finding{
			{ID: catalogue.IDURIUnknownOption, Severity: report.SeverityWarning},
		}},
		"ok left true": {OK: true, Findings: []report.Finding{
			{ID: catalogue.IDTCPRefused, Severity: report.SeverityError},
		}},
	}
	for _, fx := range fixtures {
		reports[fx.name] = fx.report()
	}
	for name, r := range reports {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.HasSuffix(out, "}\n") || strings.HasSuffix(out, "\n\n") {
				t.Errorf("want exactly one trailing newline, got %q", out[max(0, len(out)-5):])
			}
			if !strings.HasPrefix(out, "{\n  \"schemaVersion\": 1,\n") {
				t.Errorf("want two-space indent and schemaVersion first, got %q", out[:min(40, len(out))])
			}
			if strings.Contains(out, "null") {
				t.Errorf("null in output:\n%s", out)
			}
			if strings.Contains(out, `\u0026`) || strings.Contains(out, `\u003c`) {
				t.Errorf("HTML escaping in output:\n%s", out)
			}
			m := decode(t, b.Bytes())
			if m["schemaVersion"] != 1.0 {
				t.Errorf("schemaVersion = %v", m["schemaVersion"])
			}
			for _, k := range []string{"checks", "servers", "findings"} {
				if _, isList := m[k].([]any); !isList {
					t.Errorf("%s = %#v, want a list", k, m[k])
				}
			}
			if got, want := m["ok"], !r.HasErrors(); got != want {
				t.Errorf("ok = %v, want %v (no error findings)", got, want)
			}
			srv, hasSRV := m["srv"]
			if hasSRV != (r.SRV != nil) {
				t.Fatalf("srv present = %v, want %v", hasSRV, r.SRV != nil)
			}
			if hasSRV {
				s := srv.(map[string]any)
				for _, k := range []string{"records", "txt", "seeds"} {
					if _, isList := s[k].([]any); !isList {
						t.Errorf("srv.%s = %#v, want a list", k, s[k])
					}
				}
				if _, isObj := s["options"].(map[string]any); !isObj {
					t.Errorf("srv.options = %#v, want an object", s["options"])
				}
			}
		})
	}
}

// TestJSONFieldNames pins the names DESIGN.md §3 promises.
func TestJSONFieldNames(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, replicaSetUnreachable()); err != nil {
		t.Fatal(err)
	}
	m := decode(t, b.Bytes())
	tests := []struct {
		path []any
		want any
	}{
		{[]any{"command"}, "diagnose"},
		{[]any{"target"}, "mongodb://alice:****@127.0.0.1:27017/?replicaSet=rs0"},
		{[]any{"ok"}, false},
		{[]any{"durationMs"}, 412.3},
		{[]any{"checks", 1, "stage"}, "tcp"},
		{[]any{"checks", 1, "address"}, "127.0.0.1:27017"},
		{[]any{"checks", 1, "status"}, "pass"},
		{[]any{"checks", 1, "durationMs"}, 0.3},
		{[]any{"checks", 1, "summary"}, "connected"},
		{[]any{"servers", 0, "kind"}, "RSPrimary"},
		{[]any{"servers", 0, "setName"}, "rs0"},
		{[]any{"servers", 0, "version"}, "7.0.12"},
		{[]any{"servers", 0, "minWireVersion"}, 0.0},
		{[]any{"servers", 0, "maxWireVersion"}, 21.0},
		{[]any{"servers", 0, "me"}, "mongo-a.internal:27017"},
		{[]any{"servers", 0, "hosts", 1}, "mongo-b.internal:27017"},
		{[]any{"servers", 0, "rttMs"}, 0.4},
		{[]any{"servers", 0, "reachable"}, true},
		{[]any{"servers", 0, "inLatencyWindow"}, true},
		{[]any{"servers", 1, "reachable"}, false},
		{[]any{"findings", 0, "id"}, "topology.advertised-unreachable"},
		{[]any{"findings", 0, "severity"}, "error"},
		{[]any{"findings", 0, "suggestedUri"}, "mongodb://alice:****@127.0.0.1:27017/?directConnection=true"},
		{[]any{"findings", 0, "fixes", 0}, "Connect to the one member you can reach, without discovery: add directConnection=true and drop replicaSet."},
		{[]any{"findings", 0, "docs", 0}, "https://www.mongodb.com/docs/drivers/go/current/connect/connection-targets/"},
	}
	for _, tc := range tests {
		var v any = m
		for _, p := range tc.path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		if v != tc.want {
			t.Errorf("%v = %#v, want %#v", tc.path, v, tc.want)
		}
	}
}

func TestJSONLines(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			var pretty, lines bytes.Buffer
			if err := JSON(&pretty, fx.report()); err != nil {
				t.Fatal(err)
			}
			// Two reports in a row: a stream of two lines.
			for range 2 {
				if err := JSONLines(&lines, fx.report()); err != nil {
					t.Fatal(err)
				}
			}
			got := strings.Split(lines.String(), "\n")
			if len(got) != 3 || got[2] != "" {
				t.Fatalf("want two newline-terminated lines, got %q", lines.String())
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, pretty.Bytes()); err != nil {
				t.Fatal(err)
			}
			for _, l := range got[:2] {
				if l != compact.String() {
					t.Errorf("line differs from the compacted JSON report\n got: %s\nwant: %s", l, compact.String())
				}
			}
		})
	}
}

// TestJSONLeavesReportAlone checks that normalising for output does not
// write through to the caller's report.
func TestJSONLeavesReportAlone(t *testing.T) {
	r := &report.Report{
		Target:     "mongodb://u:secret@h",
		DurationMs: math.NaN(),
		Checks:     []report.Check{{Stage: report.StageTCP, DurationMs: math.Inf(1)}},
		Findings:   []report.Finding{{ID: "x", SuggestedURI: "mongodb://u:secret@h/?directConnection=true"}},
		SRV:        &report.SRVInfo{URI: "mongodb://u:secret@h"},
	}
	before := *r
	beforeCheck, beforeFinding, beforeSRV := r.Checks[0], r.Findings[0], *r.SRV
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if r.Target != before.Target || !math.IsNaN(r.DurationMs) || r.Servers != nil || r.SchemaVersion != 0 {
		t.Errorf("report changed: %+v", r)
	}
	if !reflect.DeepEqual(r.Checks[0], beforeCheck) || !reflect.DeepEqual(r.Findings[0], beforeFinding) || !reflect.DeepEqual(*r.SRV, beforeSRV) {
		t.Errorf("report contents changed")
	}
	m := decode(t, b.Bytes())
	if m["durationMs"] != 0.0 {
		t.Errorf("NaN duration rendered as %v, want 0", m["durationMs"])
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"json nil", func() error { return JSON(&bytes.Buffer{}, nil) }, ErrNilReport},
		{"jsonl nil", func() error { return JSONLines(&bytes.Buffer{}, nil) }, ErrNilReport},
		{"text nil", func() error { return Text(&bytes.Buffer{}, nil, TextOptions{}) }, ErrNilReport},
		{"json write", func() error { return JSON(failingWriter{}, healthyStandalone()) }, errWrite},
		{"text write", func() error { return Text(failingWriter{}, healthyStandalone(), TextOptions{}) }, errWrite},
		{"quiet write", func() error { return Text(failingWriter{}, healthyStandalone(), TextOptions{Quiet: true}) }, errWrite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		invalid bool
		prefix  string // what Render writes for the fixture
	}{
		{in: "text", want: FormatText, prefix: "OK "},
		{in: "json", want: FormatJSON, prefix: "{\n  \"schemaVersion\""},
		{in: "jsonl", want: FormatJSONLines, prefix: "{\"schemaVersion\":1,"},
		{in: "junit", want: FormatJUnit, prefix: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mongoconn\" tests=\"1\""},
		{in: "JSON", invalid: true},
		{in: "", invalid: true},
		{in: "yaml", invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f, err := ParseFormat(tc.in)
			var fe *FormatError
			if tc.invalid {
				if !errors.As(err, &fe) || fe.Value != tc.in {
					t.Fatalf("ParseFormat(%q) err = %v, want a FormatError", tc.in, err)
				}
				if err := Render(&bytes.Buffer{}, healthyStandalone(), Format(tc.in), TextOptions{}); !errors.As(err, &fe) {
					t.Errorf("Render with %q: err = %v, want a FormatError", tc.in, err)
				}
				return
			}
			if err != nil || f != tc.want {
				t.Fatalf("ParseFormat(%q) = %q, %v", tc.in, f, err)
			}
			var b bytes.Buffer
			if err := Render(&b, healthyStandalone(), f, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(b.String(), tc.prefix) {
				t.Errorf("Render(%s) starts %q, want %q", f, b.String()[:min(30, b.Len())], tc.prefix)
			}
		})
	}
}
