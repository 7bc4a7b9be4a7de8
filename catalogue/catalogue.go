// Package catalogue owns every failure mongoconn knows: its stable id,
// title, severity, cause, fixes and documentation links, and the
// Findings built from them. It imports report only; what detects a
// failure lives with the stage or parser that sees it, and secrets are
// masked where a report is finished (report.Report.RedactFindings).
package catalogue

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/mongoconn/mongoconn/report"
)

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
	// ID is the stable catalogue id (DESIGN.md §4).
	ID string
	// Title is one line naming the failure.
	Title string
	// Severity is the default severity of a finding built from the entry.
	Severity report.Severity
	// Cause is one paragraph saying why the failure happens.
	Cause string
	// Fixes are concrete steps, with the corrected connection-string
	// pattern where one exists.
	Fixes []string
	// Docs are official MongoDB documentation pages.
	Docs []string
}

// Catalogue returns every entry, in DESIGN.md order.
func Catalogue() []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		out[i] = e.clone()
	}
	return out
}

// Lookup returns the entry for id.
func Lookup(id string) (Entry, bool) {
	for _, e := range entries {
		if e.ID == id {
			return e.clone(), true
		}
	}
	return Entry{}, false
}

func (e Entry) clone() Entry {
	e.Fixes = append([]string(nil), e.Fixes...)
	e.Docs = append([]string(nil), e.Docs...)
	return e
}

// NewFinding builds a finding from the catalogue entry for id, with the
// evidence seen here. An unknown id is a programming error caught by the
// catalogue tests; at run time it yields a bare error-level finding.
func NewFinding(id string, evidence ...string) report.Finding {
	e, ok := Lookup(id)
	if !ok {
		return report.Finding{ID: id, Severity: report.SeverityError, Title: id, Evidence: evidenceOf(evidence)}
	}
	return report.Finding{
		ID:       e.ID,
		Severity: e.Severity,
		Title:    e.Title,
		Evidence: evidenceOf(evidence),
		Cause:    e.Cause,
		// Copies: a stage may edit its finding's fixes.
		Fixes: slices.Clone(e.Fixes),
		Docs:  slices.Clone(e.Docs),
	}
}

// NewFindingSeverity is NewFinding with a severity other than the entry's
// default: topology.failover is an error while no primary exists and a
// warning once one has been elected again.
func NewFindingSeverity(id string, sev report.Severity, evidence ...string) report.Finding {
	return NewFinding(id, evidence...).WithSeverity(sev)
}

// NewFailoverFinding builds topology.failover with the severity DESIGN.md
// §4 gives it: error while the set has no primary, warning once a primary
// exists again.
func NewFailoverFinding(primaryExists bool, evidence ...string) report.Finding {
	sev := report.SeverityError
	if primaryExists {
		sev = report.SeverityWarning
	}
	return NewFindingSeverity(IDTopologyFailover, sev, evidence...)
}

func evidenceOf(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return append([]string(nil), ss...)
}

// Official documentation pages the entries point to. Every one is a page
// of www.mongodb.com/docs.
const (
	docConnString     = "https://www.mongodb.com/docs/manual/reference/connection-string/"
	docSRV            = "https://www.mongodb.com/docs/manual/reference/connection-string-formats/#std-label-connections-dns-seedlist"
	DocConnOptions    = "https://www.mongodb.com/docs/manual/reference/connection-string-options/"
	DocGoTargets      = "https://www.mongodb.com/docs/drivers/go/current/connect/connection-targets/"
	docGoTroubleshoot = "https://www.mongodb.com/docs/drivers/go/current/connection-troubleshooting/"
	DocPyTargets      = "https://www.mongodb.com/docs/languages/python/pymongo-driver/current/connect/connection-targets/"
	docPyTroubleshoot = "https://www.mongodb.com/docs/languages/python/pymongo-driver/current/troubleshooting/"
	docTLSClients     = "https://www.mongodb.com/docs/manual/tutorial/configure-ssl-clients/"
	docTLSServer      = "https://www.mongodb.com/docs/manual/tutorial/configure-ssl/"
	DocReplSet        = "https://www.mongodb.com/docs/manual/replication/"
	docDeployReplSet  = "https://www.mongodb.com/docs/manual/tutorial/deploy-replica-set/"
	docInitiate       = "https://www.mongodb.com/docs/manual/reference/method/rs.initiate/"
	docElections      = "https://www.mongodb.com/docs/manual/core/replica-set-elections/"
	docRetryable      = "https://www.mongodb.com/docs/manual/core/retryable-writes/"
	docGoCompat       = "https://www.mongodb.com/docs/drivers/go/current/compatibility/"
	docPyCompat       = "https://www.mongodb.com/docs/languages/python/pymongo-driver/current/compatibility/"
	docAuth           = "https://www.mongodb.com/docs/manual/core/authentication/"
	docSCRAM          = "https://www.mongodb.com/docs/manual/core/security-scram/"
	docStableAPI      = "https://www.mongodb.com/docs/manual/reference/stable-api/"
	docReadPref       = "https://www.mongodb.com/docs/manual/core/read-preference/"
	docSelection      = "https://www.mongodb.com/docs/manual/core/read-preference-mechanics/"
	docAtlasAccess    = "https://www.mongodb.com/docs/atlas/security/ip-access-list/"
	docAtlasConnect   = "https://www.mongodb.com/docs/atlas/connect-to-database-deployment/"
	docBindIP         = "https://www.mongodb.com/docs/manual/core/security-mongodb-configuration/"
	docWireProtocol   = "https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/"
)

// severityNotes explain severities that depend on the situation.
var severityNotes = map[string]string{
	IDTopologyFailover: "error while the set has no primary; warning once a primary has been elected again",
}

// TroubleshootingMarkdown renders the catalogue as docs/troubleshooting.md:
// an index, then one section per id whose anchor is the id itself.
// examples maps an id to error texts that `mongoconn explain` recognises
// as that id; they are shown under the entry.
func TroubleshootingMarkdown(examples map[string][]string) []byte {
	var b strings.Builder
	b.WriteString("# Troubleshooting MongoDB connections\n\n")
	b.WriteString("<!-- Generated from diagnose/catalogue.go and testdata/explain by\n")
	b.WriteString("     `go test ./diagnose -run TestTroubleshootingDoc -update`. Do not edit by hand. -->\n\n")
	b.WriteString("Every problem `mongoconn` reports has a stable id: the `id` field of a finding in\n")
	b.WriteString("`mongoconn -o json` output, and the heading of a section below. To find the entry for\n")
	b.WriteString("an error message your application printed, paste it into `mongoconn explain`:\n\n")
	b.WriteString("```sh\nmongoconn explain 'pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused'\n")
	b.WriteString("some-app 2>&1 | mongoconn explain -\n```\n\n")
	b.WriteString("To test a connection string from this machine, stage by stage:\n\n")
	b.WriteString("```sh\nmongoconn diagnose 'mongodb://localhost:27017/'\n```\n\n")
	b.WriteString("| id | severity | what it means |\n|---|---|---|\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", e.ID, e.ID, e.Severity, mdEscape(e.Title))
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "\n<a id=\"%s\"></a>\n\n## %s\n\n", e.ID, e.ID)
		fmt.Fprintf(&b, "**%s**\n\n", mdEscape(e.Title))
		sev := string(e.Severity)
		if n, ok := severityNotes[e.ID]; ok {
			sev = n
		}
		fmt.Fprintf(&b, "Severity: %s.\n\n", sev)
		fmt.Fprintf(&b, "**Cause.** %s\n\n", mdEscape(e.Cause))
		b.WriteString("**Fixes.**\n\n")
		for _, f := range e.Fixes {
			fmt.Fprintf(&b, "- %s\n", mdCode(f))
		}
		if ex := examples[e.ID]; len(ex) > 0 {
			b.WriteString("\n**Seen as.** Messages `mongoconn explain` recognises as this entry:\n\n```text\n")
			for _, x := range ex {
				b.WriteString(strings.TrimSpace(x))
				b.WriteString("\n")
			}
			b.WriteString("```\n")
		}
		b.WriteString("\n**Documentation.**\n\n")
		for _, d := range e.Docs {
			fmt.Fprintf(&b, "- <%s>\n", d)
		}
	}
	return []byte(b.String())
}

// mdEscape keeps prose from being read as Markdown markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// mdCommandRE recognises a fix that ends with a command to type.
var mdCommandRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:mongosh|mongoconn|mongod|db\.|rs\.|docker|nc|ss|ssh|ssh-add|ssh-keygen|node|lsof|getent|dscacheutil|nslookup|curl|date|go get|pip)\b`)
})

// mdTokenRE finds connection strings and option=value pairs in prose.
var mdTokenRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\S+://\S*[^\s.,;:)]|\b[A-Za-z_.]+=[^\s,;)]*[^\s.,;:)]`)
})

// mdCode renders a fix: the command after its last ": " as code when it is
// one, connection strings and option=value pairs as code, the rest as
// escaped prose.
func mdCode(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && mdCommandRE().MatchString(s[i+2:]) {
		return mdInline(s[:i]) + ": `" + s[i+2:] + "`"
	}
	return mdInline(s)
}

func mdInline(s string) string {
	var b strings.Builder
	prev := 0
	for _, loc := range mdTokenRE().FindAllStringIndex(s, -1) {
		b.WriteString(mdEscape(s[prev:loc[0]]))
		b.WriteString("`" + s[loc[0]:loc[1]] + "`")
		prev = loc[1]
	}
	b.WriteString(mdEscape(s[prev:]))
	return b.String()
}
