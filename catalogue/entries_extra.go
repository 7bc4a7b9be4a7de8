package catalogue

import "github.com/mongoconn/mongoconn/report"

// Ids of findings DESIGN.md has no id for yet. They come after every id of
// DESIGN.md (§4, §9, §10), so that the design's order stays intact, and
// catalogue's TestCatalogueMatchesDesign accepts them only there and only
// as listed in its extraIDs.
const (
	// IDDNSNoAnswer: DESIGN.md §4 has dns.no-such-host and srv.no-records,
	// which say what the records are; a DNS server that never answers (or
	// cannot be reached, or answers with an error instead of records)
	// says nothing about them, so neither id fits.
	IDDNSNoAnswer = "dns.no-answer"

	// IDRunInterrupted: DESIGN.md §3 makes an interrupted report fail
	// with an error finding, and §4 has no id for an interrupt; every id
	// of the stage that was cut short would be a verdict on a deployment
	// that was never reached.
	IDRunInterrupted = "run.interrupted"
)

// extraEntries are the entries of the ids above.
var extraEntries = []Entry{
	{
		ID:       IDDNSNoAnswer,
		Severity: report.SeverityError,
		Title:    "The DNS server did not answer",
		Cause: "The host name (or the SRV and TXT records of a mongodb+srv:// string) had to be looked up, and the " +
			"DNS server asked never answered: it stayed silent until the deadline, could not be reached, refused " +
			"the query or answered it with a server failure. Nothing is known about the name itself: it may " +
			"exist and resolve fine from another server. The driver fails the same way (\"i/o timeout\", " +
			"\"server misbehaving\"), and its server selection times out without contacting any member. Firewalls " +
			"that drop DNS over UDP, VPN clients that replace the resolver, a resolver in /etc/resolv.conf that is " +
			"down, and a --dns-server address where nothing answers all look like this.",
		Fixes: []string{
			"Check that the DNS server answers: dig @SERVER HOST (or dig @SERVER SRV _mongodb._tcp.HOST for mongodb+srv)",
			"Ask another DNS server (or, when one was named with --dns-server, the system resolver by leaving the flag out): mongoconn --dns-server 8.8.8.8:53 diagnose '<URI>'",
			"Check the resolvers this machine uses (/etc/resolv.conf, resolvectl status) and whether a firewall or VPN drops DNS traffic",
			"If DNS cannot be fixed from here, use the mongodb:// form of the connection string with the members' addresses (mongoconn srv prints it where DNS works)",
		},
		Docs: []string{docSRV, DocGoTargets, docGoTroubleshoot},
	},
	{
		ID:       IDRunInterrupted,
		Severity: report.SeverityError,
		Title:    "Interrupted before the command could finish",
		Cause: "A signal (Ctrl-C, SIGINT or SIGTERM) stopped the command on this machine before it observed " +
			"what it checks for. Nothing after that moment was seen, so the report neither says that the " +
			"deployment works nor blames it: its checks show what was learned until then, and a check cut short " +
			"by the signal says \"interrupted\".",
		Fixes: []string{"Run the command again and let it finish; to stop a slow check sooner, give it a shorter --timeout instead of interrupting it"},
		Docs:  []string{docGoTroubleshoot},
	},
}
