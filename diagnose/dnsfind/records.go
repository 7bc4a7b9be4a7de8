package dnsfind

import (
	"fmt"
	"net"
	"strings"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// SRVHasPort reports whether any of hosts, the hosts of a mongodb+srv
// string, carries a port (which the specification forbids).
func SRVHasPort(hosts []string) bool {
	for _, h := range hosts {
		if _, _, err := net.SplitHostPort(h); err == nil {
			return true
		}
	}
	return false
}

// SRVSummary sums up an SRV answer for its check: records, TTL, server.
func SRVSummary(a *resolve.SRVAnswer) string {
	s := fmt.Sprintf("%d SRV record", len(a.Records))
	if len(a.Records) != 1 {
		s += "s"
	}
	if len(a.Records) > 0 {
		ttl := a.Records[0].TTLSeconds
		for _, r := range a.Records[1:] {
			ttl = min(ttl, r.TTLSeconds)
		}
		s += fmt.Sprintf(", TTL %ds", ttl)
	}
	if a.Server != "" {
		s += ", from " + a.Server
	}
	return s + TransportNote(a.DNSMeta)
}

// SRVDetail is one line per SRV record, for verbose output.
func SRVDetail(a *resolve.SRVAnswer) []string {
	var out []string
	for _, r := range a.Records {
		out = append(out, fmt.Sprintf("SRV %d %d %d %s (TTL %ds)", r.Priority, r.Weight, r.Port, resolve.Normalize(r.Target), r.TTLSeconds))
	}
	if a.RTT > 0 {
		out = append(out, fmt.Sprintf("answered in %s", report.FormatMs(report.Millis(a.RTT))))
	}
	return out
}

// TransportNote says how an answer came when it was not plain UDP.
func TransportNote(m resolve.DNSMeta) string {
	switch {
	case m.TCPFailed != nil:
		return " (UDP answer truncated; asking again over TCP failed, so this is what fit in UDP)"
	case m.Truncated:
		return " (UDP answer truncated; asked again over TCP)"
	case m.TCP:
		return " (over TCP)"
	}
	return ""
}

// AddrDetail is one line per address record, for verbose output.
func AddrDetail(a *resolve.AddrAnswer) []string {
	var out []string
	for _, r := range a.Addrs {
		typ := "A"
		if ip := net.ParseIP(r.IP); ip != nil && ip.To4() == nil {
			typ = "AAAA"
		}
		out = append(out, fmt.Sprintf("%s %s (TTL %ds)", typ, r.IP, r.TTLSeconds))
	}
	return out
}

// ResolverLabel names the DNS server that answered, and where it came
// from.
func ResolverLabel(server string, system bool) string {
	switch {
	case server == "":
		return "the DNS server"
	case system:
		return "the DNS server " + server + " (from /etc/resolv.conf)"
	}
	return "the DNS server " + server + " (named with --dns-server)"
}

// SRVRecordsHeld is an SRV answer's records, for evidence.
func SRVRecordsHeld(a *resolve.SRVAnswer) string {
	if len(a.Records) == 0 {
		return "no SRV record"
	}
	var out []string
	for _, r := range a.Records {
		out = append(out, net.JoinHostPort(resolve.Normalize(r.Target), fmt.Sprint(r.Port)))
	}
	return strings.Join(out, ", ")
}

// TXTRecordsHeld is a TXT answer's records, for evidence.
func TXTRecordsHeld(a *resolve.TXTAnswer) string {
	var out []string
	for _, r := range a.Records {
		out = append(out, fmt.Sprintf("%q", r.Text()))
	}
	if len(out) == 0 {
		return "no TXT record"
	}
	return strings.Join(out, ", ")
}

// ContainsQuestion reports whether q is one of qs.
func ContainsQuestion(qs []resolve.Question, q resolve.Question) bool {
	for _, x := range qs {
		if x == q {
			return true
		}
	}
	return false
}

// HostLookup is the outcome of resolving one host name.
type HostLookup struct {
	Host string
	IPs  []string
	Ans  *resolve.AddrAnswer
	Err  error
	Took float64 // milliseconds the lookup took
}

// AddrSummary sums up a host lookup for its check: addresses, TTL,
// server, canonical name.
func AddrSummary(r HostLookup) string {
	s := "resolves to " + strings.Join(r.IPs, ", ")
	if r.Ans == nil {
		return s
	}
	var ttl uint32
	for i, a := range r.Ans.Addrs {
		if i == 0 || a.TTLSeconds < ttl {
			ttl = a.TTLSeconds
		}
	}
	var notes []string
	if ttl > 0 {
		notes = append(notes, fmt.Sprintf("TTL %ds", ttl))
	}
	if r.Ans.Server != "" {
		notes = append(notes, "from "+r.Ans.Server)
	}
	if r.Ans.Canonical != "" && r.Ans.Canonical != resolve.Normalize(r.Host) {
		notes = append(notes, "as "+r.Ans.Canonical)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s + TransportNote(r.Ans.DNSMeta)
}
