package report

import (
	"strings"
	"testing"
)

// TestUnobserved: each command's success condition, and what is missing
// when it was not observed.
func TestUnobserved(t *testing.T) {
	pingPass := Check{Stage: StagePing, Status: StatusPass}
	pingSkip := Check{Stage: StagePing, Status: StatusSkip}
	tcpPass := Check{Stage: StageTCP, Status: StatusPass}
	tcpFail := Check{Stage: StageTCP, Status: StatusFail}
	primary := Server{Address: "a:1", Kind: "RSPrimary", Reachable: true}
	secondary := Server{Address: "b:1", Kind: "RSSecondary", Reachable: true}
	down := Server{Address: "c:1", Kind: "Unknown"}
	for _, tc := range []struct {
		name        string
		ran         Ran
		checks      []Check
		servers     []Server
		interrupted bool
		want        string // a piece of the answer, "" when observed
	}{
		{"ping passed", Ran{Command: "ping"}, []Check{pingPass}, nil, false, ""},
		{"ping skipped", Ran{Command: "ping"}, []Check{pingSkip}, nil, false, "driver's ping"},
		{"ping --primary, secondary only", Ran{Command: "ping", Primary: true}, []Check{pingPass}, []Server{secondary}, false, "writable primary"},
		{"ping --primary", Ran{Command: "ping", Primary: true}, []Check{pingPass}, []Server{secondary, primary}, false, ""},
		{"diagnose without ping", Ran{Command: "diagnose"}, []Check{pingSkip}, []Server{primary}, false, "ping stage"},
		{"discover, nobody answered", Ran{Command: "discover"}, nil, []Server{down}, false, "answered hello"},
		{"wire-check, one answered", Ran{Command: "wire-check"}, nil, []Server{down, secondary}, false, ""},
		{"tunnel-check, no servers", Ran{Command: "tunnel-check"}, nil, nil, false, "answered hello"},
		{"discover, only a dropped seed answered", Ran{Command: "discover"}, nil, []Server{down, {Address: "d:1", Kind: "RSPrimary", Reachable: true, Error: "not a member of the topology"}}, false, "answered hello"},
		{"srv, one host took TCP", Ran{Command: "srv"}, []Check{tcpFail, tcpPass}, nil, false, ""},
		{"srv, no host took TCP", Ran{Command: "srv"}, []Check{tcpFail}, nil, false, "TCP"},
		{"interrupted after the ping passed", Ran{Command: "ping"}, []Check{pingPass}, []Server{primary}, true, "interrupted"},
		{"run interrupted", Ran{Command: "discover", Interrupted: true}, nil, []Server{primary}, false, "interrupted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReport(tc.ran.Command, "mongodb://a:1/")
			r.Checks, r.Servers, r.Interrupted = tc.checks, tc.servers, tc.interrupted
			got := r.Unobserved(tc.ran)
			switch {
			case tc.want == "" && got != "":
				t.Errorf("Unobserved = %q, want nothing missing", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("Unobserved = %q, want it to say %q", got, tc.want)
			}
		})
	}
}

// TestViolationsOKNeedsSuccess: an ok report whose success was not
// observed breaks the rule; one that shows it keeps it.
func TestViolationsOKNeedsSuccess(t *testing.T) {
	r := NewReport("discover", "mongodb://a:1/")
	r.OK, r.Verdict = true, "OK"
	if v := Violations(Ran{Command: "discover"}, r); len(v) != 1 || !strings.Contains(v[0], "answered hello") {
		t.Errorf("violations %q, want one saying nothing answered hello", v)
	}
	r.Servers = []Server{{Address: "a:1", Kind: "Standalone", Reachable: true}}
	if v := Violations(Ran{Command: "discover"}, r); len(v) != 0 {
		t.Errorf("violations %q, want none", v)
	}
}
