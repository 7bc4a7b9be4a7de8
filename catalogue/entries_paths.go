package catalogue

import "github.com/mongoconn/mongoconn/report"

// Catalogue ids of the paths to a member (DESIGN.md §9).
const (
	IDProxyUnreachable        = "proxy.unreachable"
	IDProxyAuthFailed         = "proxy.auth-failed"
	IDProxyConnectFailed      = "proxy.connect-failed"
	IDSSHUnreachable          = "ssh.unreachable"
	IDSSHAuthFailed           = "ssh.auth-failed"
	IDSSHHostKeyUnknown       = "ssh.host-key-unknown"
	IDSSHHostKeyMismatch      = "ssh.host-key-mismatch"
	IDSSHForwardRefused       = "ssh.forward-refused"
	IDProxyEnvIgnored         = "proxy.env-ignored"
	IDTCPSomeAddressesRefused = "tcp.some-addresses-refused"
)

// Documentation of the paths: the drivers' SOCKS5 pages (the connection
// string options proxyHost, proxyPort, proxyUsername, proxyPassword) and
// Compass's Proxy / SSH Tunnel tab.
const (
	docNodeSOCKS    = "https://www.mongodb.com/docs/drivers/node/current/security/socks/"
	docJavaSOCKS    = "https://www.mongodb.com/docs/drivers/java/sync/current/security/socks/"
	docCompassProxy = "https://www.mongodb.com/docs/compass/connect/advanced-connection-options/"
)

// pathEntries are the findings about the path to a member (DESIGN.md §9):
// SOCKS5 proxies, SSH bastions, proxies of the environment, and every
// address of a name.
var pathEntries = []Entry{
	{
		ID:       IDProxyUnreachable,
		Severity: report.SeverityError,
		Title:    "The SOCKS5 proxy of the connection string cannot be reached",
		Cause: "With proxyHost in the connection string, drivers that support it (Node.js, PyMongo, Java, mongosh, " +
			"Compass) open every connection through that SOCKS5 proxy and never try the members directly. When the " +
			"proxy refuses the TCP connection, does not answer, or answers something that is not SOCKS5 (an HTTP " +
			"proxy, an SSH server, a closed tunnel), no member can be reached, whatever state the deployment is in. " +
			"A local proxy started with ssh -D stops when its ssh session ends.",
		Fixes: []string{
			"Start the proxy, or restart the tunnel that provides it, and keep its session open while the application runs: ssh -N -D 1080 user@bastion",
			"Check proxyHost and proxyPort (default 1080) against where the proxy listens: mongodb://db0.internal:27017/?replicaSet=rs0&proxyHost=localhost&proxyPort=1080",
			"An HTTP proxy (the kind HTTP_PROXY names) cannot carry the MongoDB protocol: proxyHost must name a SOCKS5 proxy",
			"To check the deployment without the proxy, remove proxyHost, proxyPort, proxyUsername and proxyPassword from the string",
		},
		Docs: []string{docNodeSOCKS, docJavaSOCKS, DocConnOptions},
	},
	{
		ID:       IDProxyAuthFailed,
		Severity: report.SeverityError,
		Title:    "The SOCKS5 proxy refused the credentials",
		Cause: "A SOCKS5 proxy picks an authentication method before it forwards anything: either none, or a user " +
			"name and password (RFC 1929), which the connection string gives as proxyUsername and proxyPassword. " +
			"The proxy refused the pair given, asks for one the string does not give, or accepts no method the " +
			"client offers. These credentials are the proxy's own, not the database user's: the user:password@ " +
			"part of the connection string is never sent to the proxy.",
		Fixes: []string{
			"Give the proxy's own user name and password, percent-encoded: mongodb://db0.internal:27017/?proxyHost=proxy.example.net&proxyPort=1080&proxyUsername=<user>&proxyPassword=<password>",
			"proxyUsername and proxyPassword go together, and each is at most 255 bytes long",
			"If the proxy takes no credentials, remove proxyUsername and proxyPassword",
		},
		Docs: []string{docNodeSOCKS, docJavaSOCKS, DocConnOptions},
	},
	{
		ID:       IDProxyConnectFailed,
		Severity: report.SeverityError,
		Title:    "The SOCKS5 proxy could not connect to the member",
		Cause: "The proxy let the client in, then could not open the connection to the member it was asked for: " +
			"drivers send the member's host name as written (in the seed list or as the replica set advertises " +
			"it), and the proxy resolves and connects to it from its own network. Its reply code says why (host " +
			"unreachable, connection refused, not allowed by ruleset, ...); ssh -D sends none and closes the " +
			"connection instead. From the proxy's side the name does not resolve, the port is closed, or a firewall " +
			"or the proxy's rules forbid it.",
		Fixes: []string{
			"From the proxy's machine, check that the member's name resolves and its port accepts connections (getent hosts NAME; nc -z NAME PORT)",
			"Use the names the replica set advertises (rs.conf() host fields): the proxy must resolve those, not only the seed",
			"Allow the member's host and port in the proxy's rules (for ssh -D: PermitOpen and AllowTcpForwarding in the bastion's sshd_config)",
		},
		Docs: []string{docNodeSOCKS, docJavaSOCKS, DocReplSet},
	},
	{
		ID:       IDSSHUnreachable,
		Severity: report.SeverityError,
		Title:    "The SSH bastion cannot be reached",
		Cause: "With --ssh, every connection to a member is a channel of one SSH connection to the bastion, so " +
			"nothing can be checked until that connection is up. The bastion's port refused the connection, did " +
			"not answer in time, accepted it without completing an SSH handshake (not an SSH server, or one that " +
			"drops this client), or the SSH connection was lost during the run.",
		Fixes: []string{
			"Check the host and port given to --ssh (default port 22): --ssh user@bastion.example.net:2222",
			"Check that the same bastion answers to OpenSSH from here: ssh -p 22 user@bastion.example.net true",
			"A firewall or a VPN that is not connected drops the connection silently: connect the VPN, or ask for this machine's address to be allowed",
		},
		Docs: []string{docCompassProxy},
	},
	{
		ID:       IDSSHAuthFailed,
		Severity: report.SeverityError,
		Title:    "The SSH bastion refused the login",
		Cause: "mongoconn logs in to the bastion with public keys only: the file given with --ssh-identity, else " +
			"the keys of the ssh-agent named by SSH_AUTH_SOCK, else ~/.ssh/id_ed25519, id_ecdsa and id_rsa. It " +
			"never asks for a passphrase or a password, so a passphrase-protected key is used only through the " +
			"agent. The bastion accepted none of the keys offered for that login name, does not accept public keys " +
			"at all, or there was no usable key to offer.",
		Fixes: []string{
			"Name the login the bastion expects: --ssh user@bastion.example.net",
			"Name the key the bastion knows: --ssh-identity ~/.ssh/id_ed25519",
			"Add a passphrase-protected key to the agent first, then run again: ssh-add ~/.ssh/id_ed25519",
			"Check that the public key is in the bastion's ~/.ssh/authorized_keys for that user, and that the same login works: ssh -i ~/.ssh/id_ed25519 user@bastion.example.net true",
		},
		Docs: []string{docCompassProxy},
	},
	{
		ID:       IDSSHHostKeyUnknown,
		Severity: report.SeverityError,
		Title:    "The SSH bastion's host key is not in known_hosts",
		Cause: "The host key is how a client knows it talks to the real bastion and not to a machine in between. " +
			"mongoconn checks it strictly against --ssh-known-hosts (default ~/.ssh/known_hosts) and never accepts an " +
			"unknown key on trust, so it stopped before logging in: the file has no key for this host and port, " +
			"does not exist, or cannot be read. Comparing the fingerprint with one obtained from the bastion's " +
			"administrator, through another channel, is what makes adding it safe.",
		Fixes: []string{
			"Compare the fingerprint shown in the evidence with the one the bastion's administrator gives (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the bastion)",
			"Once it matches, add the known_hosts line shown in the evidence to ~/.ssh/known_hosts, or log in once with OpenSSH and answer yes after comparing: ssh user@bastion.example.net",
			"Or point to a known_hosts file that holds the key: --ssh-known-hosts FILE",
		},
		Docs: []string{docCompassProxy},
	},
	{
		ID:       IDSSHHostKeyMismatch,
		Severity: report.SeverityError,
		Title:    "The SSH bastion presented a host key other than the known one",
		Cause: "known_hosts holds a different key for this bastion (or marks the presented one as revoked). Either " +
			"the bastion was reinstalled or its keys were rotated, or something between this machine and the " +
			"bastion is answering in its place. mongoconn does not log in and does not send anything through such " +
			"a connection.",
		Fixes: []string{
			"Ask the bastion's administrator whether its host key changed, and compare the new fingerprint shown in the evidence",
			"If the change is expected, remove the old entry and add the new key: ssh-keygen -R '[bastion.example.net]:22'",
			"If it is not expected, do not connect: report it, as the connection may be intercepted",
		},
		Docs: []string{docCompassProxy},
	},
	{
		ID:       IDSSHForwardRefused,
		Severity: report.SeverityError,
		Title:    "The SSH bastion did not forward the connection to the member",
		Cause: "Through a bastion, each connection to a member is a direct-tcpip channel (what ssh -L and ssh -D " +
			"use): the bastion resolves the member's name and connects to it from its own network. It refused the " +
			"channel as administratively prohibited (AllowTcpForwarding no, PermitOpen that does not list the " +
			"member), or reported that it could not connect: the name does not resolve on the bastion, or the " +
			"member's port is closed or filtered from there.",
		Fixes: []string{
			"Allow forwarding on the bastion: AllowTcpForwarding yes in sshd_config, and PermitOpen listing every member's host:port (or any)",
			"From the bastion, check that each member resolves and answers: getent hosts NAME; nc -z NAME PORT",
			"Use the names the replica set advertises (rs.conf() host fields): those are the names drivers connect to",
		},
		Docs: []string{docCompassProxy, DocReplSet},
	},
	{
		ID:       IDProxyEnvIgnored,
		Severity: report.SeverityWarning,
		Title:    "A proxy is set in the environment, and MongoDB drivers ignore it",
		Cause: "HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are read by HTTP clients (curl, package managers, browsers), " +
			"not by MongoDB drivers: a driver connects to the members directly unless the connection string " +
			"itself names a SOCKS5 proxy with proxyHost (in the drivers that support it). On a network where " +
			"everything must go through that proxy, the application fails although curl works. An HTTP proxy " +
			"cannot carry the MongoDB protocol at all; a SOCKS5 one can be given to the driver.",
		Fixes: []string{
			"When the variable names a SOCKS5 proxy (socks5:// or socks5h://), add it to the connection string: mongodb://db0.internal:27017/?proxyHost=proxy.example.net&proxyPort=1080",
			"An HTTP proxy cannot be used: ask for a route to the members, or reach them through an SSH bastion (ssh -N -D 1080 user@bastion, then proxyHost=localhost&proxyPort=1080)",
			"The Go driver has no proxyHost option: give it a dialer (options.Client().SetDialer) built with golang.org/x/net/proxy",
		},
		Docs: []string{docNodeSOCKS, docJavaSOCKS, DocConnOptions},
	},
	{
		ID:       IDTCPSomeAddressesRefused,
		Severity: report.SeverityWarning,
		Title:    "Some addresses of the host name refuse connections while others accept them",
		Cause: "A host name can resolve to several addresses, typically an IPv6 and an IPv4 one: localhost is " +
			"::1 and 127.0.0.1. mongod listens only on the addresses of net.bindIp (by default 127.0.0.1 alone, " +
			"without IPv6), so the other addresses refuse. Clients that try every address in turn still connect; " +
			"clients that try only the first one fail with \"connection refused\": Node.js from version 17 " +
			"returns ::1 first for localhost, and before Node.js 20 (or with autoSelectFamily off) it tries that " +
			"address alone, which is how mongosh, Compass and Node.js applications end up refused.",
		Fixes: []string{
			"Connect to the address that accepts instead of the name: for localhost and mongod's default bindIp, 127.0.0.1 (mongodb://127.0.0.1:27017/ on the default port)",
			"Or make mongod listen on every address of the name: net.bindIp: localhost,::1 with net.ipv6: true (mongod --ipv6 --bind_ip localhost,::1)",
			"In Node.js, prefer IPv4 for the whole process: node --dns-result-order=ipv4first app.js",
		},
		Docs: []string{docBindIP, DocConnOptions, docGoTroubleshoot},
	},
}
