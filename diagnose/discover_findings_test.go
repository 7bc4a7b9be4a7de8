package diagnose

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestTopoFindings(t *testing.T) {
	ghost := Server{Kind: srvKindRSGhost}
	cases := []struct {
		name      string
		raw       string
		replies   topoReplies
		ids       []string
		suggested string
		topology  Status
		evidence  string // part of some finding's evidence
		warnCheck string // part of a warn check's summary
	}{
		{
			name:     "healthy set",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  topoReplies{"a:1": rsPrimaryReply("rs0", "a:1", "a:1", "b:1"), "b:1": rsSecondaryReply("rs0", "b:1", "a:1", "a:1", "b:1")},
			topology: StatusPass,
		},
		{
			name:     "a down secondary is a warning, not an error",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  topoReplies{"a:1": rsPrimaryReply("rs0", "a:1", "a:1", "b:1")},
			topology: StatusWarn,
		},
		{
			name:      "members advertise internal names",
			raw:       "mongodb://bob:hunter2@127.0.0.1:4000/app?replicaSet=rs0&authSource=admin",
			replies:   topoReplies{"127.0.0.1:4000": rsPrimaryReply("rs0", "mongo-a.internal:27017", "mongo-a.internal:27017", "mongo-b.internal:27017")},
			ids:       []string{IDTopologyAdvertisedUnreachable},
			suggested: "mongodb://bob:****@127.0.0.1:4000/app?authSource=admin&directConnection=true",
			topology:  StatusFail,
			evidence:  "advertised member mongo-b.internal:27017 is not reachable from here: connection refused",
			warnCheck: "the server calls itself mongo-a.internal:27017 (an IP address was used where the set uses a host name)",
		},
		{
			name:      "replica set name mismatch",
			raw:       "mongodb://a:1/?replicaSet=prod",
			replies:   topoReplies{"a:1": rsPrimaryReply("rs0", "a:1", "a:1")},
			ids:       []string{IDTopologyReplSetNameMismatch},
			suggested: "mongodb://a:1/?replicaSet=rs0",
			topology:  StatusFail,
			evidence:  `a:1 reports replica set "rs0" (RSPrimary); the connection string says replicaSet=prod`,
		},
		{
			name:     "replicaSet= pointed at a standalone",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  topoReplies{"a:1": {Kind: srvKindStandalone}},
			ids:      []string{IDTopologyReplSetNameMismatch},
			topology: StatusFail,
			evidence: `a:1 is a standalone server, not a member of replica set "rs0"`,
		},
		{
			name:      "not initiated",
			raw:       "mongodb://u:pw@localhost:27017/?replicaSet=rs0",
			replies:   topoReplies{"localhost:27017": ghost},
			ids:       []string{IDTopologyReplSetNotInitiated},
			suggested: "mongodb://u:****@localhost:27017/?directConnection=true",
			topology:  StatusFail,
			evidence:  "runs with --replSet but has no replica set configuration",
		},
		{
			name: "no primary",
			raw:  "mongodb://a:1,b:1/?replicaSet=rs0",
			replies: topoReplies{
				"a:1": rsSecondaryReply("rs0", "a:1", "", "a:1", "b:1"),
				"b:1": rsSecondaryReply("rs0", "b:1", "", "a:1", "b:1"),
			},
			ids:      []string{IDTopologyNoPrimary},
			topology: StatusFail,
			evidence: "a:1 is RSSecondary",
		},
		{
			name:     "standalone",
			raw:      "mongodb://a:1/",
			replies:  topoReplies{"a:1": {Kind: srvKindStandalone}},
			topology: StatusPass,
		},
		{
			name:     "nothing answers",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  topoReplies{},
			topology: StatusSkip,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, err := ParseTarget(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			var mu sync.Mutex
			v := discoverTopology(context.Background(), topoOptionsFrom(tg.Conn), tg.Hosts, c.replies.probe(&calls, &mu))
			fs, cs := topoFindings(v, topoURIs{given: c.raw})
			var ids []string
			for _, f := range fs {
				ids = append(ids, f.ID)
				if strings.Contains(strings.Join(f.Evidence, "\n")+f.SuggestedURI, "hunter2") {
					t.Errorf("password in finding %+v", f)
				}
			}
			if strings.Join(ids, ",") != strings.Join(c.ids, ",") {
				t.Fatalf("findings %v, want %v", ids, c.ids)
			}
			if len(fs) > 0 && fs[0].SuggestedURI != c.suggested {
				t.Errorf("suggested URI %q, want %q", fs[0].SuggestedURI, c.suggested)
			}
			if c.evidence != "" && (len(fs) == 0 || !strings.Contains(strings.Join(fs[0].Evidence, "\n"), c.evidence)) {
				t.Errorf("evidence %q lacks %q", fs, c.evidence)
			}
			var topo *Check
			warned := false
			for i := range cs {
				if cs[i].Summary == "" {
					t.Errorf("check without summary: %+v", cs[i])
				}
				if cs[i].Address == "" {
					topo = &cs[i]
				}
				if c.warnCheck != "" && cs[i].Status == StatusWarn && strings.Contains(cs[i].Summary, c.warnCheck) {
					warned = true
				}
			}
			if topo == nil || topo.Status != c.topology {
				t.Errorf("topology check %+v, want status %s", topo, c.topology)
			}
			if c.warnCheck != "" && !warned {
				t.Errorf("no warning %q in %+v", c.warnCheck, cs)
			}
		})
	}
}
