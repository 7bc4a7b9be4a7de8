package topofind

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/sdam/sdamtest"
)

func TestTopoFindings(t *testing.T) {
	ghost := report.Server{Kind: report.KindRSGhost}
	cases := []struct {
		name      string
		raw       string
		replies   sdamtest.Replies
		ids       []string
		suggested string
		topology  report.Status
		evidence  string // part of some finding's evidence
		absent    string // part of no finding's evidence
		warnCheck string // part of a warn check's summary
	}{
		{
			name:     "healthy set",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  sdamtest.Replies{"a:1": sdamtest.Primary("rs0", "a:1", "a:1", "b:1"), "b:1": sdamtest.Secondary("rs0", "b:1", "a:1", "a:1", "b:1")},
			topology: report.StatusPass,
		},
		{
			name:     "a down secondary is a warning, not an error",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  sdamtest.Replies{"a:1": sdamtest.Primary("rs0", "a:1", "a:1", "b:1")},
			topology: report.StatusWarn,
		},
		{
			name:      "members advertise internal names",
			raw:       "mongodb://bob:hunter2@127.0.0.1:4000/app?replicaSet=rs0&authSource=admin",
			replies:   sdamtest.Replies{"127.0.0.1:4000": sdamtest.Primary("rs0", "mongo-a.internal:27017", "mongo-a.internal:27017", "mongo-b.internal:27017")},
			ids:       []string{catalogue.IDTopologyAdvertisedUnreachable},
			suggested: "mongodb://bob:****@127.0.0.1:4000/app?authSource=admin&directConnection=true",
			topology:  report.StatusFail,
			evidence:  "advertised member mongo-b.internal:27017 is not reachable from here: connection refused",
			absent:    "mongosh",
			warnCheck: "the server calls itself mongo-a.internal:27017 (an IP address was used where the set uses a host name)",
		},
		{
			name:      "internal names behind one host without replicaSet: mongosh still connects",
			raw:       "mongodb://127.0.0.1:4000/",
			replies:   sdamtest.Replies{"127.0.0.1:4000": sdamtest.Primary("rs0", "mongo-a.internal:27017", "mongo-a.internal:27017", "mongo-b.internal:27017")},
			ids:       []string{catalogue.IDTopologyAdvertisedUnreachable},
			suggested: "mongodb://127.0.0.1:4000/?directConnection=true",
			topology:  report.StatusFail,
			evidence:  "some clients connect to 127.0.0.1:4000 alone and work from here: mongosh (it adds directConnection=true to such a string), PyMongo 3 and the Java driver",
		},
		{
			name:      "replica set name mismatch",
			raw:       "mongodb://a:1/?replicaSet=prod",
			replies:   sdamtest.Replies{"a:1": sdamtest.Primary("rs0", "a:1", "a:1")},
			ids:       []string{catalogue.IDTopologyReplSetNameMismatch},
			suggested: "mongodb://a:1/?replicaSet=rs0",
			topology:  report.StatusFail,
			evidence:  `a:1 reports replica set "rs0" (RSPrimary); the connection string says replicaSet=prod`,
		},
		{
			name:     "replicaSet= pointed at a standalone",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  sdamtest.Replies{"a:1": {Kind: report.KindStandalone}},
			ids:      []string{catalogue.IDTopologyReplSetNameMismatch},
			topology: report.StatusFail,
			evidence: `a:1 is a standalone server, not a member of replica set "rs0"`,
		},
		{
			name:      "not initiated",
			raw:       "mongodb://u:pw@localhost:27017/?replicaSet=rs0",
			replies:   sdamtest.Replies{"localhost:27017": ghost},
			ids:       []string{catalogue.IDTopologyReplSetNotInitiated},
			suggested: "mongodb://u:****@localhost:27017/?directConnection=true",
			topology:  report.StatusFail,
			evidence:  "runs with --replSet but has no replica set configuration",
		},
		{
			name: "no primary",
			raw:  "mongodb://a:1,b:1/?replicaSet=rs0",
			replies: sdamtest.Replies{
				"a:1": sdamtest.Secondary("rs0", "a:1", "", "a:1", "b:1"),
				"b:1": sdamtest.Secondary("rs0", "b:1", "", "a:1", "b:1"),
			},
			ids:      []string{catalogue.IDTopologyNoPrimary},
			topology: report.StatusFail,
			evidence: "a:1 is RSSecondary",
		},
		{
			name:     "standalone",
			raw:      "mongodb://a:1/",
			replies:  sdamtest.Replies{"a:1": {Kind: report.KindStandalone}},
			topology: report.StatusPass,
		},
		{
			name:     "nothing answers",
			raw:      "mongodb://a:1/?replicaSet=rs0",
			replies:  sdamtest.Replies{},
			topology: report.StatusSkip,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, err := connstr.ParseTarget(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			var mu sync.Mutex
			v := sdam.Discover(context.Background(), sdam.OptionsFrom(tg.Conn), tg.Hosts, c.replies.Probe(&calls, &mu))
			fs, cs := Findings(v, URIs{Given: c.raw})
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
			for _, f := range fs {
				if c.absent != "" && strings.Contains(strings.Join(f.Evidence, "\n"), c.absent) {
					t.Errorf("evidence of %s holds %q: %q", f.ID, c.absent, f.Evidence)
				}
			}
			var topo *report.Check
			warned := false
			for i := range cs {
				if cs[i].Summary == "" {
					t.Errorf("check without summary: %+v", cs[i])
				}
				if cs[i].Address == "" {
					topo = &cs[i]
				}
				if c.warnCheck != "" && cs[i].Status == report.StatusWarn && strings.Contains(cs[i].Summary, c.warnCheck) {
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

func TestTopoWithoutLoadBalanced(t *testing.T) {
	cases := []struct{ in, want string }{
		{"mongodb://h:1/?loadBalanced=true", "mongodb://h:1/"},
		{"mongodb://u:p@h:1/db?loadbalanced=true&appName=a", "mongodb://u:p@h:1/db?appName=a"},
		// From a TXT record: the string overrides it.
		{"mongodb+srv://c.example.test/?appName=a", "mongodb+srv://c.example.test/?appName=a&loadBalanced=false"},
		{"mongodb+srv://c.example.test/?loadBalanced=true", "mongodb+srv://c.example.test/"},
	}
	for _, c := range cases {
		got, err := topoWithoutLoadBalanced(c.in)
		if err != nil || got != c.want {
			t.Errorf("topoWithoutLoadBalanced(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
