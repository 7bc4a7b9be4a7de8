package explain

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
)

// exPathRules are the phrases of the paths to a member (DESIGN.md §9):
// SOCKS5 proxies as the drivers' SOCKS5 clients report them (the Node.js
// socks package, python-socks under PyMongo, the JDK's SOCKS socket under
// the Java driver), SSH bastions as OpenSSH, the ssh2 package of Compass
// and Go's x/crypto/ssh report them, and mongoconn's own evidence. They
// come before every other rule: "Connection refused" after "SOCKS:" or in
// "open failed: connect failed" is the path's, not the member's port.
func exPathRules() []exRule {
	return []exRule{
		// --- SOCKS5 proxies ---
		{id: catalogue.IDProxyUnreachable, conn: true, pattern: exRE(`socks5 proxy (\S+) (?:is unreachable|accepted the TCP connection but did not complete a SOCKS5 handshake|broke off the handshake)`), fn: exProxyFact(catalogue.IDProxyUnreachable, "the SOCKS5 proxy %s could not be used")},
		{id: catalogue.IDProxyUnreachable, conn: true, pattern: exRE(`(?i)Could not connect to proxy (\S+?)(?: \[[^\]\n]*\])?(?:\s|$|,)`), fn: exProxyFact(catalogue.IDProxyUnreachable, "the SOCKS5 proxy %s could not be reached")},
		{id: catalogue.IDProxyUnreachable, conn: true, pattern: exRE(`(?i)Proxy connection timed out|Can't connect to SOCKS proxy|Malformed reply from SOCKS server|Reply from SOCKS server has bad (?:version|length)`)},
		{id: catalogue.IDProxyAuthFailed, conn: true, pattern: exRE(`socks5 proxy (\S+): the proxy (?:refused the username and password|requires authentication|accepts none of the authentication methods)`), fn: exProxyFact(catalogue.IDProxyAuthFailed, "the SOCKS5 proxy %s did not accept the credentials")},
		{id: catalogue.IDProxyAuthFailed, conn: true, pattern: exRE(`(?i)Socks5 Authentication failed|no accepted authentication type|SOCKS ?: authentication failed|Username and password authentication failure`)},
		{id: catalogue.IDProxyConnectFailed, conn: true, pattern: exRE(`socks5 proxy (\S+) could not connect to (\S+?): ([^\n]+)`), fn: func(m *exMatch) exOutcome {
			m.s.addAddr(m.group(2))
			return exOutcome{id: catalogue.IDProxyConnectFailed, facts: []string{fmt.Sprintf("the SOCKS5 proxy %s could not connect to %s", exCleanAddr(m.group(1)), exCleanAddr(m.group(2)))}}
		}},
		{id: catalogue.IDProxyConnectFailed, conn: true, pattern: exRE(`Socks5 proxy rejected connection - (\w+)|SOCKS: (Connection not allowed by ruleset|Network unreachable|Host unreachable|Connection refused|TTL expired|Command not supported|address type not supported)|SOCKS server (general failure)|ProxyError: (General SOCKS server failure|Connection not allowed by ruleset|Network unreachable|Host unreachable|Connection refused|TTL expired)`), fn: func(m *exMatch) exOutcome {
			for _, g := range m.sub[1:] {
				if g != "" {
					return exOutcome{id: catalogue.IDProxyConnectFailed, facts: []string{"the proxy answered: " + g}}
				}
			}
			return exOutcome{id: catalogue.IDProxyConnectFailed}
		}},

		// --- SSH bastions ---
		{id: catalogue.IDSSHHostKeyMismatch, conn: true, pattern: exRE(`ssh bastion (\S+) presented host key|REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for (\S+) has changed|knownhosts: key mismatch|Offending \S+ key in \S+`)},
		{id: catalogue.IDSSHHostKeyUnknown, conn: true, pattern: exRE(`ssh bastion (\S+): host key \S+ \S+ (?:is not in|cannot be checked)|No \S+ host key is known for (\S+) and you have requested strict checking|Host key verification failed|knownhosts: key is unknown`), fn: func(m *exMatch) exOutcome {
			var facts []string
			if h := exCleanHost(m.group(1) + m.group(2)); h != "" {
				facts = append(facts, "the host key of "+h+" is not in known_hosts")
			}
			return exOutcome{id: catalogue.IDSSHHostKeyUnknown, facts: facts}
		}},
		{id: catalogue.IDSSHAuthFailed, conn: true, pattern: exRE(`ssh bastion \S+ refused to log in (\S+)|ssh identity \S+ is passphrase-protected|no ssh identity to offer|Permission denied \(publickey[^)\n]*\)|All configured authentication methods failed|unable to authenticate, attempted methods \[[^\]\n]*\], no supported methods remain`)},
		{id: catalogue.IDSSHForwardRefused, conn: true, pattern: exRE(`ssh bastion \S+ did not forward to (\S+?): ([^\n(]+)|channel \d+: open failed: (administratively prohibited|connect failed|unknown channel type|resource shortage)(?:: ([^\n]*))?|ssh: rejected: (administratively prohibited|connect failed) \(([^)\n]*)\)`), fn: func(m *exMatch) exOutcome {
			if a := m.group(1); a != "" {
				m.s.addAddr(a)
				return exOutcome{id: catalogue.IDSSHForwardRefused, facts: []string{fmt.Sprintf("the bastion did not forward to %s: %s", exCleanAddr(a), strings.TrimSpace(m.group(2)))}}
			}
			why := m.group(3) + m.group(5)
			if more := strings.TrimSpace(m.group(4) + m.group(6)); more != "" {
				why += ": " + more
			}
			return exOutcome{id: catalogue.IDSSHForwardRefused, facts: []string{"the bastion refused the forwarded connection: " + why}}
		}},
		{id: catalogue.IDSSHUnreachable, conn: true, pattern: exRE(`ssh bastion (\S+) (?:is unreachable|accepted TCP but the SSH handshake failed)|ssh bastion (\S+): the connection was lost|ssh: connect to host (\S+) port (\d+): ([^\n]+)|kex_exchange_identification: [^\n]+|Timed out while waiting for handshake`), fn: func(m *exMatch) exOutcome {
			if h := m.group(3); h != "" {
				return exOutcome{id: catalogue.IDSSHUnreachable, facts: []string{fmt.Sprintf("the bastion %s, port %s: %s", h, m.group(4), strings.TrimSpace(m.group(5)))}}
			}
			return exOutcome{id: catalogue.IDSSHUnreachable}
		}},

		// --- mongoconn's own words for the two warnings ---
		{id: catalogue.IDProxyEnvIgnored, pattern: exRE(`(?i)\b((?:HTTPS?|ALL)_PROXY)=(\S+) is set\b|A proxy is set in the environment, and MongoDB drivers ignore it`), fn: func(m *exMatch) exOutcome {
			if v := m.group(1); v != "" {
				return exOutcome{id: catalogue.IDProxyEnvIgnored, facts: []string{v + " is set: MongoDB drivers do not use it"}}
			}
			return exOutcome{id: catalogue.IDProxyEnvIgnored}
		}},
		{id: catalogue.IDTCPSomeAddressesRefused, pattern: exRE(`connected to (\S+); ((?:\S+, )*\S+) refused|Some addresses of the host name refuse connections`), fn: func(m *exMatch) exOutcome {
			if ok := m.group(1); ok != "" {
				return exOutcome{id: catalogue.IDTCPSomeAddressesRefused, facts: []string{fmt.Sprintf("%s accepts, %s refused", exCleanAddr(ok), m.group(2))}}
			}
			return exOutcome{id: catalogue.IDTCPSomeAddressesRefused}
		}},
	}
}

// exProxyFact states format about the proxy address in group 1.
func exProxyFact(id, format string) func(m *exMatch) exOutcome {
	return func(m *exMatch) exOutcome {
		a := exCleanAddr(m.group(1))
		if a == "" {
			return exOutcome{id: id}
		}
		return exOutcome{id: id, facts: []string{fmt.Sprintf(format, a)}}
	}
}

// exPathEffects are the ids a failure of the path shows as on its own
// line: the proxy's or the bastion's refusal, reset or silence, or its
// authentication, is not the member's.
var exPathEffects = []string{
	catalogue.IDTCPRefused, catalogue.IDTCPTimeout, catalogue.IDAuthFailed, catalogue.IDDNSNoSuchHost,
	catalogue.IDTLSServerRequiresTLS, catalogue.IDTLSServerNotTLS, catalogue.IDServerNotResponding,
}

// derivePaths keeps the path's finding where a proxy or a bastion failed:
// what the same line also says is its effect; and a changed host key is
// what made OpenSSH's "Host key verification failed".
func (s *exScan) derivePaths() {
	pathLines := map[int]bool{}
	for _, h := range s.hits {
		if (strings.HasPrefix(h.id, "proxy.") || strings.HasPrefix(h.id, "ssh.")) && h.id != catalogue.IDProxyEnvIgnored {
			pathLines[h.line] = true
		}
	}
	if len(pathLines) == 0 {
		return
	}
	s.drop(func(h exHit) bool {
		if !pathLines[h.line] {
			return true
		}
		for _, id := range exPathEffects {
			if h.id == id {
				return false
			}
		}
		return true
	})
	if s.has(catalogue.IDSSHHostKeyMismatch) {
		s.drop(func(h exHit) bool { return h.id != catalogue.IDSSHHostKeyUnknown })
	}
}
