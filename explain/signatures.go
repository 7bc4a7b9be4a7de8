package explain

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
)

// exSignatureRules are the phrases of the client-side signatures
// (DESIGN.md §10). They come first: a span they explain is not read again
// by a generic rule that yields (a refused connection, an EOF).
func exSignatureRules() []exRule {
	return []exRule{
		// The Go driver, when no provider of its chain (the string, the
		// environment, web identity, ECS, EC2) gave AWS credentials.
		{id: catalogue.IDAuthAWSNoCredentials, pattern: exRE(`NoCredentialProviders: no valid providers in chain`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDAuthAWSNoCredentials, facts: []string{"MONGODB-AWS: no source of the driver's chain gave AWS credentials"}}
		}},
		// The server refused this machine's client certificate as
		// expired (TLS alert 45), or the certificate file's key is not
		// the certificate's (crypto/tls, OpenSSL).
		{id: catalogue.IDAuthX509ClientCert, conn: true, pattern: exRE(`(?i)remote error: tls: expired certificate|sslv3 alert certificate expired|SSL alert number 45`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDAuthX509ClientCert, facts: []string{"the server refused this machine's client certificate as expired (TLS alert certificate_expired)"}}
		}},
		{id: catalogue.IDAuthX509ClientCert, pattern: exRE(`(?i)tls: private key does not match public key|key values mismatch|KEY_VALUES_MISMATCH`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDAuthX509ClientCert, facts: []string{"the private key in the client certificate file is not the certificate's"}}
		}},
		// The server's log names the database it looked for the user in.
		{id: catalogue.IDAuthWrongSource, pattern: exRE(`UserNotFound: Could not find user \\?"([^"\\\n]+)\\?" for db \\?"([^"\\\n]+)\\?"`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDAuthWrongSource, facts: []string{fmt.Sprintf("the server has no user %q in the database %q, the authSource the client used: the user may have been created in another database (admin?)", m.group(1), m.group(2))}}
		}},
		// mongod's log when net.maxIncomingConnections is reached.
		{id: catalogue.IDPoolConnectionBudget, pattern: exRE(`(?i)connection refused because (?:there are )?too many open connections(?:: (\d+))?`), fn: func(m *exMatch) exOutcome {
			fact := "the server refused a connection: it has as many open connections as it accepts"
			if n := m.group(1); n != "" {
				fact += " (" + n + ")"
			}
			return exOutcome{id: catalogue.IDPoolConnectionBudget, facts: []string{fact}}
		}},
		// Go's resolver: an answer it cannot parse.
		{id: catalogue.IDDNSAnswerUnparseable, conn: true, pattern: exRE(`(?i)lookup (\S+?)(?: on (\S+?))?: cannot unmarshal DNS message`), fn: func(m *exMatch) exOutcome {
			who := "the DNS server"
			if m.group(2) != "" {
				who += " " + m.group(2)
			}
			return exOutcome{id: catalogue.IDDNSAnswerUnparseable, facts: []string{fmt.Sprintf("%s sent an answer about %s that Go's resolver cannot parse", who, strings.TrimSuffix(m.group(1), "."))}}
		}},
		// Go's resolver dials TCP only when the UDP answer was truncated:
		// a failed TCP dial inside an SRV lookup is a server that cuts
		// the answer and refuses TCP.
		{id: catalogue.IDDNSSRVTruncated, conn: true, pattern: exRE(`lookup (_mongodb\._tcp\.\S+?) on (\S+?): dial tcp (\S+?): (?:connect: connection refused|i/o timeout)`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDNSSRVTruncated, facts: []string{fmt.Sprintf("the SRV answer for %s did not fit in UDP and the TCP retry to %s failed", m.group(1), m.group(3))}}
		}},
		// mongoconn's own findings, in its text or JSON output (a CI
		// log, a pasted report).
		{id: "", pattern: exRE(`\[([a-z]+\.[a-z0-9][a-z0-9-]*)\]|"id": "([a-z]+\.[a-z0-9][a-z0-9-]*)"`), fn: func(m *exMatch) exOutcome {
			id := m.group(1) + m.group(2)
			if _, ok := catalogue.Lookup(id); !ok {
				return exOutcome{}
			}
			return exOutcome{id: id, facts: []string{"mongoconn reported " + id}}
		}},
	}
}

var (
	// exSRVNotFoundRE marks an SRV lookup that says the name does not
	// exist, in any driver's words.
	exSRVNotFoundRE = exLazy(`(?i)querySrv ENOTFOUND|lookup _mongodb\._tcp\.\S+?(?: on \S+?)?: no such host|The DNS query name does not exist`)
)

// deriveSignatures adds the signatures that come from several facts of
// the text, and drops what they explain better.
func (s *exScan) deriveSignatures() {
	// An Atlas cluster name whose SRV name does not exist.
	if s.has(catalogue.IDSRVNoRecords) && s.srvName != "" && exSRVNotFoundRE.MatchString(s.text) {
		if h, ok := connstr.ParseAtlasClusterHost(s.srvName); ok {
			s.add(catalogue.IDAtlasClusterNotFound, fmt.Sprintf("%s has the shape of an Atlas cluster name and does not exist: check the cluster name %q and the project identifier %q", s.srvName, h.Cluster, h.ID))
		}
	}
	// The TCP dial of a truncated DNS answer is no member refusing.
	if s.has(catalogue.IDDNSSRVTruncated) {
		lines := map[int]bool{}
		for _, h := range s.hits {
			if h.id == catalogue.IDDNSSRVTruncated {
				lines[h.line] = true
			}
		}
		s.drop(func(h exHit) bool {
			return !(lines[h.line] && (h.id == catalogue.IDTCPRefused || h.id == catalogue.IDTCPTimeout))
		})
	}
	// No credentials is why MONGODB-AWS authentication failed, and the
	// metadata service's address is no member.
	if s.has(catalogue.IDAuthAWSNoCredentials) {
		s.drop(func(h exHit) bool {
			if h.id == catalogue.IDAuthFailed {
				return false
			}
			return !((h.id == catalogue.IDTCPRefused || h.id == catalogue.IDTCPTimeout) && h.line >= 0 && strings.Contains(s.lines[h.line], "169.254.169.254"))
		})
	}
	// Atlas hosts that refuse connections: a paused cluster.
	if host := exAtlasHostRE.FindString(s.text); host != "" && s.has(catalogue.IDTCPRefused) && !s.has(catalogue.IDTCPTimeout) {
		s.add(catalogue.IDAtlasClusterPaused, fmt.Sprintf("%s is a MongoDB Atlas host and its connections are refused: the cluster is paused, or this network blocks port 27017", host))
	}
}
