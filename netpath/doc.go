// Package netpath owns how bytes reach a member: directly from this
// machine, through the SOCKS5 proxy of the connection string (proxyHost,
// proxyPort, proxyUsername, proxyPassword), or through an SSH bastion
// (--ssh, --ssh-identity, --ssh-known-hosts). Every path is a Dialer of
// the driver's options.ContextDialer shape, so one value serves the
// engine's probes and the driver's own connections (SetDialer).
//
// Through a proxy or a bastion, the member's name travels to the far
// side and resolves there, as drivers do: nothing is resolved here. Via
// gives the wording of a check that went through a path ("via socks5
// HOST:PORT", "via ssh HOST:PORT"); it never holds a password.
//
// Resolving puts the engine's own resolver (and so --dns-server) in front
// of a direct path: names resolve here, through it, before dialing.
//
// Beside the paths: DialEvery dials every address of a name (for
// tcp.some-addresses-refused), and EnvProxies lists the proxies of the
// environment that drivers ignore (for proxy.env-ignored).
//
// Failures are typed errors that carry their data; callers use
// errors.As and never read error text. They map onto the catalogue:
//
//	*ProxyUnreachableError     proxy.unreachable
//	*ProxyHandshakeError       proxy.unreachable (it answers TCP, not SOCKS5)
//	*ProxyAuthError            proxy.auth-failed
//	*ProxyConnectError         proxy.connect-failed
//	*SSHUnreachableError       ssh.unreachable
//	*SSHAuthError              ssh.auth-failed
//	*SSHIdentityError          ssh.auth-failed (no usable key to offer)
//	*SSHHostKeyUnknownError    ssh.host-key-unknown
//	*SSHHostKeyMismatchError   ssh.host-key-mismatch
//	*KnownHostsError           ssh.host-key-unknown (the file cannot be read)
//	*SSHForwardError           ssh.forward-refused
//	*BastionError, *ConfigError  usage errors (exit 2)
//
// A dial that runs out of time returns an error for which
// errors.Is(err, context.DeadlineExceeded) or a net.Error's Timeout()
// holds, as a direct dial does. No secret (proxy password, key
// passphrase, key material) is ever part of an error, a String or a Via.
//
// netpath imports resolve and connstr of mongoconn's packages, beside the
// standard library, golang.org/x/net/proxy and golang.org/x/crypto/ssh
// (with its knownhosts and agent packages); never one that probes. It
// never prints and never exits.
package netpath
