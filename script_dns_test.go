package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// DNS fixture commands for the srv_*.txtar transcripts.
func init() {
	scriptCmds["dnsserver"] = cmdDNSServer
	scriptCmds["dnsreplset"] = cmdDNSReplSet
	scriptCmds["splitaddr"] = cmdSplitAddr
}

// splitaddr NAME: set $NAME_HOST and $NAME_PORT from the HOST:PORT in $NAME.
func cmdSplitAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: splitaddr NAME")
	}
	host, port, err := net.SplitHostPort(ts.Getenv(args[0]))
	ts.Check(err)
	ts.Setenv(args[0]+"_HOST", host)
	ts.Setenv(args[0]+"_PORT", port)
}

// dnsserver [-truncate] [-notcp] NAME [ZONEFILE...]: start a DNS server
// on 127.0.0.1 (UDP and TCP) serving the records of the zone files
// (zone-file syntax, absolute names, $VARS expanded), and set $NAME to its
// address. With -truncate every UDP answer is truncated, so clients must
// retry over TCP; with -notcp the port refuses TCP.
func cmdDNSServer(ts *testscript.TestScript, neg bool, args []string) {
	truncate, notcp := false, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-truncate":
			truncate = true
		case "-notcp":
			notcp = true
		default:
			ts.Fatalf("dnsserver: unknown flag %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) < 1 {
		ts.Fatalf("usage: dnsserver [-truncate] [-notcp] NAME [ZONEFILE...]")
	}
	s, err := mongotest.NewDNSServer()
	ts.Check(err)
	ts.Defer(s.Close)
	for _, f := range args[1:] {
		zone := os.Expand(ts.ReadFile(f), ts.Getenv)
		if err := s.AddZone(zone); err != nil {
			ts.Fatalf("%s: %v", f, err)
		}
	}
	s.SetTruncate(truncate)
	if notcp {
		s.StopTCP()
	}
	ts.Setenv(args[0], s.Addr)
}

// dnsreplset NAME N: start a fake replica set "rs0" of N members on
// 127.0.0.1, advertising their real addresses, and set $NAME_PORTi to
// member i's port, for SRV records in a zone file.
func cmdDNSReplSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: dnsreplset NAME N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		ts.Fatalf("dnsreplset: N must be a positive number, got %q", args[1])
	}
	rs, err := mongotest.NewReplSet(mongotest.ReplSetOptions{Members: n})
	ts.Check(err)
	ts.Defer(rs.Close)
	for i, a := range rs.Addrs() {
		_, port, err := net.SplitHostPort(a)
		ts.Check(err)
		ts.Setenv(fmt.Sprintf("%s_PORT%d", args[0], i), port)
	}
	ts.Setenv(args[0], strings.Join(rs.Addrs(), ","))
}
