package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mongoconn/mongoconn/report"
)

// expectation is what a scenario's report must show.
type expectation struct {
	// exit is mongoconn's exit status: 0 healthy (or recognised, for
	// explain), 1 a problem was found.
	exit int
	// ok is the report's ok: true exactly when no finding is an error
	// (explain exits 0 on an error it recognises, with ok false).
	ok bool
	// ids are finding ids the report must hold.
	ids []string
	// suggested, when set, must be part of some finding's suggested URI.
	suggested string
	// srvSeeds, when positive, is how many seeds the report's srv section
	// must list.
	srvSeeds int
}

// outcome is what one mongoconn run produced.
type outcome struct {
	// exit is its exit status.
	exit int
	// report is its JSON report, nil when none could be read.
	report *report.Report
	// reportErr says why report is nil.
	reportErr error
	// output is everything it wrote (stdout then stderr), to look for
	// secrets in.
	output string
}

// maxReportBytes bounds the JSON report the demo reads: a report of a
// loopback scenario is a few kilobytes.
const maxReportBytes = 4 << 20

// decodeReport reads mongoconn's JSON report.
func decodeReport(stdout []byte) (*report.Report, error) {
	if len(stdout) > maxReportBytes {
		return nil, fmt.Errorf("the report is %d bytes, more than %d", len(stdout), maxReportBytes)
	}
	var r report.Report
	dec := json.NewDecoder(bytes.NewReader(stdout))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("no JSON report on stdout: %w", err)
	}
	if r.SchemaVersion != report.SchemaVersion {
		return nil, fmt.Errorf("report schemaVersion %d, want %d", r.SchemaVersion, report.SchemaVersion)
	}
	return &r, nil
}

// verify lists how o differs from w; none means the scenario showed what
// it should. The secrets are named only as "a password", never quoted.
func (w expectation) verify(o outcome, secrets []string) []string {
	var problems []string
	for _, s := range secrets {
		if s != "" && strings.Contains(o.output, s) {
			problems = append(problems, "a password appears in mongoconn's output")
			break
		}
	}
	if o.exit != w.exit {
		problems = append(problems, fmt.Sprintf("mongoconn exited %d, want %d", o.exit, w.exit))
	}
	r := o.report
	if r == nil {
		msg := "no report"
		if o.reportErr != nil {
			msg = o.reportErr.Error()
		}
		return append(problems, msg)
	}
	if r.OK != w.ok {
		problems = append(problems, fmt.Sprintf("report ok is %v, want %v (verdict: %s)", r.OK, w.ok, r.Verdict))
	}
	for _, id := range w.ids {
		if !r.HasFinding(id) {
			problems = append(problems, fmt.Sprintf("no %s finding (found: %s)", id, foundIDs(r)))
		}
	}
	if w.suggested != "" && !hasSuggested(r, w.ids, w.suggested) {
		problems = append(problems, fmt.Sprintf("no suggested connection string with %s", w.suggested))
	}
	if w.srvSeeds > 0 {
		switch {
		case r.SRV == nil:
			problems = append(problems, "the report has no srv section")
		case len(r.SRV.Seeds) != w.srvSeeds:
			problems = append(problems, fmt.Sprintf("the srv section lists %d seeds, want %d", len(r.SRV.Seeds), w.srvSeeds))
		}
	}
	return problems
}

// hasSuggested reports whether a finding among ids (any finding when ids
// is empty) suggests a connection string containing part.
func hasSuggested(r *report.Report, ids []string, part string) bool {
	for _, f := range r.Findings {
		if len(ids) > 0 && !slices.Contains(ids, f.ID) {
			continue
		}
		if strings.Contains(f.SuggestedURI, part) {
			return true
		}
	}
	return false
}

// foundIDs lists the report's finding ids, for messages.
func foundIDs(r *report.Report) string {
	if len(r.Findings) == 0 {
		return "none"
	}
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	return strings.Join(ids, ", ")
}

// describe says in a few words what w asks for, for the line that closes
// a scenario.
func (w expectation) describe() string {
	var parts []string
	if len(w.ids) > 0 {
		parts = append(parts, strings.Join(w.ids, ", "))
	} else if w.exit == 0 {
		parts = append(parts, "OK")
	}
	if w.suggested != "" {
		parts = append(parts, "a "+w.suggested+" connection string")
	}
	if w.srvSeeds > 0 {
		parts = append(parts, fmt.Sprintf("%d seeds from SRV", w.srvSeeds))
	}
	parts = append(parts, fmt.Sprintf("exit %d", w.exit))
	return strings.Join(parts, ", ")
}
