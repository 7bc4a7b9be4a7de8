package explain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
)

// exRankRules read phrasings whose cause the drivers' sources pin down
// better than the generic rules that follow them: which socket event a
// Node.js timeout waited for, a PyMongo reply that answers no request, the
// topology a driver kept. They run before the generic rules, which then
// skip the spans these explained.
func exRankRules() []exRule {
	return []exRule{
		// Node.js names the event its socket waited for
		// (src/cmap/connect.ts): 'connect' is the TCP connection itself.
		{id: catalogue.IDTCPTimeout, conn: true, pattern: exRE(`Socket 'connect' timed out after (\d+)ms`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDTCPTimeout, facts: []string{"the TCP connection did not open within " + m.group(1) + " ms (Node.js waited for the socket's 'connect' event)"}}
		}},
		// 'secureConnect' is the end of the TLS handshake: TCP may have
		// connected, and a server without TLS then waits for the rest of
		// the message it takes the TLS hello for.
		{id: catalogue.IDTLSServerNotTLS, conn: true, pattern: exRE(`Socket 'secureConnect' timed out after (\d+)ms`), fn: exTLSStallRule},
		// PyMongo (the ssl module), Go and Java: the TLS handshake of a
		// connection that TCP opened did not finish.
		{id: catalogue.IDTLSServerNotTLS, conn: true, pattern: exRE(`(?i)The handshake operation timed out|TLS handshake timeout|handshake timed out`), fn: exTLSStallRule},
		// Node.js's open connection waited for a reply in vain
		// (src/cmap/connection.ts): the connection was made. The pattern
		// starts after "connection " so that its gate is " timed out",
		// which the generic timeout rule lets through anyway, and not
		// "connection ", which half the lines of a log hold.
		{id: catalogue.IDServerNotResponding, conn: true, pattern: exRE(`(<monitor>|\d+) to (\S+?) timed out`), fn: func(m *exMatch) exOutcome {
			if !strings.HasSuffix(m.before(), "connection ") {
				return exOutcome{}
			}
			a := exCleanAddr(m.group(2))
			m.s.addAddr(a)
			return exOutcome{id: catalogue.IDServerNotResponding, facts: []string{a + " accepted the connection, then answered nothing before the socket timed out (Node.js says \"Socket 'connect' timed out\" when the TCP connection itself does not open)"}}
		}},
		// PyMongo compares the reply's responseTo with its request's id
		// before anything else (pymongo/network.py receive_message).
		{id: catalogue.IDServerNotMongoDB, conn: true, pattern: exRE(`Got response id (-?\d+) but expected (-?\d+)`), fn: exResponseIDRule},
		// Node.js quotes the topology it kept: a replica set description
		// without servers dropped every member it heard from.
		{id: catalogue.IDSelectTimeout, pattern: exRE(`^\s*servers: Map\(0\) \{\},?\s*$`), fn: func(m *exMatch) exOutcome {
			m.s.emptyTopo = true
			return exOutcome{}
		}},
		// The Node.js driver (mongodb-connection-string-url) says only this
		// when an '@' is left in the host list after the user information.
		{id: catalogue.IDURIUnescapedCredentials, pattern: exRE(`MongoParseError: Invalid connection string\s*$`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDURIUnescapedCredentials, facts: []string{
				"the Node.js driver gives only this message when an '@' is left after the user information: an unescaped '@' in the password or the user name (or a host list that starts with ':')",
			}}
		}},
		// PyMongo 3 sets ssl=true by itself for mongodb+srv, then finds
		// tls=false in conflict with it (pymongo/uri_parser.py).
		{id: catalogue.IDURIInvalid, pattern: exRE(`Can not specify conflicting values for URI options ssl and tls`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDURIInvalid, facts: []string{
				"the string gives ssl and tls different values; PyMongo 3 also turns ssl on by itself for every mongodb+srv string, so tls=false alone conflicts there: write ssl=false, or use PyMongo 4, which accepts tls=false",
			}}
		}},
	}
}

// exTLSStallRule reads a TLS handshake that did not finish in time. The
// likelier cause is a server without TLS; a server that answers nothing at
// all looks the same, and so, when Node.js waited for 'secureConnect', does
// a TCP connection that never opened (unless the address is loopback,
// where the kernel answers at once).
func exTLSStallRule(m *exMatch) exOutcome {
	ids := []string{catalogue.IDTLSServerNotTLS, catalogue.IDServerNotResponding}
	tell := "with tls=false a server without TLS answers at once; one that answers nothing either way is not responding"
	if strings.Contains(m.sub[0], "secureConnect") && !exAllLoopback(exAddrsIn(m.s.text)) {
		ids = append(ids, catalogue.IDTCPTimeout)
		tell += "; and Node.js prints the same when the TCP connection itself never opened (a firewall that drops the packets)"
	}
	tell += ": mongoconn diagnose runs TCP, TLS and hello apart and names the one that stalls"
	m.s.ambiguous(tell, "the TLS handshake did not finish before the deadline", ids...)
	return exOutcome{id: catalogue.IDTLSServerNotTLS, facts: []string{"the TLS handshake did not finish: a server without TLS reads the TLS hello as the start of a MongoDB message, waits for the rest of it and never answers"}}
}

// exAllLoopback reports whether addrs is not empty and every address in it
// is a loopback address.
func exAllLoopback(addrs []string) bool {
	for _, a := range addrs {
		if !exIsLoopback(exHostOf(a)) {
			return false
		}
	}
	return len(addrs) > 0
}

// exStatusCodeRE is the status code of an HTTP status line, as the four
// bytes after "HTTP/1.1" hold it.
var exStatusCodeRE = exLazy(`^ \d{3}$`)

// exResponseIDRule reads PyMongo's "Got response id N but expected M": N
// is bytes 8 to 11 of what the peer sent, where a MongoDB reply carries
// the id of the request it answers. Read as text they often show what the
// peer is: " 200" is the status code of an HTTP reply.
func exResponseIDRule(m *exMatch) exOutcome {
	n, err := strconv.ParseInt(m.group(1), 10, 64)
	if err != nil || n < -1<<31 || n >= 1<<32 {
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{"the peer's reply answers no request the driver sent: it is not a MongoDB reply"}}
	}
	b := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
	text := true
	for _, c := range b {
		text = text && c >= 0x20 && c < 0x7f
	}
	switch {
	case text && exStatusCodeRE.MatchString(string(b)):
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the response id %d is the text %q, the status code of an HTTP reply (HTTP/1.1%s ...) where a MongoDB reply names the request it answers: an HTTP server answers on this port", n, string(b), string(b))}}
	case text:
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the response id %d is the text %q where a MongoDB reply names the request it answers: the peer answers with text, not the MongoDB wire protocol", n, string(b))}}
	}
	return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the peer's reply names request %d, which the driver never sent: it is not a MongoDB reply", n)}}
}

// exClosedTell says what tells the causes of a plain connection closed
// without a reply apart.
const exClosedTell = "a server that requires TLS closes a plain connection without a word, and so does another service " +
	"on the port (an HTTP server, a proxy) that cannot read the MongoDB hello; with tls=true only a TLS server " +
	"completes the handshake, and mongoconn diagnose tells them apart"

// exNotAuthorizedRE is the server's error (code 13, Unauthorized) for a
// command that no role of the logged-in user allows.
var exNotAuthorizedRE = exLazy(`not authorized on (\S+?) to execute command(?: \{ ?(\w+))?`)

// remarks recognises texts that are failures, but not of the connection,
// so that no finding fits them: the explanation says what they mean.
func (s *exScan) remarks() {
	if !strings.Contains(s.text, "not authorized on ") {
		return
	}
	g := exNotAuthorizedRE.FindStringSubmatch(s.text)
	if g == nil {
		return
	}
	db, cmd := strings.Trim(g[1], `'"`), g[2]
	what := "this command"
	if cmd != "" {
		what = "the command " + cmd
	}
	s.remark = fmt.Sprintf("not a connection problem: the server answered and the connection works, but the user "+
		"lacks a role that allows %s on database %s (error 13, Unauthorized; older servers say the same to a client "+
		"that has not logged in). Grant one in the database that holds the user, admin by default: db.getSiblingDB(\"admin\").grantRolesToUser(\"<user>\", [{role: \"readWrite\", db: %q}]), "+
		"or connect as a user that has one. If %s is not the database you meant, name yours in the connection "+
		"string's path (mongodb://host/mydb): the Node.js driver and mongosh use test when the string names none", what, db, db, db)
}

// exPyTimeoutRule reads PyMongo's "HOST:PORT: timed out", which it prints
// alike for a connection that did not open and for one that opened and
// got no reply. On a loopback address the kernel answers a connection at
// once, so there the time ran out after it opened.
func exPyTimeoutRule(m *exMatch) exOutcome {
	a := exCleanAddr(m.group(1))
	if a != "" && exIsLoopback(exHostOf(a)) && strings.HasSuffix(m.sub[0], "timed out") {
		m.s.addAddr(a)
		return exOutcome{id: catalogue.IDServerNotResponding, facts: []string{a + " is a loopback address, where a connection opens at once: the time ran out waiting for the reply (a tunnel or port-forward whose far end does not answer looks the same)"}}
	}
	return exAddrRule(catalogue.IDTCPTimeout, 1, "%s did not answer in time")(m)
}
