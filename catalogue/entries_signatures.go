package catalogue

import (
	"fmt"

	"github.com/mongoconn/mongoconn/report"
)

// Ids of the client-side signatures (DESIGN.md §10), in its order.
// atlas.access-list, the first of the table, is one of §4's.
const (
	IDAtlasClusterPaused       = "atlas.cluster-paused"
	IDAtlasClusterNotFound     = "atlas.cluster-not-found"
	IDAuthWrongSource          = "auth.wrong-source"
	IDAuthX509ClientCert       = "auth.x509-client-cert"
	IDAuthAWSNoCredentials     = "auth.aws-no-credentials"
	IDDNSResolversDisagree     = "dns.resolvers-disagree"
	IDDNSAnswerUnparseable     = "dns.answer-unparseable"
	IDDNSSRVTruncated          = "dns.srv-truncated"
	IDTopologySplitHorizon     = "topology.split-horizon"
	IDCompressionNotNegotiated = "compression.not-negotiated"
	IDPoolConnectionBudget     = "pool.connection-budget"
)

// Documentation pages of the signatures.
const (
	docAtlasPause   = "https://www.mongodb.com/docs/atlas/pause-terminate-cluster/"
	docUsers        = "https://www.mongodb.com/docs/manual/core/security-users/"
	docX509Clients  = "https://www.mongodb.com/docs/manual/tutorial/configure-x509-client-authentication/"
	docX509         = "https://www.mongodb.com/docs/manual/core/security-x.509/"
	docAWSIAM       = "https://www.mongodb.com/docs/atlas/security/aws-iam-authentication/"
	docHorizons     = "https://www.mongodb.com/docs/manual/reference/replica-configuration/"
	docCompressors  = "https://www.mongodb.com/docs/manual/reference/configuration-options/"
	docPoolOverview = "https://www.mongodb.com/docs/manual/administration/connection-pool-overview/"
	docServerStatus = "https://www.mongodb.com/docs/manual/reference/command/serverStatus/"
	docAtlasLimits  = "https://www.mongodb.com/docs/atlas/reference/atlas-limits/"
)

// signatureEntries are the client-side signatures of DESIGN.md §10.
var signatureEntries = []Entry{
	{
		ID:       IDAtlasClusterPaused,
		Severity: report.SeverityError,
		Title:    "The Atlas cluster's DNS records answer but none of its members accepts a connection",
		Cause: "The SRV and TXT records of the Atlas host name still exist, so the cluster was not deleted, but every " +
			"member they name refuses the TCP connection or never answers it. That is how an Atlas cluster looks " +
			"while it is paused (or being resumed, upgraded or restored): its DNS names stay, its servers are off. A " +
			"firewall of this network that blocks port 27017 outbound looks the same, which is why the same check " +
			"from another network tells the two apart.",
		Fixes: AtlasPausedFixes("HOST", "27017", "HOST"),
		Docs:  []string{docAtlasPause, docAtlasConnect},
	},
	{
		ID:       IDAtlasClusterNotFound,
		Severity: report.SeverityError,
		Title:    "No Atlas cluster has this host name",
		Cause: "The host name has the shape of an Atlas cluster address (<cluster>.<id>.mongodb.net), but the DNS " +
			"answers that the name does not exist at all (NXDOMAIN): no SRV record, no TXT record, nothing. Atlas " +
			"removes the names of a deleted cluster, and a typo in either part of the name gives the same answer: " +
			"the cluster name (the first label) or the project's identifier (the short label before mongodb.net).",
		Fixes: AtlasNotFoundFixes("cluster0.abcde.mongodb.net"),
		Docs:  []string{docAtlasConnect, docSRV},
	},
	{
		ID:       IDAuthWrongSource,
		Severity: report.SeverityError,
		Title:    "The user exists, but in another database than the one the driver authenticates against",
		Cause: "A MongoDB user belongs to the database it was created in, and the driver authenticates against " +
			"authSource: the authSource option, else the database in the connection string's path, else admin. When " +
			"the path names the application's database (mongodb://host/shop) but the user was created in admin (as " +
			"every Atlas user is), or the other way round, the server answers \"Authentication failed\" however right " +
			"the password is. The server's hello answer to saslSupportedMechs tells, without sending a password, in " +
			"which database the user exists.",
		Fixes: WrongSourceFixes("alice", "admin", "shop", "shop", "mongodb://alice:<password>@host:27017/shop?authSource=admin"),
		Docs:  []string{docUsers, DocConnOptions, docAuth},
	},
	{
		ID:       IDAuthX509ClientCert,
		Severity: report.SeverityError,
		Title:    "The client certificate cannot authenticate this connection",
		Cause: "With TLS client certificates (and MONGODB-X509 authentication) the server checks the certificate " +
			"named by tlsCertificateKeyFile: it must be valid now, allow client authentication (the extended key " +
			"usage clientAuth, when the certificate lists extended key usages at all), and be sent with the private " +
			"key that matches it. For MONGODB-X509 the server then looks for a user in the $external database whose " +
			"name is the certificate's subject in RFC 2253 form, exactly, attribute order included; a certificate " +
			"that fails any of these is refused during the handshake or at authentication.",
		Fixes: X509ClientCertFixes("CN=client,OU=apps,O=example", "shop",
			"Connect with the certificate and the mechanism: mongodb://host:27017/?tls=true&tlsCertificateKeyFile=/path/to/client.pem&authMechanism=MONGODB-X509"),
		Docs: []string{docX509Clients, docX509, docTLSClients},
	},
	{
		ID:       IDAuthAWSNoCredentials,
		Severity: report.SeverityError,
		Title:    "MONGODB-AWS authentication has no AWS credentials to use",
		Cause: "authMechanism=MONGODB-AWS signs the authentication with AWS credentials that the driver finds the way " +
			"the AWS SDKs do: keys in the connection string, the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
			"environment variables, the shared credentials file (~/.aws/credentials), a web-identity token " +
			"(AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), the container credentials of ECS " +
			"(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), and last the EC2 instance metadata service. None " +
			"of the local sources is there, so outside EC2 the driver fails, often only after waiting for the " +
			"metadata address 169.254.169.254, which does not answer off AWS.",
		Fixes: []string{
			"Export the IAM user's or role's keys for the application: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
			"Or put the keys in the connection string (percent-encoded): mongodb+srv://<access-key-id>:<password>@cluster0.abcde.mongodb.net/?authMechanism=MONGODB-AWS&authSource=$external",
			"On EC2, attach an instance role to the machine and let mongoconn ask the metadata service with --aws-imds",
			"On EKS or ECS, check that the pod or task has its role: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, must be set in its environment",
		},
		Docs: []string{docAWSIAM, docAuth},
	},
	{
		ID:       IDDNSResolversDisagree,
		Severity: report.SeverityWarning,
		Title:    "The DNS resolvers of this machine give different answers",
		Cause: "Programs on one machine do not all ask the same DNS server: Go programs and the C library follow " +
			"/etc/resolv.conf (or a local stub such as systemd-resolved), Node.js asks the nameservers of resolv.conf " +
			"directly for SRV records, and a VPN or a container runtime can add its own. When the servers disagree " +
			"(different SRV targets, TXT options or addresses, or one of them failing), a connection string works in " +
			"one program and fails in another, or works until the resolver in use changes.",
		Fixes: []string{
			"Make every nameserver of /etc/resolv.conf answer the same records (remove a stale or split-DNS server, or fix its zone)",
			"Compare one question across servers: dig @SERVER SRV _mongodb._tcp.HOST",
			"Where one server cannot be fixed, give the application the mongodb:// seed list that mongoconn srv prints instead of the mongodb+srv string",
		},
		Docs: []string{docSRV, docGoTroubleshoot},
	},
	{
		ID:       IDDNSAnswerUnparseable,
		Severity: report.SeverityError,
		Title:    "A DNS server sends an answer that Go's resolver cannot read",
		Cause: "The DNS server answered, but its message breaks a rule of the DNS format that Go's resolver enforces " +
			"(a label holding a dot, a record longer than its length, a name that runs past the message), so every Go " +
			"program, the Go driver included, fails with \"cannot unmarshal DNS message\" while more lenient resolvers " +
			"read the records. Old systemd-resolved stubs, old kube-dns and some home routers and VPN resolvers sent " +
			"such SRV answers. mongoconn read the answer leniently to show what it holds.",
		Fixes: []string{
			"Ask another DNS server that answers correctly (change this machine's resolver, or the cluster DNS in Kubernetes) and check it with: mongoconn --dns-server 127.0.0.1:53 srv HOST",
			"Upgrade the resolver that sends the broken answer (systemd-resolved, kube-dns/CoreDNS, the router's firmware)",
			"Or bypass SRV: use the mongodb:// seed list that mongoconn srv prints, with replicaSet, authSource and tls=true",
		},
		Docs: []string{docSRV, docGoTroubleshoot},
	},
	{
		ID:       IDDNSSRVTruncated,
		Severity: report.SeverityWarning,
		Title:    "The SRV answer does not fit in UDP and the DNS server cannot be asked over TCP",
		Cause: "A DNS answer larger than the UDP buffer comes back truncated (the TC flag set), and the resolver must " +
			"ask again over TCP to get all of it. Here the server truncated the SRV answer but does not answer DNS " +
			"over TCP (a firewall that only lets UDP port 53 through, or a resolver that never listens on TCP), so " +
			"clients that retry over TCP fail and clients that do not see only part of the seed list, or none.",
		Fixes: []string{
			"Allow DNS over TCP (port 53) between this machine and its resolver, or use a resolver that answers over TCP",
			"Check with: dig +tcp SRV _mongodb._tcp.HOST",
			"Or use the mongodb:// seed list that mongoconn srv prints, which needs no SRV lookup",
		},
		Docs: []string{docSRV},
	},
	{
		ID:       IDTopologySplitHorizon,
		Severity: report.SeverityError,
		Title:    "The replica set answers a client outside its network with internal names (no split horizon)",
		Cause: "This client reaches the members through external names, with TLS, but the members describe the set " +
			"with the names of their own network (hello's hosts and me), which do not resolve or route from here, so " +
			"the driver drops the address it was given and waits for members it cannot reach. A replica set can " +
			"answer each client in its own terms: with horizons in the replica set configuration, a member that sees " +
			"a TLS server name (SNI) listed in a horizon answers with that horizon's names.",
		Fixes: SplitHorizonFixes(`cfg = rs.conf(); cfg.members[0].horizons = {external: "db0.example.com:27017"}; rs.reconfig(cfg)`,
			"mongodb://db0.example.com:27017/?tls=true&directConnection=true"),
		Docs: []string{docHorizons, docTLSServer, DocReplSet},
	},
	{
		ID:       IDCompressionNotNegotiated,
		Severity: report.SeverityWarning,
		Title:    "The server does not accept the compressors the connection string asks for",
		Cause: "With compressors=... the driver offers those algorithms in its first hello, and the server answers " +
			"with the ones it has enabled (net.compression.compressors; snappy, zstd and zlib by default on current " +
			"servers). An algorithm the server does not name is not used, and with none in common the traffic goes " +
			"uncompressed, silently: the bandwidth and transfer costs the setting was meant to save are paid anyway.",
		Fixes: []string{
			"Ask for a compressor the server accepts, in order of preference: mongodb://host:27017/?compressors=zstd,snappy,zlib",
			"Or enable the algorithm on the server: net.compression.compressors: zstd,snappy,zlib in mongod.conf, then restart",
		},
		Docs: []string{DocConnOptions, docCompressors},
	},
	{
		ID:       IDPoolConnectionBudget,
		Severity: report.SeverityWarning,
		Title:    "The application's connection pools can exceed the connections the server accepts",
		Cause: "Every client (each application process, each serverless instance) keeps, for each member, a pool of up " +
			"to maxPoolSize connections (100 by default) plus two monitoring connections. With many processes the sum " +
			"passes the connections the server still accepts (serverStatus connections.available, bounded by " +
			"net.maxIncomingConnections, the file-descriptor limit, or the Atlas tier's limit): new connections are " +
			"refused under load, and operations fail or wait for a pool connection until they time out.",
		Fixes: PoolBudgetFixes("Lower maxPoolSize so that processes x (maxPoolSize + 2) stays under the available connections: mongodb://host:27017/?maxPoolSize=20"),
		Docs:  []string{docPoolOverview, docServerStatus, docAtlasLimits},
	},
}

// The fixes of the signatures that a stage fills with what it saw: the
// entries above call them with example values, for explain and the
// troubleshooting page; a finding of diagnose gets them with its own, so
// that no example names another host, user or database beside them.

// AtlasPausedFixes are atlas.cluster-paused's fixes for a member at
// host:port of the cluster whose mongodb+srv host name is srvHost.
func AtlasPausedFixes(host, port, srvHost string) []string {
	return []string{
		"Open the cluster in the Atlas UI: a paused cluster shows \"Paused\"; resume it (Resume Cluster) and wait until its state is Idle",
		"If the cluster is running, check that this network allows outbound TCP to port " + port + " (corporate, hotel and school networks often block it): nc -vz " + host + " " + port,
		"Check the members one by one with: mongoconn srv " + srvHost,
	}
}

// AtlasNotFoundFixes are atlas.cluster-not-found's fixes for the
// mongodb+srv host name host.
func AtlasNotFoundFixes(host string) []string {
	return []string{
		"Copy the connection string again from the Atlas UI (Database > Connect > Drivers) rather than retyping it, and compare both labels of the host name",
		"Check that the cluster still exists in the project (a terminated cluster's name is gone for good; restore from a backup snapshot into a new cluster)",
		"Verify the name with: mongoconn srv " + host,
	}
}

// WrongSourceFixes are auth.wrong-source's fixes for user, who exists in
// the database holder while the driver authenticates against source; db
// is the database the application uses (the string's path; "" when it
// names none), and uri the string with authSource=holder ("" when it
// cannot be written).
func WrongSourceFixes(user, holder, source, db, uri string) []string {
	set := fmt.Sprintf("Set authSource=%s, the database that holds the user %q", holder, user)
	if uri != "" {
		set += ": " + uri
	}
	role := `"readWrite"`
	if db != "" && db != source {
		role = fmt.Sprintf(`{role: "readWrite", db: %q}`, db)
	} else if db == "" {
		role = `{role: "readWrite", db: "<database>"}`
	}
	return []string{
		set,
		fmt.Sprintf("Or create the user in the database the driver authenticates against: db.getSiblingDB(%q).createUser({user: %q, pwd: passwordPrompt(), roles: [%s]})", source, user, role),
	}
}

// X509ClientCertFixes are auth.x509-client-cert's fixes for a certificate
// whose RFC 2253 subject is subject, for an application that uses the
// database db ("" when unknown), and then connect, a fix that shows the
// string to use ("" for none: the string already names the certificate).
func X509ClientCertFixes(subject, db, connect string) []string {
	fixes := []string{
		"Issue a new client certificate that is valid now and carries extendedKeyUsage = clientAuth (openssl x509 -text -noout -in client.pem shows both), with its matching key in the same PEM file",
		X509CreateUserFix(subject, db),
	}
	if connect != "" {
		fixes = append(fixes, connect)
	}
	return fixes
}

// X509CreateUserFix is the command that creates the $external user that
// a certificate whose RFC 2253 subject is subject authenticates as, able
// to read and write the database db ("" when unknown).
func X509CreateUserFix(subject, db string) string {
	if db == "" {
		db = "<database>"
	}
	return fmt.Sprintf("Create the $external user named by the certificate's RFC 2253 subject, exactly: db.getSiblingDB(\"$external\").runCommand({createUser: %q, roles: [{role: \"readWrite\", db: %q}]})", subject, db)
}

// SplitHorizonFixes are topology.split-horizon's fixes: config is the
// mongosh that adds the horizons, direct the string that reaches one
// member alone meanwhile ("" for none).
func SplitHorizonFixes(config, direct string) []string {
	fixes := []string{
		"Add a horizon with the external name and port of every member (members in the order of rs.conf().members), then reconfigure on the primary: " + config,
		"Give every member a certificate whose subjectAltName lists its external name as well, since a horizon is chosen by the TLS server name",
	}
	if direct != "" {
		fixes = append(fixes, "Meanwhile, reach one member alone: "+direct)
	}
	return fixes
}

// PoolBudgetFixes are pool.connection-budget's fixes after first, the
// ones about this budget's pool size.
func PoolBudgetFixes(first ...string) []string {
	return append(first,
		"Share one client per process (create it once, not per request or per function invocation)",
		"Raise the server's limit (net.maxIncomingConnections and ulimit -n) or move to an Atlas tier with more connections",
	)
}
