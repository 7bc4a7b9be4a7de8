package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/mongoconn/mongoconn/internal/dnsmsg"
	"github.com/mongoconn/mongoconn/internal/localres"
	"github.com/mongoconn/mongoconn/report"
)

const (
	defaultResolvConf = "/etc/resolv.conf"
	defaultHostsPath  = "/etc/hosts"

	// dnsUDPSize is the EDNS0 buffer size we advertise: 1232 bytes, the
	// DNS Flag Day 2020 value, fits one unfragmented datagram on any
	// path while leaving room for a dozen SRV records.
	dnsUDPSize = 1232

	// maxResolvConfSize bounds how much of resolv.conf is read; real ones
	// are a few hundred bytes.
	maxResolvConfSize = 64 << 10
)

// dnsResolver is the real Resolver. A zero servers list with system set
// means "read resolv.conf on first use".
type dnsResolver struct {
	system  bool
	servers []string // HOST:PORT, asked in order
	// nameservers, when set, replace those of resolv.conf (system mode).
	nameservers []string
	search      []string // search domains (system mode only), FQDN
	ndots       int
	attempts    int
	timeout     time.Duration // per question; 0 means DNSQueryTimeout
	resolvConf  string
	hostsPath   string
	// fallback asks the operating system when the DNS says a host name
	// does not exist (system mode only; nil in tests).
	fallback func(ctx context.Context, host string) ([]string, error)

	// confRead and hostsRead read resolv.conf and the hosts file; nil
	// means dnsReadFile (tests fail them as a machine out of descriptors
	// does).
	confRead, hostsRead func(path string, limit int64) ([]byte, error)

	// confMu guards the reading of resolv.conf: once read (confDone),
	// confErr is what it left. A read that failed for want of a file
	// descriptor is tried again on the next question.
	confMu   sync.Mutex
	confDone bool
	confErr  error

	// hostsMu guards the hosts file, read once (hostsDone) unless this
	// machine had no descriptor to read it with.
	hostsMu   sync.Mutex
	hostsDone bool
	hosts     hostsTable
}

// loadConf reads resolv.conf once. Without one, the resolver asks the
// local host, as the C library and Go's resolver do. When this machine
// has no file descriptor (or memory) to read it with, the question fails
// as DNSLocal and the next one reads it again.
func (r *dnsResolver) loadConf() error {
	r.confMu.Lock()
	defer r.confMu.Unlock()
	if r.confDone {
		return r.confErr
	}
	err := r.readConf()
	if _, ok := localres.Errno(err); ok {
		return &DNSError{Kind: DNSLocal, Rcode: -1, System: true, Err: err}
	}
	r.confDone, r.confErr = true, err
	return err
}

// readConf is loadConf's reading, under confMu.
func (r *dnsResolver) readConf() error {
	if !r.system || len(r.servers) > 0 {
		return nil
	}
	r.ndots = 1
	r.attempts = dnsMaxAttempts
	read := r.confRead
	if read == nil {
		read = dnsReadFile
	}
	data, err := read(r.resolvConf, maxResolvConfSize)
	if _, ok := localres.Errno(err); ok {
		return err // nothing is known of the resolvers yet
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			r.servers = []string{"127.0.0.1:53", "[::1]:53"}
			return nil
		}
		return &DNSError{Kind: DNSNoServers, Rcode: -1, System: true, Err: err}
	}
	cfg, err := dns.ClientConfigFromReader(strings.NewReader(string(data)))
	if err != nil {
		return &DNSError{Kind: DNSNoServers, Rcode: -1, System: true, Err: err}
	}
	for _, s := range cfg.Servers {
		r.servers = append(r.servers, net.JoinHostPort(s, cfg.Port))
	}
	if len(r.servers) == 0 {
		r.servers = []string{"127.0.0.1:53", "[::1]:53"}
	}
	for _, s := range cfg.Search {
		r.search = append(r.search, dns.Fqdn(strings.ToLower(s)))
	}
	if len(r.nameservers) > 0 {
		r.servers = append([]string(nil), r.nameservers...)
	}
	r.ndots = cfg.Ndots
	r.attempts = min(max(cfg.Attempts, 1), dnsMaxAttempts)
	if t := time.Duration(cfg.Timeout) * time.Second; r.timeout == 0 && t > 0 && t < DNSQueryTimeout {
		r.timeout = t
	}
	return nil
}

func (r *dnsResolver) queryTimeout() time.Duration {
	if r.timeout > 0 {
		return r.timeout
	}
	return DNSQueryTimeout
}

// LookupSRV implements Resolver.
func (r *dnsResolver) LookupSRV(ctx context.Context, service, proto, name string) (*SRVAnswer, error) {
	qname := "_" + service + "._" + proto + "." + strings.TrimSuffix(name, ".")
	msg, meta, err := r.query(ctx, qname, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	ans := &SRVAnswer{Name: strings.ToLower(qname), DNSMeta: meta}
	for _, rr := range msg.Answer {
		if srv, ok := rr.(*dns.SRV); ok {
			ans.Records = append(ans.Records, report.SRVRecord{
				Target:     Normalize(srv.Target),
				Port:       srv.Port,
				Priority:   srv.Priority,
				Weight:     srv.Weight,
				TTLSeconds: srv.Hdr.Ttl,
			})
		}
	}
	if len(ans.Records) == 0 {
		return nil, r.noData(qname, "SRV", meta)
	}
	return ans, nil
}

// LookupTXT implements Resolver.
func (r *dnsResolver) LookupTXT(ctx context.Context, name string) (*TXTAnswer, error) {
	msg, meta, err := r.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	ans := &TXTAnswer{Name: Normalize(name), DNSMeta: meta}
	for _, rr := range msg.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			ans.Records = append(ans.Records, TXTRecord{Strings: append([]string(nil), txt.Txt...), TTLSeconds: txt.Hdr.Ttl})
		}
	}
	if len(ans.Records) == 0 {
		return nil, r.noData(name, "TXT", meta)
	}
	return ans, nil
}

// noData is the error of an answer without records of the type asked,
// carrying how the answer came (a truncated UDP answer holds none).
func (r *dnsResolver) noData(name, typ string, meta DNSMeta) *DNSError {
	return &DNSError{Kind: DNSNoData, Name: strings.TrimSuffix(name, "."), Type: typ, Server: meta.Server, Rcode: -1, System: r.system,
		TCPFailed: meta.TCPFailed, GoRejected: meta.GoRejected}
}

// LookupHost implements Resolver.
func (r *dnsResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	a, err := r.LookupAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	return a.IPs(), nil
}

// LookupAddrs implements AddrResolver: an IP literal answers itself, then
// /etc/hosts, then "localhost" names (RFC 6761), then A and AAAA questions
// (with resolv.conf's search domains in system mode, unless host ends with
// a dot), then, in system mode, the operating system's own lookup for
// names the DNS does not know.
func (r *dnsResolver) LookupAddrs(ctx context.Context, host string) (*AddrAnswer, error) {
	// A name with a trailing dot is absolute: no search domain applies.
	absolute := strings.HasSuffix(host, ".")
	host = strings.TrimSuffix(host, ".")
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return &AddrAnswer{Host: host, Canonical: host, Addrs: []AddrRecord{{IP: ip.String()}}}, nil
	}
	if host == "" {
		return nil, &DNSError{Kind: DNSBadName, Name: host, Type: "A/AAAA", Rcode: -1, System: r.system}
	}
	hosts, hostsUnread := r.hostsFile()
	if ips := hosts.lookup(host); len(ips) > 0 {
		ans := &AddrAnswer{Host: host, Canonical: strings.ToLower(host), DNSMeta: DNSMeta{Server: r.hostsPath}}
		for _, ip := range dnsOrderIPs(ips) {
			ans.Addrs = append(ans.Addrs, AddrRecord{IP: ip})
		}
		return ans, nil
	}
	if dnsIsLocalhost(host) {
		return &AddrAnswer{Host: host, Canonical: strings.ToLower(host), Addrs: []AddrRecord{{IP: "127.0.0.1"}, {IP: "::1"}}, DNSMeta: DNSMeta{Server: "localhost (RFC 6761)"}}, nil
	}
	if err := r.loadConf(); err != nil {
		return nil, err
	}
	var firstErr error
	names := []string{dns.Fqdn(host)}
	if !absolute {
		names = r.nameList(host)
	}
	for _, name := range names {
		ans, err := r.lookupAddrsOnce(ctx, name)
		if err == nil {
			ans.Host = host
			return ans, nil
		}
		if firstErr == nil || IsNotFound(firstErr) && !IsNotFound(err) {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if r.fallback != nil && IsNotFound(firstErr) && ctx.Err() == nil {
		if ips, err := r.fallback(ctx, host); err == nil && len(ips) > 0 {
			ans := &AddrAnswer{Host: host, Canonical: strings.ToLower(host), DNSMeta: DNSMeta{Server: "system resolver"}}
			for _, ip := range dnsOrderIPs(ips) {
				ans.Addrs = append(ans.Addrs, AddrRecord{IP: ip})
			}
			return ans, nil
		}
	}
	var de *DNSError
	if errors.As(firstErr, &de) {
		cp := *de
		cp.Name, cp.Type = host, "A/AAAA"
		if hostsUnread != nil && cp.NotFound() {
			// The DNS does not know the name, and the hosts file, which
			// might, could not be read: nothing is known of the name.
			cp.Kind, cp.Rcode, cp.Server, cp.Err = DNSLocal, -1, r.hostsPath, hostsUnread
		}
		return nil, &cp
	}
	return nil, firstErr
}

// lookupAddrsOnce asks A and AAAA for one absolute name, in parallel.
func (r *dnsResolver) lookupAddrsOnce(ctx context.Context, fqdn string) (*AddrAnswer, error) {
	type result struct {
		msg  *dns.Msg
		meta DNSMeta
		err  error
	}
	var res [2]result
	var wg sync.WaitGroup
	for i, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].msg, res[i].meta, res[i].err = r.query(ctx, fqdn, t)
		}()
	}
	wg.Wait()
	ans := &AddrAnswer{Host: strings.TrimSuffix(fqdn, "."), Canonical: Normalize(fqdn)}
	for i, x := range res {
		if x.err != nil {
			continue
		}
		if ans.Server == "" || i == 0 {
			ans.DNSMeta = x.meta
		}
		for _, rr := range x.msg.Answer {
			switch v := rr.(type) {
			case *dns.A:
				ans.Addrs = append(ans.Addrs, AddrRecord{IP: v.A.String(), TTLSeconds: v.Hdr.Ttl})
			case *dns.AAAA:
				ans.Addrs = append(ans.Addrs, AddrRecord{IP: v.AAAA.String(), TTLSeconds: v.Hdr.Ttl})
			}
		}
	}
	if len(ans.Addrs) > 0 {
		return ans, nil
	}
	// No address: report the more telling of the two failures (a
	// timeout says more than "no AAAA record").
	errA, errAAAA := res[0].err, res[1].err
	switch {
	case errA != nil && !IsNotFound(errA):
		return nil, errA
	case errAAAA != nil && !IsNotFound(errAAAA):
		return nil, errAAAA
	case errA != nil:
		return nil, errA
	case errAAAA != nil:
		return nil, errAAAA
	}
	return nil, r.noData(fqdn, "A/AAAA", res[0].meta)
}

// nameList is the absolute names to ask for host: search domains apply
// only in system mode, to names with fewer dots than ndots first.
func (r *dnsResolver) nameList(host string) []string {
	abs := dns.Fqdn(host)
	if !r.system || len(r.search) == 0 {
		return []string{abs}
	}
	var out []string
	dotsFirst := strings.Count(host, ".") >= r.ndots
	if dotsFirst {
		out = append(out, abs)
	}
	for _, s := range r.search {
		out = append(out, abs+s)
	}
	if !dotsFirst {
		out = append(out, abs)
	}
	return out
}

// query asks each server in turn (for up to r.attempts rounds) and
// returns the first answer that settles the question: NOERROR or
// NXDOMAIN. A truncated UDP answer is asked again over TCP.
func (r *dnsResolver) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, DNSMeta, error) {
	typ := dns.TypeToString[qtype]
	fqdn := dns.Fqdn(name)
	bare := strings.TrimSuffix(name, ".")
	if _, ok := dns.IsDomainName(fqdn); !ok || bare == "" {
		return nil, DNSMeta{}, &DNSError{Kind: DNSBadName, Name: bare, Type: typ, Rcode: -1, System: r.system}
	}
	if err := r.loadConf(); err != nil {
		var de *DNSError
		if errors.As(err, &de) {
			cp := *de
			cp.Name, cp.Type = bare, typ
			return nil, DNSMeta{}, &cp
		}
		return nil, DNSMeta{}, err
	}
	if len(r.servers) == 0 {
		return nil, DNSMeta{}, &DNSError{Kind: DNSNoServers, Name: bare, Type: typ, Rcode: -1, System: r.system}
	}
	var last *DNSError
	// passed keeps the first truncated answer whose TCP retry failed,
	// while the next nameservers are asked.
	var passed *dnsPassed
	attempts := max(r.attempts, 1)
	for round := 0; round < attempts; round++ {
		for i, server := range r.servers {
			if err := ctx.Err(); err != nil {
				if passed != nil {
					return passed.msg, passed.meta, nil
				}
				return nil, DNSMeta{}, r.ctxError(bare, typ, server, err, last)
			}
			msg, meta, err := r.exchange(ctx, server, fqdn, qtype)
			if err == nil && meta.TCPFailed != nil && (round < attempts-1 || i < len(r.servers)-1) {
				if passed == nil {
					passed = &dnsPassed{msg: msg, meta: meta}
				}
				continue
			}
			if err == nil && passed != nil && meta.TCPFailed == nil {
				pm := passed.meta
				meta.Passed = &pm
			}
			if err == nil {
				switch msg.Rcode {
				case dns.RcodeSuccess:
					return msg, meta, nil
				case dns.RcodeNameError:
					return nil, meta, &DNSError{Kind: DNSNotFound, Name: bare, Type: typ, Server: server, Rcode: msg.Rcode, System: r.system, GoRejected: meta.GoRejected}
				default:
					last = &DNSError{Kind: DNSServerFailure, Name: bare, Type: typ, Server: server, Rcode: msg.Rcode, System: r.system}
					continue
				}
			}
			last = r.classify(bare, typ, server, err)
			if last.Kind == DNSBadAnswer {
				// A server that sends garbage will send it again.
				return nil, meta, last
			}
		}
	}
	if passed != nil {
		// No nameserver did better: what fit in the first datagram.
		return passed.msg, passed.meta, nil
	}
	return nil, DNSMeta{}, last
}

// dnsPassed is a truncated answer that could not be asked over TCP.
type dnsPassed struct {
	msg  *dns.Msg
	meta DNSMeta
}

func (r *dnsResolver) ctxError(name, typ, server string, err error, last *DNSError) *DNSError {
	if last != nil && last.Kind != DNSTimeout {
		return last
	}
	kind := DNSTimeout
	if errors.Is(err, context.Canceled) {
		kind = DNSNetwork
	}
	return &DNSError{Kind: kind, Name: name, Type: typ, Server: server, Rcode: -1, System: r.system, Err: err}
}

// isLocalErr reports whether err says this machine ran out of file
// descriptors, ports, buffers or memory.
func isLocalErr(err error) bool {
	_, ok := localres.Errno(err)
	return ok
}

func (r *dnsResolver) classify(name, typ, server string, err error) *DNSError {
	de := &DNSError{Name: name, Type: typ, Server: server, Rcode: -1, System: r.system, Err: err}
	var ne net.Error
	var op *net.OpError
	switch {
	case isLocalErr(err):
		// The socket could not be opened: the question never left.
		de.Kind = DNSLocal
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		de.Kind = DNSTimeout
		de.Err = fmt.Errorf("waited up to %s", r.queryTimeout())
	case errors.Is(err, context.Canceled):
		de.Kind = DNSNetwork
	case errors.Is(err, errDNSMismatch), errors.Is(err, dns.ErrId), errors.Is(err, dns.ErrShortRead),
		errors.Is(err, dns.ErrBuf), errors.Is(err, dns.ErrRdata), errors.Is(err, errTruncatedTCP):
		de.Kind = DNSBadAnswer
	case errors.As(err, &op):
		de.Kind = DNSNetwork
	default:
		// miekg/dns reports unpack failures as plain errors.
		de.Kind = DNSBadAnswer
	}
	return de
}

var (
	errDNSMismatch  = errors.New("answer does not match the question")
	errTruncatedTCP = errors.New("answer truncated even over TCP")
)

// exchange asks one server once: over UDP with EDNS0, again over TCP when
// the answer is truncated, and again without EDNS0 when the server does
// not understand it (FORMERR). A truncated answer whose TCP retry fails is
// returned as it came, with meta.TCPFailed set. meta.GoRejected says
// whether Go's own resolver could read the answer's bytes.
func (r *dnsResolver) exchange(ctx context.Context, server, fqdn string, qtype uint16) (*dns.Msg, DNSMeta, error) {
	meta := DNSMeta{Server: server, System: r.system}
	q := new(dns.Msg)
	q.SetQuestion(fqdn, qtype)
	q.RecursionDesired = true
	q.SetEdns0(dnsUDPSize, false)

	msg, raw, rtt, err := r.exchangeOver(ctx, "udp", server, q)
	meta.RTT = rtt
	if err == nil && msg.Rcode == dns.RcodeFormatError && msg.IsEdns0() == nil {
		q.Extra = nil
		q.Id = dns.Id()
		msg, raw, rtt, err = r.exchangeOver(ctx, "udp", server, q)
		meta.RTT += rtt
	}
	if err == nil && msg.Truncated {
		meta.Truncated = true
		q.Id = dns.Id()
		tmsg, traw, trtt, terr := r.exchangeOver(ctx, "tcp", server, q)
		meta.RTT += trtt
		if _, local := localres.Errno(terr); local {
			// Not the path's fault: this machine could not open the
			// TCP socket to ask again.
			return nil, meta, terr
		}
		if terr != nil && ctx.Err() == nil {
			// The path answers UDP only: keep what fit in the datagram.
			meta.TCPFailed = terr
		} else {
			meta.TCP = true
			msg, raw, err = tmsg, traw, terr
			if err == nil && msg.Truncated {
				return nil, meta, errTruncatedTCP
			}
		}
	}
	if err != nil {
		return nil, meta, err
	}
	if len(msg.Question) != 1 || !strings.EqualFold(msg.Question[0].Name, fqdn) || msg.Question[0].Qtype != qtype {
		return nil, meta, errDNSMismatch
	}
	meta.GoRejected = dnsmsg.GoReject(raw, qtype)
	return msg, meta, nil
}

// exchangeOver sends q to server over network and reads one reply, within
// the per-question timeout and ctx, and returns it with its bytes as they
// came. Replies are bounded by the DNS message format itself: 64 KiB over
// TCP, the advertised size over UDP. Over UDP a reply to another question
// id (a late answer to an earlier query) is skipped.
func (r *dnsResolver) exchangeOver(ctx context.Context, network, server string, q *dns.Msg) (*dns.Msg, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, r.queryTimeout())
	defer cancel()
	c := &dns.Client{Net: network, UDPSize: dnsUDPSize, Timeout: r.queryTimeout()}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, nil, 0, err
	}
	defer conn.Close()
	// A cancelled context (an interrupt) must not wait for the deadline.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	conn.UDPSize = dnsUDPSize
	start := time.Now()
	deadline := start.Add(r.queryTimeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	fail := func(err error) (*dns.Msg, []byte, time.Duration, error) {
		if ctx.Err() != nil {
			return nil, nil, time.Since(start), ctx.Err()
		}
		return nil, nil, time.Since(start), err
	}
	if err := conn.WriteMsg(q); err != nil {
		return fail(err)
	}
	for {
		raw, err := conn.ReadMsgHeader(nil)
		if err != nil {
			return fail(err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(raw); err != nil {
			return fail(err)
		}
		if m.Id != q.Id {
			if network == "udp" {
				continue
			}
			return fail(dns.ErrId)
		}
		return m, raw, time.Since(start), nil
	}
}

// hostsFile reads the hosts file once per resolver. unread is the error
// of a read that failed for want of a file descriptor (or memory): the
// file may name the host, so the DNS alone cannot say it does not exist;
// the next lookup reads it again.
func (r *dnsResolver) hostsFile() (table hostsTable, unread error) {
	r.hostsMu.Lock()
	defer r.hostsMu.Unlock()
	if r.hostsDone || r.hostsPath == "" {
		return r.hosts, nil
	}
	read := r.hostsRead
	if read == nil {
		read = dnsReadFile
	}
	data, err := read(r.hostsPath, maxHostsFileSize)
	if _, ok := localres.Errno(err); ok {
		return nil, err
	}
	r.hostsDone = true
	if err == nil {
		r.hosts = parseHosts(string(data))
	} // else no hosts file: the DNS answers alone
	return r.hosts, nil
}

// Normalize lower-cases a host name and drops the trailing dot.
func Normalize(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// dnsIsLocalhost reports whether host is "localhost" or under it
// (RFC 6761 §6.3: such names resolve to the loopback address).
func dnsIsLocalhost(host string) bool {
	h := strings.ToLower(host)
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// dnsOrderIPs puts IPv4 addresses before IPv6 ones, keeping their order.
func dnsOrderIPs(ips []string) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if p := net.ParseIP(ip); p != nil && p.To4() != nil {
			out = append(out, ip)
		}
	}
	for _, ip := range ips {
		if p := net.ParseIP(ip); p == nil || p.To4() == nil {
			out = append(out, ip)
		}
	}
	return out
}

func RcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE %d", rc)
}

// dnsReadFile reads at most limit bytes of a file.
func dnsReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}
