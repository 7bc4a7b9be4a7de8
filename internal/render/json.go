package render

import (
	"bytes"
	"encoding/json"
	"io"
	"math"

	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// JSON writes r as the JSON report of DESIGN.md §3: schemaVersion 1,
// two-space indent, a trailing newline, empty lists as [] and never null.
// URIs keep their & and = unescaped. r itself is not modified.
func JSON(w io.Writer, r *report.Report) error {
	return writeJSON(w, r, "  ")
}

// JSONLines writes r as one compact JSON line ending in a newline, for
// streams of reports (one per target).
func JSONLines(w io.Writer, r *report.Report) error {
	return writeJSON(w, r, "")
}

func writeJSON(w io.Writer, r *report.Report, indent string) error {
	if r == nil {
		return ErrNilReport
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(normalize(r)); err != nil {
		return err
	}
	_, err := w.Write(EscapeJSON(buf.Bytes()))
	return err
}

// normalize returns a copy of r that satisfies the JSON contract whatever
// state r is in: the schema version, ok derived from the findings, lists
// that are [] rather than null, numbers JSON can carry, and URIs passed
// through redact.Redact once more.
func normalize(r *report.Report) *report.Report {
	c := *r
	c.SchemaVersion = report.SchemaVersion
	c.OK = ok(r)
	c.Target = redact.Redact(r.Target)
	c.DurationMs = finite(r.DurationMs)

	c.Checks = make([]report.Check, len(r.Checks))
	for i, k := range r.Checks {
		k.DurationMs = finite(k.DurationMs)
		c.Checks[i] = k
	}
	c.Servers = make([]report.Server, len(r.Servers))
	for i, s := range r.Servers {
		s.RTTMs = finite(s.RTTMs)
		s.Hosts = nonNil(s.Hosts)
		c.Servers[i] = s
	}
	c.Findings = make([]report.Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.SuggestedURI = redact.Redact(f.SuggestedURI)
		f.Evidence = nonNil(f.Evidence)
		f.Fixes = nonNil(f.Fixes)
		f.Docs = nonNil(f.Docs)
		c.Findings[i] = f
	}
	if r.SRV != nil {
		s := *r.SRV
		s.URI = redact.Redact(s.URI)
		if s.Records == nil {
			s.Records = []report.SRVRecord{}
		}
		if s.TXT == nil {
			s.TXT = []string{}
		}
		if s.Seeds == nil {
			s.Seeds = []string{}
		}
		if s.Options == nil {
			s.Options = map[string]string{}
		}
		c.SRV = &s
	}
	return &c
}

// finite maps NaN and infinities, which JSON cannot carry, to 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// nonNil makes an absent list an empty one, so JSON shows [] not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
