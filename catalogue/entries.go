package catalogue

import "github.com/mongoconn/mongoconn/report"

// entries is the whole catalogue in the order of DESIGN.md: §4, then the
// paths to a member (§9), then the client-side signatures (§10), then the
// ids DESIGN.md does not have yet (entries_extra.go). Each family keeps its
// entries in a file of its own.
var entries = concat(coreEntries, valueEntries, pathEntries, signatureEntries, extraEntries)

func concat(groups ...[]Entry) []Entry {
	var out []Entry
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var coreEntries = []Entry{
	{
		ID:       IDURIInvalid,
		Severity: report.SeverityError,
		Title:    "The connection string cannot be parsed",
		Cause: "Drivers refuse a connection string that does not follow the URI format: it must start with " +
			"mongodb:// or mongodb+srv://, list at least one host, put a / before the ? that starts the options, " +
			"separate options with &, and give every option a valid value. The driver stops before it opens any " +
			"connection, so nothing about the server is known yet.",
		Fixes: []string{
			"Write the string as mongodb://host1[:port1][,host2[:port2]...]/[database][?option=value&...], with user:<password>@ right after mongodb:// when the server needs credentials",
			"Put a / between the host list and the options: mongodb://localhost:27017/?replicaSet=rs0, not mongodb://localhost:27017?replicaSet=rs0",
			"Quote the connection string in the shell ('...'): & and ? are special characters there",
			"See the position of the first problem with: mongoconn diagnose '<URI>'",
		},
		Docs: []string{docConnString, DocConnOptions},
	},
	{
		ID:       IDURIUnescapedCredentials,
		Severity: report.SeverityError,
		Title:    "The user name or password contains characters that must be percent-encoded",
		Cause: "The user name and password sit inside the URI, so the characters that delimit a URI (: / ? # [ ] @ " +
			"and %) must be percent-encoded there (RFC 3986). An unescaped @ or / in a password makes the driver " +
			"split the string in the wrong place: it reads part of the password as the host name, or rejects the " +
			"string outright (\"unescaped slash in password\", \"Password contains unescaped characters\", " +
			"\"Username and password must be escaped according to RFC 3986\").",
		Fixes: []string{
			"Percent-encode the user name and the password: @ is %40, : is %3A, / is %2F, ? is %3F, # is %23, % is %25, [ is %5B, ] is %5D",
			"Example: the password p@ss/word is written p%40ss%2Fword, as in mongodb://alice:<password>@db.example.net:27017/",
			"Encode with your language's helper: Python urllib.parse.quote_plus, Go url.QueryEscape, JavaScript encodeURIComponent, Java URLEncoder.encode",
			"Or pass the credentials outside the URI (the driver's credential or auth options) so that they need no escaping",
		},
		Docs: []string{docConnString},
	},
	{
		ID:       IDURIUnknownOption,
		Severity: report.SeverityWarning,
		Title:    "The connection string has an option drivers do not know",
		Cause: "Drivers ignore (with at most a warning) connection-string options they do not recognise, so a " +
			"misspelt option silently does nothing: ?replicaset=rs0 works because option names are case-insensitive, " +
			"but ?replSet=rs0, ?ssl_ca_certs=... or ?timeout=5000 are simply dropped and the setting you meant is not applied.",
		Fixes: []string{
			"Check the spelling against the list of connection-string options (replicaSet, tls, tlsCAFile, authSource, directConnection, serverSelectionTimeoutMS, ...)",
			"Move driver-specific settings that have no URI spelling into the driver's client options",
		},
		Docs: []string{DocConnOptions},
	},
	{
		ID:       IDURIDirectMultipleHosts,
		Severity: report.SeverityError,
		Title:    "directConnection=true needs exactly one host",
		Cause: "directConnection=true tells the driver to talk to the one server named and never discover the " +
			"others. With several hosts in the seed list, or with a mongodb+srv:// string (whose SRV records can " +
			"return several), that request has no meaning, so drivers reject the connection string.",
		Fixes: []string{
			"To reach one member (for example through an SSH tunnel), name only that host: mongodb://host1:27017/?directConnection=true",
			"To use the replica set, drop directConnection and name the set: mongodb://host1:27017,host2:27017/?replicaSet=rs0",
			"With mongodb+srv://, remove directConnection=true",
		},
		Docs: []string{DocConnOptions, DocGoTargets, DocPyTargets},
	},
	{
		ID:       IDURISRVWithPort,
		Severity: report.SeverityError,
		Title:    "A mongodb+srv connection string must name one host without a port",
		Cause: "With mongodb+srv:// the host is a DNS name whose _mongodb._tcp SRV records list the real servers " +
			"and their ports. The specification therefore forbids a port and more than one host in such a string, " +
			"and drivers reject it before any lookup.",
		Fixes: []string{
			"Remove the port: mongodb+srv://cluster0.example.net/ instead of mongodb+srv://cluster0.example.net:27017/",
			"To name servers and ports yourself, use the standard format instead: mongodb://host1:27017,host2:27017/?replicaSet=rs0&tls=true",
		},
		Docs: []string{docSRV, docConnString},
	},
	{
		ID:       IDDNSNoSuchHost,
		Severity: report.SeverityError,
		Title:    "A host name does not resolve",
		Cause: "The resolver this machine uses has no address for the host name: it is misspelt, it exists only " +
			"inside another network (a Docker or Kubernetes network, a VPN, a cloud VPC, the hosts file of another " +
			"machine), or the DNS server cannot be reached. The driver cannot open a connection to a name it cannot resolve.",
		Fixes: []string{
			"Check the spelling of the host in the connection string",
			"Resolve it from this machine with: nslookup HOST",
			"If the name only exists inside Docker or Kubernetes, connect from inside that network or use an address reachable from here",
			"Try another resolver: mongoconn --dns-server 8.8.8.8:53 diagnose '<URI>'",
		},
		Docs: []string{docConnString, docGoTroubleshoot},
	},
	{
		ID:       IDSRVNoRecords,
		Severity: report.SeverityError,
		Title:    "No SRV records for the mongodb+srv host",
		Cause: "A mongodb+srv:// connection string makes the driver look up the SRV records of " +
			"_mongodb._tcp.<host> to find the servers. The lookup failed: the records do not exist (a typo in the " +
			"cluster name, a deleted cluster, a host that is not an SRV name), or the DNS server would not answer the " +
			"SRV query (querySrv ECONNREFUSED, EBADRESP, \"cannot unmarshal DNS message\"). Some home routers, VPNs, " +
			"corporate resolvers and WSL set-ups mishandle SRV or large DNS answers while resolving ordinary names fine.",
		Fixes: []string{
			"Copy the host name again from the provider (for Atlas: Connect > Drivers) and check it with: mongoconn srv HOST",
			"If another DNS server answers, change this machine's DNS server; try one with: mongoconn --dns-server 8.8.8.8:53 srv HOST",
			"Use the standard (non-SRV) connection string with the seed list and options the SRV and TXT records would give: mongodb://host1:27017,host2:27017,host3:27017/?replicaSet=<name>&tls=true&authSource=admin",
		},
		Docs: []string{docSRV, docAtlasConnect},
	},
	{
		ID:       IDSRVDomainMismatch,
		Severity: report.SeverityError,
		Title:    "An SRV target is outside the host's domain",
		Cause: "To stop a forged DNS answer from sending clients elsewhere, drivers only accept SRV targets that " +
			"end with the domain of the mongodb+srv host (the host minus its first label, or the host itself when it " +
			"has fewer than three labels, in which case the target needs more labels than the host). A record that " +
			"points to another domain makes the driver reject the whole seed list.",
		Fixes: []string{
			"Fix the SRV records so that every target is under the host's domain: _mongodb._tcp.cluster0.example.net pointing to shard-00.example.net, not to shard-00.example.org",
			"Or list the servers yourself: mongodb://shard-00.example.org:27017,shard-01.example.org:27017/?replicaSet=<name>&tls=true",
		},
		Docs: []string{docSRV},
	},
	{
		ID:       IDSRVTXTOptionNotAllowed,
		Severity: report.SeverityError,
		Title:    "The TXT record sets an option it may not set",
		Cause: "Besides SRV records, a mongodb+srv host may have one TXT record with default options, but the " +
			"specification only allows authSource, replicaSet and loadBalanced there: anything else (tls, " +
			"readPreference, w, ...) makes drivers reject the connection string.",
		Fixes: []string{
			"Keep only authSource, replicaSet and loadBalanced in the TXT record, for example \"authSource=admin&replicaSet=rs0\"",
			"Put the other options in the connection string itself: mongodb+srv://cluster0.example.net/?readPreference=secondaryPreferred",
		},
		Docs: []string{docSRV},
	},
	{
		ID:       IDSRVMultipleTXT,
		Severity: report.SeverityError,
		Title:    "The host has more than one TXT record",
		Cause: "The specification allows at most one TXT record on a mongodb+srv host, because the order of " +
			"several records is not defined and their options could conflict. Drivers reject the connection string " +
			"when DNS returns two or more.",
		Fixes: []string{
			"Merge the TXT records into one: \"authSource=admin&replicaSet=rs0\"",
			"Check with: mongoconn srv HOST",
		},
		Docs: []string{docSRV},
	},
	{
		ID:       IDTCPRefused,
		Severity: report.SeverityError,
		Title:    "Nothing is listening on the port (connection refused)",
		Cause: "The host answered but refused the TCP connection: no process listens on that port there. Usually " +
			"mongod is not running, it listens on another port, or it is bound to 127.0.0.1 only (the default " +
			"net.bindIp) while you connect from another machine or container. A Docker container whose port is not " +
			"published looks the same from the host.",
		Fixes: []string{
			"Start mongod, or find the port it listens on in its log (the \"Waiting for connections\" line); the default is 27017",
			"To accept connections from other machines, set net.bindIp (for example bindIp: 0.0.0.0 with authentication and a firewall), then restart mongod",
			"In Docker, publish the port (docker run -p 27017:27017 ...) and connect to mongodb://localhost:27017/",
		},
		Docs: []string{docGoTroubleshoot, docBindIP},
	},
	{
		ID:       IDTCPTimeout,
		Severity: report.SeverityError,
		Title:    "The TCP connection timed out",
		Cause: "The host never answered the connection attempt: a firewall or security group drops the packets, " +
			"the address is not routable from here (a private address of another network), the machine is down, or " +
			"a cloud service's IP access list silently drops this client. The driver waits until connectTimeoutMS " +
			"or serverSelectionTimeoutMS runs out.",
		Fixes: []string{
			"Check that this machine can reach the port at all: nc -vz HOST 27017",
			"Open the port in the firewall or security group between this machine and the server",
			"For MongoDB Atlas, add this machine's public IP address to the project's IP access list",
			"When the address belongs to another network (a tunnel, NAT, a container), check the route with: mongoconn tunnel-check '<URI>'",
		},
		Docs: []string{docGoTroubleshoot, docAtlasAccess},
	},
	{
		ID:       IDTLSUnknownAuthority,
		Severity: report.SeverityError,
		Title:    "The server's certificate is signed by an authority this machine does not trust",
		Cause: "The TLS handshake reached the server, but its certificate chain does not lead to a certificate " +
			"authority in this machine's trust store: the server uses a private or self-signed CA, an intermediate " +
			"certificate is missing, or the local root certificates are out of date (a common case with python.org " +
			"builds on macOS). The reverse also happens: the server rejects the client certificate you sent because " +
			"it does not trust its issuer.",
		Fixes: []string{
			"Give the driver the CA that signed the server certificate: mongodb://host:27017/?tls=true&tlsCAFile=/path/to/ca.pem",
			"Update the system's root certificates (on macOS with python.org Python, run \"Install Certificates.command\")",
			"If the server requires a client certificate, pass it: &tlsCertificateKeyFile=/path/to/client.pem",
			"Only for a test: tlsAllowInvalidCertificates=true turns the check off (never in production)",
		},
		Docs: []string{docTLSClients, docPyTroubleshoot},
	},
	{
		ID:       IDTLSHostnameMismatch,
		Severity: report.SeverityError,
		Title:    "The server's certificate is not valid for the host name used",
		Cause: "The certificate is trusted, but none of its subject alternative names matches the host name (or IP " +
			"address) in the connection string. It happens when you connect by IP address, by localhost through a " +
			"tunnel, or by an alias, while the certificate names the server's real host name.",
		Fixes: []string{
			"Connect with a host name that the certificate lists: mongodb://<name in the certificate>:27017/?tls=true",
			"Through a tunnel, map that name to 127.0.0.1 in /etc/hosts and connect with mongodb://<name in the certificate>:<local port>/?tls=true&directConnection=true",
			"Reissue the certificate with the names clients use in its subjectAltName",
			"Only for a test: tlsAllowInvalidHostnames=true skips the name check",
		},
		Docs: []string{docTLSClients},
	},
	{
		ID:       IDTLSExpired,
		Severity: report.SeverityError,
		Title:    "The server's certificate has expired or is not yet valid",
		Cause: "The certificate's validity period does not include the current time: it has expired, or it starts " +
			"in the future. Either the certificate needs renewing, or this machine's clock is wrong (containers and " +
			"virtual machines after a suspend are frequent culprits).",
		Fixes: []string{
			"Renew the server certificate (and any expired intermediate) and restart mongod with it",
			"Check this machine's clock and time zone: date -u; enable NTP",
		},
		Docs: []string{docTLSServer, docTLSClients},
	},
	{
		ID:       IDTLSServerNotTLS,
		Severity: report.SeverityError,
		Title:    "TLS was requested but the server speaks plain MongoDB",
		Cause: "The client started a TLS handshake (tls=true, ssl=true or mongodb+srv://, which turns TLS on by " +
			"default) but the server is not configured for TLS: it answers with MongoDB wire bytes, or closes the " +
			"connection because a TLS hello is not a valid MongoDB message (\"first record does not look like a TLS " +
			"handshake\", \"wrong version number\").",
		Fixes: []string{
			"Connect without TLS: mongodb://host:27017/?tls=false (or remove tls=true / ssl=true)",
			"Or enable TLS on the server: net.tls.mode: requireTLS with net.tls.certificateKeyFile",
		},
		Docs: []string{docTLSServer, docTLSClients},
	},
	{
		ID:       IDTLSServerRequiresTLS,
		Severity: report.SeverityError,
		Title:    "The server requires TLS but the connection string does not enable it",
		Cause: "The client spoke plain MongoDB to a server that only accepts TLS (net.tls.mode requireTLS, every " +
			"MongoDB Atlas cluster). The server cannot read the plain bytes and closes the connection, so the driver " +
			"sees an EOF, \"connection reset by peer\" or \"connection closed\" right after connecting.",
		Fixes: []string{
			"Turn TLS on: mongodb://host:27017/?tls=true (add tlsCAFile=/path/to/ca.pem if the server uses a private CA)",
			"For Atlas, use the mongodb+srv:// string the Atlas UI gives, which turns TLS on by default",
		},
		Docs: []string{docTLSClients, DocConnOptions},
	},
	{
		ID:       IDServerNotResponding,
		Severity: report.SeverityError,
		Title:    "The server accepted the connection but did not answer",
		Cause: "TCP (and TLS, if used) connected, but the MongoDB handshake got no reply before the deadline: the " +
			"server is overloaded or stuck, a proxy or port-forward accepts connections without anything behind it, " +
			"or a firewall lets the connection open and then drops the traffic. For Atlas, a client that is not on " +
			"the IP access list can see the same silence during the TLS handshake.",
		Fixes: []string{
			"Check the server's load and log (mongod log, db.currentOp()); restart it if it is stuck",
			"If a tunnel or port-forward sits in between, check that its far end is up: mongoconn tunnel-check '<URI>'",
			"For MongoDB Atlas, add this machine's public IP address to the project's IP access list",
		},
		Docs: []string{docGoTroubleshoot},
	},
	{
		ID:       IDServerNotMongoDB,
		Severity: report.SeverityError,
		Title:    "The peer does not speak the MongoDB wire protocol",
		Cause: "Something answers on the port, but not with MongoDB wire protocol messages: another service (an " +
			"HTTP server, a proxy, PostgreSQL, Redis) uses that port, or the connection string points to the wrong " +
			"port. A message length of 1347703880 is the text \"HTTP\" read as a number. The reverse mistake, an HTTP " +
			"client talking to mongod, gets \"It looks like you are trying to access MongoDB over HTTP on the native driver port.\" " +
			"A peer that frames its messages right but answers hello with a field of a type MongoDB never sends " +
			"(maxWireVersion as a string, hosts as one string instead of a list, ok as text), or sends bytes that " +
			"are no message after a valid reply, is refused by the drivers too: the Go driver marks it Unknown " +
			"(\"expected 'maxWireVersion' to be an integer but it's a BSON string\") and never selects it.",
		Fixes: []string{
			"Check which process owns the port on the server: ss -ltnp | grep PORT (Linux) or lsof -iTCP:PORT -sTCP:LISTEN",
			"Point the connection string at mongod's port: mongodb://host:27017/",
			"Talk to MongoDB with a driver or mongosh, not with a browser or curl",
			"If a proxy or a MongoDB-compatible server answers on the port, look at what it answers to hello (mongoconn -v discover shows the raw reply): each field must have the type MongoDB gives it",
		},
		Docs: []string{docWireProtocol, docConnString},
	},
	{
		ID:       IDWireServerTooOld,
		Severity: report.SeverityError,
		Title:    "The server is too old for this driver",
		Cause: "Every driver release supports a range of wire protocol versions, and each MongoDB release reports " +
			"the range it speaks (maxWireVersion). When the server's maximum is below the driver's minimum the " +
			"driver refuses every operation: for example wire version 5 is MongoDB 3.4, while PyMongo 4.0 needs at " +
			"least 6 (MongoDB 3.6) and recent Go driver releases need 9 (MongoDB 4.4). Upgrading the driver made " +
			"the old server unreachable.",
		Fixes: []string{
			"Upgrade the server to a release the driver supports (see the driver's compatibility table)",
			"Or pin an older driver that still speaks the server's wire version; list them for Go, PyMongo, Node.js and Java with: mongoconn wire-check '<URI>'",
		},
		Docs: []string{docGoCompat, docPyCompat, docPyTroubleshoot},
	},
	{
		ID:       IDWireServerTooNew,
		Severity: report.SeverityError,
		Title:    "The server is too new for this driver",
		Cause: "The server's minimum wire version is above the newest one this driver release speaks, so the driver " +
			"refuses to talk to it. It happens with an old driver against a current server, typically a pinned " +
			"dependency in an application that has not been updated for years.",
		Fixes: []string{
			"Upgrade the driver to a release that supports the server (see the driver's compatibility table)",
			"Check the versions with: mongoconn wire-check '<URI>'",
		},
		Docs: []string{docGoCompat, docPyCompat},
	},
	{
		ID:       IDTopologyAdvertisedUnreachable,
		Severity: report.SeverityError,
		Title:    "Replica set members advertise addresses this machine cannot reach",
		Cause: "A driver connected to a replica set does not keep using the address you gave: it asks the member " +
			"for the set's host list (hello) and then connects to the names and ports the members advertise. When you " +
			"reach the set through an SSH tunnel, a port-forward, NAT, or from outside Docker or Kubernetes, those " +
			"advertised names (mongo-a.internal:27017, a container name, a private IP) do not resolve or route from " +
			"here, so every operation waits until server selection times out although the seed address answers.",
		Fixes: []string{
			"Talk to the one member you can reach, without discovery: mongodb://localhost:27017/?directConnection=true",
			"Or make the advertised names reachable from here: map them in /etc/hosts, run the client inside the same network, or forward one port per member",
			"Or reconfigure the set (rs.reconfig) so that members advertise names and ports clients can reach",
		},
		Docs: []string{docPyTroubleshoot, DocPyTargets, DocGoTargets},
	},
	{
		ID:       IDTopologyReplSetNameMismatch,
		Severity: report.SeverityError,
		Title:    "The replica set name in the connection string does not match the servers",
		Cause: "With replicaSet=<name> in the connection string, the driver only accepts members whose hello reply " +
			"carries that exact setName (case-sensitive). A server with another set name, or a standalone mongod not " +
			"started with --replSet, is dropped from the topology, and operations time out with no servers left.",
		Fixes: []string{
			"Use the set name the servers report (rs.status().set or db.hello().setName): mongodb://host:27017/?replicaSet=<actual name>",
			"For a standalone server, remove replicaSet from the connection string: mongodb://host:27017/",
		},
		Docs: []string{DocConnOptions, DocReplSet},
	},
	{
		ID:       IDTopologyReplSetNotInitiated,
		Severity: report.SeverityError,
		Title:    "The replica set has not been initiated",
		Cause: "mongod was started with --replSet (or replication.replSetName) but rs.initiate() was never run, so " +
			"it has no replica set configuration: it reports itself as a ghost member (RSGhost), elects no primary and " +
			"answers \"no replset config has been received\" (NotYetInitialized). Drivers wait for a primary that never comes.",
		Fixes: []string{
			"Connect to one member directly and initiate the set: mongosh 'mongodb://host:27017/?directConnection=true' --eval 'rs.initiate()'",
			"For several members, pass the configuration: rs.initiate({_id: \"rs0\", members: [{_id: 0, host: \"host1:27017\"}, {_id: 1, host: \"host2:27017\"}, {_id: 2, host: \"host3:27017\"}]})",
			"Use host names in the configuration that clients can reach: they are the names drivers will connect to",
		},
		Docs: []string{docInitiate, docDeployReplSet},
	},
	{
		ID:       IDTopologyNoPrimary,
		Severity: report.SeverityError,
		Title:    "The replica set has no primary",
		Cause: "The members answer, but none of them is primary: an election is in progress, or a majority of the " +
			"voting members is down or cannot see each other, so no member can be elected. Writes and reads with the " +
			"default readPreference=primary wait for a primary and fail with a server selection timeout; reads that " +
			"allow secondaries still work.",
		Fixes: []string{
			"Check the members' states: mongosh 'mongodb://host:27017/?directConnection=true' --eval 'rs.status().members'",
			"Bring enough voting members back so that a majority can see each other, then an election follows",
			"To read meanwhile, allow secondaries: mongodb://host1:27017,host2:27017/?replicaSet=rs0&readPreference=primaryPreferred",
			"Wait for a primary in scripts and CI: mongoconn ping --wait 60s --primary '<URI>'",
		},
		Docs: []string{docElections, DocReplSet, docReadPref},
	},
	{
		ID:       IDTopologyFailover,
		Severity: report.SeverityError,
		Title:    "A failover is in progress",
		Cause: "The primary stepped down or became unreachable, and the replica set is electing (or has just elected) " +
			"another one. Operations in flight on the old primary fail, and until a new primary is known applications " +
			"see PyMongo AutoReconnect, NotWritablePrimary (formerly \"not master\"), InterruptedDueToReplStateChange, " +
			"or \"connection pool ... was cleared\". An election normally completes within about twelve seconds.",
		Fixes: []string{
			"Keep retryable writes and reads on (retryWrites=true and retryReads=true are the defaults): mongodb://host1:27017,host2:27017/?replicaSet=rs0&retryWrites=true",
			"Catch the driver's failover errors (PyMongo AutoReconnect, NotWritablePrimary) and retry the operation once the new primary is known",
			"Give server selection enough time to outlast an election: serverSelectionTimeoutMS of at least 15000",
			"Use w=majority for writes that must survive a failover",
		},
		Docs: []string{docElections, docRetryable, docPyTroubleshoot},
	},
	{
		ID:       IDAuthFailed,
		Severity: report.SeverityError,
		Title:    "Authentication failed",
		Cause: "The server rejected the credentials (AuthenticationFailed, code 18; \"bad auth\" on Atlas). The server " +
			"does not say why, on purpose: the password is wrong, the user does not exist, or the user exists in " +
			"another database than the one the driver authenticates against (authSource, which defaults to the " +
			"database in the URI path, else admin). A password with unescaped special characters is also read wrongly.",
		Fixes: []string{
			"Name the database that holds the user: mongodb://alice:<password>@host:27017/mydb?authSource=admin",
			"Check the user and its database: db.getSiblingDB(\"admin\").getUsers() or the Database Access page in Atlas",
			"Percent-encode special characters in the password (@ is %40, : is %3A, / is %2F)",
			"Reset the password if in doubt: db.changeUserPassword(\"alice\", passwordPrompt())",
		},
		Docs: []string{docAuth, DocConnOptions, docGoTroubleshoot},
	},
	{
		ID:       IDAuthMechanismUnsupported,
		Severity: report.SeverityError,
		Title:    "The authentication mechanism is not available for this user",
		Cause: "The connection string asks for an authentication mechanism that the user has no credentials for, or " +
			"that the server or driver does not support: authMechanism=SCRAM-SHA-1 for a user created with only " +
			"SCRAM-SHA-256, SCRAM-SHA-256 against a server older than 4.0, MONGODB-CR against any current server, " +
			"or an enterprise mechanism (GSSAPI, PLAIN) on a server or driver built without it.",
		Fixes: []string{
			"Remove authMechanism and let the driver negotiate the best mechanism: mongodb://alice:<password>@host:27017/?authSource=admin",
			"Or name a mechanism the user has: authMechanism=SCRAM-SHA-256 (see db.getUser(\"alice\", {showCredentials: true}).mechanisms)",
			"Add the missing credential type to the user: db.updateUser(\"alice\", {pwd: passwordPrompt(), mechanisms: [\"SCRAM-SHA-1\", \"SCRAM-SHA-256\"]})",
		},
		Docs: []string{docSCRAM, docAuth},
	},
	{
		ID:       IDAPIStrictUnsupported,
		Severity: report.SeverityError,
		Title:    "The server does not accept the strict Stable API",
		Cause: "The client declares Stable API version 1, in strict mode, and the server refuses: servers older than " +
			"5.0 do not know the apiVersion field (\"Unrecognized field 'apiVersion'\"), and in strict mode a command " +
			"outside API version 1 fails with APIStrictError (\"Provided apiStrict:true, but the command count is not " +
			"in API Version 1\"). Some proxies and compatible servers do not support the Stable API at all.",
		Fixes: []string{
			"Connect without strict mode (keep the API version): ServerAPI version 1 with strict=false",
			"Replace commands outside the Stable API (count with countDocuments, for example)",
			"Upgrade the server to MongoDB 5.0 or later before declaring a Stable API version",
		},
		Docs: []string{docStableAPI},
	},
	{
		ID:       IDSelectTimeout,
		Severity: report.SeverityError,
		Title:    "The driver gave up waiting for a server it could use (server selection timed out)",
		Cause: "Every operation first selects a server that suits it (the primary for writes, any member the read " +
			"preference and tag sets allow for reads, within localThresholdMS of the fastest). The driver waited " +
			"serverSelectionTimeoutMS (30 s by default) and none qualified. The error is a symptom: the lines inside " +
			"it (each server's type and last error) tell the cause: refused or timed-out connections, unresolvable " +
			"names, TLS or authentication failures, no primary, or tags that no member carries.",
		Fixes: []string{
			"Read the per-server errors in the message, or run: mongoconn diagnose '<URI>'",
			"For reads, allow more members: readPreference=primaryPreferred or nearest, and check readPreferenceTags against the members' tags",
			"Fail fast in tests and health checks: serverSelectionTimeoutMS=5000",
		},
		Docs: []string{docSelection, docReadPref, docGoTroubleshoot},
	},
	{
		ID:       IDAtlasAccessList,
		Severity: report.SeverityWarning,
		Title:    "This machine's IP address may not be on the Atlas access list",
		Cause: "MongoDB Atlas only accepts connections from the addresses on the project's IP access list. From any " +
			"other address its front end still accepts the TCP connection, then ends the TLS handshake with the alert " +
			"internal_error (80; \"SSL alert number 80\", \"tlsv1 alert internal error\") or resets it, with no " +
			"error that says why. It is the most common failure against *.mongodb.net hosts, especially after a " +
			"change of network, VPN or cloud region, or from CI runners and serverless platforms whose address changes.",
		Fixes: []string{
			"Add this machine's public IP address to Network Access > IP Access List in the Atlas project (curl -s https://checkip.amazonaws.com shows it)",
			"For CI or serverless, use private endpoints or VPC peering, or a fixed egress address; 0.0.0.0/0 works but opens the cluster to the whole internet",
		},
		Docs: []string{docAtlasAccess, docAtlasConnect},
	},
}
