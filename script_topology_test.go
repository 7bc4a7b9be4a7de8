package main

import (
	"flag"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// Fixture commands for the discover_*, wirecheck_* and tunnel_*
// transcripts.
func init() {
	scriptCmds["toposet"] = cmdTopoSet
	scriptCmds["topomongod"] = cmdTopoMongod
	scriptCmds["topoforward"] = cmdTopoForward
}

// topoScriptSlowDelay is the reply delay of a member started with -slow:
// far outside the default 15 ms latency window, even on a loaded machine.
const topoScriptSlowDelay = 150 * time.Millisecond

// toposet [-members N] [-slow I] [-internal] [-noprimary] [-notinitiated]
// [-version V] [-name SET] NAME: start a fake replica set on 127.0.0.1 and
// set $NAME to a connection string seeding every member by its real
// address, $NAME_ADDRi to member i's real address and $NAME_HOSTi to the
// address it advertises. -internal advertises mongo-i.internal:27017
// names, which nothing resolves; -slow I delays member I's replies.
func cmdTopoSet(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("toposet", flag.ContinueOnError)
	members := fs.Int("members", 3, "number of members")
	slow := fs.Int("slow", -1, "index of a slow member")
	internal := fs.Bool("internal", false, "advertise internal names")
	noPrimary := fs.Bool("noprimary", false, "start without a primary")
	notInitiated := fs.Bool("notinitiated", false, "start without a configuration")
	version := fs.String("version", "", "server version")
	name := fs.String("name", "", "replica set name")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: toposet [-members N] [-slow I] [-internal] [-noprimary] [-notinitiated] [-version V] [-name SET] NAME")
	}
	o := mongotest.ReplSetOptions{Name: *name, Members: *members, NoPrimary: *noPrimary, NotInitiated: *notInitiated, Version: *version}
	if *slow >= 0 {
		if *slow >= *members {
			ts.Fatalf("toposet: -slow %d is not a member index", *slow)
		}
		o.Member = make([]mongotest.MemberOptions, *members)
		o.Member[*slow].Delay = topoScriptSlowDelay
	}
	if *internal {
		o.Advertise = mongotest.InternalHostNames(*members)
	}
	rs, err := mongotest.NewReplSet(o)
	ts.Check(err)
	ts.Defer(rs.Close)
	v := fs.Arg(0)
	ts.Setenv(v, rs.URI())
	for i, a := range rs.Addrs() {
		ts.Setenv(v+"_ADDR"+strconv.Itoa(i), a)
	}
	for i, h := range rs.Hosts() {
		ts.Setenv(v+"_HOST"+strconv.Itoa(i), h)
	}
}

// topomongod [-version V] [-opquery] [-minwire N] [-maxwire N] NAME:
// start a fake standalone mongod and set $NAME to its connection string
// and $NAME_ADDR to its address. -opquery makes it close connections that
// send OP_MSG, like MongoDB 3.4.
func cmdTopoMongod(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("topomongod", flag.ContinueOnError)
	version := fs.String("version", "", "server version")
	opQuery := fs.Bool("opquery", false, "OP_QUERY only")
	minWire := fs.Int("minwire", 0, "minWireVersion")
	maxWire := fs.Int("maxwire", 0, "maxWireVersion")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: topomongod [-version V] [-opquery] [-minwire N] [-maxwire N] NAME")
	}
	s, err := mongotest.NewFakeMongod(mongotest.Options{
		Version: *version, OpQueryOnly: *opQuery, MinWire: int32(*minWire), MaxWire: int32(*maxWire),
	})
	ts.Check(err)
	ts.Defer(s.Close)
	ts.Setenv(fs.Arg(0), s.URI())
	ts.Setenv(fs.Arg(0)+"_ADDR", s.Addr())
}

// topoforward NAME TARGET: start a TCP forwarder on 127.0.0.1 to TARGET
// (host:port), playing ssh -L or kubectl port-forward, and set $NAME to
// its address.
func cmdTopoForward(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: topoforward NAME TARGET")
	}
	if !strings.HasPrefix(args[1], "127.0.0.1:") && !strings.HasPrefix(args[1], "[::1]:") {
		ts.Fatalf("topoforward: target %s is not on loopback", args[1])
	}
	f, err := mongotest.NewForwarder(args[1])
	ts.Check(err)
	ts.Defer(f.Close)
	ts.Setenv(args[0], f.Addr())
}
