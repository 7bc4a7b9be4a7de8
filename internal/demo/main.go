// Command demo shows what mongoconn reports, without MongoDB: it starts
// loopback servers from internal/mongotest (an embedded FerretDB, fake
// mongods and replica sets, a TCP forwarder, a DNS server), runs the real
// mongoconn binary against each, prints every report, and checks that each
// scenario produced the finding or verdict it exists to show.
//
// Run it with `make demo` (or `go run ./internal/demo`) from the module:
//
//	make demo                         every scenario, text reports
//	make demo ARGS="-o json"          mongoconn global flags for every run
//	go run ./internal/demo -scenario tunnel
//	go run ./internal/demo -list
//
// Global flags for mongoconn come from the arguments after the demo's own
// flags, or else from the ARGS environment variable (which `make demo
// ARGS=...` sets). With -o json the reports form a JSON stream on stdout
// and everything else goes to stderr.
//
// Every server listens on 127.0.0.1 and every name resolves through the
// demo's own DNS server (mongoconn --dns-server), so nothing leaves this
// machine. Exit status: 0 when every scenario showed what it should, 1 when
// one did not (or the demo could not run), 2 for a usage error, 130 when
// interrupted.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
