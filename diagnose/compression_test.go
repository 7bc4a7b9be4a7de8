package diagnose

import (
	"context"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

func diagnoseURI(t *testing.T, e *Engine, uri string) *report.Report {
	t.Helper()
	tgt, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Diagnose(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompressionNotNegotiated(t *testing.T) {
	withZstd := mongotest.StartFakeMongod(t, mongotest.Options{Compressors: []string{"snappy", "zstd"}})
	without := mongotest.StartFakeMongod(t, mongotest.Options{})
	e := NewEngine()
	e.Timeout = tlsTestBudget
	cases := []struct {
		name      string
		uri       string
		evidence  []string
		suggested string
	}{
		{"one of two refused", withZstd.URI() + "?compressors=zlib,zstd", []string{"asks for zlib", "it accepts snappy, zstd", "negotiated: zstd (the driver uses zstd)"}, "compressors=snappy%2Czstd"},
		{"none in common", withZstd.URI() + "?compressors=zlib", []string{"negotiated: none"}, "compressors="},
		{"a hello without compression", without.URI() + "?compressors=zstd,snappy", []string{"it names no compressor", "negotiated: none"}, ""},
		{"all accepted", withZstd.URI() + "?compressors=zstd,snappy", nil, ""},
		{"none asked", without.URI(), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := diagnoseURI(t, e, c.uri)
			f, ok := findingOf(r, catalogue.IDCompressionNotNegotiated)
			if c.evidence == nil {
				if ok {
					t.Fatalf("unexpected compression.not-negotiated: %v", f.Evidence)
				}
				if !r.OK {
					t.Errorf("not ok: %s", findingsText(r))
				}
				return
			}
			if !ok || f.Severity != report.SeverityWarning {
				t.Fatalf("no compression.not-negotiated warning: %s", findingsText(r))
			}
			ev := strings.Join(f.Evidence, "\n")
			for _, w := range c.evidence {
				if !strings.Contains(ev, w) {
					t.Errorf("evidence lacks %q: %s", w, ev)
				}
			}
			if !strings.Contains(f.SuggestedURI, c.suggested) {
				t.Errorf("suggested %q lacks %q", f.SuggestedURI, c.suggested)
			}
			if !r.OK {
				t.Errorf("a warning failed the report: %s", findingsText(r))
			}
		})
	}
}
