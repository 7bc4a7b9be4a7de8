package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/dnsfind"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// The dns stage's client-side signatures: an answer Go's resolver cannot
// read, an SRV answer cut to fit UDP with no TCP to fetch the rest, and
// resolvers of this machine that disagree.

// dnsAnswerSignatures adds the findings one answer shows: question is
// what was asked ("SRV _mongodb._tcp.cluster0.example.net"), held what
// was read from the answer (for evidence).
func (x *run) dnsAnswerSignatures(question string, meta resolve.DNSMeta, held string) {
	x.dnsSignatures(question, meta.Server, meta.System, meta.GoRejected, meta.TCPFailed, held)
	if p := meta.Passed; p != nil && p.TCPFailed != nil && strings.HasPrefix(question, "SRV ") {
		x.addFinding(catalogue.NewFinding(catalogue.IDDNSSRVTruncated, fmt.Sprintf(
			"%s: %s truncated its UDP answer (TC flag), and asking again over TCP failed (%s); the next nameserver, %s, answered (%s): resolvers that move on, as Go's and glibc's do, get the seed list, a client that stops at the first nameserver does not",
			question, dnsfind.ResolverLabel(p.Server, p.System), redact.Redact(connfind.UnwrapOp(p.TCPFailed).Error()), dnsfind.ResolverLabel(meta.Server, meta.System), held)))
	}
}

// dnsErrorSignatures is dnsAnswerSignatures for a lookup that failed.
func (x *run) dnsErrorSignatures(question string, err error) {
	var de *resolve.DNSError
	if errors.As(err, &de) {
		x.dnsSignatures(question, de.Server, de.System, de.GoRejected, de.TCPFailed, "no "+de.Type+" record")
	}
}

func (x *run) dnsSignatures(question, server string, system bool, goRejected, tcpFailed error, held string) {
	who := dnsfind.ResolverLabel(server, system)
	if goRejected != nil {
		f := catalogue.NewFinding(catalogue.IDDNSAnswerUnparseable, fmt.Sprintf(
			"%s: %s sent an answer that Go's resolver refuses (%v), so Go programs, the Go driver among them, fail with \"cannot unmarshal DNS message\"; read leniently it holds: %s",
			question, who, goRejected, held))
		if strings.HasPrefix(question, "SRV ") && x.t != nil && x.t.SRV {
			f.Fixes = append([]string{"Until the resolver is fixed, give Go programs the mongodb:// seed list (mongoconn srv prints it) so that they do no SRV lookup"}, f.Fixes...)
		}
		x.addFinding(f)
	}
	if tcpFailed != nil && strings.HasPrefix(question, "SRV ") {
		x.addFinding(catalogue.NewFinding(catalogue.IDDNSSRVTruncated, fmt.Sprintf(
			"%s: %s truncated its UDP answer (TC flag), and asking again over TCP failed (%s); the UDP answer holds: %s",
			question, who, redact.Redact(connfind.UnwrapOp(tcpFailed).Error()), held)))
	}
}

// compareQuestions are the questions of the seed list the resolvers are
// compared on: SRV and TXT of a mongodb+srv host, then the addresses of
// the seeds that are host names with a domain (a bare name would meet
// each resolver's search list, and localhost no resolver at all).
func (x *run) compareQuestions(res *seedResolution) []resolve.Question {
	var qs []resolve.Question
	if x.t.SRV {
		u, err := connstr.CutURI(x.t.Raw)
		if err != nil || len(u.Hosts()) != 1 {
			return nil
		}
		settings, err := connstr.SRVSettingsOf(u.Pairs())
		if err != nil {
			return nil
		}
		host := resolve.Normalize(u.Hosts()[0])
		qs = append(qs, resolve.Question{Type: "SRV", Service: settings.Service, Name: host}, resolve.Question{Type: "TXT", Name: host})
	}
	for _, s := range res.seeds {
		h := seedHost(s)
		if connstr.IsSocket(s) || connstr.IsIP(h) || !strings.Contains(h, ".") || h == "localhost" || strings.HasSuffix(h, ".localhost") {
			continue
		}
		q := resolve.Question{Type: "A", Name: h}
		if !dnsfind.ContainsQuestion(qs, q) {
			qs = append(qs, q)
		}
	}
	return qs
}

// startCompare asks the seed list's questions of the engine's
// CompareResolvers in the background; finish collects the answers. Only
// diagnose and srv compare, and only when more than one resolver is
// there to compare.
func (x *run) startCompare(ctx context.Context, res *seedResolution) {
	if !x.compare || len(x.e.CompareResolvers) < 2 || x.compareDone != nil {
		return
	}
	qs := x.compareQuestions(res)
	if len(qs) == 0 {
		return
	}
	done := make(chan []resolve.Disagreement, 1)
	x.compareDone = done
	sources := append([]resolve.Source(nil), x.e.CompareResolvers...)
	go func() { done <- resolve.Compare(ctx, sources, qs) }()
}

// awaitCompare waits for the comparison startCompare began and adds
// dns.resolvers-disagree when the resolvers differ. It is called by
// finish, before the report is sealed.
func (x *run) awaitCompare() {
	if x.compareDone == nil {
		return
	}
	ds := <-x.compareDone
	x.compareDone = nil
	if len(ds) == 0 {
		return
	}
	var ev []string
	for _, d := range ds {
		var parts []string
		for _, r := range d.Replies {
			parts = append(parts, fmt.Sprintf("%s: %s", r.Source, r.Summary()))
		}
		ev = append(ev, fmt.Sprintf("%s: %s", d.Question, strings.Join(parts, "; ")))
	}
	f := catalogue.NewFinding(catalogue.IDDNSResolversDisagree, ev...)
	x.addFinding(f)
	x.addCheck(report.Check{Stage: report.StageDNS, Status: report.StatusWarn, Summary: fmt.Sprintf(
		"%d resolvers compared: the answers to %d question(s) differ (%s)", len(x.e.CompareResolvers), len(ds), ds[0].Question)})
}
