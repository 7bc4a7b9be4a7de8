package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/dnsfind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

const (
	// maxSeedLookups caps the host names the dns stage resolves: a
	// deployment has at most 50 voting members and a sharded cluster a
	// few dozen mongos; past that, an SRV answer is a mistake or an
	// attack, and the lookups would eat the budget.
	maxSeedLookups = 64
)

// seedResolution is what the dns stage learned about the seed list.
type seedResolution struct {
	// seeds is the seed list as host:port: for mongodb+srv the targets
	// that pass the specification's rules (after srvMaxHosts), else
	// every host of the connection string.
	seeds []string
	// usable are the seeds that resolved (or need no resolving), in order.
	usable []string
	// addrs maps a seed's lower-case host name to its addresses.
	addrs map[string][]string
	// rulesOK is false when a rule of the specification is broken, so
	// that a driver would refuse the connection string.
	rulesOK bool
}

func (s *seedResolution) ok() bool { return s.rulesOK && len(s.usable) > 0 }

// resolveSeeds is the dns stage of every command. For mongodb+srv it asks
// the SRV and TXT records through the engine's Resolver, applies the
// seed-list specification's rules, fills the report's SRV section and
// resolves every target; for mongodb:// it resolves every host name (IP
// literals and socket paths need nothing). Each lookup is a check, each
// failure a finding. It returns the seeds (host:port) that resolved, and
// ok false when nothing can be dialed: no seed resolved, or a rule is
// broken (a driver would refuse the string; then seeds is nil).
func (x *run) resolveSeeds(ctx context.Context) (seeds []string, ok bool) {
	res := x.dnsStage(ctx)
	if !res.ok() {
		return nil, false
	}
	return res.usable, true
}

// dnsStage does the work of resolveSeeds and returns all it learned.
func (x *run) dnsStage(ctx context.Context) *seedResolution {
	defer x.waiting(report.StageDNS, "", "the DNS answers")()
	if !x.openPath(ctx) {
		return &seedResolution{addrs: map[string][]string{}}
	}
	res := x.seedStage(ctx)
	x.startCompare(ctx, res)
	return res
}

// seedStage resolves the seed list, with SRV for mongodb+srv.
func (x *run) seedStage(ctx context.Context) *seedResolution {
	if x.t.SRV {
		return x.srvSeeds(ctx)
	}
	hosts := x.t.Hosts
	if len(hosts) == 0 {
		if u, err := connstr.CutURI(x.t.Raw); err == nil {
			hosts = u.Hosts()
		}
	}
	res := &seedResolution{rulesOK: true, addrs: map[string][]string{}}
	for _, h := range hosts {
		res.seeds = append(res.seeds, connstr.HostPort(h))
	}
	x.resolveHosts(ctx, res, "")
	return res
}

// srvSeeds is the dns stage of a mongodb+srv connection string.
func (x *run) srvSeeds(ctx context.Context) *seedResolution {
	res := &seedResolution{addrs: map[string][]string{}}
	u, err := connstr.CutURI(x.t.Raw)
	if err != nil {
		x.addFinding(catalogue.NewFinding(catalogue.IDURIInvalid, redact.Redact(err.Error())))
		x.addCheck(report.Check{Stage: report.StageDNS, Status: report.StatusSkip, Summary: "no SRV lookup: the connection string cannot be cut into its parts"})
		return res
	}
	uriHosts, uriPairs := u.Hosts(), u.Pairs()
	if len(uriHosts) != 1 || dnsfind.SRVHasPort(uriHosts) {
		if !x.hasFinding(catalogue.IDURISRVWithPort) {
			x.addFinding(catalogue.NewFinding(catalogue.IDURISRVWithPort, fmt.Sprintf("mongodb+srv host list %q: it must be exactly one host name without a port", strings.Join(uriHosts, ","))))
		}
		x.addCheck(report.Check{Stage: report.StageDNS, Status: report.StatusSkip, Summary: "no SRV lookup: a mongodb+srv string names exactly one host, without a port"})
		return res
	}
	host := uriHosts[0]
	if h, err := url.QueryUnescape(host); err == nil {
		host = h
	}
	host = resolve.Normalize(host)
	settings, err := connstr.SRVSettingsOf(uriPairs)
	if err != nil {
		x.addFinding(catalogue.NewFinding(catalogue.IDURIInvalid, err.Error()))
		x.addCheck(report.Check{Stage: report.StageDNS, Status: report.StatusSkip, Summary: "no SRV lookup: " + err.Error()})
		return res
	}

	// The specification lets SRV and TXT be asked in parallel.
	var (
		wg                sync.WaitGroup
		srvAns            *resolve.SRVAnswer
		txtAns            *resolve.TXTAnswer
		srvErr, txtErr    error
		srvTook, txtTook  float64
		srvStart, txStart = x.now(), x.now()
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		srvAns, srvErr = x.resolver().LookupSRV(ctx, settings.Service, "tcp", host)
		srvTook = x.since(srvStart)
	}()
	go func() {
		defer wg.Done()
		txtAns, txtErr = x.resolver().LookupTXT(ctx, host)
		txtTook = x.since(txStart)
	}()
	wg.Wait()

	qname := "_" + settings.Service + "._tcp." + host
	if srvErr != nil && interrupted(ctx) {
		x.skipInterrupted(report.StageDNS, qname, srvTook) // no answer was awaited to the end
		return res
	}
	if srvErr != nil {
		x.dnsErrorSignatures("SRV "+qname, srvErr)
	} else {
		x.dnsAnswerSignatures("SRV "+qname, srvAns.DNSMeta, dnsfind.SRVRecordsHeld(srvAns))
	}
	if txtErr != nil {
		x.dnsErrorSignatures("TXT "+host, txtErr)
	} else {
		x.dnsAnswerSignatures("TXT "+host, txtAns.DNSMeta, dnsfind.TXTRecordsHeld(txtAns))
	}
	if srvErr != nil {
		x.addCheck(report.Check{Stage: report.StageDNS, Address: qname, Status: report.StatusFail, DurationMs: srvTook, Summary: "SRV lookup: " + dnsfind.ErrSummary(srvErr)})
		f := catalogue.NewFinding(catalogue.IDSRVNoRecords, fmt.Sprintf("%s: %s", qname, dnsfind.ErrSummary(srvErr)))
		if t, ok := dnsfind.ServerTrouble(srvErr, "SRV"); ok {
			// The records were never seen: say so before anything about them.
			if t.NoAnswer {
				f = catalogue.NewFinding(catalogue.IDDNSNoAnswer)
			}
			f.Title = t.Title
			f.Evidence = []string{redact.Redact(fmt.Sprintf("%s: %s; the SRV records could not be asked, so whether they exist is unknown", qname, t.Sentence))}
			f.Fixes = append([]string{t.Fix(qname, "SRV")}, f.Fixes...)
		}
		f.Fixes = append(f.Fixes, dnsfind.Fixes(srvErr)...)
		x.addFinding(connfind.LocalOr(f, qname, srvErr))
		if nf, ok := dnsfind.AtlasNotFound(host, qname, srvErr, txtErr); ok {
			x.addFinding(nf)
		}
		x.mu.Lock()
		x.r.SRV = &report.SRVInfo{Name: qname, Records: []report.SRVRecord{}, TXT: []string{}, Seeds: []string{}, Options: map[string]string{}}
		x.mu.Unlock()
		return res
	}

	info := &report.SRVInfo{
		Name:    resolve.Normalize(srvAns.Name),
		Server:  srvAns.Server,
		Records: append([]report.SRVRecord{}, srvAns.Records...),
		TXT:     []string{},
		Seeds:   []string{},
		Options: map[string]string{},
	}
	if info.Name == "" {
		info.Name = qname
	}
	rulesOK := true

	// Parent-domain rule, target by target.
	var valid []string
	bad := 0
	for i := range info.Records {
		r := &info.Records[i]
		r.Target = resolve.Normalize(r.Target)
		if err := resolve.CheckSRVTarget(host, r.Target); err != nil {
			bad++
			rulesOK = false
			x.addFinding(catalogue.NewFinding(catalogue.IDSRVDomainMismatch, err.Error()))
			continue
		}
		seed := net.JoinHostPort(r.Target, fmt.Sprint(r.Port))
		if !slices.Contains(valid, seed) {
			valid = append(valid, seed)
		}
	}
	srvCheck := report.Check{Stage: report.StageDNS, Address: qname, Status: report.StatusPass, DurationMs: srvTook, Summary: dnsfind.SRVSummary(srvAns)}
	if bad > 0 {
		domain, _ := resolve.SRVDomain(host)
		srvCheck.Status = report.StatusFail
		srvCheck.Summary += fmt.Sprintf("; %d outside .%s", bad, domain)
	}
	srvCheck.Detail = dnsfind.SRVDetail(srvAns)
	x.addCheck(srvCheck)

	// TXT: at most one record, only three options.
	txtCheck := report.Check{Stage: report.StageDNS, Address: host, DurationMs: txtTook}
	var txtOpts []resolve.TXTOption
	switch {
	case txtErr != nil && resolve.IsNotFound(txtErr):
		txtCheck.Status, txtCheck.Summary = report.StatusPass, "no TXT record (no default options)"
	case txtErr != nil:
		txtCheck.Status = report.StatusWarn
		txtCheck.Summary = "TXT lookup: " + dnsfind.ErrSummary(txtErr) + "; going on without TXT options"
	default:
		for _, rec := range txtAns.Records {
			info.TXT = append(info.TXT, rec.Text())
		}
		switch len(txtAns.Records) {
		case 0:
			txtCheck.Status, txtCheck.Summary = report.StatusPass, "no TXT record (no default options)"
		case 1:
			opts, err := resolve.ParseTXT(info.TXT[0])
			var te *resolve.TXTError
			if errors.As(err, &te) {
				rulesOK = false
				for _, pr := range te.Problems {
					x.addFinding(catalogue.NewFinding(catalogue.IDSRVTXTOptionNotAllowed, fmt.Sprintf("TXT record of %s: %s", host, pr)))
				}
				txtCheck.Status = report.StatusFail
				txtCheck.Summary = fmt.Sprintf("TXT %q sets what it may not", info.TXT[0])
			} else {
				txtOpts = opts
				txtCheck.Status = report.StatusPass
				txtCheck.Summary = fmt.Sprintf("TXT %q (TTL %ds)", info.TXT[0], txtAns.Records[0].TTLSeconds)
			}
		default:
			rulesOK = false
			quoted := make([]string, len(info.TXT))
			for i, t := range info.TXT {
				quoted[i] = fmt.Sprintf("%q", t)
			}
			x.addFinding(catalogue.NewFinding(catalogue.IDSRVMultipleTXT, fmt.Sprintf("%s has %d TXT records: %s", host, len(info.TXT), strings.Join(quoted, ", "))))
			txtCheck.Status = report.StatusFail
			txtCheck.Summary = fmt.Sprintf("%d TXT records; at most one is allowed", len(info.TXT))
		}
		if txtAns.Server != "" {
			txtCheck.Detail = []string{"answered by " + txtAns.Server + dnsfind.TransportNote(txtAns.DNSMeta)}
		}
	}
	x.addCheck(txtCheck)

	// Options: URI over TXT, tls on by default; then the combinations the
	// specification forbids.
	merged := resolve.MergeOptions(txtOpts, uriPairs)
	info.Options = merged.Options
	if !x.srvCombinationsOK(merged, txtOpts, uriPairs, settings, len(valid)) {
		rulesOK = false
	}

	selected := resolve.SelectSeeds(valid, settings.MaxHosts)
	info.Seeds = append(info.Seeds, selected...)
	if rulesOK && len(selected) > 0 {
		if s, err := connstr.RewriteRedacted(x.t.Raw, connstr.Edit{Hosts: selected, Defaults: resolve.TXTDefaults(txtOpts)}); err == nil {
			info.URI = s
		}
	}
	x.mu.Lock()
	x.r.SRV = info
	x.mu.Unlock()

	res.seeds = selected
	res.rulesOK = rulesOK && len(selected) > 0
	x.resolveHosts(ctx, res, "SRV target")
	return res
}

// srvCombinationsOK checks the options that may not go together once TXT
// and URI are merged, adding a finding for each broken rule.
func (x *run) srvCombinationsOK(m resolve.Merged, txt []resolve.TXTOption, uriPairs []string, s connstr.SRVSettings, targets int) bool {
	from := func(key string) string {
		if _, inURI := connstr.LastValue(uriPairs, strings.ToLower(key)); inURI {
			return "the connection string"
		}
		for _, o := range txt {
			if o.Key == key {
				return "the TXT record"
			}
		}
		return "the connection string"
	}
	lb := strings.EqualFold(m.Options["loadBalanced"], "true")
	_, rs := m.Options["replicaSet"]
	ok := true
	bad := func(msg string) {
		ok = false
		x.addFinding(catalogue.NewFinding(catalogue.IDURIInvalid, msg))
	}
	if lb && targets != 1 {
		bad(fmt.Sprintf("loadBalanced=true (from %s) needs exactly one SRV record; the SRV answer gives %d usable targets", from("loadBalanced"), targets))
	}
	if lb && rs {
		bad(fmt.Sprintf("loadBalanced=true (from %s) cannot be combined with replicaSet (from %s)", from("loadBalanced"), from("replicaSet")))
	}
	if lb && s.MaxHosts > 0 {
		bad(fmt.Sprintf("srvMaxHosts=%d cannot be combined with loadBalanced=true (from %s)", s.MaxHosts, from("loadBalanced")))
	}
	if s.MaxHosts > 0 && rs {
		bad(fmt.Sprintf("srvMaxHosts=%d cannot be combined with replicaSet (from %s)", s.MaxHosts, from("replicaSet")))
	}
	if strings.EqualFold(m.Options["directConnection"], "true") {
		bad("directConnection=true cannot be used with mongodb+srv: the SRV records name a seed list, not one server")
	}
	return ok
}

// resolveHosts resolves the host names of res.seeds in parallel, adds a
// check per name (in seed order) and a finding per failure, and fills
// res.addrs and res.usable. role names the hosts in evidence ("SRV
// target"); "" for hosts of the connection string.
func (x *run) resolveHosts(ctx context.Context, res *seedResolution, role string) {
	if x.path.farSide() {
		x.farSideNames(res)
		return
	}
	var names []string
	for _, s := range res.seeds {
		h := seedHost(s)
		if connstr.IsSocket(s) || connstr.IsIP(h) || slices.Contains(names, h) {
			continue
		}
		names = append(names, h)
	}
	asked := names
	if len(asked) > maxSeedLookups {
		asked = asked[:maxSeedLookups]
	}
	results := make([]dnsfind.HostLookup, len(asked))
	var wg sync.WaitGroup
	for i, h := range asked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := h
			if role != "" {
				name += "." // SRV targets are absolute names: no search domain
			}
			results[i] = x.lookupHost(ctx, name)
			results[i].Host = h
		}()
	}
	wg.Wait()
	for _, r := range results {
		c := report.Check{Stage: report.StageDNS, Address: r.Host, DurationMs: r.Took}
		if r.Err != nil && interrupted(ctx) {
			x.skipInterrupted(report.StageDNS, r.Host, r.Took)
			continue
		}
		switch {
		case strings.Contains(r.Host, `\`):
			// A name read leniently from an answer Go refuses: asking
			// it repeats that answer's fault, nothing new.
		case r.Err != nil:
			x.dnsErrorSignatures("A "+r.Host, r.Err)
		case r.Ans != nil:
			x.dnsAnswerSignatures("A "+r.Host, r.Ans.DNSMeta, strings.Join(r.IPs, ", "))
		}
		if r.Err != nil {
			c.Status = report.StatusFail
			c.Summary = dnsfind.ErrSummary(r.Err)
			x.addCheck(c)
			what := r.Host
			if role != "" {
				what += " (" + role + ")"
			}
			f := catalogue.NewFinding(catalogue.IDDNSNoSuchHost, fmt.Sprintf("%s does not resolve: %s", what, dnsfind.ErrSummary(r.Err)))
			if t, ok := dnsfind.ServerTrouble(r.Err, "A/AAAA"); ok {
				if t.NoAnswer {
					f = catalogue.NewFinding(catalogue.IDDNSNoAnswer)
				}
				f.Title = t.Title
				f.Evidence = []string{redact.Redact(fmt.Sprintf("%s does not resolve: %s; whether the name exists is unknown", what, t.Sentence))}
				f.Fixes = append([]string{t.Fix(r.Host, "A")}, f.Fixes...)
			}
			f.Fixes = append(f.Fixes, dnsfind.Fixes(r.Err)...)
			x.addFinding(connfind.LocalOr(f, r.Host, r.Err))
			continue
		}
		c.Status = report.StatusPass
		c.Summary = dnsfind.AddrSummary(r)
		if r.Ans != nil {
			c.Detail = dnsfind.AddrDetail(r.Ans)
		}
		x.addCheck(c)
		res.addrs[r.Host] = r.IPs
	}
	if n := len(names) - len(asked); n > 0 {
		x.addCheck(report.Check{Stage: report.StageDNS, Status: report.StatusSkip, Summary: fmt.Sprintf("%d more host names not resolved (at most %d are)", n, maxSeedLookups)})
	}
	for _, s := range res.seeds {
		h := seedHost(s)
		if connstr.IsSocket(s) || connstr.IsIP(h) || len(res.addrs[h]) > 0 {
			res.usable = append(res.usable, s)
		}
	}
}

// lookupHost resolves one name, with TTLs when the resolver can tell them.
func (x *run) lookupHost(ctx context.Context, host string) dnsfind.HostLookup {
	start := x.now()
	r := dnsfind.HostLookup{Host: host}
	res := x.resolver()
	if ar, ok := res.(resolve.AddrResolver); ok {
		r.Ans, r.Err = ar.LookupAddrs(ctx, host)
		if r.Err == nil {
			r.IPs = r.Ans.IPs()
		}
	} else {
		r.IPs, r.Err = res.LookupHost(ctx, host)
	}
	if r.Err == nil && len(r.IPs) == 0 {
		r.Err = &resolve.DNSError{Kind: resolve.DNSNoData, Name: host, Type: "A/AAAA", Rcode: -1}
	}
	r.Took = x.since(start)
	if r.Err == nil {
		x.remember(host, r.IPs)
	}
	return r
}

// resolver is the engine's Resolver, or the system's when none was set.
func (x *run) resolver() resolve.Resolver {
	if x.e.Resolver != nil {
		return x.e.Resolver
	}
	return resolve.NewResolver("")
}

// driverURI is the connection string to hand the driver: for mongodb://
// the string as given; for mongodb+srv the equivalent mongodb:// string
// (resolved seeds, TXT and URI options, tls=true unless the URI set it,
// the user's credentials), so that the driver never does DNS itself. It
// holds the password: never print it. It is "" until resolveSeeds has
// succeeded for a mongodb+srv string.
func (x *run) driverURI() string {
	if !x.t.SRV {
		return x.t.DriverURI() // without the options the driver would refuse
	}
	x.mu.Lock()
	info := x.r.SRV
	var seeds, txt []string
	if info != nil && info.URI != "" {
		seeds = append(seeds, info.Seeds...)
		txt = append(txt, info.TXT...)
	}
	x.mu.Unlock()
	if len(seeds) == 0 {
		return ""
	}
	var opts []resolve.TXTOption
	if len(txt) == 1 {
		var err error
		if opts, err = resolve.ParseTXT(txt[0]); err != nil {
			return ""
		}
	}
	u, err := connstr.Rewrite(x.t.Raw, connstr.Edit{Hosts: seeds, Defaults: resolve.TXTDefaults(opts)})
	if err != nil {
		return ""
	}
	return u
}

// dialer returns the engine's Dialer wrapped so that host names are
// resolved through the engine's Resolver (and so --dns-server) before
// dialing; IP addresses go straight through. A proxy or a bastion (a
// Dialer with a Via) is returned as it is: names resolve on its far
// side. Hand it to the driver and to every probe.
func (e *Engine) dialer() netpath.Dialer {
	d := e.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	if e.Resolver == nil || netpath.Via(d) != "" {
		return d
	}
	if rd, ok := d.(*netpath.Resolving); ok && rd.Resolver == e.Resolver {
		return rd
	}
	return &netpath.Resolving{Dialer: d, Resolver: e.Resolver}
}

// --- wording -------------------------------------------------------------

// seedHost is the lower-case host of a host:port seed.
func seedHost(seed string) string {
	if h, _, err := net.SplitHostPort(seed); err == nil {
		return resolve.Normalize(h)
	}
	return resolve.Normalize(seed)
}
