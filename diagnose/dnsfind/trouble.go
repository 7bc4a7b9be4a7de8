package dnsfind

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/resolve"
)

// ErrSummary says why a lookup failed, with the server that said so.
func ErrSummary(err error) string {
	var de *resolve.DNSError
	if errors.As(err, &de) {
		s := de.Reason()
		if _, local := de.Local(); local {
			return s // no server was asked
		}
		if de.Server != "" {
			s += " from " + de.Server
		}
		return s
	}
	var ne *net.DNSError
	if errors.As(err, &ne) {
		s := ne.Err
		if ne.Server != "" {
			s += " from " + ne.Server
		}
		return s
	}
	return redact.Redact(err.Error())
}

// Trouble describes a lookup that failed because the DNS server did
// not give an answer (unreachable, silent, refusing, failing, garbled):
// the records asked for were never seen, so "no records" would be a guess.
type Trouble struct {
	// Title is the finding's title, naming the server.
	Title string
	// Sentence says what the server did, naming it and how it was chosen.
	Sentence string
	server   string
	system   bool
	// NoAnswer is set when no answer came at all (silence, an unreachable
	// server, none configured, or an error instead of records): the
	// finding is then dns.no-answer, not one about the records. A
	// malformed answer is the business of its own id.
	NoAnswer bool
}

// ServerTrouble reports whether err is a lookup of a record type
// (SRV, address) that failed because of the DNS server rather than the
// name, and describes it.
func ServerTrouble(err error, record string) (Trouble, bool) {
	var de *resolve.DNSError
	if !errors.As(err, &de) {
		return Trouble{}, false
	}
	t := Trouble{server: de.Server, system: de.System, NoAnswer: de.Kind != resolve.DNSBadAnswer}
	who := "the DNS server " + de.Server
	switch {
	case de.Server == "" && de.System:
		who = "the system's DNS server"
	case de.Server == "":
		who = "the DNS server"
	}
	how := " (named with --dns-server)"
	if de.System {
		how = " (from /etc/resolv.conf)"
	}
	if de.Server == "" {
		how = ""
	}
	cause := ""
	if de.Err != nil {
		cause = ": " + de.Err.Error()
	}
	switch de.Kind {
	case resolve.DNSNetwork:
		what := "cannot be reached"
		if errors.Is(de.Err, syscall.ECONNREFUSED) {
			what = "refused the connection (nothing listens there)"
		}
		t.Title = fmt.Sprintf("%s %s: the %s query got no answer", UpperFirst(who), what, record)
		t.Sentence = fmt.Sprintf("%s%s %s%s", who, how, what, cause)
	case resolve.DNSTimeout:
		t.Title = fmt.Sprintf("%s did not answer the %s query", UpperFirst(who), record)
		t.Sentence = fmt.Sprintf("%s%s did not answer in time%s", who, how, cause)
	case resolve.DNSServerFailure:
		rc := "an error"
		if de.Rcode > 0 {
			rc = resolve.RcodeName(de.Rcode)
		}
		if de.Rcode == 5 { // REFUSED
			t.Title = fmt.Sprintf("%s refused the %s query", UpperFirst(who), record)
		} else {
			t.Title = fmt.Sprintf("%s answered the %s query with %s", UpperFirst(who), record, rc)
		}
		t.Sentence = fmt.Sprintf("%s%s answered %s instead of records%s", who, how, rc, cause)
	case resolve.DNSBadAnswer:
		t.Title = fmt.Sprintf("%s sent an answer to the %s query that cannot be read", UpperFirst(who), record)
		t.Sentence = fmt.Sprintf("%s%s sent a malformed answer%s", who, how, cause)
	case resolve.DNSNoServers:
		t.Title = fmt.Sprintf("No DNS server is configured: the %s query cannot be asked", record)
		t.Sentence = "no DNS server is configured on this machine (/etc/resolv.conf names none)"
	default:
		return Trouble{}, false
	}
	return t, true
}

// Fix is the first fix of a lookup the DNS server did not answer: check
// that server, or name one that answers.
func (t Trouble) Fix(name, qtype string) string {
	if t.server == "" {
		return "Configure a DNS server this machine can reach, or name one with --dns-server HOST:PORT"
	}
	host, port, err := net.SplitHostPort(t.server)
	if err != nil {
		host, port = t.server, "53"
	}
	dig := fmt.Sprintf("dig @%s -p %s %s %s", host, port, qtype, name)
	if t.system {
		return fmt.Sprintf("Check that the DNS server %s from /etc/resolv.conf answers (%s), or name one that does with --dns-server HOST:PORT", t.server, dig)
	}
	return fmt.Sprintf("Check that a DNS server listens at %s and answers (%s), or give --dns-server the address of one that does", t.server, dig)
}

// UpperFirst capitalises the first letter of s.
func UpperFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// Fixes are the fixes a lookup failure adds beyond the catalogue's.
func Fixes(err error) []string {
	var de *resolve.DNSError
	if !errors.As(err, &de) {
		return nil
	}
	var out []string
	if _, local := de.Local(); local {
		return nil // no server was asked: local.resources says why
	}
	if de.System && (de.Temporary() || de.Kind == resolve.DNSBadAnswer || de.Kind == resolve.DNSNoServers) {
		where := "the system resolver"
		if de.Server != "" {
			where += " (" + de.Server + ", from /etc/resolv.conf)"
		}
		out = append(out, fmt.Sprintf("%s did not give a usable answer (%s). To check whether another DNS server answers, run again with --dns-server HOST:PORT naming one you trust; mongoconn asks no other server unless told to.", where, de.Reason()))
	}
	if de.Kind == resolve.DNSBadAnswer {
		out = append(out, "Some resolvers (old kube-dns, some corporate DNS servers) send SRV answers that drivers cannot parse (\"cannot unmarshal DNS message\"). Run `mongoconn srv` where DNS works and use the equivalent mongodb:// connection string it prints.")
	}
	return out
}
