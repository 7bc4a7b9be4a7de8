package mongotest

import (
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// NewDNSServerAt is NewDNSServer listening on addr, a loopback host:port
// for both UDP and TCP, for clients that can only be pointed at a DNS
// server through resolv.conf, which names no port: "127.0.0.153:53" in a
// network namespace of the test's own. Any other host is refused. The
// caller must Close it.
func NewDNSServerAt(addr string) (*DNSServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("dns server: %s is not a loopback address", host)
	}
	var lastErr error
	for range dnsListenTries {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		// TCP on the port UDP got: with port 0 it may be taken, and
		// another port is tried.
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return startDNSServer(pc, ln)
		}
		_ = pc.Close()
		lastErr = err
		if _, port, _ := net.SplitHostPort(addr); port != "0" {
			break
		}
	}
	return nil, fmt.Errorf("dns server: %w", lastErr)
}

// startDNSServer serves pc and ln until Close, as NewDNSServer does.
func startDNSServer(pc net.PacketConn, ln net.Listener) (*DNSServer, error) {
	s := &DNSServer{
		Addr:    pc.LocalAddr().String(),
		records: map[string][]dns.RR{},
		rcodes:  map[string]int{},
		silent:  map[string]bool{},
	}
	s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), ReadTimeout: dnsServerIOTimeout, WriteTimeout: dnsServerIOTimeout}
	s.tcp = &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serve), ReadTimeout: dnsServerIOTimeout, WriteTimeout: dnsServerIOTimeout}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			s.Close()
			_ = pc.Close()
			_ = ln.Close()
			return nil, fmt.Errorf("dns server: %w", err)
		}
	}
	return s, nil
}
