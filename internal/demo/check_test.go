package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

func newReport(ok bool, findings ...report.Finding) *report.Report {
	r := report.NewReport("diagnose", "mongodb://127.0.0.1:27017/")
	r.OK = ok
	r.Findings = append(r.Findings, findings...)
	return r
}

func TestVerify(t *testing.T) {
	tunnel := report.Finding{ID: catalogue.IDTopologyAdvertisedUnreachable, Severity: report.SeverityError,
		SuggestedURI: "mongodb://127.0.0.1:40001/?directConnection=true"}
	refused := report.Finding{ID: catalogue.IDTCPRefused, Severity: report.SeverityError}
	unknownOption := report.Finding{ID: catalogue.IDURIUnknownOption, Severity: report.SeverityWarning,
		SuggestedURI: "mongodb://127.0.0.1:40001/?directConnection=true"}
	withSRV := func(seeds ...string) *report.Report {
		r := newReport(true)
		r.SRV = &report.SRVInfo{Seeds: seeds}
		return r
	}
	tests := []struct {
		name    string
		want    expectation
		got     outcome
		secrets []string
		// problems are substrings, one per expected problem, in order.
		problems []string
	}{
		{
			name: "healthy as expected",
			want: expectation{exit: 0, ok: true},
			got:  outcome{exit: 0, report: newReport(true)},
		},
		{
			name:     "healthy but exit 1",
			want:     expectation{exit: 0, ok: true},
			got:      outcome{exit: 1, report: newReport(false, refused)},
			problems: []string{"exited 1, want 0", "ok is false, want true"},
		},
		{
			name: "finding and suggested URI present",
			want: expectation{exit: 1, ids: []string{tunnel.ID}, suggested: "directConnection=true"},
			got:  outcome{exit: 1, report: newReport(false, tunnel)},
		},
		{
			name:     "finding missing",
			want:     expectation{exit: 1, ids: []string{catalogue.IDAuthFailed}},
			got:      outcome{exit: 1, report: newReport(false, refused)},
			problems: []string{"no auth.failed finding (found: tcp.refused)"},
		},
		{
			name:     "no findings at all",
			want:     expectation{exit: 1, ids: []string{catalogue.IDWireServerTooOld}},
			got:      outcome{exit: 1, report: newReport(false)},
			problems: []string{"no wire.server-too-old finding (found: none)"},
		},
		{
			name:     "suggested URI only on another finding",
			want:     expectation{exit: 1, ids: []string{tunnel.ID}, suggested: "directConnection=true"},
			got:      outcome{exit: 1, report: newReport(false, report.Finding{ID: tunnel.ID, Severity: report.SeverityError}, unknownOption)},
			problems: []string{"no suggested connection string with directConnection=true"},
		},
		{
			name:     "password in the output",
			want:     expectation{exit: 1, ids: []string{refused.ID}},
			got:      outcome{exit: 1, report: newReport(false, refused), output: "mongodb://alice:hunter2hunter2@host/"},
			secrets:  []string{"", "hunter2hunter2"},
			problems: []string{"a password appears in mongoconn's output"},
		},
		{
			name:     "no report",
			want:     expectation{exit: 1, ids: []string{refused.ID}},
			got:      outcome{exit: 2, reportErr: errors.New("no JSON report on stdout: EOF")},
			problems: []string{"exited 2, want 1", "no JSON report on stdout: EOF"},
		},
		{
			name: "explain: exit 0 with error findings",
			want: expectation{exit: 0, ok: false, ids: []string{tunnel.ID}},
			got:  outcome{exit: 0, report: newReport(false, tunnel)},
		},
		{
			name: "srv seeds",
			want: expectation{exit: 0, ok: true, srvSeeds: 2},
			got:  outcome{exit: 0, report: withSRV("a.example.test:27017", "b.example.test:27017")},
		},
		{
			name:     "srv seeds missing",
			want:     expectation{exit: 0, ok: true, srvSeeds: 2},
			got:      outcome{exit: 0, report: newReport(true)},
			problems: []string{"no srv section"},
		},
		{
			name:     "srv seeds short",
			want:     expectation{exit: 0, ok: true, srvSeeds: 3},
			got:      outcome{exit: 0, report: withSRV("a.example.test:27017")},
			problems: []string{"lists 1 seeds, want 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.want.verify(tt.got, tt.secrets)
			if len(got) != len(tt.problems) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tt.problems), tt.problems)
			}
			for i, p := range tt.problems {
				if !strings.Contains(got[i], p) {
					t.Errorf("problem %d is %q, want it to contain %q", i, got[i], p)
				}
			}
			for _, s := range tt.secrets {
				if s != "" && strings.Contains(strings.Join(got, "\n"), s) {
					t.Errorf("problems quote a secret: %q", got)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		want expectation
		text string
	}{
		{expectation{exit: 0, ok: true}, "OK, exit 0"},
		{expectation{exit: 1, ids: []string{"tcp.refused"}}, "tcp.refused, exit 1"},
		{expectation{exit: 1, ids: []string{"a", "b"}, suggested: "directConnection=true"}, "a, b, a directConnection=true connection string, exit 1"},
		{expectation{exit: 0, ok: true, srvSeeds: 3}, "OK, 3 seeds from SRV, exit 0"},
	}
	for _, tt := range tests {
		if got := tt.want.describe(); got != tt.text {
			t.Errorf("describe() = %q, want %q", got, tt.text)
		}
	}
}

func TestDecodeReport(t *testing.T) {
	good, err := json.Marshal(newReport(false, report.Finding{ID: catalogue.IDTCPRefused}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		in    []byte
		err   string
		id    string
		okVal bool
	}{
		{name: "report", in: good, id: catalogue.IDTCPRefused},
		{name: "empty", in: nil, err: "no JSON report"},
		{name: "text", in: []byte("FAIL tcp stage failed\n"), err: "no JSON report"},
		{name: "other schema", in: []byte(`{"schemaVersion": 2}`), err: "schemaVersion 2"},
		{name: "too large", in: bytes.Repeat([]byte(" "), maxReportBytes+1), err: "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decodeReport(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.HasFinding(tt.id) {
				t.Errorf("findings %s, want %s", foundIDs(r), tt.id)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		stdin   string
		secrets []string
		want    string
	}{
		{
			name: "plain words stay bare",
			args: []string{"--dns-server", "127.0.0.1:5353", "diagnose", "mongodb://127.0.0.1:27017/"},
			want: "$ mongoconn --dns-server 127.0.0.1:5353 diagnose mongodb://127.0.0.1:27017/",
		},
		{
			name: "options are quoted",
			args: []string{"diagnose", "mongodb://127.0.0.1:1/?replicaSet=rs0&tls=false"},
			want: "$ mongoconn diagnose 'mongodb://127.0.0.1:1/?replicaSet=rs0&tls=false'",
		},
		{
			name:    "password redacted",
			args:    []string{"diagnose", "mongodb://alice:" + demoWrongPassword + "@127.0.0.1:1/?authSource=admin"},
			secrets: []string{demoPassword, demoWrongPassword},
			want:    "$ mongoconn diagnose 'mongodb://alice:****@127.0.0.1:1/?authSource=admin'",
		},
		{
			name: "single quote",
			args: []string{"explain", "it's"},
			want: `$ mongoconn explain 'it'\''s'`,
		},
		{
			name: "empty argument",
			args: []string{"explain", ""},
			want: "$ mongoconn explain ''",
		},
		{
			name:  "stdin as a here-document",
			args:  []string{"explain", "-"},
			stdin: "line one\nline two\n",
			want:  "$ mongoconn explain - <<'EOF'\nline one\nline two\nEOF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commandLine(tt.args, tt.stdin, tt.secrets); got != tt.want {
				t.Errorf("commandLine() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"", 10, ""},
		{"one", 10, "one"},
		{"one two three", 9, "one two\nthree"},
		{"  spaced   out  ", 20, "spaced out"},
		{"averyveryverylongword and", 5, "averyveryverylongword\nand"},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.width); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestCapped(t *testing.T) {
	c := newCapped()
	chunk := bytes.Repeat([]byte("x"), maxReportBytes/2+1)
	for range 3 {
		if n, err := c.Write(chunk); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(chunk))
		}
	}
	if c.Len() != maxReportBytes+1 {
		t.Errorf("kept %d bytes, want %d", c.Len(), maxReportBytes+1)
	}
	if _, err := decodeReport(c.Bytes()); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("decodeReport of the capped output: %v, want too large", err)
	}
}

func TestCheckModule(t *testing.T) {
	tests := []struct {
		name  string
		gomod string
		err   string
	}{
		{name: "mongoconn", gomod: "// comment\nmodule " + modulePath + "\n\ngo 1.26\n"},
		{name: "quoted", gomod: "module \"" + modulePath + "\"\n"},
		{name: "another module", gomod: "module example.com/other\n", err: "not " + modulePath},
		{name: "no module line", gomod: "go 1.26\n", err: "declares no module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "go.mod")
			if err := os.WriteFile(path, []byte(tt.gomod), 0o644); err != nil {
				t.Fatal(err)
			}
			err := checkModule(path)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestScenarioTable keeps the scenario list well formed: unique names,
// a title and an explanation each, and an expectation that can fail.
func TestScenarioTable(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range scenarios() {
		if sc.name == "" || sc.title == "" || sc.about == "" || sc.setup == nil {
			t.Errorf("scenario %q is incomplete", sc.name)
		}
		if seen[sc.name] {
			t.Errorf("scenario %q appears twice", sc.name)
		}
		seen[sc.name] = true
		if sc.want.exit != 0 && len(sc.want.ids) == 0 {
			t.Errorf("scenario %q expects a problem but names no finding id", sc.name)
		}
	}
	if got := selectScenarios([]string{"srv", "healthy"}); len(got) != 2 || got[0].name != "healthy" || got[1].name != "srv" {
		t.Errorf("selectScenarios keeps the demo's order: got %v", got)
	}
}

// TestDocsShowEveryScenario checks that docs/demo.md holds the captured
// output of every scenario (its header line) and the closing line of a run
// where all of them showed what they should.
func TestDocsShowEveryScenario(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "demo.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	all := scenarios()
	for i, sc := range all {
		header := headerLine(sc, i+1, len(all))
		if !strings.Contains(doc, header) {
			t.Errorf("docs/demo.md lacks %q: regenerate it with make demo", header)
		}
	}
	if !strings.Contains(doc, fmt.Sprintf("demo: all %d scenarios showed what they should", len(all))) {
		t.Errorf("docs/demo.md does not end with a run where every scenario was as expected")
	}
	if strings.Contains(doc, "\x1b[") {
		t.Errorf("docs/demo.md holds colour codes")
	}
	for _, s := range []string{demoPassword, demoWrongPassword} {
		if strings.Contains(doc, s) {
			t.Errorf("docs/demo.md shows a password")
		}
	}
}
