package diagnose

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// horizonMember is a one-member replica set over TLS whose member
// answers with the names of its horizon "external" when the client's TLS
// server name is external, and with its internal name otherwise, as
// mongod does.
func horizonMember(t *testing.T, certs *mongotest.Certs, external string) *mongotest.FakeMongod {
	t.Helper()
	pair, err := certs.IssueServer("horizon", external, "db0.other.test")
	if err != nil {
		t.Fatal(err)
	}
	var port atomic.Value // the member's port, known once it listens
	port.Store("")
	srv := mongotest.StartFakeMongod(t, mongotest.Options{
		TLS: &tls.Config{Certificates: []tls.Certificate{pair.TLS}, MinVersion: tls.VersionTLS12},
		HelloSNI: func(name string) bson.D {
			me := "mongo-0.internal:27017"
			if name == external {
				me = fmt.Sprintf("%s:%s", external, port.Load().(string))
			}
			return bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"}, {Key: "setVersion", Value: int32(1)},
				{Key: "hosts", Value: bson.A{me}}, {Key: "me", Value: me}, {Key: "primary", Value: me}}
		},
	})
	port.Store(portOf(srv.Addr()))
	return srv
}

func TestSplitHorizon(t *testing.T) {
	certs := mongotest.NewCerts(t)
	srv := horizonMember(t, certs, "db0.ext.test")
	dns := mongotest.StartDNS(t)
	if err := dns.AddZone("db0.ext.test. 60 IN A 127.0.0.1\ndb0.other.test. 60 IN A 127.0.0.1\n"); err != nil {
		t.Fatal(err)
	}
	e := dnsTestEngine(dns)
	e.Timeout = tlsTestBudget
	port := portOf(srv.Addr())
	uri := func(host string) string {
		return "mongodb://" + host + ":" + port + "/?replicaSet=rs0&tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile)
	}

	r := diagnoseURI(t, e, uri("db0.other.test"))
	f, ok := findingOf(r, catalogue.IDTopologySplitHorizon)
	if !ok || r.OK {
		t.Fatalf("no topology.split-horizon: %s", findingsText(r))
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, w := range []string{`reached with TLS as "db0.other.test"`, "calls itself mongo-0.internal:27017", "no horizon of the set names db0.other.test"} {
		if !strings.Contains(ev, w) {
			t.Errorf("evidence lacks %q:\n%s", w, ev)
		}
	}
	if fix := f.Fixes[0]; !strings.Contains(fix, `cfg.members[0].horizons = {external: "db0.other.test:`+port+`"}`) || !strings.Contains(fix, "rs.reconfig(cfg)") {
		t.Errorf("fix %q", fix)
	}
	// The fixes name this set's member and this string, and none of the
	// catalogue's example db0.example.com.
	fixes := strings.Join(f.Fixes, "\n")
	if want := "Meanwhile, reach one member alone: mongodb://db0.other.test:" + port + "/?tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile) + "&directConnection=true"; !strings.Contains(fixes, want) {
		t.Errorf("fixes lack %q:\n%s", want, fixes)
	}
	if strings.Contains(fixes, "example.com") || strings.Count(fixes, "horizons = ") != 1 {
		t.Errorf("fixes carry the catalogue's example:\n%s", fixes)
	}
	if _, ok := findingOf(r, catalogue.IDTopologyAdvertisedUnreachable); !ok {
		t.Errorf("no topology.advertised-unreachable beside it")
	}

	// Through the horizon's own name the member answers with it: healthy.
	r = diagnoseURI(t, e, uri("db0.ext.test"))
	if !r.OK || len(r.Findings) != 0 {
		t.Errorf("through the horizon: %s", findingsText(r))
	}

	// The same trap without TLS is no horizon matter.
	plain := mongotest.StartFakeMongod(t, mongotest.Options{Hello: func() bson.D {
		return bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"}, {Key: "hosts", Value: bson.A{"mongo-0.internal:27017"}}, {Key: "me", Value: "mongo-0.internal:27017"}}
	}})
	r = diagnoseURI(t, e, "mongodb://db0.other.test:"+portOf(plain.Addr())+"/?replicaSet=rs0")
	if _, ok := findingOf(r, catalogue.IDTopologySplitHorizon); ok {
		t.Errorf("split horizon without TLS: %s", findingsText(r))
	}
	if _, ok := findingOf(r, catalogue.IDTopologyAdvertisedUnreachable); !ok {
		t.Errorf("the plain trap: %s", findingsText(r))
	}
}
