package probe

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// result is what one probe found, in plain fields: the metrics are built
// from it alone.
type result struct {
	OK       bool
	Verdict  string
	Duration time.Duration
	// Topology is the topology kind (Single, ReplicaSetWithPrimary, ...),
	// "" when it was not learned.
	Topology string
	// ReplicaSet is true when the deployment is, or is asked to be, a
	// replica set.
	ReplicaSet bool
	Stages     []stageResult
	Findings   []findingResult
	Servers    []serverResult
	// SRVRecords is the number of SRV records found; HasSRV says whether
	// they were looked up.
	SRVRecords int
	HasSRV     bool
	// CertExpiry is the earliest NotAfter of the certificates seen in TLS
	// handshakes (zero when none was seen).
	CertExpiry time.Time

	// writeJSON writes the report as the CLI's -o json does.
	writeJSON func(io.Writer) error
	secrets   secretList
}

// stageResult sums up the checks of one stage that ran.
type stageResult struct {
	Stage string
	// Success is false when any check of the stage failed (a warning
	// passes).
	Success bool
	// Duration is the longest check of the stage: the checks of one stage
	// run in parallel, one per address.
	Duration time.Duration
}

// findingResult is one finding of the report.
type findingResult struct{ ID, Severity string }

// serverResult is one server of the report.
type serverResult struct {
	Address        string
	Up             bool
	Answered       bool
	RTT            time.Duration
	Kind           string
	SetName        string
	Version        string
	MaxWireVersion int64
}

// primaryAnswered reports whether a replica-set primary answered.
func (r *result) primaryAnswered() bool {
	for _, s := range r.Servers {
		if s.Answered && s.Kind == "RSPrimary" {
			return true
		}
	}
	return false
}

// How the TLS stage describes each certificate of a chain in verbose mode:
//
//	certificate N: subject "...", issuer "...", valid T1 to T2[, names ...][, CA]
//
// with Go-quoted subject and issuer and times in certTimeLayout. The names
// come from the certificate unquoted, so the line is read from the front:
// a name crafted to look like a date cannot move the expiry.
// TestCertExpiryFromTLSStage holds this parser to the engine's output.
const (
	certTimeLayout = "2006-01-02 15:04:05 UTC"
)

// certNotAfter reads the end of validity from one verbose certificate
// line of the tls stage.
func certNotAfter(line string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(line, "certificate ")
	if !ok {
		return time.Time{}, false
	}
	_, rest, ok = strings.Cut(rest, ": subject ")
	if !ok {
		return time.Time{}, false
	}
	for _, field := range []string{"subject", "issuer"} {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return time.Time{}, false
		}
		rest = rest[len(q):]
		sep := ", issuer "
		if field == "issuer" {
			sep = ", valid "
		}
		if rest, ok = strings.CutPrefix(rest, sep); !ok {
			return time.Time{}, false
		}
	}
	// rest: "T1 to T2..."
	n := len(certTimeLayout)
	if len(rest) < 2*n+len(" to ") || rest[n:n+len(" to ")] != " to " {
		return time.Time{}, false
	}
	at, err := time.Parse(certTimeLayout, rest[n+len(" to "):2*n+len(" to ")])
	if err != nil {
		return time.Time{}, false
	}
	return at, true
}

// millisDuration converts the report's milliseconds to a duration.
func millisDuration(ms float64) time.Duration {
	if ms != ms || ms < 0 { // NaN or negative
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}
