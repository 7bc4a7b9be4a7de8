package main

// markdownIntro opens docs/demo.md (-markdown).
const markdownIntro = `# mongoconn demo: real reports, no MongoDB needed

This page is the output of one run of ` + "`make demo`" + `, captured with

` + "```sh" + `
go run ./internal/demo -markdown > docs/demo.md
` + "```" + `

(the same scenarios and reports as ` + "`make demo`" + `, in one section each, without colour).

` + "`make demo`" + ` starts loopback servers from ` + "`internal/mongotest`" + ` (an embedded FerretDB, fake
` + "`mongod`" + `s and replica sets that speak the wire protocol and SCRAM, a TCP forwarder playing an
SSH tunnel, a DNS server), builds ` + "`mongoconn`" + `, runs it against each scenario exactly as
a user would, and prints the report. Every server listens on 127.0.0.1 and every name
resolves through the demo's own DNS server (` + "`--dns-server`" + `), so nothing leaves the
machine: only Go is needed. Ports, durations and versions differ from run to run.

The demo checks each report for the finding or verdict the scenario exists to show
(the ` + "`--- as expected:`" + ` lines) and exits 0 only when every scenario showed it, so CI can
run it too.

` + "```sh" + `
make demo                              # every scenario; colour on a terminal
make demo ARGS="-o json"               # mongoconn global flags for every run: JSON reports on
                                       # stdout (one per scenario), the rest on stderr
go run ./internal/demo -list           # the scenario names
go run ./internal/demo -scenario tunnel,srv -v
` + "```" + `

Ctrl-C stops the running ` + "`mongoconn`" + ` (which prints what it learned) and every server.

`
