package main

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// scenario is one loopback deployment and the mongoconn command run
// against it.
type scenario struct {
	// name selects the scenario with -scenario.
	name string
	// title is the header line.
	title string
	// about says, in one sentence, what the report shows.
	about string
	// doc is the paragraph of docs/demo.md (-markdown) on what to look at.
	doc string
	// offline scenarios run a command that touches no network, so they get
	// no --dns-server.
	offline bool
	// setup starts the scenario's servers, registering their Close on fx,
	// and returns what to run.
	setup func(fx *fixtures) (invocation, error)
	// want is what the report must show.
	want expectation
}

// invocation is a mongoconn command line, after the global flags.
type invocation struct {
	// args are the command and its arguments.
	args []string
	// stdin is fed to mongoconn's standard input (for `explain -`).
	stdin string
	// secrets must never appear in mongoconn's output.
	secrets []string
}

// fixtures holds the running servers of one scenario.
type fixtures struct {
	// dir is a scratch directory that outlives the scenario.
	dir string
	// dns answers every name the scenario uses (mongoconn --dns-server).
	dns *mongotest.DNSServer

	closers []func()
}

// onClose registers f to run when the scenario ends.
func (fx *fixtures) onClose(f func()) { fx.closers = append(fx.closers, f) }

// close stops every server, the last started first.
func (fx *fixtures) close() {
	for i := len(fx.closers) - 1; i >= 0; i-- {
		fx.closers[i]()
	}
	fx.closers = nil
}

// The credentials of the wrong-password scenario. The user exists with
// the first password; the connection string carries the second.
const (
	demoUser          = "alice"
	demoPassword      = "correct-horse-battery-staple"
	demoWrongPassword = "not-her-password"
)

// The DNS names of the mongodb+srv scenario, under the reserved .test
// domain: they exist only in the demo's DNS server.
const (
	srvHost      = "cluster0.demo.example.test"
	srvTargetFmt = "cluster0-shard-00-%02d.demo.example.test"
	srvTXT       = "replicaSet=rs0&authSource=admin"
	srvTTL       = 60
)

// pymongoTunnelError is what PyMongo raises after 30 seconds when a
// replica set is reached through an SSH tunnel while its members advertise
// names only its own network resolves.
const pymongoTunnelError = `Traceback (most recent call last):
  File "app.py", line 7, in <module>
    client.admin.command("ping")
pymongo.errors.ServerSelectionTimeoutError: mongo-0.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms),mongo-1.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms),mongo-2.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms), Timeout: 30s, Topology Description: <TopologyDescription id: 6650c0ffee0ddba11ca7f00d, topology_type: ReplicaSetNoPrimary, servers: [<ServerDescription ('mongo-0.internal', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('mongo-0.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms)')>, <ServerDescription ('mongo-1.internal', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('mongo-1.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms)')>, <ServerDescription ('mongo-2.internal', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('mongo-2.internal:27017: [Errno -2] Name or service not known (configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms)')>]>
`

// scenarios returns every scenario, in the order the demo runs them.
func scenarios() []scenario {
	return []scenario{
		{
			name:  "healthy",
			title: "a healthy server (embedded FerretDB)",
			about: "Every stage passes against a real wire-protocol server: this is what OK looks like.",
			doc:   "An embedded FerretDB, a real wire-protocol server, listening on 127.0.0.1. Every stage passes: the TCP connect, the raw `hello`, the wire-version check against this tool's driver and the driver releases of other languages, topology, server selection and a real `ping` through the driver. This is the baseline every failure below departs from; the exit status is 0.",
			setup: setupHealthy,
			want:  expectation{exit: 0, ok: true},
		},
		{
			name:  "tunnel",
			title: "the SSH-tunnel trap: a replica set behind a port-forward, advertising internal names",
			about: "The seed answers through the tunnel, but the members it names (mongo-N.internal:27017) resolve only inside their own network; the fix is directConnection=true.",
			doc:   "Three fake members of replica set `rs0` advertise `mongo-0.internal:27017`, `mongo-1.internal:27017` and `mongo-2.internal:27017`, names that resolve only inside their own network; the connection string reaches member 0 through a TCP forwarder on 127.0.0.1, as `ssh -L` or `kubectl port-forward` would. The seed answers, but a driver drops it and waits for the advertised names until server selection times out. The report shows the names that do not resolve (`dns` checks), the finding `topology.advertised-unreachable`, and on its `try:` line the connection string that works: the forwarded address with `directConnection=true`.",
			setup: setupTunnel,
			want:  expectation{exit: 1, ids: []string{catalogue.IDTopologyAdvertisedUnreachable}, suggested: "directConnection=true"},
		},
		{
			name:  "old-server",
			title: "a MongoDB 3.6 server (wire version 6), too old for this driver",
			about: "The server answers hello, but its wire versions end below what the Go driver v2 requires.",
			doc:   "A fake `mongod` reporting MongoDB 3.6.23, wire versions 0–6. It still answers the legacy `isMaster` over OP_QUERY, so the report can say what it runs, but the Go driver v2 needs wire version 9 (MongoDB 4.4) and refuses every operation: `wire.server-too-old`, with the upgrade path and the last release of each driver that still speaks wire 6.",
			setup: setupOldServer,
			want:  expectation{exit: 1, ids: []string{catalogue.IDWireServerTooOld}},
		},
		{
			name:  "wrong-password",
			title: "a wrong password against a SCRAM-SHA-256 user",
			about: "The user exists and has SCRAM-SHA-256 credentials; the password in the connection string is not theirs (and is never printed).",
			doc:   "A fake `mongod` with user `alice` in `admin`, holding SCRAM-SHA-256 credentials only; the connection string carries another password. `saslSupportedMechs` shows, without sending a password, that the user exists and which mechanism the driver negotiates; the real SCRAM conversation then fails, so the finding `auth.failed` can say the password is wrong rather than the user missing. The password appears as `****` everywhere, the command line included.",
			setup: setupWrongPassword,
			want:  expectation{exit: 1, ids: []string{catalogue.IDAuthFailed}},
		},
		{
			name:  "refused",
			title: "nothing listens on the port",
			about: "The connection is refused at once, and the verdict comes at once, where a driver would wait for server selection to time out.",
			doc:   "A port on 127.0.0.1 where nothing listens. The TCP stage fails at once with `tcp.refused`, and every later stage is skipped with the reason, where a driver would have waited 30 seconds for server selection before saying anything.",
			setup: setupRefused,
			want:  expectation{exit: 1, ids: []string{catalogue.IDTCPRefused}},
		},
		{
			name:  "srv",
			title: "a mongodb+srv:// seed list resolved through DNS",
			about: "The SRV and TXT records (served by the demo's DNS server) become the seed list and options of a healthy three-member replica set.",
			doc:   "A `mongodb+srv://` connection string, as Atlas gives, resolved through the demo's own DNS server (`--dns-server`): three SRV records and a TXT record `replicaSet=rs0&authSource=admin`, pointing at three fake members that advertise the same names. The `srv` section shows the records with their TTLs, the seed list and options they produce, and the equivalent `mongodb://` string; every member is reachable and in the latency window.",
			setup: setupSRV,
			want:  expectation{exit: 0, ok: true, srvSeeds: 3},
		},
		{
			name:    "explain",
			title:   "explain: a pasted PyMongo ServerSelectionTimeoutError",
			about:   "Offline: the error text alone names the SSH-tunnel trap behind the 30-second timeout, and the command to run next.",
			offline: true,
			doc:     "`mongoconn explain` works offline on an error text pasted from an application log: here the `ServerSelectionTimeoutError` PyMongo raises after 30 seconds in the SSH-tunnel case of scenario 2. It recognises the names that do not resolve, the advertised members and the server-selection timeout, and says what to run next. It exits 0 because it recognised the error (exit 1 means it did not), while the findings themselves are errors, so the report's `ok` is false.",
			setup:   setupExplain,
			want:    expectation{exit: 0, ids: []string{catalogue.IDTopologyAdvertisedUnreachable}},
		},
	}
}

// scenarioNames lists the scenario names in order.
func scenarioNames() []string {
	var names []string
	for _, sc := range scenarios() {
		names = append(names, sc.name)
	}
	return names
}

// selectScenarios returns the named scenarios in the demo's order, or all
// of them when names is empty. Unknown names are ignored (cmdline.Parse
// rejects them).
func selectScenarios(names []string) []scenario {
	all := scenarios()
	if len(names) == 0 {
		return all
	}
	var out []scenario
	for _, sc := range all {
		if slices.Contains(names, sc.name) {
			out = append(out, sc)
		}
	}
	return out
}

func setupHealthy(fx *fixtures) (invocation, error) {
	f, err := ferret.New(filepath.Join(fx.dir, "ferretdb"), ferret.Options{})
	if err != nil {
		return invocation{}, fmt.Errorf("start FerretDB: %w", err)
	}
	fx.onClose(f.Close)
	return invocation{args: []string{"diagnose", "mongodb://" + f.Addr + "/"}}, nil
}

func setupTunnel(fx *fixtures) (invocation, error) {
	rs, err := mongotest.NewReplSet(mongotest.ReplSetOptions{
		Name:      "rs0",
		Members:   3,
		Advertise: mongotest.InternalHostNames(3),
	})
	if err != nil {
		return invocation{}, fmt.Errorf("start the replica set: %w", err)
	}
	fx.onClose(rs.Close)
	fwd, err := mongotest.NewForwarder(rs.Addrs()[rs.Primary()])
	if err != nil {
		return invocation{}, fmt.Errorf("start the forwarder: %w", err)
	}
	fx.onClose(fwd.Close)
	return invocation{args: []string{"diagnose", "mongodb://" + fwd.Addr() + "/?replicaSet=" + rs.Name()}}, nil
}

func setupOldServer(fx *fixtures) (invocation, error) {
	m, err := mongotest.NewFakeMongod(mongotest.Options{Version: "3.6.23"})
	if err != nil {
		return invocation{}, fmt.Errorf("start the fake mongod: %w", err)
	}
	fx.onClose(m.Close)
	return invocation{args: []string{"diagnose", m.URI()}}, nil
}

func setupWrongPassword(fx *fixtures) (invocation, error) {
	m, err := mongotest.NewFakeMongod(mongotest.Options{Users: []mongotest.User{{
		Name:       demoUser,
		Password:   demoPassword,
		Mechanisms: []string{mongotest.MechSCRAMSHA256},
	}}})
	if err != nil {
		return invocation{}, fmt.Errorf("start the fake mongod: %w", err)
	}
	fx.onClose(m.Close)
	uri := "mongodb://" + demoUser + ":" + demoWrongPassword + "@" + m.Addr() + "/?authSource=admin"
	return invocation{
		args:    []string{"diagnose", uri},
		secrets: []string{demoPassword, demoWrongPassword},
	}, nil
}

func setupRefused(*fixtures) (invocation, error) {
	addr, err := mongotest.NewClosedPort()
	if err != nil {
		return invocation{}, fmt.Errorf("find a closed port: %w", err)
	}
	return invocation{args: []string{"diagnose", "mongodb://" + addr + "/"}}, nil
}

// srvMembers is the size of the mongodb+srv scenario's replica set.
const srvMembers = 3

// setupSRV starts a three-member replica set whose members advertise the
// names of its SRV records, as an Atlas cluster does, and publishes those
// records in the scenario's DNS server.
func setupSRV(fx *fixtures) (invocation, error) {
	members := make([]*mongotest.FakeMongod, srvMembers)
	hosts := make([]string, srvMembers)
	for i := range members {
		m, err := mongotest.NewFakeMongod(mongotest.Options{})
		if err != nil {
			return invocation{}, fmt.Errorf("start member %d: %w", i, err)
		}
		fx.onClose(m.Close)
		_, p, err := net.SplitHostPort(m.Addr())
		if err != nil {
			return invocation{}, err
		}
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return invocation{}, err
		}
		target := fmt.Sprintf(srvTargetFmt, i)
		fx.dns.AddSRV("_mongodb._tcp."+srvHost, srvTTL, 0, 0, uint16(port), target)
		if err := fx.dns.AddHost(target, srvTTL, "127.0.0.1"); err != nil {
			return invocation{}, err
		}
		members[i], hosts[i] = m, net.JoinHostPort(target, p)
	}
	fx.dns.AddTXT(srvHost, srvTTL, srvTXT)
	// Every port is known now: each member can name all the others. No
	// client has connected yet.
	for i, m := range members {
		m.SetHello(srvMemberHello(i, hosts))
	}
	// The fake members speak plain TCP; mongodb+srv turns TLS on unless
	// told otherwise.
	return invocation{args: []string{"diagnose", "mongodb+srv://" + srvHost + "/?tls=false"}}, nil
}

// srvSetName is the replica set name of the mongodb+srv scenario (its TXT
// record says replicaSet=rs0).
const srvSetName = "rs0"

// srvElectionID is the primary's electionId: term 1, as a real set's first
// election gives.
var srvElectionID = bson.ObjectID{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1}

// srvMemberHello returns the role part of member i's hello reply: member 0
// is the primary, the others are secondaries, all known by their SRV names.
func srvMemberHello(i int, hosts []string) func() bson.D {
	return func() bson.D {
		all := make(bson.A, len(hosts))
		for j, h := range hosts {
			all[j] = h
		}
		doc := bson.D{
			{Key: "hosts", Value: all},
			{Key: "setName", Value: srvSetName},
			{Key: "setVersion", Value: int32(1)},
			{Key: "isWritablePrimary", Value: i == 0},
			{Key: "secondary", Value: i != 0},
			{Key: "primary", Value: hosts[0]},
			{Key: "me", Value: hosts[i]},
		}
		if i == 0 {
			doc = append(doc, bson.E{Key: "electionId", Value: srvElectionID})
		}
		return doc
	}
}

func setupExplain(*fixtures) (invocation, error) {
	return invocation{args: []string{"explain", "-"}, stdin: pymongoTunnelError}, nil
}
