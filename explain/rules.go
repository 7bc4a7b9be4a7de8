package explain

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// The rules of explain, from the most specific phrase to the most generic:
// a rule marked yield skips a match that overlaps a span an earlier rule
// already explained (so "dial tcp ...: i/o timeout" is not also read as a
// bare "i/o timeout", nor "querySrv ECONNREFUSED" as a refused port).
// Phrasings come from the drivers' sources: Go driver v2 (x/mongo/driver),
// PyMongo (pymongo/topology_description.py, uri_parser.py, errors),
// Node.js driver (src/sdam, src/connection_string.ts, mongodb-connection-
// string-url) and the Java driver (com.mongodb.internal.connection).
// exRules is built on first use: compiling its patterns at start-up would
// slow every command, not just explain.
var exRules = sync.OnceValue(func() []exRule {
	return slices.Concat(exValueRules(), exRankRules(), exPathRules(), exSignatureRules(), []exRule{
		// --- wire versions (all four drivers' phrasings) ---
		{id: catalogue.IDWireServerTooOld, pattern: exRE(`(?i)server at (\S+?) (reports|requires) (?:(maximum|minimum) )?wire version "?(-?\d+)"?, but this version of (the Go driver|PyMongo|the Node\.js Driver|the driver) (requires at least|only supports up to|requires at most) (\d+)(?: \(MongoDB ([0-9.]+)\))?`), fn: exWireRule},

		// --- connection string ---
		{id: catalogue.IDURIUnescapedCredentials, pattern: exRE(`(?i)Username and password must be escaped according to RFC 3986|unescaped (?:slash|colon|@ sign|at-sign|characters?) in (?:password|username|user ?info)|(?:Password|Username) contains (?:an )?(?:illegal )?unescaped characters?|invalid (?:password|username): (?:\*\*\*\*|invalid URL escape)|contains invalid user information|(?:username|password|user ?info)[^\n]{0,40}must be (?:url|percent)[- ]?encoded`)},
		{id: catalogue.IDURIDirectMultipleHosts, pattern: exRE(`(?i)a direct connection cannot be made if (?:multiple hosts are specified|an SRV URI is used)|directConnection option requires exactly one host|multiple hosts with directConnection|(?:multiple|more than one) hosts?[^\n]{0,40}directConnection|directConnection=true[^\n]{0,60}(?:multiple hosts|more than one host|exactly one host|SRV|mongodb\+srv)|SRV URI does not support directConnection`)},
		{id: catalogue.IDURISRVWithPort, pattern: exRE(`(?i)\bsrv\b[^\n]{0,60}?\b(?:must not|cannot|can ?not|may not)\b[^\n]{0,20}?\b(?:include|contain|have|specify)\b[^\n]{0,12}?\bport|\bsrv\b[^\n]{0,60}?\bone,? and only one,? host|\bsrv\b[^\n]{0,40}?cannot have multiple service names`)},
		{id: catalogue.IDURIUnknownOption, pattern: exRE(`(?i)\b(?:unknown|unsupported|unrecognized|unrecognised) (?:connection string |URI )?option:? ['"]?([A-Za-z][A-Za-z0-9_.]*)|\boptions? ['"]?([A-Za-z][A-Za-z0-9_.]*)['"]?(?:, [^\n]*?)? (?:is|are) not supported|contains unsupported option '([^'\n]+)'`), fn: exOptionRule},

		{id: catalogue.IDURIInvalid, pattern: exRE(`(?i)error parsing (?:uri|connection string)|scheme must be "mongodb" or "mongodb\+srv"|Invalid (?:URI )?scheme|\bInvalidURI\b|MongoParseError|The connection string is invalid|must have a / before the query \?|invalid connection string|URI must begin with|\bInvalid URI\b`)},

		// --- SRV and DNS ---
		{id: catalogue.IDSRVNoRecords, conn: true, pattern: exRE(`querySrv (E[A-Z]+) (\S+)`), fn: func(m *exMatch) exOutcome {
			exSRVName(m, m.group(2))
			id, hint := exQuerySrv(m.group(1))
			return exOutcome{id: id, facts: []string{fmt.Sprintf("the SRV lookup of %s failed with %s%s", exCleanHost(m.group(2)), m.group(1), hint)}}
		}},
		// dnspython (PyMongo) names the server and its answer: a refusal, a
		// server failure or silence says nothing of the records.
		{id: catalogue.IDDNSNoAnswer, conn: true, pattern: exRE(`(?i)All nameservers failed to answer the query (\S+?)\.? IN (?:SRV|TXT)(?:: Server (\S+) (?:UDP|TCP) port (\d+) answered ([^;\n]+))?`), fn: func(m *exMatch) exOutcome {
			exSRVName(m, m.group(1))
			if m.group(2) == "" {
				return exOutcome{id: catalogue.IDDNSNoAnswer, facts: []string{fmt.Sprintf("no DNS server answered the lookup of %s: whether the records exist is unknown", exCleanHost(m.group(1)))}}
			}
			return exOutcome{id: catalogue.IDDNSNoAnswer, facts: []string{fmt.Sprintf("the DNS server %s:%s answered %s for %s: whether the records exist is unknown", m.group(2), m.group(3), strings.TrimSpace(m.group(4)), exCleanHost(m.group(1)))}}
		}},
		{id: catalogue.IDDNSNoAnswer, conn: true, pattern: exRE(`(?i)The resolution lifetime expired after [\d.]+ seconds`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDNSNoAnswer, facts: []string{"no DNS server answered the lookup before its deadline"}}
		}},
		{id: catalogue.IDSRVNoRecords, conn: true, pattern: exRE(`(?i)lookup (_mongodb\._tcp\.\S+?)(?: on (\S+?))?: ([^,;\n]+)`), fn: func(m *exMatch) exOutcome {
			exSRVName(m, m.group(1))
			return exOutcome{id: catalogue.IDSRVNoRecords, facts: []string{fmt.Sprintf("the SRV lookup of %s failed: %s", exCleanHost(m.group(1)), strings.TrimSpace(m.group(3)))}}
		}},
		{id: catalogue.IDSRVNoRecords, conn: true, pattern: exRE(`(?i)(?:The DNS query name does not exist|The DNS response does not contain an answer to the question|Failed looking up (?:SRV|TXT) record for|Unable to look up (?:SRV|TXT) record for host|No SRV records? (?:found |available )?for):? '?(\S+?)'?(?:\s|$|\.\s|\.$)`), fn: func(m *exMatch) exOutcome {
			name := exSRVName(m, m.group(1))
			if name == "" {
				name = exCleanHost(m.group(1))
				if m.s.srvName == "" {
					m.s.srvName = name // the mongodb+srv host itself
				}
			}
			return exOutcome{id: catalogue.IDSRVNoRecords, facts: []string{"no SRV records for " + name}}
		}},
		{id: catalogue.IDSRVNoRecords, conn: true, pattern: exRE(`(?i)cannot unmarshal DNS message`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDSRVNoRecords, facts: []string{"the DNS server's answer could not be read or did not come: the SRV lookup failed"}}
		}},
		{id: catalogue.IDSRVDomainMismatch, pattern: exRE(`(?i)domain suffix from SRV record not matched input domain|server record \(\d+ levels\) should have more domain levels|Invalid SRV host:? ?(\S*)|(?:Server|SRV) record does not share hostname with parent URI|not in a sub-domain of the SRV host|resolved to a host '([^'\n]+)' that is not`)},
		{id: catalogue.IDSRVTXTOptionNotAllowed, pattern: exRE(`(?i)cannot specify option '([^'\n]+)' in TXT record|are supported from DNS|Text record (?:may|must) only set|TXT record is only permitted to contain|invalid TXT record`), fn: func(m *exMatch) exOutcome {
			var facts []string
			if o := m.group(1); o != "" {
				facts = append(facts, "the TXT record sets "+o)
			}
			return exOutcome{id: catalogue.IDSRVTXTOptionNotAllowed, facts: facts}
		}},
		{id: catalogue.IDSRVMultipleTXT, pattern: exRE(`(?i)multiple records from TXT|multiple text records|only one TXT record|multiple TXT records|more than one TXT record`)},
		// A DNS server that gives no answer says nothing about the name.
		{id: catalogue.IDDNSNoAnswer, conn: true, pattern: exRE(`(?i)dial udp (\S+?):53: connect: connection refused`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDNSNoAnswer, facts: []string{fmt.Sprintf("the DNS server %s refused the query: no name can be resolved through it", m.group(1))}}
		}},
		{id: catalogue.IDDNSNoAnswer, conn: true, pattern: exRE(`(?i)lookup (\S+?) on (\S+?): (?:read udp \S+?: i/o timeout|server misbehaving|no answer from DNS server)`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDNSNoAnswer, facts: []string{fmt.Sprintf("the DNS server %s gave no answer for %s: whether the name exists is unknown", strings.TrimSuffix(m.group(2), ":"), exCleanHost(m.group(1)))}}
		}},
		{id: catalogue.IDDNSNoSuchHost, conn: true, pattern: exRE(`(?i)lookup (\S+?)(?: on \S+?)?: (no such host|Temporary failure in name resolution)`), fn: exHostRule(1)},
		{id: catalogue.IDDNSNoSuchHost, conn: true, pattern: exRE(`(?i)getaddrinfo (?:ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL) (\S+)`), fn: exHostRule(1)},
		{id: catalogue.IDDNSNoSuchHost, conn: true, pattern: exRE(`(` + exHostChars + `):(\d+): \[Errno (?:-2|-3|-5|8|7|11001|11002|11004)\] (?:Name or service not known|Temporary failure in name resolution|No address associated with hostname|nodename nor servname provided, or not known|getaddrinfo failed|Name does not resolve)`), fn: exHostRule(1)},
		{id: catalogue.IDDNSNoSuchHost, conn: true, pattern: exRE(`UnknownHostException: (\S+)`), fn: exHostRule(1)},
		{id: catalogue.IDDNSNoSuchHost, conn: true, yield: true, pattern: exRE(`(?i)no such host|Name or service not known|nodename nor servname provided|Temporary failure in name resolution|getaddrinfo (?:ENOTFOUND|failed)|Name does not resolve|No address associated with hostname`)},

		// --- TLS: specific reasons first, then the generic verify failure ---
		{id: catalogue.IDTLSHostnameMismatch, conn: true, pattern: exRE(`x509: certificate is valid for (.+?), not (\S+)`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDTLSHostnameMismatch, facts: []string{fmt.Sprintf("the certificate names %s, not %s", m.group(1), strings.TrimRight(m.group(2), ".,;"))}}
		}},
		{id: catalogue.IDTLSHostnameMismatch, conn: true, pattern: exRE(`(?i)x509: certificate is not valid for any names, but wanted to match (\S+)|x509: cannot validate certificate for (\S+) because it doesn't contain any IP SANs|hostname '([^'\n]+)' doesn't match|(?:Hostname|IP address) mismatch, certificate is not valid for '([^'\n]+)'|Hostname/IP does not match certificate's altnames:? ?([^\n]*)|ERR_TLS_CERT_ALTNAME_INVALID|No subject alternative (?:DNS )?names? matching (?:IP address )?(\S+) found|No name matching (\S+) found`)},
		{id: catalogue.IDTLSExpired, conn: true, pattern: exRE(`(?i)x509: certificate has expired or is not yet valid:?([^\n]*)|certificate has expired|certificate is not yet valid|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CertificateExpiredException|CertificateNotYetValidException|NotAfter: [^\n]{0,40}`)},
		{id: catalogue.IDTLSUnknownAuthority, conn: true, pattern: exRE(`(?i)x509: certificate signed by unknown authority|x509: certificate is not trusted|unable to get local issuer certificate|self[- ]signed certificate(?: in certificate chain)?|unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|PKIX path building failed|unable to find valid certification path|remote error: tls: (?:bad certificate|unknown certificate authority|certificate required)|alert unknown ca|alert bad certificate|alert certificate required`)},
		{id: catalogue.IDTLSUnknownAuthority, conn: true, yield: true, pattern: exRE(`(?i)CERTIFICATE_VERIFY_FAILED|certificate verify failed`), fn: func(m *exMatch) exOutcome {
			rest := strings.ToLower(m.after())
			if strings.Contains(rest, "expired") || strings.Contains(rest, "not yet valid") || strings.Contains(rest, "mismatch") || strings.Contains(rest, "doesn't match") {
				return exOutcome{}
			}
			return exOutcome{id: catalogue.IDTLSUnknownAuthority}
		}},
		{id: catalogue.IDTLSServerNotTLS, conn: true, pattern: exRE(`(?i)first record does not look like a TLS handshake|WRONG_VERSION_NUMBER|wrong version number|packet length too long|Unsupported or unrecognized SSL message|record layer failure`)},

		// --- server answers, but not as expected ---
		{id: catalogue.IDServerNotMongoDB, conn: true, pattern: exRE(`(?i)malformed message length: (-?\d+)|message length \((-?\d+)\) is (?:larger|less|greater) than|(?:reply|response) message length (-?\d+)|message length (-?\d+) is (?:invalid|larger|less)|invalid message (?:size|length):? ?(-?\d*)`), fn: exLengthRule},
		// The Go driver's words for a hello reply it refuses
		// (internal/driverutil.NewServerDescription).
		{id: catalogue.IDServerNotMongoDB, conn: true, pattern: exRE(`expected (?:'([A-Za-z]+)'|legacy hello) to be ((?:a|an) [A-Za-z ]+?),? but (?:it's|found) a BSON ([A-Za-z0-9 -]+)`), fn: func(m *exMatch) exOutcome {
			field := m.group(1)
			if field == "" {
				field = "ismaster"
			}
			return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the server answered hello with %s as a BSON %s, where the Go driver expects %s: it refuses the reply and marks the server Unknown", field, strings.TrimSpace(m.group(3)), m.group(2))}}
		}},
		{id: catalogue.IDServerNotMongoDB, conn: true, pattern: exRE(`(?i)It looks like you are trying to access MongoDB over HTTP|unexpected (?:reply )?(?:message )?opcode|The responseTo \(\d+\) in the response does not match|Unexpected reply message opCode`)},
		{id: catalogue.IDServerNotResponding, conn: true, pattern: exRE(`(?:read|write) tcp (\S+?)->(\S+?): i/o timeout`), fn: func(m *exMatch) exOutcome {
			m.s.addAddr(m.group(2))
			return exOutcome{id: catalogue.IDServerNotResponding, facts: []string{m.group(2) + " accepted the connection, then sent nothing before the deadline"}}
		}},
		{id: catalogue.IDServerNotResponding, conn: true, pattern: exRE(`(?i)incomplete read of message header: (?:context deadline exceeded|i/o timeout)|MongoSocketReadTimeoutException|Timeout while receiving message|Read timed out|socket timed out`)},

		// --- TCP ---
		{id: catalogue.IDTCPRefused, conn: true, pattern: exRE(`dial tcp (\S+?): connect: connection refused`), fn: exAddrRule(catalogue.IDTCPRefused, 1, "nothing listens on %s")},
		{id: catalogue.IDTCPRefused, conn: true, pattern: exRE(`connect ECONNREFUSED (\S+)`), fn: exRefusedIPv6Rule},
		{id: catalogue.IDTCPRefused, conn: true, pattern: exRE(`(` + exHostChars + `:\d+): \[(?:Errno (?:111|61)|WinError 10061)\]`), fn: exAddrRule(catalogue.IDTCPRefused, 1, "nothing listens on %s")},
		{id: catalogue.IDTCPRefused, conn: true, pattern: exRE(`(?i)Connection refused: (?:[A-Za-z0-9_.-]*/)?(\S+:\d+)`), fn: exAddrRule(catalogue.IDTCPRefused, 1, "nothing listens on %s")},
		{id: catalogue.IDTCPRefused, conn: true, yield: true, pattern: exRE(`(?i)connection refused|ECONNREFUSED|actively refused|\[Errno 111\]|\[Errno 61\]|\[WinError 10061\]`), fn: func(m *exMatch) exOutcome {
			if strings.Contains(m.s.text, "querySrv") && len(exAddrsIn(m.text)) == 0 {
				return exOutcome{} // the code of a failed SRV query, not a refused port
			}
			return exOutcome{id: catalogue.IDTCPRefused}
		}},
		{id: catalogue.IDTCPTimeout, conn: true, pattern: exRE(`dial tcp (\S+?): i/o timeout`), fn: exAddrRule(catalogue.IDTCPTimeout, 1, "%s did not answer the connection attempt")},
		{id: catalogue.IDTCPTimeout, conn: true, pattern: exRE(`connect ETIMEDOUT (\S+)`), fn: exAddrRule(catalogue.IDTCPTimeout, 1, "%s did not answer the connection attempt")},
		{id: catalogue.IDTCPTimeout, conn: true, pattern: exRE(`(` + exHostChars + `:\d+): (?:timed out|\[(?:Errno (?:110|60)|WinError 10060)\])`), fn: exPyTimeoutRule},
		{id: catalogue.IDTCPTimeout, conn: true, yield: true, pattern: exRE(`(?i)\bETIMEDOUT\b|\[Errno (?:110|60)\]|\[WinError 10060\]|connection timed out|connect timed out|ConnectTimeoutException|i/o timeout|\btimed out\b`), fn: func(m *exMatch) exOutcome {
			b, a := strings.ToLower(m.before()), strings.ToLower(m.after())
			switch {
			case exDNSContextRE.MatchString(m.text): // a DNS query timed out: not the TCP connection
				return exOutcome{}
			case strings.HasSuffix(strings.TrimSpace(b), "selection"): // "Server selection timed out"
				return exOutcome{}
			case strings.HasPrefix(strings.TrimSpace(a), "after") && strings.Contains(a, "while waiting"),
				strings.HasPrefix(strings.TrimSpace(a), "while waiting"): // Java server selection
				return exOutcome{}
			}
			return exOutcome{id: catalogue.IDTCPTimeout}
		}},

		// --- resets and EOF: which side wanted TLS decides the cause ---
		{id: catalogue.IDTLSServerRequiresTLS, conn: true, pattern: exRE(`(?i)connection reset by peer|\bECONNRESET\b|\[Errno (?:104|54)\]|\[WinError 10054\]|Connection reset|socket was unexpectedly closed|unexpected EOF|EOF occurred in violation of protocol|\bEOF\b|Prematurely reached end of stream|socket hang up|connection(?: \S+)? to \S+ closed|connection closed`), fn: exResetRule},

		// --- replica set topology ---
		{id: catalogue.IDTopologyReplSetNameMismatch, pattern: exRE(`(?i)Expecting replica set member from set '([^'\n]+)', but found one from set '([^'\n]+)'`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDTopologyReplSetNameMismatch, facts: []string{fmt.Sprintf("the connection string asks for set %q, the server belongs to %q", m.group(1), m.group(2))}}
		}},
		{id: catalogue.IDTopologyReplSetNameMismatch, pattern: exRE(`(?i)No replica set members available for replica set name "([^"\n]+)"`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDTopologyReplSetNameMismatch, facts: []string{fmt.Sprintf("no server reports setName %q", m.group(1))}}
		}},
		{id: catalogue.IDTopologyReplSetNameMismatch, pattern: exRE(`(?i)(?:replica ?set|set) ?name[^\n]{0,40}(?:mismatch|does not match|doesn't match|differs)|setName[^\n]{0,30}(?:mismatch|does not match)|not running with --replSet|NoReplicationEnabled`)},
		{id: catalogue.IDTopologyReplSetNotInitiated, pattern: exRE(`(?i)NotYetInitialized|no replset config has been received|\bRSGhost\b|REPLICA_SET_GHOST|replica set (?:is )?not (?:yet )?initiali[sz]ed|\bnot[- ]initiated\b|run rs\.initiate`)},
		{id: catalogue.IDTopologyNoPrimary, pattern: exRE(`(?i)No primary available for writes|No primary found in replica set|\bno primary\b(?: (?:available|found|exists|is available))?|Could not find host matching read preference \{ mode: "primary"`)},
		{id: catalogue.IDTopologyFailover, pattern: exRE(`(?i)NotWritablePrimary|NotPrimaryNoSecondaryOk|NotPrimaryOrSecondary|NotMasterNoSlaveOk|NotMasterOrSecondary|\bnot master\b|\bnot primary\b|node is (?:not in primary or )?recovering|InterruptedDueToReplStateChange|PrimarySteppedDown|MongoNotPrimaryException|MongoNodeIsRecoveringException|Mongo(?:NotWritablePrimary|NotPrimary)Error|error (?:10107|13435|11602|189)\b|\bcode:? ?(?:10107|13435|11602|189)\b|(?:connection )?pool (?:for \S+ )?(?:was )?cleared|connection pool paused|PoolCleared(?:Error|OnNetworkError)?|ShutdownInProgress`)},
		{id: catalogue.IDTopologyFailover, pattern: exRE(`\bAutoReconnect\b`), fn: func(m *exMatch) exOutcome {
			if strings.HasSuffix(m.before(), "error=") { // a server of a PyMongo topology description
				return exOutcome{}
			}
			return exOutcome{id: catalogue.IDTopologyFailover, sev: exFailoverWeak}
		}},

		// --- authentication ---
		{id: catalogue.IDAuthMechanismUnsupported, pattern: exRE(`(?i)MechanismUnavailable|Unable to use (\S+) based authentication for user without any \S+ credentials registered|Received authentication for mechanism (\S+) which is not enabled|(?:authentication |auth |SASL )?mechanism "?([A-Z0-9_-]+)"? is (?:not supported|no longer available|not available)|unknown authentication mechanism|Unsupported (?:authentication )?mechanism|authMechanism must be|not supported for MONGODB-`), fn: exMechRule},
		{id: catalogue.IDAuthFailed, pattern: exRE(`(?i)Authentication failed|bad auth|AuthenticationFailed|\bauth error\b|Exception authenticating|MongoSecurityException|sasl conversation error|SCRAM authentication failed|requires authentication|UserNotFound|Could not find user`), fn: exAuthRule},

		// --- Stable API ---
		{id: catalogue.IDAPIStrictUnsupported, pattern: exRE(`(?i)Provided apiStrict:\s*true, but the command (\S+) is not in API Version (\d+)|APIStrictError|Unrecognized field:? '?apiVersion|field '\S*api(?:Version|Strict|DeprecationErrors)' is an unknown field|APIVersionError|API version must be`), fn: func(m *exMatch) exOutcome {
			var facts []string
			if c := m.group(1); c != "" {
				facts = append(facts, fmt.Sprintf("the command %s is not part of Stable API version %s", c, m.group(2)))
			}
			if strings.Contains(strings.ToLower(m.sub[0]), "apiversion") {
				facts = append(facts, "the server does not know the apiVersion field: it is older than MongoDB 5.0")
			}
			return exOutcome{id: catalogue.IDAPIStrictUnsupported, facts: facts}
		}},

		// --- server selection, with the topology it quotes ---
		{id: catalogue.IDSelectTimeout, pattern: exRE(`server selection error: ([^\n]*?),? ?current topology: \{ Type: (\w+), Servers: \[(.*?)\] \}`), fn: exGoTopologyRule},
		{id: catalogue.IDSelectTimeout, pattern: exRE(`Timeout: ([0-9.]+)s, Topology Description: <TopologyDescription id: \w+, topology_type: (\w+), servers: \[(.*)\]>`), fn: exPyTopologyRule},
		{id: catalogue.IDSelectTimeout, pattern: exRE(`Timed out (?:after (\d+) ms )?while waiting (?:for a server that matches (.+?)|to connect)\. Client view of cluster state is \{type=(\w+), (?:srvResolutionException=[^\n]*?, )?servers=\[(.*)\]`), fn: exJavaTopologyRule},
		{id: catalogue.IDSelectTimeout, yield: true, pattern: exRE(`Timed out (?:after (\d+) ms )?while waiting (?:for a server that matches (\S+?)|to connect)\.?(?:\s|$)`), fn: exJavaTopologyRule},
		{id: catalogue.IDSelectTimeout, yield: true, pattern: exRE(`(?i)server selection (?:error|timeout)|Server selection timed out after (\d+) ms|Mongo(?:ose)?ServerSelectionError|ServerSelectionTimeoutError|No servers found yet|No suitable servers found|No replica set members (?:found yet|match selector "([^"\n]*)")|Timed out while waiting for a server that matches|MongoTimeoutException|No server chosen by|Could not connect to any servers in your MongoDB Atlas cluster`), fn: exSelectRule},
		{id: catalogue.IDSelectTimeout, yield: true, pattern: exRE(`(?:topology_type: |Type: |type: '|type=)(ReplicaSetNoPrimary|ReplicaSetWithPrimary|REPLICA_SET|Sharded|SHARDED|Single|Unknown|UNKNOWN)`), fn: func(m *exMatch) exOutcome {
			m.s.topoKinds = append(m.s.topoKinds, m.group(1))
			return exOutcome{}
		}},

		// --- Atlas ---
		{id: catalogue.IDAtlasAccessList, pattern: exRE(`(?i)isn't whitelisted|not whitelisted|IP (?:access list|whitelist)|SSL alert number 80|tlsv1 alert internal error`)},
		{id: catalogue.IDAtlasAccessList, pattern: exRE(`(?i)alert handshake failure|tls: handshake failure|Received fatal alert: handshake_failure`), fn: func(m *exMatch) exOutcome {
			if !exAtlasHostRE.MatchString(m.s.text) {
				return exOutcome{} // elsewhere: cipher, protocol version or client certificate, no one cause
			}
			return exOutcome{id: catalogue.IDAtlasAccessList, facts: []string{"an Atlas host refused the TLS handshake"}}
		}},
	})
})

// exHostChars matches a host name, an IPv4 address or a bracketed IPv6
// address, and nothing that surrounds one in prose.
const exHostChars = `(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)`

// exGates holds, for each rule, the literals one of which a line must
// contain for the rule to match.
var exGates = sync.OnceValue(func() []exPrefiltered {
	rules := exRules()
	out := make([]exPrefiltered, len(rules))
	for i, r := range rules {
		out[i] = exPrefiltered{re: r.pattern, lits: exLiterals(r.pattern.String())}
	}
	return out
})

func exRE(expr string) *regexp.Regexp { return regexp.MustCompile(expr) }

// exWireRule reads a wire-version mismatch in any of the four phrasings.
func exWireRule(m *exMatch) exOutcome {
	addr := m.group(1)
	verb, bound, drv, limitVerb := strings.ToLower(m.group(2)), strings.ToLower(m.group(3)), m.group(5), strings.ToLower(m.group(6))
	reported, err1 := strconv.ParseInt(m.group(4), 10, 32)
	limit, err2 := strconv.ParseInt(m.group(7), 10, 32)
	if err1 != nil || err2 != nil {
		return exOutcome{}
	}
	tooNew := verb == "requires" || bound == "minimum" || limitVerb != "requires at least"
	w := WireMismatch{Address: exCleanAddr(addr), TooNew: tooNew, Reported: int32(reported), Limit: int32(limit), MongoDB: m.group(8), Driver: exWireDriver(drv)}
	m.s.wire = append(m.s.wire, w)
	m.s.addAddr(addr)
	name := "the driver"
	switch w.Driver {
	case wireprobe.DriverGo:
		name = "the Go driver"
	case wireprobe.DriverPyMongo:
		name = "PyMongo"
	case wireprobe.DriverNode:
		name = "the Node.js driver"
	}
	id, fact := catalogue.IDWireServerTooOld, fmt.Sprintf("%s reports maxWireVersion %d (MongoDB %s); %s needs at least %d (MongoDB %s)",
		w.Address, w.Reported, wireprobe.ServerVersionForWire(w.Reported), name, w.Limit, exOrVersion(w.MongoDB, w.Limit))
	if tooNew {
		id, fact = catalogue.IDWireServerTooNew, fmt.Sprintf("%s reports minWireVersion %d (MongoDB %s or later); %s speaks at most %d (MongoDB %s)",
			w.Address, w.Reported, wireprobe.ServerVersionForWire(w.Reported), name, w.Limit, exOrVersion(w.MongoDB, w.Limit))
	}
	return exOutcome{id: id, facts: []string{fact}}
}

func exOrVersion(named string, wire int32) string {
	if named != "" {
		return named
	}
	return wireprobe.ServerVersionForWire(wire)
}

func exWireDriver(phrase string) string {
	switch strings.ToLower(phrase) {
	case "the go driver":
		return wireprobe.DriverGo
	case "pymongo":
		return wireprobe.DriverPyMongo
	case "the node.js driver":
		return wireprobe.DriverNode
	}
	return "" // "the driver": Java (and older Node.js and .NET releases)
}

func exOptionRule(m *exMatch) exOutcome {
	for _, o := range m.sub[1:] {
		if o != "" {
			return exOutcome{id: catalogue.IDURIUnknownOption, facts: []string{fmt.Sprintf("option %q is not a connection-string option the driver knows", o)}}
		}
	}
	return exOutcome{id: catalogue.IDURIUnknownOption}
}

// exSRVName records the mongodb+srv host of a failed _mongodb._tcp lookup and
// returns it ("" when name is not an SRV name).
func exSRVName(m *exMatch, name string) string {
	name = exCleanHost(name)
	const prefix = "_mongodb._tcp."
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return ""
	}
	host := name[len(prefix):]
	if m.s.srvName == "" {
		m.s.srvName = host
	}
	return host
}

// exQuerySrv reads the code of a failed querySrv: its finding and a few
// words for the evidence. Only a name the server said does not exist (or
// has no SRV records) is srv.no-records; a refusal, a server failure or a
// timeout is a DNS server that gave no answer.
func exQuerySrv(code string) (id, hint string) {
	switch code {
	case "ENOTFOUND", "ENODATA":
		return catalogue.IDSRVNoRecords, " (no such records)"
	case "ECONNREFUSED", "EREFUSED":
		return catalogue.IDDNSNoAnswer, " (the DNS server refused the SRV query)"
	case "EBADRESP", "EFORMERR":
		return catalogue.IDSRVNoRecords, " (the DNS server's answer could not be read)"
	case "ETIMEOUT", "ETIMEDOUT":
		return catalogue.IDDNSNoAnswer, " (the DNS server did not answer)"
	case "ESERVFAIL":
		return catalogue.IDDNSNoAnswer, " (the DNS server failed)"
	}
	return catalogue.IDSRVNoRecords, ""
}

// exHostRule records the host name in group i as one that did not resolve.
func exHostRule(i int) func(m *exMatch) exOutcome {
	return func(m *exMatch) exOutcome {
		h := exCleanHost(m.group(i))
		if h == "" {
			return exOutcome{id: catalogue.IDDNSNoSuchHost}
		}
		if strings.HasPrefix(strings.ToLower(h), "_mongodb._tcp.") {
			exSRVName(m, h)
			return exOutcome{id: catalogue.IDSRVNoRecords, facts: []string{"no SRV records for " + h}}
		}
		m.s.addFailedHost(h)
		if len(m.sub) > 2 && m.group(2) != "" && exIsPort(m.group(2)) {
			m.s.addAddr(h + ":" + m.group(2))
		}
		return exOutcome{id: catalogue.IDDNSNoSuchHost, facts: []string{fmt.Sprintf("host %s does not resolve from here", h)}}
	}
}

func exIsPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

// exAddrRule records the address in group i and states format about it.
func exAddrRule(id string, i int, format string) func(m *exMatch) exOutcome {
	return func(m *exMatch) exOutcome {
		a := exCleanAddr(m.group(i))
		if a == "" {
			return exOutcome{id: id}
		}
		m.s.addAddr(a)
		return exOutcome{id: id, facts: []string{fmt.Sprintf(format, a)}}
	}
}

// exRefusedIPv6Rule reads Node.js's "connect ECONNREFUSED ADDR". Since
// Node.js 17, localhost resolves to ::1 first, where a default mongod
// (bound to 127.0.0.1) does not listen.
func exRefusedIPv6Rule(m *exMatch) exOutcome {
	o := exAddrRule(catalogue.IDTCPRefused, 1, "nothing listens on %s")(m)
	if a := exCleanAddr(m.group(1)); strings.HasPrefix(a, "[::1]:") {
		o.facts = append(o.facts, "::1 is the IPv6 localhost: mongod listens on 127.0.0.1 only by default; write 127.0.0.1 instead of localhost in the connection string, or add ::1 to net.bindIp")
	}
	return o
}

// Message lengths that are not MongoDB messages but the first four bytes
// of another protocol read as a little-endian int32.
const (
	exLengthHTTP = 0x50545448 // "HTTP"
	exLengthSSH  = 0x2D485353 // "SSH-"
)

func exLengthRule(m *exMatch) exOutcome {
	var n int64
	for _, g := range m.sub[1:] {
		if v, err := strconv.ParseInt(g, 10, 64); err == nil {
			n = v
			break
		}
	}
	b0, b1, b2 := byte(n), byte(n>>8), byte(n>>16)
	switch {
	case n == exLengthHTTP:
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the message length %d is the text \"HTTP\": an HTTP server answers on this port", n)}}
	case n == exLengthSSH:
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the message length %d is the text \"SSH-\": an SSH server answers on this port", n)}}
	case (b0 == 0x15 || b0 == 0x16) && b1 == 0x03 && b2 <= 0x04:
		return exOutcome{id: catalogue.IDTLSServerRequiresTLS, facts: []string{fmt.Sprintf("the message length %d is a TLS record header: the server speaks TLS", n)}}
	case n != 0:
		return exOutcome{id: catalogue.IDServerNotMongoDB, facts: []string{fmt.Sprintf("the peer sent a message length of %d, which no MongoDB server sends", n)}}
	}
	return exOutcome{id: catalogue.IDServerNotMongoDB}
}

// exTLSContextRE tells a reset during a TLS handshake from one on a plain
// connection.
var exTLSContextRE = exLazy(`(?i)\b(?:tls|ssl|x509)\b|SSLHandshake|SSLException|SSL routines|_ssl\.c|TLS handshake|SSL handshake|certificate`)

// exURIRE matches a whole connection string.
var exURIRE = exLazy("(?i)mongodb(?:\\+srv)?://[^\\s\"'<>`]*")

// exFailoverContextRE marks lines where a reset belongs to a failover.
var exFailoverContextRE = exLazy(`(?i)AutoReconnect|pool (?:for \S+ )?(?:was )?cleared|NotWritablePrimary|not master|stepped down|stepdown|InterruptedDueToReplStateChange`)

// exDNSContextRE marks lines about DNS queries.
var exDNSContextRE = exLazy(`(?i)\bDNS\b|resolution lifetime|querySrv|nameservers?\b`)

// exPooledCloseRE marks a connection of the pool that closed after it was
// established (Node.js numbers them; the Go driver names them
// connection(addr[-N])).
var exPooledCloseRE = exLazy(`connection \d+ to \S+ closed|connection\(\S+\[-?\d+\]\) socket was unexpectedly closed`)

// exEstablishContextRE marks lines about opening a connection (the
// handshake, server selection, the monitor's connection), where a reset
// says something about TLS even on a pooled connection.
var exEstablishContextRE = exLazy(`(?i)handshake|server ?selection|<monitor>|opening socket|while waiting|Timeout: \d|Topology Description|current topology|Client view of cluster|Mongo(?:ose)?ServerSelectionError|ServerSelectionTimeoutError`)

// exResetRule reads a reset or an EOF: on a TLS connection the server does
// not speak TLS (or, for Atlas, the access list rejected the client); on a
// plain connection the server probably requires TLS.
func exResetRule(m *exMatch) exOutcome {
	line := exURIRE.ReplaceAllString(m.text, "") // "?ssl=false" in a URI is no TLS handshake
	// A server's last error in a PyMongo topology description
	// (error=AutoReconnect('connection closed')) is no failover.
	line = strings.ReplaceAll(line, "=AutoReconnect(", "=(")
	if exFailoverContextRE.MatchString(line) {
		return exOutcome{} // the old primary closing connections: a failover
	}
	if exPooledCloseRE.MatchString(line) && !exEstablishContextRE.MatchString(line) {
		// A connection of the pool, open and in use, was closed.
		return exOutcome{id: catalogue.IDTopologyFailover, rank: exRankGeneric, facts: []string{
			"an open connection of the pool was closed by the server or by something in between: a primary closes its connections when it steps down or restarts, " +
				"and a firewall, NAT or load balancer closes connections it finds idle (then set maxIdleTimeMS below its idle timeout)",
		}}
	}
	if exTLSContextRE.MatchString(line) {
		return exOutcome{id: catalogue.IDTLSServerNotTLS, facts: []string{"the server closed the connection during the TLS handshake"}}
	}
	if strings.HasSuffix(m.sub[0], "closed") {
		// Node.js's "connection <monitor> to H closed", PyMongo's
		// "connection closed": the peer closed without a reply.
		m.s.ambiguous(exClosedTell, "the peer closed the connection before any MongoDB reply", catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotMongoDB)
		for _, a := range exAddrsIn(m.sub[0]) {
			m.s.addAddr(a)
		}
	}
	return exOutcome{id: catalogue.IDTLSServerRequiresTLS, facts: []string{"the server closed a plain (non-TLS) connection right after it opened"}}
}

func exMechRule(m *exMatch) exOutcome {
	for _, g := range m.sub[1:] {
		if g != "" {
			return exOutcome{id: catalogue.IDAuthMechanismUnsupported, facts: []string{"mechanism " + strings.Trim(g, `"'.,:`) + " is not available"}}
		}
	}
	return exOutcome{id: catalogue.IDAuthMechanismUnsupported}
}

var (
	exJavaCredRE = exLazy(`mechanism=([A-Za-z0-9_-]+|null), userName='([^'\n]*)', source='([^'\n]*)'`)
	exGoMechRE   = exLazy(`unable to authenticate using mechanism "([^"\n]+)"`)
)

func exAuthRule(m *exMatch) exOutcome {
	if strings.Contains(strings.ToLower(m.sub[0]), "requires authentication") {
		return exOutcome{id: catalogue.IDAuthFailed, facts: []string{"the command needs an authenticated user: the connection string has no credentials, or they were not used"}}
	}
	var facts []string
	if c := exJavaCredRE.FindStringSubmatch(m.text); c != nil {
		facts = append(facts, fmt.Sprintf("user %q, authSource %q, mechanism %s", c[2], c[3], c[1]))
	}
	if c := exGoMechRE.FindStringSubmatch(m.text); c != nil {
		facts = append(facts, "mechanism "+c[1])
	}
	return exOutcome{id: catalogue.IDAuthFailed, facts: facts}
}

var (
	exGoMemberRE   = exLazy(`\{ Addr: (\S+?), Type: (\w+)(.*?) \}, `)
	exGoLastErrRE  = exLazy(`Last error: (.*)$`)
	exPyMemberRE   = exLazy(`<ServerDescription \('([^'\n]*)', (\d+|None)\) server_type: (\w+)(.*?)>(?:, <ServerDescription|$)`)
	exPyErrRE      = exLazy(`error=\w+\('(.*)'\)`)
	exJavaMemberRE = exLazy(`\{address=([^,\s]+), type=(\w+)(.*?)\}(?:, \{address=|$)`)
)

// exGoTopologyRule reads the Go driver's "server selection error: ...,
// current topology: { Type: ..., Servers: [...] }".
func exGoTopologyRule(m *exMatch) exOutcome {
	m.s.topoKinds = append(m.s.topoKinds, m.group(2))
	servers := m.group(3)
	if strings.TrimSpace(servers) == "" {
		m.s.emptyTopo = true
	}
	for _, g := range exAllSubmatches(exGoMemberRE, servers+" ") {
		ms := MemberState{Address: g[1], Type: g[2]}
		if e := exGoLastErrRE.FindStringSubmatch(g[3]); e != nil {
			ms.Error = e[1]
		}
		m.s.addMember(ms)
	}
	facts := []string{fmt.Sprintf("the driver gave up (%s) with topology %s", strings.TrimSpace(m.group(1)), m.group(2))}
	return exOutcome{id: catalogue.IDSelectTimeout, facts: append(facts, exMemberFacts(m.s.members)...)}
}

// exPyTopologyRule reads PyMongo's "Timeout: 30s, Topology Description:
// <TopologyDescription ... servers: [...]>".
func exPyTopologyRule(m *exMatch) exOutcome {
	m.s.topoKinds = append(m.s.topoKinds, m.group(2))
	servers := m.group(3)
	if strings.TrimSpace(servers) == "" {
		m.s.emptyTopo = true
	}
	for _, g := range exAllSubmatches(exPyMemberRE, servers) {
		addr := g[1]
		if g[2] != "None" {
			addr += ":" + g[2]
		}
		ms := MemberState{Address: addr, Type: g[3]}
		if e := exPyErrRE.FindStringSubmatch(g[4]); e != nil {
			ms.Error = e[1]
		}
		m.s.addMember(ms)
	}
	facts := []string{fmt.Sprintf("PyMongo waited %ss; topology %s", m.group(1), m.group(2))}
	return exOutcome{id: catalogue.IDSelectTimeout, facts: append(facts, exMemberFacts(m.s.members)...)}
}

// exJavaTopologyRule reads the Java driver's "Timed out after 30000 ms while
// waiting for a server that matches X. Client view of cluster state is
// {type=..., servers=[...]}".
func exJavaTopologyRule(m *exMatch) exOutcome {
	what := "to connect"
	if sel := m.group(2); sel != "" {
		what = "for a server that matches " + sel
	}
	wait := "the driver waited"
	if ms := m.group(1); ms != "" {
		wait += " " + ms + " ms"
	}
	facts := []string{wait + " " + what}
	if kind := m.group(3); kind != "" {
		m.s.topoKinds = append(m.s.topoKinds, kind)
		servers := m.group(4)
		if strings.TrimSpace(servers) == "" {
			m.s.emptyTopo = true
		}
		for _, g := range exAllSubmatches(exJavaMemberRE, servers) {
			ms := MemberState{Address: g[1], Type: g[2]}
			if i := strings.Index(g[3], "exception={"); i >= 0 {
				ms.Error = strings.Trim(g[3][i+len("exception="):], "{} ")
			}
			m.s.addMember(ms)
		}
		facts = append(facts, "topology "+kind)
		facts = append(facts, exMemberFacts(m.s.members)...)
	}
	return exOutcome{id: catalogue.IDSelectTimeout, facts: facts}
}

// exAllSubmatches is FindAllStringSubmatch that lets consecutive matches
// share their separators (the member patterns end by looking at the start
// of the next member).
func exAllSubmatches(r *exLazyRE, s string) [][]string {
	var out [][]string
	for len(s) > 0 && len(out) < exMaxMembers {
		loc := r.FindStringSubmatchIndex(s)
		if loc == nil {
			break
		}
		out = append(out, exSubmatches(s, loc))
		next := loc[1]
		// Step back over the look-ahead part: resume right after the
		// member's own closing bracket.
		if k := len(loc); k >= 2 {
			end := loc[2*((k/2)-1)+1]
			if end > 0 && end < next {
				next = end
			}
		}
		if next <= loc[0] {
			next = loc[0] + 1
		}
		s = s[next:]
	}
	return out
}

func exMemberFacts(ms []MemberState) []string {
	var out []string
	for _, m := range ms {
		if m.Error != "" {
			out = append(out, fmt.Sprintf("member %s is %s: %s", m.Address, m.Type, exTruncate(m.Error, 160)))
		} else {
			out = append(out, fmt.Sprintf("member %s is %s", m.Address, m.Type))
		}
	}
	return out
}

func exTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:exRuneStart(s, n)] + "…"
}

// exSelectRule reads the generic server-selection phrasings.
func exSelectRule(m *exMatch) exOutcome {
	var facts []string
	if ms := m.group(1); ms != "" {
		facts = append(facts, "the driver waited "+ms+" ms for a suitable server")
	}
	if sel := m.group(2); sel != "" {
		facts = append(facts, fmt.Sprintf("no member matches the selector %s", sel))
		if strings.HasPrefix(sel, "Primary(") {
			return exOutcome{id: catalogue.IDTopologyNoPrimary, facts: facts}
		}
	}
	if strings.Contains(m.sub[0], "Atlas cluster") {
		m.s.hits = append(m.s.hits, exHit{id: catalogue.IDAtlasAccessList, line: m.line, pos: m.s.offs[m.line] + m.idx[0], ex: exExcerpt(m.text, m.idx[0], m.idx[1])})
	}
	return exOutcome{id: catalogue.IDSelectTimeout, facts: facts}
}
