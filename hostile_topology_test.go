package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// The hostile-topology suite (issue 9): every network command, run as a
// real process, against deployments that answer hello with what no
// MongoDB sends, that list thousands of members or one member under many
// names, whose members flap, whose DNS server never answers, whose TLS
// handshake hangs or resets, or that are only slow. Each command must
// name what it observed, keep the report property, end within its
// budget, and print OK exactly when the deployment works from here.

const (
	// healthyTimeout is the --timeout against deployments that work: far
	// more than their loopback round trips (200 ms each for the slow
	// server), so that a loaded machine never turns them into failures.
	healthyTimeout = 5 * time.Second

	// slowServerDelay is the pause before each reply of the slow server:
	// slow, but far from silent.
	slowServerDelay = 200 * time.Millisecond

	// manyMembers and manySeeds are the sizes of the crowded topologies of
	// issue 9: a primary that lists 5,000 members, a string with 1,000
	// seeds (every silentSeedEvery-th of them a server that never answers,
	// the others refused).
	manyMembers     = 5000
	manySeeds       = 1000
	silentSeedEvery = 100
)

// topoFixture is one hostile deployment and what it deserves.
type topoFixture struct {
	name    string
	uri     string
	global  []string // global flags; every fixture has --dns-server
	timeout time.Duration
	want    expectation
	// fresh, when set, starts a new deployment for each run and returns
	// its connection string: the deployment has state a run changes.
	fresh func(t *testing.T) string
	// textFor lists the command lines also run with text output (nil:
	// every one).
	textFor map[string]bool
}

// hostileTopologies starts every fixture of the suite.
func hostileTopologies(t *testing.T) []topoFixture {
	dns := mongotest.StartDNS(t) // names nothing: every name is NXDOMAIN unless added
	dnsFlag := []string{"--dns-server", dns.Addr}
	var fx []topoFixture
	add := func(f topoFixture) {
		// --dns-server is repeatable: a fixture that names its own server
		// must not get the default one too, which would answer first.
		if !slices.Contains(f.global, "--dns-server") {
			f.global = append(append([]string(nil), dnsFlag...), f.global...)
		}
		if f.timeout == 0 {
			f.timeout = hostileTimeout
			if f.want.verdict != mustFail {
				f.timeout = healthyTimeout
			}
		}
		if f.want.rssLimit == 0 {
			f.want.rssLimit = hostileRSSLimit
		}
		fx = append(fx, f)
	}

	// Hello replies with a field of a BSON type (or a 64-bit value) no
	// MongoDB sends. What the linked driver makes of each is checked
	// against the driver itself in mongotest; the tool must agree: a
	// reply the driver cannot use is server.not-mongodb, never OK, and a
	// wire version is never "too old" because it is not a number.
	names := mongotest.HelloVariants("127.0.0.1:1")
	lines := networkCommandLines(hostileTimeout)
	for i, probe := range names {
		m := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
		var v mongotest.HelloVariant
		for _, real := range mongotest.HelloVariants(m.Addr()) {
			if real.Name == probe.Name {
				v = real
			}
		}
		m.SetHello(v.Hello())
		want := expectation{verdict: mustFail}
		switch {
		case v.DriverWorks:
			want.verdict = mustPass
		case v.Wire == 0:
			want.ids = []string{catalogue.IDServerNotMongoDB}
		}
		if strings.HasSuffix(v.Field, "WireVersion") && v.Wire == 0 {
			want.notIDs = []string{catalogue.IDWireServerTooOld, catalogue.IDWireServerTooNew}
		}
		if v.Wire != 0 {
			want.check = exactNumber(m.Addr(), v.Field, v.Wire)
		} else if strings.HasSuffix(v.Field, "WireVersion") && v.DriverWorks {
			want.check = exactNumber(m.Addr(), v.Field, 21)
		}
		add(topoFixture{
			name: "hello/" + v.Name,
			uri:  "mongodb://" + m.Addr() + "/?replicaSet=" + mongotest.HostileSetName,
			want: want,
			// One text run per variant, the command lines taking turns.
			textFor: map[string]bool{lines[i%len(lines)].name: true},
		})
	}

	// A primary that lists 5,000 members where nothing listens, the
	// server that answers not among them: drivers drop it and find no
	// member. Each command must end in time and in little memory.
	members := mongotest.UnusedAddrs(mongotest.BlockMembers, manyMembers, 27017)
	crowded := mongotest.StartFakeMongod(t, mongotest.Options{Hello: func() bson.D { return mongotest.ManyMembersHello(members) }})
	add(topoFixture{
		name: "5000-members",
		uri:  crowded.URI() + "?replicaSet=" + mongotest.HostileSetName,
		want: expectation{verdict: mustFail},
	})

	// 1,000 seeds: every 100th a server that accepts and never answers,
	// the others refused.
	refused := mongotest.UnusedAddrs(mongotest.BlockSeeds, manySeeds, 27017)
	for i := 0; i < manySeeds; i += silentSeedEvery {
		refused[i+silentSeedEvery/2] = mongotest.SilentListener(t)
	}
	add(topoFixture{
		name: "1000-seeds",
		uri:  "mongodb://" + strings.Join(refused, ",") + "/",
		want: expectation{verdict: mustFail, ids: []string{catalogue.IDTCPRefused}},
	})

	// One member listed under every spelling of its name (case, trailing
	// dot, default port): it is one member, listed once, and reachable.
	dup := mongotest.StartFakeMongodDefaultPort(t, mongotest.Options{Hello: func() bson.D { return mongotest.DuplicateMembersHello("db.dup.test") }})
	dupHost, _, _ := net.SplitHostPort(dup.Addr())
	if err := dns.AddHost("db.dup.test", 60, dupHost); err != nil {
		t.Fatal(err)
	}
	add(topoFixture{
		name: "duplicate-members",
		uri:  "mongodb://db.dup.test/?replicaSet=" + mongotest.HostileSetName,
		want: expectation{verdict: anyVerdict, notIDs: []string{catalogue.IDTopologyAdvertisedUnreachable}, check: membersOnce},
	})

	// A member whose answer changes on every hello: primary, secondary,
	// an error. Each run gets its own, so that it sees the cycle from
	// its start.
	add(topoFixture{
		name: "flapping-member",
		want: expectation{verdict: mustFail},
		fresh: func(t *testing.T) string {
			m := mongotest.StartFakeMongod(t, mongotest.Options{})
			m.SetHello(mongotest.FlappingHello(m.Addr()))
			return m.URI() + "?replicaSet=" + mongotest.HostileSetName
		},
	})

	// A valid hello reply followed by bytes that are no MongoDB message.
	junk := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeJunkAfterHello})
	add(topoFixture{
		name: "junk-after-hello",
		uri:  junk.URI(),
		want: expectation{verdict: mustFail, ids: []string{catalogue.IDServerNotMongoDB}, notIDs: []string{catalogue.IDSelectTimeout}},
	})

	// A healthy server that takes 200 ms for every reply: slow, with its
	// RTT, never "not responding". With a budget of seconds it works;
	// with one second a command may run out of time, and must say that,
	// not that a server which answered every request did not answer.
	slow := mongotest.StartFakeMongod(t, mongotest.Options{Delay: slowServerDelay})
	add(topoFixture{
		name: "slow-200ms",
		uri:  slow.URI(),
		want: expectation{verdict: mustPass, notIDs: []string{catalogue.IDServerNotResponding}, check: rttAtLeast(slow.Addr(), slowServerDelay)},
	})
	add(topoFixture{
		name:    "slow-200ms-1s-budget",
		uri:     slow.URI(),
		timeout: hostileTimeout,
		want:    expectation{verdict: anyVerdict, notIDs: []string{catalogue.IDServerNotResponding}, check: rttAtLeast(slow.Addr(), slowServerDelay)},
	})

	// A DNS server that never answers: nothing is known about the names,
	// so neither "no such host" nor "no SRV records" may be said.
	deaf := mongotest.StartDNS(t)
	deaf.SetUnresponsive(true)
	for _, u := range []struct{ name, uri string }{
		{"silent-dns/srv", "mongodb+srv://cluster0.quiet.test/"},
		{"silent-dns/host", "mongodb://db0.quiet.test:27017/"},
	} {
		add(topoFixture{
			name:   u.name,
			uri:    u.uri,
			global: []string{"--dns-server", deaf.Addr},
			want:   expectation{verdict: mustFail, notIDs: []string{catalogue.IDDNSNoSuchHost, catalogue.IDSRVNoRecords}},
		})
	}

	// TLS asked and never completed: a peer that never answers, one that
	// resets the handshake, one that stops in the middle of it, and a
	// certificate from a CA the string does not trust.
	certs := mongotest.NewCerts(t)
	tlsOpts := "/?tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile)
	backend := mongotest.StartFakeMongod(t, mongotest.Options{})
	untrusted := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(mongotest.CertUnknownCA).TLS, Backend: backend.Addr()})
	for _, p := range []struct {
		name, addr string
		ids        []string
	}{
		{"tls/silent-peer", mongotest.SilentListener(t), nil},
		{"tls/reset-in-handshake", mongotest.StartTLSReset(t).Addr(), nil},
		{"tls/stalled-handshake", mongotest.StartTLSStall(t).Addr(), nil},
		{"tls/untrusted-ca", untrusted, []string{catalogue.IDTLSUnknownAuthority}},
	} {
		add(topoFixture{name: p.name, uri: "mongodb://" + p.addr + tlsOpts, want: expectation{verdict: mustFail, ids: p.ids}})
	}

	// A host behind a firewall that drops packets.
	add(topoFixture{
		name: "tcp-blackhole",
		uri:  "mongodb://" + mongotest.StartBlackhole(t).Addr() + "/",
		want: expectation{verdict: mustFail, ids: []string{catalogue.IDTCPTimeout}},
	})

	// A working deployment whose set name and tags carry terminal control
	// sequences: every output shows them escaped (checked on every case).
	ctl := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
	ctl.SetHelloDoc(mongotest.ControlCharHello(ctl.Addr()))
	add(topoFixture{name: "control-chars-in-hello", uri: ctl.URI(), want: expectation{verdict: anyVerdict}})
	return fx
}

// topoCase is one run of the suite.
type topoCase struct {
	fx     *topoFixture
	cl     commandLine
	output string
}

func (c topoCase) name() string { return c.fx.name + "/" + c.cl.name + "/" + c.output }

// TestHostileTopologies runs every network command against every fixture,
// with JSON output (and text output where the fixture asks), all as real
// processes, hostileConcurrency at a time; then judges each run in its
// own subtest.
func TestHostileTopologies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several hundred processes")
	}
	child := newPlainChild(t, true)
	fixtures := hostileTopologies(t)
	var (
		cases []topoCase
		specs []childSpec
	)
	for i := range fixtures {
		fx := &fixtures[i]
		for _, cl := range networkCommandLines(fx.timeout) {
			for _, output := range []string{"json", "text"} {
				if output == "text" && fx.textFor != nil && !fx.textFor[cl.name] {
					continue
				}
				uri := fx.uri
				if fx.fresh != nil {
					uri = fx.fresh(t)
				}
				cases = append(cases, topoCase{fx: fx, cl: cl, output: output})
				specs = append(specs, childSpec{
					args:  cl.args(output, fx.timeout, fx.global, uri),
					guard: cl.budget(fx.timeout) + hangGuard,
				})
			}
		}
	}
	runs, overhead := runBatch(t, child, specs, hostileConcurrency)
	t.Logf("%d runs; process overhead on this machine now: %s", len(runs), overhead.Round(time.Millisecond))
	for i, tc := range cases {
		t.Run(tc.name(), func(t *testing.T) {
			res := runs[i]
			if res.err != nil {
				t.Fatalf("HUNG: %v", res.err)
			}
			budget := tc.cl.budget(tc.fx.timeout)
			if tc.output == "json" {
				judgeJSON(t, tc.cl, res.childResult, tc.fx.want, budget, overhead)
			} else {
				judgeText(t, res.childResult, tc.fx.want, budget, overhead)
			}
		})
	}
}

// exactNumber checks that the server at addr reports field (a wire
// version) as exactly want in the JSON report, whatever its size.
func exactNumber(addr, field string, want int64) func(*testing.T, commandLine, *report.Report, []byte) {
	return func(t *testing.T, _ commandLine, _ *report.Report, raw []byte) {
		t.Helper()
		var r struct {
			Servers []map[string]json.RawMessage `json:"servers"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Servers {
			var a string
			_ = json.Unmarshal(s["address"], &a)
			if a != addr {
				continue
			}
			if got := string(s[field]); got != fmt.Sprint(want) {
				t.Errorf("INEXACT: %s of %s is %s in the report, the server sent %d", field, addr, got, want)
			}
			return
		}
		t.Errorf("no server %s in the report to read %s from", addr, field)
	}
}

// rttAtLeast checks that the server at addr answered, with an RTT no
// shorter than the delay it puts before every reply.
func rttAtLeast(addr string, d time.Duration) func(*testing.T, commandLine, *report.Report, []byte) {
	return func(t *testing.T, _ commandLine, r *report.Report, _ []byte) {
		t.Helper()
		for _, s := range r.Servers {
			if s.Address == addr {
				if !s.Reachable || s.RTTMs < report.Millis(d) {
					t.Errorf("server %s: reachable %v, RTT %.1f ms; it answers every request after %s", addr, s.Reachable, s.RTTMs, d)
				}
				return
			}
		}
		t.Errorf("no server %s in the report", addr)
	}
}

// canonicalMember is the name a member is known by whatever its
// spelling: lower case, without a trailing dot, with the default port.
func canonicalMember(a string) string {
	a = strings.ToLower(a)
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = a, "27017"
	}
	return net.JoinHostPort(strings.TrimSuffix(host, "."), port)
}

// membersOnce checks that no member is listed twice under two spellings.
func membersOnce(t *testing.T, _ commandLine, r *report.Report, _ []byte) {
	t.Helper()
	seen := map[string]string{}
	for _, s := range r.Servers {
		c := canonicalMember(s.Address)
		if first, ok := seen[c]; ok {
			t.Errorf("DUPLICATE: member %s listed as %q and %q", c, first, s.Address)
			continue
		}
		seen[c] = s.Address
	}
}
