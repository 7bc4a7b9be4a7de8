package main

import (
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

func init() {
	for name, f := range map[string]func(*testscript.TestScript, bool, []string){
		"failoverset": cmdFailoverSet,
		"selectset":   cmdSelectSet,
	} {
		if _, dup := scriptCmds[name]; dup {
			panic("script command " + name + " registered twice")
		}
		scriptCmds[name] = f
	}
}

// failoverset NAME COMMAND N: start a three-member fake replica set whose
// primary (member 0) has stepped down, and whose member 1 is elected, with
// a new electionId, once the members together have answered N requests
// named COMMAND ("hello" counts isMaster too). The election is an event
// in what the members are asked, never a moment on the clock, so that a
// slow machine changes how long a transcript takes, not what it shows.
// $NAME is its connection string.
func cmdFailoverSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: failoverset NAME COMMAND N")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 1 {
		ts.Fatalf("failoverset: N %q is not a positive number", args[2])
	}
	rs, err := mongotest.NewReplSet(mongotest.ReplSetOptions{})
	ts.Check(err)
	ts.Defer(rs.Close)
	rs.StepDown()
	rs.On(mongotest.Event{Command: args[1], N: n}, func() { _ = rs.Elect(1) })
	ts.Setenv(args[0], rs.URI())
}

// selectset NAME [noprimary] [tag=KEY:VALUE[,KEY:VALUE]...]...: start a fake
// replica set with one member per tag= argument (three when there is
// none), member i carrying the tags of the i-th tag= argument ("tag=" for
// none). noprimary starts every member as a secondary. $NAME is its
// connection string.
func cmdSelectSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: selectset NAME [noprimary] [tag=KEY:VALUE,...]...")
	}
	var o mongotest.ReplSetOptions
	for _, a := range args[1:] {
		switch {
		case a == "noprimary":
			o.NoPrimary = true
		case strings.HasPrefix(a, "tag="):
			m := mongotest.MemberOptions{}
			for _, kv := range strings.Split(strings.TrimPrefix(a, "tag="), ",") {
				if kv == "" {
					continue
				}
				k, v, ok := strings.Cut(kv, ":")
				if !ok {
					ts.Fatalf("selectset: tag %q is not KEY:VALUE", kv)
				}
				if m.Tags == nil {
					m.Tags = map[string]string{}
				}
				m.Tags[k] = v
			}
			o.Member = append(o.Member, m)
		default:
			ts.Fatalf("selectset: unknown argument %q", a)
		}
	}
	rs, err := mongotest.NewReplSet(o)
	ts.Check(err)
	ts.Defer(rs.Close)
	ts.Setenv(args[0], rs.URI())
}
