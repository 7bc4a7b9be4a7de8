// Package resolve answers the DNS questions of the engine with its own
// client (miekg/dns): the system's resolvers from resolv.conf, or one
// server named with --dns-server, and the rules of the "Initial DNS
// Seedlist Discovery" specification for SRV and TXT records. It imports
// report and connstr; it never dials a member.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/internal/localres"
	"github.com/mongoconn/mongoconn/report"
)

// DNS timeouts. A lookup never waits longer than the command's context
// allows; these cap one question so that a dead server leaves room for
// the next one and for the TCP, TLS and hello stages.
const (
	// DNSQueryTimeout bounds one question to one server over one
	// transport: a resolver on the network path answers in milliseconds
	// and a recursive lookup in well under a second, so one that has not
	// answered in 2 s is down or dropping packets.
	DNSQueryTimeout = 2 * time.Second

	// dnsMaxAttempts caps the rounds over the configured servers, whatever
	// resolv.conf's "attempts" says: a lost UDP datagram is worth one retry,
	// a silent server is not worth five.
	dnsMaxAttempts = 2
)

// Resolver answers the DNS questions the engine asks. The engine's
// Resolver field is the seam: NewResolver builds the real one, tests
// point it at a loopback DNS server or replace it.
type Resolver interface {
	// LookupSRV asks for the SRV records of _service._proto.name.
	// A name without SRV records is a *DNSError whose NotFound is true.
	LookupSRV(ctx context.Context, service, proto, name string) (*SRVAnswer, error)

	// LookupTXT asks for the TXT records of name. A name without TXT
	// records is a *DNSError whose NotFound is true.
	LookupTXT(ctx context.Context, name string) (*TXTAnswer, error)

	// LookupHost returns the addresses (IPv4 first) of host, which may
	// also be an IP literal.
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// AddrResolver is a Resolver that can also tell where an address answer
// came from and how long it may be cached. The resolver NewResolver
// builds implements it; the srv command uses it when it is there.
type AddrResolver interface {
	LookupAddrs(ctx context.Context, host string) (*AddrAnswer, error)
}

// DNSMeta says how an answer was obtained.
type DNSMeta struct {
	// Server is the HOST:PORT of the DNS server that answered, or the
	// file (/etc/hosts) or "system resolver" that did.
	Server string
	// TCP is true when the answer came over TCP.
	TCP bool
	// Truncated is true when the UDP answer was truncated and the question
	// was asked again over TCP.
	Truncated bool
	// System is true when Server came from the system's configuration
	// (resolv.conf), false when it was named with --dns-server.
	System bool
	// RTT is the time the answering exchange took.
	RTT time.Duration
	// TCPFailed is set when the UDP answer was truncated and asking
	// again over TCP failed: the answer then holds only what fit in the
	// UDP datagram (often nothing), as a client that does not retry over
	// TCP sees it.
	TCPFailed error
	// Passed is set when an earlier nameserver truncated its UDP answer
	// and could not be asked over TCP (Passed.TCPFailed says why): Go's
	// resolver and glibc's move on to the next nameserver then, and so
	// does this one; Server is the one that answered.
	Passed *DNSMeta
	// GoRejected is set (a *dnsmsg.RejectError) when Go's own resolver,
	// and so every Go program, would refuse the answer as "cannot
	// unmarshal DNS message"; the records were read leniently.
	GoRejected error
}

// SRVAnswer is the answer to an SRV question.
type SRVAnswer struct {
	// Name is the name asked, without the trailing dot
	// (_mongodb._tcp.cluster0.example.net).
	Name string
	// Records are the SRV records in the order the server gave them;
	// targets are lower-case without the trailing dot.
	Records []report.SRVRecord
	DNSMeta
}

// TXTRecord is one TXT record: its character strings, in order.
type TXTRecord struct {
	Strings    []string
	TTLSeconds uint32
}

// Text is the record's strings concatenated, as the seed-list
// specification reads them.
func (r TXTRecord) Text() string { return strings.Join(r.Strings, "") }

// TXTAnswer is the answer to a TXT question.
type TXTAnswer struct {
	Name    string
	Records []TXTRecord
	DNSMeta
}

// AddrRecord is one A or AAAA record.
type AddrRecord struct {
	IP         string
	TTLSeconds uint32
}

// AddrAnswer is the answer to an address lookup (A and AAAA).
type AddrAnswer struct {
	// Host is the name asked; Canonical is the name that answered when a
	// search domain was appended (else equal to Host).
	Host      string
	Canonical string
	// Addrs lists IPv4 addresses first, then IPv6.
	Addrs []AddrRecord
	DNSMeta
}

// IPs returns the addresses without their TTLs.
func (a *AddrAnswer) IPs() []string {
	out := make([]string, len(a.Addrs))
	for i, r := range a.Addrs {
		out[i] = r.IP
	}
	return out
}

// DNSErrorKind classifies a failed lookup.
type DNSErrorKind int

// Kinds of DNS failure.
const (
	// DNSNotFound: the name does not exist (NXDOMAIN).
	DNSNotFound DNSErrorKind = iota + 1
	// DNSNoData: the name exists but has no record of the asked type.
	DNSNoData
	// DNSTimeout: no server answered in time.
	DNSTimeout
	// DNSServerFailure: a server answered SERVFAIL, REFUSED or another
	// error code.
	DNSServerFailure
	// DNSBadAnswer: the answer could not be parsed or does not match the
	// question.
	DNSBadAnswer
	// DNSNetwork: the server could not be reached (port closed, no route).
	DNSNetwork
	// DNSBadName: the name asked is not a valid DNS name.
	DNSBadName
	// DNSNoServers: no DNS server is configured.
	DNSNoServers
	// DNSLocal: the question was never sent, because this machine ran
	// out of file descriptors, ports, buffers or memory for its socket
	// (or to read resolv.conf or the hosts file). Nothing is known of
	// the name or of the server; Errno says what ran out.
	DNSLocal
)

var dnsKindText = map[DNSErrorKind]string{
	DNSNotFound:      "no such host",
	DNSNoData:        "no records of this type",
	DNSTimeout:       "no answer in time",
	DNSServerFailure: "server failure",
	DNSBadAnswer:     "malformed answer",
	DNSNetwork:       "server unreachable",
	DNSBadName:       "invalid name",
	DNSNoServers:     "no DNS server configured",
	DNSLocal:         "question not sent",
}

// String names the kind in a few words.
func (k DNSErrorKind) String() string {
	if s, ok := dnsKindText[k]; ok {
		return s
	}
	return "dns error"
}

// DNSError is a failed lookup, with what was asked, of whom, and why.
type DNSError struct {
	Kind DNSErrorKind
	// Name is the name asked, without the trailing dot; Type is the
	// record type (SRV, TXT, A, AAAA, or A/AAAA for an address lookup).
	Name string
	Type string
	// Server is the last server asked ("" when none was).
	Server string
	// Rcode is the DNS response code when a server answered, else -1.
	Rcode int
	// System is true when the question went to the system's resolvers
	// (resolv.conf), false when it went to a server named with
	// --dns-server.
	System bool
	// TCPFailed is set when the server truncated its UDP answer and
	// could not be asked again over TCP (DNSMeta.TCPFailed).
	TCPFailed error
	// GoRejected is set when Go's resolver would refuse the answer
	// (DNSMeta.GoRejected).
	GoRejected error
	// Err is the underlying cause, when there is one.
	Err error
}

func (e *DNSError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lookup %s %s", e.Type, e.Name)
	if e.Server != "" {
		fmt.Fprintf(&b, " on %s", e.Server)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason())
	return b.String()
}

// Reason is the error without the question: "no such host (NXDOMAIN)".
func (e *DNSError) Reason() string {
	s := e.Kind.String()
	if errno, ok := e.Local(); ok {
		return s + ": " + localres.Reason(errno)
	}
	if e.Rcode > 0 {
		s += " (" + RcodeName(e.Rcode) + ")"
	}
	if e.Err != nil && e.Kind != DNSNotFound && e.Kind != DNSNoData {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *DNSError) Unwrap() error { return e.Err }

// Local reports whether the question was never sent because this
// machine ran out of file descriptors, ports, buffers or memory, and
// which errno said so: a failure of this machine, not of the DNS.
func (e *DNSError) Local() (syscall.Errno, bool) {
	if e.Kind != DNSLocal {
		return 0, false
	}
	errno, ok := localres.Errno(e.Err)
	if !ok {
		errno = syscall.EMFILE // a DNSLocal built without its cause
	}
	return errno, true
}

// Timeout reports whether no server answered in time.
func (e *DNSError) Timeout() bool { return e.Kind == DNSTimeout }

// Temporary reports whether asking again may give another answer.
func (e *DNSError) Temporary() bool {
	return e.Kind == DNSTimeout || e.Kind == DNSServerFailure || e.Kind == DNSNetwork || e.Kind == DNSLocal
}

// NotFound reports whether the name has no record of the asked type,
// or does not exist at all: the DNS answered, and the answer is "no".
func (e *DNSError) NotFound() bool { return e.Kind == DNSNotFound || e.Kind == DNSNoData }

// As lets errors.As see a *DNSError as the standard library's
// *net.DNSError, so code that classifies dial errors the usual way
// understands ours too.
func (e *DNSError) As(target any) bool {
	p, ok := target.(**net.DNSError)
	if !ok {
		return false
	}
	*p = &net.DNSError{
		UnwrapErr:   e,
		Err:         e.Reason(),
		Name:        e.Name,
		Server:      e.Server,
		IsTimeout:   e.Timeout(),
		IsTemporary: e.Temporary(),
		IsNotFound:  e.NotFound(),
	}
	return true
}

// Config says whom a resolver asks and what it reads. The zero value is
// the system's own configuration.
type Config struct {
	// Server (HOST:PORT), when set, is the only DNS server asked, as with
	// --dns-server: resolv.conf and the operating system's lookup are not
	// used.
	Server string
	// ResolvConf is the file read for nameservers, search domains, ndots,
	// attempts and timeout when Server is empty; "" means
	// /etc/resolv.conf.
	ResolvConf string
	// Nameservers (HOST:PORT), when set, replace the nameservers of
	// ResolvConf while its other settings still apply: resolv.conf cannot
	// name a port, a loopback test server needs one.
	Nameservers []string
	// HostsFile is read first for host names; "" means /etc/hosts and
	// NoHostsFile reads none.
	HostsFile string
	// NoSystemLookup leaves out the operating system's own lookup (mDNS,
	// nsswitch) for host names the DNS says do not exist.
	NoSystemLookup bool
	// QueryTimeout bounds one question to one server; 0 means
	// DNSQueryTimeout (or resolv.conf's shorter timeout).
	QueryTimeout time.Duration
}

// NoHostsFile as Config.HostsFile reads no hosts file.
const NoHostsFile = "-"

// New returns the real resolver, built on github.com/miekg/dns. With
// c.Server it asks that server only; without, it asks the system's
// resolvers from resolv.conf, applying its search domains to relative
// host names (never to SRV and TXT names) and falling back to the
// operating system's own lookup for names the DNS does not know. It never
// asks any other server. The hosts file is read first for host names in
// both modes.
func New(c Config) Resolver {
	hosts := c.HostsFile
	switch hosts {
	case "":
		hosts = defaultHostsPath
	case NoHostsFile:
		hosts = ""
	}
	if c.Server != "" {
		return &dnsResolver{servers: []string{c.Server}, attempts: dnsMaxAttempts, hostsPath: hosts, timeout: c.QueryTimeout}
	}
	r := &dnsResolver{
		system:      true,
		resolvConf:  c.ResolvConf,
		nameservers: c.Nameservers,
		hostsPath:   hosts,
		timeout:     c.QueryTimeout,
	}
	if r.resolvConf == "" {
		r.resolvConf = defaultResolvConf
	}
	if !c.NoSystemLookup {
		r.fallback = (&net.Resolver{}).LookupHost
	}
	return r
}

// NewResolver returns New(Config{Server: server}): the resolver of
// --dns-server server, or the system's with "".
func NewResolver(server string) Resolver { return New(Config{Server: server}) }

// Compile-time checks.
var (
	_ Resolver     = (*dnsResolver)(nil)
	_ AddrResolver = (*dnsResolver)(nil)
)

// IsNotFound reports whether err says the name has no such record.
func IsNotFound(err error) bool {
	var de *DNSError
	if errors.As(err, &de) {
		return de.NotFound()
	}
	var ne *net.DNSError
	return errors.As(err, &ne) && ne.IsNotFound
}

// IsLocal reports whether err says a lookup was never sent because this
// machine ran out of file descriptors, ports, buffers or memory, and
// which errno said so. It knows the lookup errors of Go's own resolver
// too, whose *net.DNSError keeps the socket error as text only.
func IsLocal(err error) (syscall.Errno, bool) {
	var de *DNSError
	if errors.As(err, &de) {
		if errno, ok := de.Local(); ok {
			return errno, true
		}
	}
	if errno, ok := localres.Errno(err); ok {
		return errno, true
	}
	var ne *net.DNSError
	if errors.As(err, &ne) {
		return localres.InText(ne.Err)
	}
	return 0, false
}
