package diagnose

// Catalogue ids (DESIGN.md §4). They are stable: users grep for them.
const (
	IDURIInvalid                    = "uri.invalid"
	IDURIUnescapedCredentials       = "uri.unescaped-credentials"
	IDURIUnknownOption              = "uri.unknown-option"
	IDURIDirectMultipleHosts        = "uri.direct-multiple-hosts"
	IDURISRVWithPort                = "uri.srv-with-port"
	IDDNSNoSuchHost                 = "dns.no-such-host"
	IDSRVNoRecords                  = "srv.no-records"
	IDSRVDomainMismatch             = "srv.domain-mismatch"
	IDSRVTXTOptionNotAllowed        = "srv.txt-option-not-allowed"
	IDSRVMultipleTXT                = "srv.multiple-txt"
	IDTCPRefused                    = "tcp.refused"
	IDTCPTimeout                    = "tcp.timeout"
	IDTLSUnknownAuthority           = "tls.unknown-authority"
	IDTLSHostnameMismatch           = "tls.hostname-mismatch"
	IDTLSExpired                    = "tls.expired"
	IDTLSServerNotTLS               = "tls.server-not-tls"
	IDTLSServerRequiresTLS          = "tls.server-requires-tls"
	IDServerNotResponding           = "server.not-responding"
	IDServerNotMongoDB              = "server.not-mongodb"
	IDWireServerTooOld              = "wire.server-too-old"
	IDWireServerTooNew              = "wire.server-too-new"
	IDTopologyAdvertisedUnreachable = "topology.advertised-unreachable"
	IDTopologyReplSetNameMismatch   = "topology.replset-name-mismatch"
	IDTopologyReplSetNotInitiated   = "topology.replset-not-initiated"
	IDTopologyNoPrimary             = "topology.no-primary"
	IDTopologyFailover              = "topology.failover"
	IDAuthFailed                    = "auth.failed"
	IDAuthMechanismUnsupported      = "auth.mechanism-unsupported"
	IDAPIStrictUnsupported          = "api.strict-unsupported"
	IDSelectTimeout                 = "select.timeout"
	IDAtlasAccessList               = "atlas.access-list"
)

// Entry is one known failure: what it is, why it happens, how to fix it.
type Entry struct {
	ID       string
	Title    string
	Severity Severity
	Cause    string
	Fixes    []string
	Docs     []string
}

// Catalogue returns every entry, in DESIGN.md order.
func Catalogue() []Entry {
	out := make([]Entry, len(catalogue))
	copy(out, catalogue)
	return out
}

// Lookup returns the entry for id.
func Lookup(id string) (Entry, bool) {
	for _, e := range catalogue {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// NewFinding builds a finding from the catalogue entry for id, with the
// evidence seen here. An unknown id is a programming error and panics in
// tests through TestEveryIDHasEntry; at run time it yields a bare finding.
func NewFinding(id string, evidence ...string) Finding {
	e, ok := Lookup(id)
	if !ok {
		return Finding{ID: id, Severity: SeverityError, Title: id, Evidence: evidence}
	}
	return Finding{
		ID:       e.ID,
		Severity: e.Severity,
		Title:    e.Title,
		Evidence: append([]string(nil), evidence...),
		Cause:    e.Cause,
		Fixes:    append([]string(nil), e.Fixes...),
		Docs:     append([]string(nil), e.Docs...),
	}
}

const (
	docConnString   = "https://www.mongodb.com/docs/manual/reference/connection-string/"
	docConnOptions  = "https://www.mongodb.com/docs/manual/reference/connection-string-options/"
	docSRV          = "https://www.mongodb.com/docs/manual/reference/connection-string-formats/#srv-connection-format"
	docTroubleshoot = "https://www.mongodb.com/docs/drivers/go/current/connect/connection-targets/"
	docTLS          = "https://www.mongodb.com/docs/manual/tutorial/configure-ssl-clients/"
	docReplSet      = "https://www.mongodb.com/docs/manual/replication/"
	docInitiate     = "https://www.mongodb.com/docs/manual/reference/method/rs.initiate/"
	docCompat       = "https://www.mongodb.com/docs/drivers/go/current/compatibility/"
	docAuth         = "https://www.mongodb.com/docs/manual/core/authentication/"
	docStableAPI    = "https://www.mongodb.com/docs/manual/reference/stable-api/"
	docSelection    = "https://www.mongodb.com/docs/manual/core/read-preference-mechanics/"
	docAtlasAccess  = "https://www.mongodb.com/docs/atlas/security/ip-access-list/"
	docFailover     = "https://www.mongodb.com/docs/manual/core/replica-set-elections/"
)

var catalogue = []Entry{
	{ID: IDURIInvalid, Severity: SeverityError, Title: "The connection string cannot be parsed", Docs: []string{docConnString}},
	{ID: IDURIUnescapedCredentials, Severity: SeverityError, Title: "The user name or password contains characters that must be percent-encoded", Docs: []string{docConnString}},
	{ID: IDURIUnknownOption, Severity: SeverityWarning, Title: "The connection string has an option drivers do not know", Docs: []string{docConnOptions}},
	{ID: IDURIDirectMultipleHosts, Severity: SeverityError, Title: "directConnection=true needs exactly one host", Docs: []string{docConnOptions}},
	{ID: IDURISRVWithPort, Severity: SeverityError, Title: "A mongodb+srv connection string must name one host without a port", Docs: []string{docSRV}},
	{ID: IDDNSNoSuchHost, Severity: SeverityError, Title: "A host name does not resolve", Docs: []string{docConnString}},
	{ID: IDSRVNoRecords, Severity: SeverityError, Title: "No SRV records for the mongodb+srv host", Docs: []string{docSRV}},
	{ID: IDSRVDomainMismatch, Severity: SeverityError, Title: "An SRV target is outside the host's domain", Docs: []string{docSRV}},
	{ID: IDSRVTXTOptionNotAllowed, Severity: SeverityError, Title: "The TXT record sets an option it may not set", Docs: []string{docSRV}},
	{ID: IDSRVMultipleTXT, Severity: SeverityError, Title: "The host has more than one TXT record", Docs: []string{docSRV}},
	{ID: IDTCPRefused, Severity: SeverityError, Title: "Nothing is listening on the port (connection refused)", Docs: []string{docTroubleshoot}},
	{ID: IDTCPTimeout, Severity: SeverityError, Title: "The TCP connection timed out", Docs: []string{docTroubleshoot}},
	{ID: IDTLSUnknownAuthority, Severity: SeverityError, Title: "The server's certificate is signed by an authority this machine does not trust", Docs: []string{docTLS}},
	{ID: IDTLSHostnameMismatch, Severity: SeverityError, Title: "The server's certificate is not valid for the host name used", Docs: []string{docTLS}},
	{ID: IDTLSExpired, Severity: SeverityError, Title: "The server's certificate has expired or is not yet valid", Docs: []string{docTLS}},
	{ID: IDTLSServerNotTLS, Severity: SeverityError, Title: "TLS was requested but the server speaks plain MongoDB", Docs: []string{docTLS}},
	{ID: IDTLSServerRequiresTLS, Severity: SeverityError, Title: "The server requires TLS but the connection string does not enable it", Docs: []string{docTLS}},
	{ID: IDServerNotResponding, Severity: SeverityError, Title: "The server accepted the connection but did not answer", Docs: []string{docTroubleshoot}},
	{ID: IDServerNotMongoDB, Severity: SeverityError, Title: "The peer does not speak the MongoDB wire protocol", Docs: []string{docConnString}},
	{ID: IDWireServerTooOld, Severity: SeverityError, Title: "The server is too old for this driver", Docs: []string{docCompat}},
	{ID: IDWireServerTooNew, Severity: SeverityError, Title: "The server is too new for this driver", Docs: []string{docCompat}},
	{ID: IDTopologyAdvertisedUnreachable, Severity: SeverityError, Title: "Replica set members advertise addresses this machine cannot reach", Docs: []string{docTroubleshoot}},
	{ID: IDTopologyReplSetNameMismatch, Severity: SeverityError, Title: "The replica set name in the connection string does not match the servers", Docs: []string{docReplSet}},
	{ID: IDTopologyReplSetNotInitiated, Severity: SeverityError, Title: "The replica set has not been initiated", Docs: []string{docInitiate}},
	{ID: IDTopologyNoPrimary, Severity: SeverityError, Title: "The replica set has no primary", Docs: []string{docFailover}},
	{ID: IDTopologyFailover, Severity: SeverityError, Title: "A failover is in progress", Docs: []string{docFailover}},
	{ID: IDAuthFailed, Severity: SeverityError, Title: "Authentication failed", Docs: []string{docAuth}},
	{ID: IDAuthMechanismUnsupported, Severity: SeverityError, Title: "The authentication mechanism is not available for this user", Docs: []string{docAuth}},
	{ID: IDAPIStrictUnsupported, Severity: SeverityError, Title: "The server does not accept the strict Stable API", Docs: []string{docStableAPI}},
	{ID: IDSelectTimeout, Severity: SeverityError, Title: "No server matches the read preference", Docs: []string{docSelection}},
	{ID: IDAtlasAccessList, Severity: SeverityWarning, Title: "This machine's IP address may not be on the Atlas access list", Docs: []string{docAtlasAccess}},
}
