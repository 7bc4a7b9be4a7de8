package topofind

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// FailStage is the stage a failed probe failed in.
func FailStage(err error) report.Stage {
	var pe *wireprobe.ProbeError
	if !errors.As(err, &pe) {
		return report.StageHello
	}
	switch pe.Kind {
	case wireprobe.ProbeRefused, wireprobe.ProbeTimeout, wireprobe.ProbeUnreachable:
		return report.StageTCP
	case wireprobe.ProbeUnresolved:
		return report.StageDNS
	case wireprobe.ProbeTLS:
		return report.StageTLS
	}
	return report.StageHello
}

// ClosedAfterTLS reports whether a probe over TLS failed because the
// peer ended the connection once the handshake was done (closed, or sent
// bytes that are no reply: a TLS alert).
func ClosedAfterTLS(err error) bool {
	var pe *wireprobe.ProbeError
	return errors.As(err, &pe) && (pe.Kind == wireprobe.ProbeClosed || pe.Kind == wireprobe.ProbeNotMongoDB)
}

// ProbeReason is a failed probe's reason without the address.
func ProbeReason(err error, fallback string) string {
	var pe *wireprobe.ProbeError
	if errors.As(err, &pe) && pe.Detail != "" {
		return redact.Redact(pe.Detail)
	}
	if fallback != "" {
		return fallback
	}
	return "did not answer"
}

// HelloSummary is one line about a server that answered.
func HelloSummary(s report.Server, res wireprobe.HelloResult) string {
	var b strings.Builder
	b.WriteString(s.Kind)
	if s.SetName != "" {
		fmt.Fprintf(&b, " of %q", s.SetName)
	}
	var flags []string
	if s.Hidden {
		flags = append(flags, "hidden")
	}
	if s.Passive {
		flags = append(flags, "passive")
	}
	if s.ArbiterOnly && s.Kind != report.KindRSArbiter {
		flags = append(flags, "arbiter")
	}
	if len(flags) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(flags, ", "))
	}
	if res.BuildInfoErr == nil && s.Version != "" {
		fmt.Fprintf(&b, ", MongoDB %s", s.Version)
	} else if s.Version != "" {
		fmt.Fprintf(&b, ", MongoDB %s (from the wire version; buildInfo gave none)", s.Version)
	}
	fmt.Fprintf(&b, ", wire %s", wireprobe.ReportedWire(s))
	switch {
	case s.LegacyHello:
		b.WriteString(" (legacy isMaster over OP_QUERY)")
	case res.Command == "isMaster":
		b.WriteString(" (no hello command: isMaster over OP_MSG)")
	}
	fmt.Fprintf(&b, ", RTT %s", report.FormatMs(s.RTTMs))
	if n := len(res.RTTs); n > 1 {
		fmt.Fprintf(&b, " (mean of %d)", n)
	}
	return b.String()
}
