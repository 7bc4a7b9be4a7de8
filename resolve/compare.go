package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/mongoconn/mongoconn/report"
)

// CompareTimeout bounds a whole comparison of resolvers: every question
// to every source is asked at once, and a resolver that has not answered
// a question in 3 s is a failing resolver, which is what the comparison
// reports, not something to wait longer for.
const CompareTimeout = 3 * time.Second

// maxCompareQuestions caps the questions of one comparison: SRV and TXT
// of the seed list, then the addresses of the first hosts. Past a dozen
// the answers only repeat what the first ones showed.
const maxCompareQuestions = 12

// Source is one resolver a comparison asks, with the name a person knows
// it by ("system resolver (Go)", "nameserver 10.0.0.2:53 of
// /etc/resolv.conf", "--dns-server 127.0.0.1:53").
type Source struct {
	Name     string
	Resolver Resolver
}

// Question is one lookup asked of every source: Type is "SRV" (Service
// and Name, the host, make _Service._tcp.Name), "TXT" or "A" (addresses,
// A and AAAA).
type Question struct {
	Type    string
	Service string
	Name    string
}

// String is the question as dig would ask it: "SRV _mongodb._tcp.h".
func (q Question) String() string {
	if q.Type == "SRV" {
		return "SRV _" + q.Service + "._tcp." + Normalize(q.Name)
	}
	return q.Type + " " + Normalize(q.Name)
}

// Reply is what one source answered to one question.
type Reply struct {
	Source string
	// Records are the answer's records, normalised and sorted: SRV as
	// target:port, TXT as the record's text, A as addresses.
	Records []string
	// Err is the failure, when the source gave no records.
	Err error
}

// Summary is the reply in a few words: the records, or why there are
// none.
func (r Reply) Summary() string {
	if r.Err == nil {
		return strings.Join(r.Records, ", ")
	}
	var de *DNSError
	if errors.As(r.Err, &de) {
		return de.Reason()
	}
	return r.Err.Error()
}

// Disagreement is a question the sources answered differently: other
// records, or an answer from some and a failure from others.
type Disagreement struct {
	Question Question
	Replies  []Reply
}

// Compare asks every question of every source, all at once and within
// CompareTimeout, and returns the questions whose replies differ. Two
// replies agree when they hold the same records, or both say the name has
// none; a failure (timeout, SERVFAIL, an unreadable answer) disagrees with
// an answer. When every source fails the question is left out: the
// stages that ask it say why.
func Compare(ctx context.Context, sources []Source, qs []Question) []Disagreement {
	if len(sources) < 2 || len(qs) == 0 {
		return nil
	}
	if len(qs) > maxCompareQuestions {
		qs = qs[:maxCompareQuestions]
	}
	ctx, cancel := context.WithTimeout(ctx, CompareTimeout)
	defer cancel()
	replies := make([][]Reply, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		replies[i] = make([]Reply, len(sources))
		for j, s := range sources {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i][j] = ask(ctx, s, q)
			}()
		}
	}
	wg.Wait()
	var out []Disagreement
	for i, q := range qs {
		if differ(replies[i]) {
			out = append(out, Disagreement{Question: q, Replies: replies[i]})
		}
	}
	return out
}

// ask puts one question to one source.
func ask(ctx context.Context, s Source, q Question) Reply {
	r := Reply{Source: s.Name}
	name := dns.Fqdn(Normalize(q.Name))
	switch q.Type {
	case "SRV":
		a, err := s.Resolver.LookupSRV(ctx, q.Service, "tcp", name)
		if err != nil {
			r.Err = err
			break
		}
		for _, rec := range a.Records {
			r.Records = append(r.Records, net.JoinHostPort(Normalize(rec.Target), fmt.Sprint(rec.Port)))
		}
	case "TXT":
		a, err := s.Resolver.LookupTXT(ctx, name)
		if err != nil {
			r.Err = err
			break
		}
		for _, rec := range a.Records {
			r.Records = append(r.Records, rec.Text())
		}
	default:
		ips, err := s.Resolver.LookupHost(ctx, name)
		if err != nil {
			r.Err = err
			break
		}
		for _, ip := range ips {
			if p := net.ParseIP(ip); p != nil {
				ip = p.String()
			}
			r.Records = append(r.Records, ip)
		}
	}
	slices.Sort(r.Records)
	r.Records = slices.Compact(r.Records)
	if r.Err == nil && len(r.Records) == 0 {
		r.Err = &DNSError{Kind: DNSNoData, Name: Normalize(q.Name), Type: q.Type, Rcode: -1}
	}
	return r
}

// differ reports whether the replies to one question disagree. A
// question this machine could not send (DNSLocal) is no reply: it says
// nothing of what that resolver answers.
func differ(rs []Reply) bool {
	rs = slices.DeleteFunc(slices.Clone(rs), func(r Reply) bool {
		_, local := IsLocal(r.Err)
		return local
	})
	if len(rs) < 2 {
		return false
	}
	failed := 0
	for _, r := range rs {
		if r.Err != nil && !IsNotFound(r.Err) {
			failed++
		}
	}
	if failed == len(rs) {
		return false
	}
	first := rs[0]
	for _, r := range rs[1:] {
		switch {
		case (first.Err == nil) != (r.Err == nil):
			return true
		case first.Err != nil && IsNotFound(first.Err) != IsNotFound(r.Err):
			return true
		case first.Err == nil && !slices.Equal(first.Records, r.Records):
			return true
		}
	}
	return false
}

// GoResolver is a Resolver over the standard library's *net.Resolver:
// what a Go program, the Go driver among them, asks. It gives no TTLs.
type GoResolver struct {
	// R is the resolver; nil means net.DefaultResolver. Tests point its
	// Dial at a loopback DNS server (with PreferGo).
	R *net.Resolver
}

var _ Resolver = GoResolver{}

func (g GoResolver) r() *net.Resolver {
	if g.R != nil {
		return g.R
	}
	return net.DefaultResolver
}

// LookupSRV implements Resolver.
func (g GoResolver) LookupSRV(ctx context.Context, service, proto, name string) (*SRVAnswer, error) {
	_, srvs, err := g.r().LookupSRV(ctx, service, proto, name)
	if err != nil && len(srvs) == 0 {
		return nil, fromNetError(err, "_"+service+"._"+proto+"."+Normalize(name), "SRV")
	}
	a := &SRVAnswer{Name: "_" + service + "._" + proto + "." + Normalize(name), DNSMeta: DNSMeta{Server: "system resolver"}}
	for _, s := range srvs {
		a.Records = append(a.Records, report.SRVRecord{Target: Normalize(s.Target), Port: s.Port, Priority: s.Priority, Weight: s.Weight})
	}
	return a, nil
}

// LookupTXT implements Resolver.
func (g GoResolver) LookupTXT(ctx context.Context, name string) (*TXTAnswer, error) {
	txts, err := g.r().LookupTXT(ctx, name)
	if err != nil {
		return nil, fromNetError(err, Normalize(name), "TXT")
	}
	a := &TXTAnswer{Name: Normalize(name), DNSMeta: DNSMeta{Server: "system resolver"}}
	for _, t := range txts {
		a.Records = append(a.Records, TXTRecord{Strings: []string{t}})
	}
	return a, nil
}

// LookupHost implements Resolver.
func (g GoResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	ips, err := g.r().LookupHost(ctx, host)
	if err != nil {
		return nil, fromNetError(err, Normalize(host), "A/AAAA")
	}
	return dnsOrderIPs(ips), nil
}

// fromNetError turns the standard library's lookup error into a
// *DNSError, keeping it as the cause.
func fromNetError(err error, name, typ string) error {
	de := &DNSError{Name: name, Type: typ, Rcode: -1, System: true, Err: err}
	if errno, ok := IsLocal(err); ok {
		de.Kind = DNSLocal
		if !errors.Is(err, errno) {
			// Go's resolver keeps the socket error as text only.
			de.Err = &localTextError{errno: errno, err: err}
		}
		return de
	}
	var ne *net.DNSError
	switch {
	case errors.As(err, &ne) && ne.IsNotFound:
		de.Kind, de.Err = DNSNotFound, nil
	case errors.As(err, &ne) && ne.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		de.Kind = DNSTimeout
	case errors.As(err, &ne):
		de.Kind, de.Server = DNSServerFailure, ne.Server
	default:
		de.Kind = DNSNetwork
	}
	return de
}

// SystemSources are the resolvers of this machine, to compare: the
// standard library's (what Go programs and, through the same
// resolv.conf, the C library ask), then each nameserver of resolvConf
// ("" means /etc/resolv.conf) on its own, as Node.js asks them for SRV
// records. A resolv.conf that cannot be read leaves the first alone.
func SystemSources(resolvConf string) []Source {
	if resolvConf == "" {
		resolvConf = defaultResolvConf
	}
	out := []Source{{Name: "system resolver (Go)", Resolver: GoResolver{}}}
	data, err := dnsReadFile(resolvConf, maxResolvConfSize)
	if err != nil {
		return out
	}
	cfg, err := dns.ClientConfigFromReader(strings.NewReader(string(data)))
	if err != nil {
		return out
	}
	for _, s := range cfg.Servers {
		addr := net.JoinHostPort(s, cfg.Port)
		out = append(out, Source{Name: "nameserver " + addr + " of " + resolvConf, Resolver: New(Config{Server: addr})})
	}
	return out
}

// localTextError is a lookup error of Go's resolver whose text says this
// machine ran out of descriptors, ports, buffers or memory: it unwraps to
// the errno the text names, so that errors.Is sees it.
type localTextError struct {
	errno syscall.Errno
	err   error
}

func (e *localTextError) Error() string   { return e.err.Error() }
func (e *localTextError) Unwrap() []error { return []error{e.err, e.errno} }
