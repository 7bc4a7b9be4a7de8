package dnsfind

import (
	"fmt"
	"net"
	"strings"

	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

func SRVHasPort(hosts []string) bool {
	for _, h := range hosts {
		if _, _, err := net.SplitHostPort(h); err == nil {
			return true
		}
	}
	return false
}

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

func ContainsQuestion(qs []resolve.Question, q resolve.Question) bool {
	for _, x := range qs {
		if x == q {
			return true
		}
	}
	return false
}
