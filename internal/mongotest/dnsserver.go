package mongotest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DNS fixture timeouts.
const (
	// dnsServerIOTimeout bounds each read and write of the fixture: the
	// client is in the same process, so anything slower is a stuck test.
	dnsServerIOTimeout = 2 * time.Second

	// dnsServerStopTimeout bounds how long Close waits for in-flight
	// queries; they take microseconds on loopback.
	dnsServerStopTimeout = 2 * time.Second

	// dnsListenTries is how many random ports are tried to find one free
	// for both UDP and TCP.
	dnsListenTries = 20
)

// DNSQuery is one question the fixture received.
type DNSQuery struct {
	// Name is the name asked, lower-case with the trailing dot.
	Name string
	// Type is the record type (SRV, TXT, A, AAAA).
	Type string
	// Net is "udp" or "tcp".
	Net string
}

// DNSServer is an authoritative DNS server on 127.0.0.1, answering over
// UDP and TCP on the same port from the records it was given. A name it
// holds no record for is NXDOMAIN; a name with records of other types
// only gets an empty NOERROR answer. Every setter may be called while
// it serves.
type DNSServer struct {
	// Addr is 127.0.0.1:PORT, for --dns-server.
	Addr string

	udp, tcp *dns.Server

	mu       sync.Mutex
	records  map[string][]dns.RR // lower-case FQDN -> records
	rcodes   map[string]int      // forced response codes
	silent   map[string]bool     // names never answered
	truncate bool                // UDP answers are truncated
	garbage  bool                // answers are not DNS messages
	deaf     bool                // no question is ever answered
	queries  []DNSQuery
}

// StartDNS starts a DNS server on 127.0.0.1 and stops it when tb ends.
func StartDNS(tb testing.TB) *DNSServer {
	tb.Helper()
	s, err := NewDNSServer()
	if err != nil {
		tb.Fatalf("start DNS server: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewDNSServer starts a DNS server on 127.0.0.1 with a port free for both
// UDP and TCP. The caller must Close it.
func NewDNSServer() (*DNSServer, error) {
	pc, ln, err := listenUDPAndTCP()
	if err != nil {
		return nil, err
	}
	return startDNSServer(pc, ln)
}

func listenUDPAndTCP() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range dnsListenTries {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		lastErr = err
		_ = pc.Close()
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", lastErr)
}

// Close stops the server.
func (s *DNSServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), dnsServerStopTimeout)
	defer cancel()
	s.mu.Lock()
	servers := []*dns.Server{s.udp, s.tcp}
	s.tcp = nil
	s.mu.Unlock()
	for _, srv := range servers {
		if srv != nil {
			_ = srv.ShutdownContext(ctx)
		}
	}
}

// StopTCP stops answering over TCP: the port then refuses TCP connections
// while UDP still answers, as behind a firewall that lets only UDP port
// 53 through. With SetTruncate, a client can then get no whole answer.
func (s *DNSServer) StopTCP() {
	s.mu.Lock()
	srv := s.tcp
	s.tcp = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dnsServerStopTimeout)
	defer cancel()
	_ = srv.ShutdownContext(ctx)
}

func dnsKey(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *DNSServer) add(rr dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := dnsKey(rr.Header().Name)
	s.records[k] = append(s.records[k], rr)
}

// AddSRV adds an SRV record: name is the full SRV name
// (_mongodb._tcp.cluster0.example.test).
func (s *DNSServer) AddSRV(name string, ttl uint32, priority, weight, port uint16, target string) {
	s.add(&dns.SRV{
		Hdr:      dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
		Priority: priority, Weight: weight, Port: port, Target: dns.Fqdn(target),
	})
}

// AddTXT adds one TXT record made of the given character strings.
func (s *DNSServer) AddTXT(name string, ttl uint32, strs ...string) {
	s.add(&dns.TXT{
		Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl},
		Txt: append([]string(nil), strs...),
	})
}

// AddHost adds an A or AAAA record for each address.
func (s *DNSServer) AddHost(name string, ttl uint32, ips ...string) error {
	for _, a := range ips {
		ip := net.ParseIP(a)
		if ip == nil {
			return fmt.Errorf("%q is not an IP address", a)
		}
		if v4 := ip.To4(); v4 != nil {
			s.add(&dns.A{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: v4})
		} else {
			s.add(&dns.AAAA{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: ip})
		}
	}
	return nil
}

// AddZone adds records written in zone-file syntax, one per line, names
// absolute ("cluster0.example.test. 60 IN TXT \"replicaSet=rs0\"").
// Lines without a TTL get 3600; ';' starts a comment.
func (s *DNSServer) AddZone(text string) error {
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "")
	zp.SetDefaultTTL(3600)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("zone: %w", err)
	}
	for _, rr := range rrs {
		s.add(rr)
	}
	return nil
}

// SetRcode makes every question about name answered with rcode (for
// example dns.RcodeServerFailure); 0 clears it.
func (s *DNSServer) SetRcode(name string, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rcode == 0 {
		delete(s.rcodes, dnsKey(name))
		return
	}
	s.rcodes[dnsKey(name)] = rcode
}

// SetSilent makes the server never answer questions about name, so that
// clients time out.
func (s *DNSServer) SetSilent(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.silent[dnsKey(name)] = true
	} else {
		delete(s.silent, dnsKey(name))
	}
}

// SetUnresponsive makes the server answer no question at all, over UDP
// or TCP, while it keeps reading and recording them: a resolver that is
// down or firewalled, so that clients time out. false restores it.
func (s *DNSServer) SetUnresponsive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deaf = on
}

// SetTruncate makes every UDP answer come back truncated (TC set, no
// records), so that clients must ask again over TCP.
func (s *DNSServer) SetTruncate(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate = on
}

// SetGarbage makes the server answer with bytes that are not a DNS
// message.
func (s *DNSServer) SetGarbage(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.garbage = on
}

// Queries returns the questions received so far, in order.
func (s *DNSServer) Queries() []DNSQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DNSQuery(nil), s.queries...)
}

// CountQueries returns how many questions about name of type typ came over
// network ("" for any).
func (s *DNSServer) CountQueries(name, typ, network string) int {
	n := 0
	for _, q := range s.Queries() {
		if q.Name == dnsKey(name) && (typ == "" || q.Type == typ) && (network == "" || q.Net == network) {
			n++
		}
	}
	return n
}

var errSilent = errors.New("silent")

func (s *DNSServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	network := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	resp, raw, err := s.answer(req, network)
	if err != nil || (resp == nil && raw == nil) {
		return // silent: let the client time out
	}
	if raw != nil {
		_, _ = w.Write(raw)
		return
	}
	_ = w.WriteMsg(resp)
}

// answer builds the reply to req; both nil means "do not answer".
func (s *DNSServer) answer(req *dns.Msg, network string) (*dns.Msg, []byte, error) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		return m, nil, nil
	}
	q := req.Question[0]
	k := dnsKey(q.Name)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, DNSQuery{Name: k, Type: dns.TypeToString[q.Qtype], Net: network})
	if s.silent[k] || s.deaf {
		return nil, nil, errSilent
	}
	if s.garbage {
		return nil, []byte{0xde, 0xad, 0xbe, 0xef, 0x00}, nil
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	if rc, ok := s.rcodes[k]; ok {
		m.Rcode = rc
		return m, nil, nil
	}
	rrs, exists := s.records[k]
	if !exists {
		m.Rcode = dns.RcodeNameError
		return m, nil, nil
	}
	for _, rr := range rrs {
		if rr.Header().Rrtype == q.Qtype {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	if network == "udp" && s.truncate {
		m.Answer = nil
		m.Truncated = true
	}
	if network == "udp" {
		// Like a real server: what does not fit the client's buffer is
		// cut, with TC set.
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	return m, nil, nil
}
