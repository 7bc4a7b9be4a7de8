package catalogue

import "github.com/mongoconn/mongoconn/report"

// Ids of the findings about option values, the linked driver and this
// machine (DESIGN.md §4, after atlas.access-list).
const (
	IDURIInvalidValue      = "uri.invalid-value"
	IDDriverRefused        = "driver.refused"
	IDLocalResources       = "local.resources"
	docGoMongoClient       = "https://www.mongodb.com/docs/drivers/go/current/connect/mongoclient/"
	docGoConnectionOptions = "https://www.mongodb.com/docs/drivers/go/current/connect/connection-options/"
	docProdNotes           = "https://www.mongodb.com/docs/manual/administration/production-notes/"
	docUlimitSettings      = "https://www.mongodb.com/docs/manual/reference/ulimit/"
)

// valueEntries are the findings about option values and this machine
// (DESIGN.md §4, after atlas.access-list): what the specification says of
// a value, what the linked driver does with the string, and local
// resources.
var valueEntries = []Entry{
	{
		ID:       IDURIInvalidValue,
		Severity: report.SeverityWarning,
		Title:    "A connection-string option has a value drivers cannot use",
		Cause: "The option is one drivers know, but its value is not one it can take: a boolean that is not true " +
			"or false (retryWrites=ture), a number that is not a number or is out of range (connectTimeoutMS=abc, " +
			"connectTimeoutMS=-2), an empty value, a mode no driver has, or a key given more than once. The URI " +
			"options specification says that drivers warn about such a value and ignore it, so the setting you " +
			"meant is not applied and the default is used instead; some drivers, the Go driver among them, go " +
			"further and refuse the whole string (see driver.refused).",
		Fixes: []string{
			"Write the value the option takes: retryWrites=true, connectTimeoutMS=10000 (milliseconds), readPreference=secondaryPreferred",
			"Or remove the option to get the driver's default",
			"Check the values each option takes in the connection-string options reference",
		},
		Docs: []string{DocConnOptions, docConnString},
	},
	{
		ID:       IDDriverRefused,
		Severity: report.SeverityError,
		Title:    "The Go driver refuses this connection string",
		Cause: "The MongoDB Go driver this tool links parses the connection string before it opens any connection, " +
			"and it rejects this one: an application built with it fails at start-up (mongo.Connect returns the " +
			"error), whatever the network says. The Go driver is stricter than the URI options specification, " +
			"which tells drivers to warn about an invalid value and ignore it, so other drivers, or other releases, " +
			"may accept the same string; the fix is the same for all of them.",
		Fixes: []string{
			"Correct the value the driver names (retryWrites=true instead of retryWrites=ture), or remove the option",
			"Check the corrected string with: mongoconn ping '<URI>'",
		},
		Docs: []string{docGoMongoClient, docGoConnectionOptions, DocConnOptions},
	},
	{
		ID:       IDLocalResources,
		Severity: report.SeverityError,
		Title:    "This machine ran out of file descriptors, ports or memory",
		Cause: "The connection failed before it left this machine: the operating system refused a socket (for the " +
			"connection or for a DNS question) or the opening of a file the connection needs (tlsCAFile, " +
			"tlsCertificateKeyFile, resolv.conf) because this process or the whole system has no file descriptor " +
			"left (EMFILE, ENFILE: the open-file limit, ulimit -n), no local port or buffer (EADDRNOTAVAIL, " +
			"ENOBUFS: too many connections in TIME_WAIT, an exhausted ephemeral port range) or no memory (ENOMEM). " +
			"Nothing is known about the server, its name or the file: none was asked or read. Applications with " +
			"large connection pools, many clients, or leaked connections hit it under load.",
		Fixes: []string{
			"Raise the open-file limit of the process (ulimit -n 65536, LimitNOFILE= in a systemd unit, --ulimit nofile= in Docker)",
			"Close clients you no longer use and share one client per process: each client keeps a pool and monitoring connections per member",
			"Lower maxPoolSize, or check for leaked connections: ss -tan state time-wait | wc -l",
			"Widen the ephemeral port range (sysctl net.ipv4.ip_local_port_range) when ports run out",
		},
		Docs: []string{docUlimitSettings, docProdNotes},
	},
}
