//go:build drivers && linux

package drivertest

import "github.com/mongoconn/mongoconn/internal/driverrun"

// okGap is a scenario where a client's ping and diagnose's ok disagree
// today.
type okGap struct {
	client   driverrun.Client
	scenario string
	// clientOK is the client's outcome (diagnose says the opposite).
	clientOK bool
	// why says what the client does differently.
	why string
}

// knownOKGaps may only shrink: a row that agrees again fails the suite.
var knownOKGaps = []okGap{
	{driverrun.PyMongo, "wire-3.4", true, "PyMongo 3.11 speaks wire versions 2 to 9, so MongoDB 3.4 (wire 5) still serves it; diagnose judges by the Go driver v2.10 (wire 9 and later), as the Node.js driver 7.9 does"},
	{driverrun.PyMongo, "wire-3.6", true, "as wire-3.4: MongoDB 3.6 (wire 6) serves PyMongo 3.11"},
	{driverrun.Mongosh, "tunnel-bare", true, "mongosh adds directConnection=true to a string with one host and no replicaSet, so it connects through the tunnel where drivers do not"},
	{driverrun.PyMongo, "tunnel-bare", true, "PyMongo 3 connects directly to a single seed given without replicaSet (directConnection defaults to true before PyMongo 4.0)"},
	{driverrun.PyMongo, "srv-healthy", false, "PyMongo 3.11 turns ssl on for mongodb+srv and then refuses tls=false as a conflicting value (InvalidURI); ssl=false is accepted (srv-ssl-false)"},
}

// explainGap is a client's text on which explain names first another id
// than diagnose does.
type explainGap struct {
	client   driverrun.Client
	scenario string
	// diagnose is diagnose's first error id, explain explain's first id
	// ("" when it recognises nothing).
	diagnose, explain string
}

// knownExplainGaps may only shrink: a row that agrees again fails the
// suite.
var knownExplainGaps = []explainGap{
	// "connection <monitor> to H timed out" / "127.0.0.1:P: timed out": the
	// connection was made, the hello went unanswered.
	{driverrun.Node, "silent", "server.not-responding", "tcp.timeout"},
	{driverrun.Mongosh, "silent", "server.not-responding", "tcp.timeout"},
	{driverrun.PyMongo, "silent", "server.not-responding", "tcp.timeout"},
	// "connection <monitor> to H closed" (ambiguous: explain must list
	// server.not-mongodb too) and PyMongo's "Got response id 808464928 but
	// expected ...", the ASCII of an HTTP status line read as a header.
	{driverrun.Node, "http", "server.not-mongodb", "tls.server-requires-tls"},
	{driverrun.Mongosh, "http", "server.not-mongodb", "tls.server-requires-tls"},
	{driverrun.PyMongo, "http", "server.not-mongodb", "select.timeout"},
	// "getaddrinfo ENOTFOUND mongo-0.internal" / "[Errno -2] Name or
	// service not known" for advertised members of a ReplicaSetNoPrimary
	// reached through a forwarder.
	{driverrun.Node, "tunnel-replicaset", "topology.advertised-unreachable", "dns.no-such-host"},
	{driverrun.Mongosh, "tunnel-replicaset", "topology.advertised-unreachable", "dns.no-such-host"},
	{driverrun.PyMongo, "tunnel-replicaset", "topology.advertised-unreachable", "dns.no-such-host"},
	{driverrun.Node, "tunnel-bare", "topology.advertised-unreachable", "dns.no-such-host"},
	// A ReplicaSetNoPrimary with setName 'rs1' and no servers left: the
	// members were dropped for their set name.
	{driverrun.Node, "setname-mismatch", "topology.replset-name-mismatch", "topology.no-primary"},
	// "Socket 'secureConnect' timed out after 2015ms (connectTimeoutMS:
	// 2000)" / "SSL handshake failed: ...: The handshake operation timed
	// out": TCP connected, the plain server waits for the rest of what it
	// took for a message header.
	{driverrun.Node, "tls-to-plain", "tls.server-not-tls", "tcp.timeout"},
	{driverrun.Mongosh, "tls-to-plain", "tls.server-not-tls", "tcp.timeout"},
	{driverrun.PyMongo, "tls-to-plain", "tls.server-not-tls", "server.not-responding"},
	// PyMongo's "connection closed" (ambiguous: explain must list
	// tls.server-requires-tls and server.not-mongodb).
	{driverrun.PyMongo, "plain-to-tls", "tls.server-requires-tls", "select.timeout"},
	// "Username and password must be escaped according to RFC 3986":
	// explain names the specific cause, diagnose puts uri.invalid first
	// and uri.unescaped-credentials second.
	{driverrun.PyMongo, "unescaped-at", "uri.invalid", "uri.unescaped-credentials"},
}

func knownOKGap(c driverrun.Client, scenario string) (okGap, bool) {
	for _, g := range knownOKGaps {
		if g.client == c && g.scenario == scenario {
			return g, true
		}
	}
	return okGap{}, false
}

func knownExplainGap(c driverrun.Client, scenario string) (explainGap, bool) {
	for _, g := range knownExplainGaps {
		if g.client == c && g.scenario == scenario {
			return g, true
		}
	}
	return explainGap{}, false
}
