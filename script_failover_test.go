package main

import (
	"strings"
	"time"

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

// failoverset NAME STEPDOWN GAP: start a three-member fake replica set
// whose primary (member 0) steps down after STEPDOWN (at once for 0s) and
// whose member 1 is elected GAP later, with a new electionId. $NAME is its
// connection string.
func cmdFailoverSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: failoverset NAME STEPDOWN GAP")
	}
	stepDown, err := time.ParseDuration(args[1])
	ts.Check(err)
	gap, err := time.ParseDuration(args[2])
	ts.Check(err)
	rs, err := mongotest.NewReplSet(mongotest.ReplSetOptions{})
	ts.Check(err)
	ts.Defer(rs.Close)
	if stepDown <= 0 {
		rs.StepDown()
		rs.After(gap, func() { _ = rs.Elect(1) })
	} else {
		rs.Failover(stepDown, gap, 1)
	}
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
