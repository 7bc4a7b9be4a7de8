// Package report holds the plain data of one command's result: the Report,
// its Checks, Servers, SRV answer and Findings, with the JSON names of the
// design's §3. It imports no package of mongoconn, so that renderers,
// tests and other programs can read a report without the engine.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is the version of the JSON report layout (DESIGN.md §3).
const SchemaVersion = 1

// Stage names one step of a diagnosis. The values are part of the JSON report.
type Stage string

// The stages, in the order a connection goes through them.
const (
	StageURI       Stage = "uri"
	StageDNS       Stage = "dns"
	StageTCP       Stage = "tcp"
	StageTLS       Stage = "tls"
	StageHello     Stage = "hello"
	StageWire      Stage = "wire"
	StageAuth      Stage = "auth"
	StageTopology  Stage = "topology"
	StageSelection Stage = "selection"
	StagePing      Stage = "ping"
)

// Stages lists every stage in pipeline order.
var Stages = []Stage{StageURI, StageDNS, StageTCP, StageTLS, StageHello, StageWire, StageAuth, StageTopology, StageSelection, StagePing}

// Status is the outcome of one check.
type Status string

// Check outcomes.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Severity grades a finding. Only SeverityError makes a report fail.
type Severity string

// Finding severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Check is one probe of one stage, usually against one address.
type Check struct {
	Stage      Stage   `json:"stage"`
	Address    string  `json:"address"`
	Status     Status  `json:"status"`
	DurationMs float64 `json:"durationMs"`
	Summary    string  `json:"summary"`
	// Detail holds extra lines shown only in verbose output (raw replies,
	// certificate chains). They are redacted like everything else.
	Detail []string `json:"detail,omitempty"`
}

// Finding is a problem (or a notable fact) with its cause and fixes. Its
// fields come from the catalogue entry of ID, plus the evidence seen here.
type Finding struct {
	ID           string   `json:"id"`
	Severity     Severity `json:"severity"`
	Title        string   `json:"title"`
	Evidence     []string `json:"evidence"`
	Cause        string   `json:"cause"`
	Fixes        []string `json:"fixes"`
	SuggestedURI string   `json:"suggestedUri"`
	Docs         []string `json:"docs"`
}

// MarshalJSON writes every key of DESIGN.md §3 whatever f holds: a list
// without items is [], never null, and suggestedUri is "" when no string
// is suggested.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	p := plain(f)
	for _, l := range []*[]string{&p.Evidence, &p.Fixes, &p.Docs} {
		if *l == nil {
			*l = []string{}
		}
	}
	// Not json.Marshal: it would escape the & of every URI, which the
	// encoder writing the report then keeps.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Server kinds, the values of Server.Kind: the Go driver's names of them
// (description.ServerKind.String), after the types of
// server-discovery-and-monitoring.md.
const (
	KindUnknown      = "Unknown"
	KindStandalone   = "Standalone"
	KindMongos       = "Mongos"
	KindRSPrimary    = "RSPrimary"
	KindRSSecondary  = "RSSecondary"
	KindRSArbiter    = "RSArbiter"
	KindRSOther      = "RSOther"
	KindRSGhost      = "RSGhost"
	KindLoadBalancer = "LoadBalancer"
)

// Server is what a member of the deployment said about itself (or why it
// said nothing). MinWireVersion and MaxWireVersion are the numbers as the
// server sent them, whatever their numeric BSON type: the Go driver keeps
// only their low 32 bits (wireprobe.DriverWire says what it reads).
type Server struct {
	Address         string            `json:"address"`
	Kind            string            `json:"kind"`
	SetName         string            `json:"setName"`
	Version         string            `json:"version"`
	MinWireVersion  int64             `json:"minWireVersion"`
	MaxWireVersion  int64             `json:"maxWireVersion"`
	Me              string            `json:"me"`
	Hosts           []string          `json:"hosts"`
	Passives        []string          `json:"passives,omitempty"`
	Arbiters        []string          `json:"arbiters,omitempty"`
	Primary         string            `json:"primary,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	Hidden          bool              `json:"hidden,omitempty"`
	Passive         bool              `json:"passive,omitempty"`
	ArbiterOnly     bool              `json:"arbiterOnly,omitempty"`
	ElectionID      string            `json:"electionId,omitempty"`
	SetVersion      int64             `json:"setVersion,omitempty"`
	ServiceID       string            `json:"serviceId,omitempty"`
	Compression     []string          `json:"compression,omitempty"`
	SessionTimeout  *int64            `json:"logicalSessionTimeoutMinutes,omitempty"`
	LegacyHello     bool              `json:"legacyHello,omitempty"`
	RTTMs           float64           `json:"rttMs"`
	Reachable       bool              `json:"reachable"`
	InLatencyWindow bool              `json:"inLatencyWindow"`
	// Seed is true when the address came from the connection string (or
	// its SRV records) rather than from a member's hello reply.
	Seed  bool   `json:"seed,omitempty"`
	Error string `json:"error,omitempty"`

	// Refused is set when the address resolved and routed but nothing
	// listened: a member that is down, not one this machine cannot reach.
	Refused bool `json:"-"`
	// Local is set when the probe never left this machine: it ran out of
	// file descriptors, ports or memory to resolve, read the TLS files
	// for, or dial the address (local.resources). Nothing is known of
	// the member.
	Local bool `json:"-"`
}

// SRVRecord is one answer to the _mongodb._tcp SRV query.
type SRVRecord struct {
	Target     string `json:"target"`
	Port       uint16 `json:"port"`
	Priority   uint16 `json:"priority"`
	Weight     uint16 `json:"weight"`
	TTLSeconds uint32 `json:"ttlSeconds"`
}

// SRVInfo is what the DNS seed list resolved to.
type SRVInfo struct {
	Name    string            `json:"name"`
	Server  string            `json:"server,omitempty"`
	Records []SRVRecord       `json:"records"`
	TXT     []string          `json:"txt"`
	Seeds   []string          `json:"seeds"`
	Options map[string]string `json:"options"`
	// URI is the equivalent mongodb:// connection string, redacted.
	URI string `json:"uri,omitempty"`
}

// Report is the whole result of one command against one target.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	Command       string    `json:"command"`
	Target        string    `json:"target"`
	OK            bool      `json:"ok"`
	Verdict       string    `json:"verdict"`
	DurationMs    float64   `json:"durationMs"`
	Topology      string    `json:"topology,omitempty"`
	Checks        []Check   `json:"checks"`
	Servers       []Server  `json:"servers"`
	SRV           *SRVInfo  `json:"srv,omitempty"`
	Findings      []Finding `json:"findings"`
	// Interrupted is set when the command was stopped by a signal before
	// it finished; the report holds what was learned until then.
	Interrupted bool `json:"interrupted,omitempty"`
}

// NewReport starts an empty report for command against the redacted target.
func NewReport(command, redactedTarget string) *Report {
	return &Report{
		SchemaVersion: SchemaVersion,
		Command:       command,
		Target:        redactedTarget,
		Checks:        []Check{},
		Servers:       []Server{},
		Findings:      []Finding{},
	}
}

// HasErrors reports whether any finding has severity error.
func (r *Report) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// HasFinding reports whether a finding with id is present.
func (r *Report) HasFinding(id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// AddFinding appends f unless a finding with the same id and evidence is
// already there (several probes often see the same problem).
func (r *Report) AddFinding(f Finding) {
	for i, g := range r.Findings {
		if g.ID == f.ID && g.SuggestedURI == f.SuggestedURI {
			r.Findings[i].Evidence = AppendUnique(r.Findings[i].Evidence, f.Evidence...)
			return
		}
	}
	r.Findings = append(r.Findings, f)
}

// FirstFailure returns the first failed check in pipeline order.
func (r *Report) FirstFailure() (Check, bool) {
	for _, st := range Stages {
		for _, c := range r.Checks {
			if c.Stage == st && c.Status == StatusFail {
				return c, true
			}
		}
	}
	return Check{}, false
}

// Finish sets OK, the verdict (unless one was set) and the duration.
// okVerdict is the sentence used when nothing is wrong.
func (r *Report) Finish(started time.Time, now time.Time, okVerdict string) {
	r.DurationMs = Millis(now.Sub(started))
	r.OK = !r.HasErrors() && !r.Interrupted
	if r.Verdict != "" {
		return
	}
	if r.OK {
		r.Verdict = okVerdict
		return
	}
	first := firstError(r.Findings)
	if c, ok := r.FirstFailure(); ok {
		r.Verdict = fmt.Sprintf("%s stage failed: %s", c.Stage, lowerFirst(first.Title))
		return
	}
	r.Verdict = lowerFirst(first.Title)
}

func firstError(fs []Finding) Finding {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return f
		}
	}
	return Finding{}
}

// Millis converts a duration to milliseconds with 0.1 ms precision.
func Millis(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' { // an acronym: keep it
		return s
	}
	if s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

func AppendUnique(dst []string, src ...string) []string {
outer:
	for _, s := range src {
		for _, d := range dst {
			if d == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}

// WithSuggestedURI returns a copy of f suggesting the connection string
// uri. Whoever finishes the report redacts it (RedactFindings).
func WithSuggestedURI(f Finding, uri string) Finding {
	f.SuggestedURI = uri
	return f
}

// Redacted returns a copy of f with mask applied to its evidence and
// suggested URI: the texts that quote what a server, a driver or the
// user's string said.
func (f Finding) Redacted(mask func(string) string) Finding {
	if f.Evidence != nil {
		ev := make([]string, 0, len(f.Evidence))
		for _, e := range f.Evidence {
			ev = AppendUnique(ev, mask(e))
		}
		f.Evidence = ev
	}
	if f.SuggestedURI != "" {
		f.SuggestedURI = mask(f.SuggestedURI)
	}
	return f
}

// RedactFindings applies mask (redact.RedactText) to every finding: the
// one place secrets leave the evidence, whoever built the finding.
func (r *Report) RedactFindings(mask func(string) string) {
	for i, f := range r.Findings {
		r.Findings[i] = f.Redacted(mask)
	}
}

// WithSeverity returns a copy of f with severity sev.
func (f Finding) WithSeverity(sev Severity) Finding {
	f.Severity = sev
	return f
}

// FormatMs formats milliseconds for people: "0.4 ms", "12 ms", "1.2 s".
func FormatMs(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%.1f ms", ms)
	}
}
