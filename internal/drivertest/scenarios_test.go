//go:build drivers && linux

package drivertest

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mongoconn/mongoconn/internal/driverrun"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// scenario is one loopback deployment and the connection string the
// clients and mongoconn are given.
type scenario struct {
	// name is the subtest's name and, with "-" as "_", part of the corpus
	// file's name.
	name string
	// setup starts the deployment (its fixtures stop with t) and returns
	// the target.
	setup func(t *testing.T, env *suiteEnv) *target
}

// suiteEnv is what every scenario shares.
type suiteEnv struct {
	// dns is the namespace's resolver (resolverIP:53): every name of every
	// scenario lives in it, under its own subdomain of example.test.
	dns *mongotest.DNSServer
	// certs is the test PKI; certDir is where its files are shown in
	// committed texts.
	certs *mongotest.Certs
	// versions are the clients' releases.
	versions driverrun.Versions
}

// committedCertDir replaces the PKI's temporary directory in committed
// texts.
const committedCertDir = "/etc/ssl/mongoconn"

// firstStablePort is the port the first fixture of a scenario gets in
// committed texts; the next ones follow it.
const firstStablePort = 27017

// target is a scenario's connection string and what its texts may
// contain.
type target struct {
	uri string
	// secrets must never appear in what mongoconn prints.
	secrets []string
	// rewrite makes a text of this scenario stable for the corpus.
	rewrite driverrun.Rewrite
}

func newTarget(env *suiteEnv) *target {
	return &target{rewrite: driverrun.Rewrite{
		Ports: map[int]int{},
		Dirs:  map[string]string{env.certs.Dir: committedCertDir},
	}}
}

// fixture registers a fixture's address, so that committed texts show
// its port as the next stable one, and returns the address.
func (tg *target) fixture(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tg.rewrite.Ports[port]; !ok {
		tg.rewrite.Ports[port] = firstStablePort + len(tg.rewrite.Ports)
	}
	return addr
}

// Credentials of the authentication scenarios. The user exists with
// userPassword; the wrong-password string carries wrongPassword.
const (
	userName      = "alice"
	userPassword  = "correct-horse-battery-staple"
	wrongPassword = "not-her-password"
)

// scenarios lists the deployments of the suite (issue 11's list).
func scenarios() []scenario {
	return []scenario{
		{"healthy", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			f := ferret.Start(t, ferret.Options{})
			tg.uri = "mongodb://" + tg.fixture(t, f.Addr) + "/"
			return tg
		}},
		{"refused", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			tg.uri = "mongodb://" + tg.fixture(t, mongotest.ClosedPort(t)) + "/"
			return tg
		}},
		{"silent", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			tg.uri = "mongodb://" + tg.fixture(t, mongotest.SilentListener(t)) + "/"
			return tg
		}},
		{"http", fakeScenario(mongotest.Options{Mode: mongotest.ModeHTTP}, "")},
		{"wire-3.4", fakeScenario(mongotest.Options{Version: "3.4.24"}, "")},
		{"wire-3.6", fakeScenario(mongotest.Options{Version: "3.6.23"}, "")},
		// A server whose oldest wire version is newer than every client's
		// newest.
		{"too-new", fakeScenario(mongotest.Options{Version: "99.0.0", MinWire: 99, MaxWire: 99}, "")},
		// The SSH-tunnel trap: a forwarder to the primary of a set whose
		// members advertise names only their own network resolves.
		{"tunnel-replicaset", tunnelScenario("?replicaSet=rs0")},
		{"tunnel-bare", tunnelScenario("")},
		{"tunnel-direct", tunnelScenario("?directConnection=true")},
		{"setname-mismatch", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3})
			tg.uri = "mongodb://" + strings.Join(fixtures(t, tg, rs.Addrs()), ",") + "/?replicaSet=rs1"
			return tg
		}},
		{"no-primary", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3, NoPrimary: true})
			tg.uri = "mongodb://" + strings.Join(fixtures(t, tg, rs.Addrs()), ",") + "/?replicaSet=rs0"
			return tg
		}},
		{"wrong-password", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{
				Name: userName, Password: userPassword, Mechanisms: []string{mongotest.MechSCRAMSHA256},
			}}})
			tg.uri = "mongodb://" + userName + ":" + wrongPassword + "@" + tg.fixture(t, m.Addr()) + "/?authSource=admin"
			tg.secrets = []string{wrongPassword}
			return tg
		}},
		// The user has SCRAM-SHA-1 credentials only; the string asks for
		// SCRAM-SHA-256.
		{"mechanism-unsupported", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{
				Name: userName, Password: userPassword, Mechanisms: []string{mongotest.MechSCRAMSHA1},
			}}})
			tg.uri = "mongodb://" + userName + ":" + userPassword + "@" + tg.fixture(t, m.Addr()) +
				"/?authSource=admin&authMechanism=SCRAM-SHA-256"
			tg.secrets = []string{userPassword}
			return tg
		}},
		// TLS asked of a server that speaks plain MongoDB: it reads the
		// ClientHello as a message header declaring ~33 MB and waits for
		// the rest, as mongod does.
		{"tls-to-plain", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			m := mongotest.StartFakeMongod(t, mongotest.Options{})
			tg.uri = "mongodb://" + tg.fixture(t, m.Addr()) + "/?tls=true&tlsCAFile=" + env.certs.CAFile
			return tg
		}},
		// Plain MongoDB asked of a server that only speaks TLS.
		{"plain-to-tls", tlsScenario(mongotest.CertValid, false)},
		{"tls-healthy", tlsScenario(mongotest.CertValid, true)},
		{"tls-unknown-ca", tlsScenario(mongotest.CertUnknownCA, true)},
		{"tls-expired", tlsScenario(mongotest.CertExpired, true)},
		{"tls-wrong-host", tlsScenario(mongotest.CertWrongHost, true)},
		{"unknown-host", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			tg.uri = "mongodb://db.unknown-host.example.test:27017/"
			return tg
		}},
		{"srv-healthy", srvScenario("srv-healthy", func(t *testing.T, env *suiteEnv, zone string, port uint16) {
			env.dns.AddSRV("_mongodb._tcp."+zone, srvTTL, 0, 0, port, "m0."+zone)
			addHost(t, env, "m0."+zone)
		})},
		// srv-healthy spelled with ssl=false, which PyMongo 3 accepts with
		// mongodb+srv where it refuses tls=false.
		{"srv-ssl-false", srvScenarioQuery("srv-ssl-false", "?ssl=false", func(t *testing.T, env *suiteEnv, zone string, port uint16) {
			env.dns.AddSRV("_mongodb._tcp."+zone, srvTTL, 0, 0, port, "m0."+zone)
			addHost(t, env, "m0."+zone)
		})},
		{"srv-refused", srvScenario("srv-refused", func(t *testing.T, env *suiteEnv, zone string, _ uint16) {
			env.dns.SetRcode("_mongodb._tcp."+zone, dns.RcodeRefused)
		})},
		// The cluster's name exists (it has a TXT record) but has no SRV
		// records.
		{"srv-no-records", srvScenario("srv-no-records", func(t *testing.T, env *suiteEnv, zone string, _ uint16) {
			env.dns.AddTXT(zone, srvTTL, "authSource=admin")
		})},
		// The SRV target is outside the cluster's parent domain
		// (example.test).
		{"srv-domain-mismatch", srvScenario("srv-domain-mismatch", func(t *testing.T, env *suiteEnv, zone string, port uint16) {
			const elsewhere = "m0.elsewhere.test"
			env.dns.AddSRV("_mongodb._tcp."+zone, srvTTL, 0, 0, port, elsewhere)
			addHost(t, env, elsewhere)
		})},
		{"srv-multiple-txt", srvScenario("srv-multiple-txt", func(t *testing.T, env *suiteEnv, zone string, port uint16) {
			env.dns.AddSRV("_mongodb._tcp."+zone, srvTTL, 0, 0, port, "m0."+zone)
			addHost(t, env, "m0."+zone)
			env.dns.AddTXT(zone, srvTTL, "authSource=admin")
			env.dns.AddTXT(zone, srvTTL, "replicaSet=rs0")
		})},
		// A password with an '@' that was not percent-encoded.
		{"unescaped-at", func(t *testing.T, env *suiteEnv) *target {
			tg := newTarget(env)
			m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: userName, Password: "p@ss"}}})
			tg.uri = "mongodb://" + userName + ":p@ss@" + tg.fixture(t, m.Addr()) + "/?authSource=admin"
			tg.secrets = []string{"p@ss"}
			return tg
		}},
	}
}

// fixtures registers addrs with tg and returns them.
func fixtures(t *testing.T, tg *target, addrs []string) []string {
	for _, a := range addrs {
		tg.fixture(t, a)
	}
	return addrs
}

// fakeScenario is a fake mongod configured by o, reached with query
// appended to its connection string.
func fakeScenario(o mongotest.Options, query string) func(*testing.T, *suiteEnv) *target {
	return func(t *testing.T, env *suiteEnv) *target {
		tg := newTarget(env)
		m := mongotest.StartFakeMongod(t, o)
		tg.uri = "mongodb://" + tg.fixture(t, m.Addr()) + "/" + query
		return tg
	}
}

// tunnelScenario is the SSH-tunnel trap reached with query.
func tunnelScenario(query string) func(*testing.T, *suiteEnv) *target {
	return func(t *testing.T, env *suiteEnv) *target {
		tg := newTarget(env)
		rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3, Advertise: mongotest.InternalHostNames(3)})
		fwd := mongotest.StartForwarder(t, rs.Addrs()[rs.Primary()])
		tg.uri = "mongodb://" + tg.fixture(t, fwd.Addr()) + "/" + query
		return tg
	}
}

// tlsScenario is a TLS server with the certificate of kind in front of a
// healthy fake mongod; withTLS says whether the string asks for TLS (and
// trusts the test CA).
func tlsScenario(kind mongotest.CertKind, withTLS bool) func(*testing.T, *suiteEnv) *target {
	return func(t *testing.T, env *suiteEnv) *target {
		tg := newTarget(env)
		m := mongotest.StartFakeMongod(t, mongotest.Options{})
		addr := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: env.certs.Server(kind).TLS, Backend: m.Addr()})
		tg.uri = "mongodb://" + tg.fixture(t, addr) + "/"
		if withTLS {
			tg.uri += "?tls=true&tlsCAFile=" + env.certs.CAFile
		}
		return tg
	}
}

// srvTTL is the TTL of the suite's records.
const srvTTL = 60

// srvScenario is a mongodb+srv:// string for the cluster
// <name>.example.test, whose records publish adds, in front of a healthy
// fake mongod (the SRV target's port). The fake speaks plain TCP:
// mongodb+srv turns TLS on unless told otherwise.
func srvScenario(name string, publish func(t *testing.T, env *suiteEnv, zone string, port uint16)) func(*testing.T, *suiteEnv) *target {
	return srvScenarioQuery(name, "?tls=false", publish)
}

// srvScenarioQuery is srvScenario with another query.
func srvScenarioQuery(name, query string, publish func(t *testing.T, env *suiteEnv, zone string, port uint16)) func(*testing.T, *suiteEnv) *target {
	return func(t *testing.T, env *suiteEnv) *target {
		tg := newTarget(env)
		m := mongotest.StartFakeMongod(t, mongotest.Options{})
		_, p, err := net.SplitHostPort(tg.fixture(t, m.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			t.Fatal(err)
		}
		zone := name + ".example.test"
		publish(t, env, zone, uint16(port))
		tg.uri = "mongodb+srv://" + zone + "/" + query
		return tg
	}
}

// addHost gives name the address 127.0.0.1.
func addHost(t *testing.T, env *suiteEnv, name string) {
	t.Helper()
	if err := env.dns.AddHost(name, srvTTL, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
}
