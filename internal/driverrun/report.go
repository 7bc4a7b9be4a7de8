package driverrun

import (
	"encoding/json"
	"fmt"
)

// maxReportSize bounds a mongoconn JSON report read by the suite: a
// diagnose report of a few members is tens of KiB.
const maxReportSize = 4 << 20

// Report is the part of a mongoconn JSON report (DESIGN.md §3) that the
// suite compares with the clients.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	Command       string    `json:"command"`
	OK            bool      `json:"ok"`
	Verdict       string    `json:"verdict"`
	Servers       []Server  `json:"servers"`
	Findings      []Finding `json:"findings"`
}

// Server is one server of a Report, with the wire range it reported.
type Server struct {
	Address        string `json:"address"`
	Kind           string `json:"kind"`
	MinWireVersion int32  `json:"minWireVersion"`
	MaxWireVersion int32  `json:"maxWireVersion"`
	Reachable      bool   `json:"reachable"`
}

// Answered reports whether the server answered hello: its wire range is
// what it said.
func (s Server) Answered() bool { return s.Reachable && s.Kind != "" && s.Kind != "Unknown" }

// Finding is one finding of a Report.
type Finding struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Title    string   `json:"title"`
	Evidence []string `json:"evidence"`
}

// ParseReport reads one JSON report as mongoconn prints it with -o json.
func ParseReport(b []byte) (Report, error) {
	var r Report
	if len(b) > maxReportSize {
		return r, &ParseError{What: "mongoconn report", Reason: fmt.Sprintf("longer than %d bytes", maxReportSize)}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, &ParseError{What: "mongoconn report", Reason: "not JSON", Err: err}
	}
	if r.SchemaVersion != 1 {
		return r, &ParseError{What: "mongoconn report", Reason: fmt.Sprintf("schemaVersion %d, want 1", r.SchemaVersion)}
	}
	for i, f := range r.Findings {
		if f.ID == "" {
			return r, &ParseError{What: "mongoconn report", Reason: fmt.Sprintf("finding %d has no id", i)}
		}
	}
	return r, nil
}

// FirstError is the id of the report's first finding of severity error,
// "" when there is none.
func (r Report) FirstError() string {
	for _, f := range r.Findings {
		if f.Severity == "error" {
			return f.ID
		}
	}
	return ""
}

// FirstID is the id of the report's first finding, "" when there is none.
func (r Report) FirstID() string {
	if len(r.Findings) == 0 {
		return ""
	}
	return r.Findings[0].ID
}

// IDs lists the ids of the findings in order.
func (r Report) IDs() []string {
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	return ids
}
