package topofind

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// Members for failover tables: every one of set rs0 with hosts h0..h2.
var foHosts = []string{"h0:27017", "h1:27017", "h2:27017"}

func foPrim(addr, election string) report.Server {
	return report.Server{Address: addr, Me: addr, Kind: report.KindRSPrimary, SetName: "rs0", Hosts: foHosts, Primary: addr,
		ElectionID: election, SetVersion: 1, Reachable: true}
}

func foSec(addr, names string) report.Server {
	return report.Server{Address: addr, Me: addr, Kind: report.KindRSSecondary, SetName: "rs0", Hosts: foHosts, Primary: names,
		SetVersion: 1, Reachable: true}
}

func foOther(addr string, hidden bool) report.Server {
	return report.Server{Address: addr, Me: addr, Kind: report.KindRSOther, SetName: "rs0", Hosts: foHosts, Hidden: hidden,
		SetVersion: 1, Reachable: true}
}

func foGone(addr string) report.Server {
	return report.Server{Address: addr, Kind: report.KindUnknown, Error: "connection refused: nothing listens on this port"}
}

func foLooks(ss ...report.Server) []Look {
	out := make([]Look, len(ss))
	for i, s := range ss {
		out[i] = Look{Server: s}
		if !s.Reachable {
			out[i].Fail = wireprobe.ProbeRefused
		}
	}
	return out
}

const (
	foTerm1 = "7fffffff0000000000000001"
	foTerm2 = "7fffffff0000000000000002"
)

func TestAnalyzeFailover(t *testing.T) {
	cases := []struct {
		name      string
		first     []report.Server
		second    []Look
		outcome   Outcome
		primary   string // primary at the end
		signs     []string
		reachable int
		voting    int
		majority  bool
		text      string // in the majority text
	}{
		{name: "healthy", first: []report.Server{foPrim("h0:27017", foTerm1), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "h0:27017")},
			outcome: OutcomeHealthy, primary: "h0:27017", reachable: 3, voting: 3, majority: true},
		{name: "healthy with a hidden member and one down", first: []report.Server{foPrim("h0:27017", foTerm1), foOther("hid:27017", true), foGone("h2:27017")},
			outcome: OutcomeHealthy, primary: "h0:27017", reachable: 1, voting: 3, majority: false},
		{name: "the primary stepped down: a member still names it",
			first:   []report.Server{foSec("h0:27017", ""), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "")},
			second:  foLooks(foSec("h0:27017", ""), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "")),
			outcome: OutcomeFailover, signs: []string{"h1:27017 still names h0:27017 as primary, but h0:27017 answers as RSSecondary"},
			reachable: 3, voting: 3, majority: true},
		{name: "the primary is down: members still name it",
			first:   []report.Server{foGone("h0:27017"), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "h0:27017")},
			second:  foLooks(foGone("h0:27017"), foSec("h1:27017", "h0:27017"), foSec("h2:27017", "h0:27017")),
			outcome: OutcomeFailover, signs: []string{"h0:27017 refuses connections: the primary is down"},
			reachable: 2, voting: 3, majority: true, text: "a majority (2 needed)"},
		{name: "a primary unreachable only from here is no sign",
			first:   []report.Server{{Address: "h0:27017", Kind: report.KindUnknown, Error: "no such host"}, foSec("h1:27017", "h0:27017")},
			second:  []Look{{Server: report.Server{Address: "h0:27017", Kind: report.KindUnknown}, Fail: wireprobe.ProbeUnresolved}, {Server: foSec("h1:27017", "h0:27017")}},
			outcome: OutcomeNoPrimary, reachable: 1, voting: 3, text: "unless the others are up"},
		{name: "no primary, nobody names one, a majority answers",
			first:   []report.Server{foSec("h0:27017", ""), foSec("h1:27017", ""), foSec("h2:27017", "")},
			second:  foLooks(foSec("h0:27017", ""), foSec("h1:27017", ""), foSec("h2:27017", "")),
			outcome: OutcomeNoPrimary, reachable: 3, voting: 3, majority: true, text: "so an election can succeed"},
		{name: "no primary and two of three members down: no election can succeed",
			first:   []report.Server{foSec("h0:27017", ""), foGone("h1:27017"), foGone("h2:27017")},
			second:  foLooks(foSec("h0:27017", ""), foGone("h1:27017"), foGone("h2:27017")),
			outcome: OutcomeNoPrimary, reachable: 1, voting: 3, text: "not a majority (2 needed), so no election can succeed unless the others are up and only out of reach from this machine; 2 refuse connections"},
		{name: "a primary appeared during the probe window",
			first:   []report.Server{foSec("h0:27017", ""), foSec("h1:27017", ""), foSec("h2:27017", "")},
			second:  foLooks(foSec("h0:27017", "h1:27017"), foPrim("h1:27017", foTerm2), foSec("h2:27017", "h1:27017")),
			outcome: OutcomeFailover, primary: "h1:27017", signs: []string{"h1:27017 became primary during the probe window (electionId 7fffffff0000000000000002, term 2, setVersion 1)"},
			reachable: 3, voting: 3, majority: true},
		{name: "the electionId changed between the looks",
			first:   []report.Server{foPrim("h0:27017", foTerm1), foSec("h1:27017", "h0:27017")},
			second:  foLooks(foSec("h0:27017", "h1:27017"), foPrim("h1:27017", foTerm2)),
			outcome: OutcomeFailover, primary: "h1:27017", signs: []string{"the electionId changed between the looks: h0:27017 (electionId 7fffffff0000000000000001, term 1"},
			reachable: 2, voting: 3, majority: true},
		{name: "the primary went away between the looks",
			first:   []report.Server{foPrim("h0:27017", foTerm1), foSec("h1:27017", "h0:27017")},
			second:  foLooks(foGone("h0:27017"), foSec("h1:27017", "")),
			outcome: OutcomeFailover, signs: []string{"h0:27017 was primary at the first look and no member is primary"},
			reachable: 1, voting: 3},
		{name: "two members say they are primary: the older election is stale",
			first:   []report.Server{foPrim("h0:27017", foTerm1), foPrim("h1:27017", foTerm2), foSec("h2:27017", "h1:27017")},
			outcome: OutcomeFailover, primary: "h1:27017", signs: []string{"h0:27017 (electionId 7fffffff0000000000000001, term 1, setVersion 1) say they are primary: h0:27017 is stale"},
			reachable: 3, voting: 3, majority: true},
		{name: "a member still naming the old primary after the election",
			first:   []report.Server{foPrim("h1:27017", foTerm2), foSec("h0:27017", "h1:27017"), foSec("h2:27017", "h0:27017")},
			outcome: OutcomeFailover, primary: "h1:27017", signs: []string{"h2:27017 still names h0:27017 as primary, but h0:27017 answers as RSSecondary", "the members disagree about the primary"},
			reachable: 3, voting: 3, majority: true},
		{name: "a recovering member is a sign; a hidden one is not",
			first:   []report.Server{foSec("h0:27017", ""), foOther("h1:27017", false), foOther("hid:27017", true)},
			second:  foLooks(foSec("h0:27017", ""), foOther("h1:27017", false), foOther("hid:27017", true)),
			outcome: OutcomeFailover, signs: []string{"h1:27017 answers as neither primary nor secondary"},
			reachable: 2, voting: 3, majority: true},
		{name: "a seed known to the set by another name is the same member",
			first: []report.Server{
				{Address: "127.0.0.1:5000", Me: "h1:27017", Kind: report.KindRSSecondary, SetName: "rs0", Hosts: foHosts, Primary: "h0:27017", Reachable: true},
				{Address: "h0:27017", Kind: report.KindUnknown, Error: "timed out"},
				{Address: "h1:27017", Kind: report.KindUnknown, Error: "timed out"},
			},
			second: []Look{
				{Server: report.Server{Address: "127.0.0.1:5000", Me: "h1:27017", Kind: report.KindRSSecondary, SetName: "rs0", Hosts: foHosts, Primary: "h0:27017", Reachable: true}},
				{Server: report.Server{Address: "h0:27017", Kind: report.KindUnknown}, Fail: wireprobe.ProbeTimeout},
				{Server: report.Server{Address: "h1:27017", Kind: report.KindUnknown}, Fail: wireprobe.ProbeTimeout},
			},
			outcome: OutcomeNoPrimary, reachable: 1, voting: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := AnalyzeFailover("rs0", SetMembers("rs0", tc.first), tc.second)
			if got := a.Outcome(); got != tc.outcome {
				t.Errorf("outcome = %d, want %d; signs %q", got, tc.outcome, a.Signs)
			}
			switch {
			case tc.primary == "" && a.Primary != nil:
				t.Errorf("primary = %s, want none", a.Primary.Address)
			case tc.primary != "" && (a.Primary == nil || a.Primary.Address != tc.primary):
				t.Errorf("primary = %v, want %s", a.Primary, tc.primary)
			}
			if tc.outcome != OutcomeFailover && len(a.Signs) > 0 {
				t.Errorf("signs = %q, want none", a.Signs)
			}
			for _, want := range tc.signs {
				found := false
				for _, s := range a.Signs {
					if strings.Contains(s, want) {
						found = true
					}
				}
				if !found {
					t.Errorf("signs = %q, want one containing %q", a.Signs, want)
				}
			}
			if a.Reachable != tc.reachable || a.Voting != tc.voting || a.Majority() != tc.majority {
				t.Errorf("reachable %d of %d (majority %v), want %d of %d (%v)", a.Reachable, a.Voting, a.Majority(), tc.reachable, tc.voting, tc.majority)
			}
			if tc.text != "" && !strings.Contains(a.MajorityText(), tc.text) {
				t.Errorf("majority text = %q, want %q in it", a.MajorityText(), tc.text)
			}
			for _, m := range a.Members {
				if m.State() == "" {
					t.Errorf("member %s has no state", m.Key)
				}
			}
		})
	}
}

func TestFailoverMembersOf(t *testing.T) {
	other := foSec("o:27017", "")
	other.SetName = "other"
	standalone := report.Server{Address: "s:27017", Kind: report.KindStandalone, Reachable: true}
	stray := foGone("stray:27017")
	in := []report.Server{foPrim("h0:27017", foTerm1), other, standalone, foGone("h2:27017"), stray}
	got := SetMembers("rs0", in)
	var addrs []string
	for _, s := range got {
		addrs = append(addrs, s.Address)
	}
	if strings.Join(addrs, " ") != "h0:27017 h2:27017" {
		t.Errorf("members = %v, want h0 and h2 only", addrs)
	}
	if set := FailoverSet("", in); set != "rs0" {
		t.Errorf("set name = %q", set)
	}
	if set := FailoverSet("want", in); set != "want" {
		t.Errorf("set name = %q", set)
	}
	if set := FailoverSet("", []report.Server{standalone}); set != "" {
		t.Errorf("set name of a standalone = %q", set)
	}
}

func TestElectionTerm(t *testing.T) {
	cases := []struct {
		id   string
		term int64
		ok   bool
	}{
		{foTerm2, 2, true},
		{"7FFFFFFF00000000000000ff", 255, true},
		{"65a1b2c3d4e5f60718293a4b", 0, false}, // a pre-3.2 style id
		{"7fffffff", 0, false},
		{"zzzzzzzzzzzzzzzzzzzzzzzz", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		term, ok := electionTerm(tc.id)
		if term != tc.term || ok != tc.ok {
			t.Errorf("electionTerm(%q) = %d, %v; want %d, %v", tc.id, term, ok, tc.term, tc.ok)
		}
	}
}

func TestNewerElection(t *testing.T) {
	cases := []struct {
		a, b report.Server
		want bool
	}{
		{report.Server{ElectionID: foTerm2}, report.Server{ElectionID: foTerm1}, true},
		{report.Server{ElectionID: foTerm1}, report.Server{ElectionID: foTerm2}, false},
		{report.Server{ElectionID: foTerm1, SetVersion: 3}, report.Server{ElectionID: foTerm1, SetVersion: 2}, true},
		{report.Server{ElectionID: strings.ToUpper(foTerm1), SetVersion: 2}, report.Server{ElectionID: foTerm1, SetVersion: 2}, false},
	}
	for i, tc := range cases {
		if got := newerElection(tc.a, tc.b); got != tc.want {
			t.Errorf("%d: newerElection = %v, want %v", i, got, tc.want)
		}
	}
}

func TestFailoverURISettings(t *testing.T) {
	cases := []struct {
		uri   string
		lines int
		fixed []string // options the suggested URI must carry
	}{
		{"mongodb://h0:27017,h1:27017/?replicaSet=rs0", 0, nil},
		{"mongodb://h0:27017,h1:27017/?replicaSet=rs0&retryWrites=false", 1, []string{"retryWrites=true"}},
		{"mongodb://h0:27017/?replicaSet=rs0&serverSelectionTimeoutMS=2000&retryReads=false", 2, []string{"serverSelectionTimeoutMS=30000", "retryReads=true"}},
		{"mongodb://h0:27017/?replicaSet=rs0&serverSelectionTimeoutMS=20000", 0, nil},
	}
	for _, tc := range cases {
		tg, err := connstr.ParseTarget(tc.uri)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if got := uriFailoverSettings(tg); len(got) != tc.lines {
			t.Errorf("%s: settings %q, want %d lines", tc.uri, got, tc.lines)
		}
		u := FailoverURI(tg)
		if (u == "") != (len(tc.fixed) == 0) {
			t.Errorf("%s: suggested %q", tc.uri, u)
		}
		for _, f := range tc.fixed {
			if !strings.Contains(u, f) {
				t.Errorf("%s: suggested %q lacks %s", tc.uri, u, f)
			}
		}
		if u != "" {
			if _, err := connstr.ParseTarget(u); err != nil {
				t.Errorf("suggested %q does not parse: %v", u, err)
			}
		}
	}
}
