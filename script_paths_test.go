package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
)

// Fixture commands for the paths_*.txtar transcripts: a replica set whose
// names resolve only on the far side of a path, a SOCKS5 proxy, and a
// real OpenSSH bastion (with ssh -D beside it).
func init() {
	scriptCmds["farset"] = cmdFarSet
	scriptCmds["socksproxy"] = cmdSOCKSProxy
	scriptCmds["bastion"] = cmdBastion
}

// scriptTBKey is the key of the script's test in the values of its
// environment (set by TestScripts).
type scriptTBKey struct{}

// scriptTB is the test a fixture of pathtest registers its cleanup with,
// and skips when OpenSSH or root is missing.
func scriptTB(ts *testscript.TestScript) testing.TB {
	tb, ok := ts.Value(scriptTBKey{}).(testing.TB)
	if !ok {
		ts.Fatalf("this fixture runs under go test only")
	}
	return tb
}

// farset [-members N] NAME: start a fake replica set "rs0" whose members
// advertise mongo-i.far.test:PORT, names nothing here resolves, and set
// $NAME to a connection string seeding member 0 by that name, $NAME_HOSTi
// to member i's advertised address and $NAME_ADDRi to its real one.
// socksproxy and bastion -set NAME resolve the names on their side.
func cmdFarSet(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("farset", flag.ContinueOnError)
	members := fs.Int("members", 3, "number of members")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: farset [-members N] NAME")
	}
	o := mongotest.ReplSetOptions{Name: "rs0", Members: *members}
	for i := range *members {
		o.Advertise = append(o.Advertise, fmt.Sprintf("mongo-%d.far.test:0", i))
	}
	rs, err := mongotest.NewReplSet(o)
	ts.Check(err)
	ts.Defer(rs.Close)
	v := fs.Arg(0)
	ts.Setenv(v, "mongodb://"+rs.Hosts()[0]+"/?replicaSet=rs0")
	for i, h := range rs.Hosts() {
		ts.Setenv(v+"_HOST"+strconv.Itoa(i), h)
		ts.Setenv(v+"_ADDR"+strconv.Itoa(i), rs.Addrs()[i])
	}
}

// farHostsOf is the far side's hosts table of the set farset started as
// $NAME: every advertised name to 127.0.0.1.
func farHostsOf(ts *testscript.TestScript, name string) map[string]string {
	hosts := map[string]string{}
	for i := 0; ; i++ {
		h := ts.Getenv(name + "_HOST" + strconv.Itoa(i))
		if h == "" {
			break
		}
		host, _, err := net.SplitHostPort(h)
		ts.Check(err)
		hosts[host] = "127.0.0.1"
	}
	if len(hosts) == 0 {
		ts.Fatalf("no set $%s: start it with farset", name)
	}
	return hosts
}

// socksproxy [-set SET] [-user U -pass P] NAME: start a SOCKS5 proxy on
// 127.0.0.1 that resolves the names of the set farset started as $SET
// (and no other), asking for U and P when given, and set $NAME_HOST and
// $NAME_PORT.
func cmdSOCKSProxy(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("socksproxy", flag.ContinueOnError)
	set := fs.String("set", "", "farset name whose names the proxy resolves")
	user := fs.String("user", "", "proxy user name")
	pass := fs.String("pass", "", "proxy password")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: socksproxy [-set SET] [-user U -pass P] NAME")
	}
	o := pathtest.SOCKS5Options{Username: *user, Password: *pass}
	if *set != "" {
		o.Hosts = farHostsOf(ts, *set)
	}
	p := pathtest.StartSOCKS5(scriptTB(ts), o)
	ts.Setenv(fs.Arg(0)+"_HOST", p.Host())
	ts.Setenv(fs.Arg(0)+"_PORT", strconv.Itoa(p.Port()))
}

// bastion [-set SET] [-noforward] [-socks S] NAME: start a real sshd on
// 127.0.0.1 with throwaway keys, whose own /etc/hosts holds the names of
// the set farset started as $SET (this needs root: the transcript is
// skipped elsewhere), and set $NAME to the --ssh value, $NAME_KEY to the
// client key, $NAME_KNOWN to a known_hosts file holding its host key,
// $NAME_OTHER to a known_hosts file holding another key for it,
// $NAME_EMPTY to an empty one, and $NAME_ADDR and $NAME_PORT. With
// -socks, ssh -D against it listens at $S_HOST:$S_PORT. With
// -noforward, it refuses every forwarding.
func cmdBastion(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("bastion", flag.ContinueOnError)
	set := fs.String("set", "", "farset name whose names the bastion resolves")
	noForward := fs.Bool("noforward", false, "refuse every forwarding")
	socks := fs.String("socks", "", "start ssh -D and name it")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: bastion [-set SET] [-noforward] [-socks S] NAME")
	}
	tb := scriptTB(ts)
	o := pathtest.SSHDOptions{NoForwarding: *noForward}
	if *set != "" {
		o.Hosts = farHostsOf(ts, *set)
	}
	s := pathtest.StartSSHD(tb, o)
	v := fs.Arg(0)
	ts.Setenv(v, s.Bastion())
	ts.Setenv(v+"_KEY", s.ClientKey)
	ts.Setenv(v+"_KNOWN", s.KnownHosts)
	ts.Setenv(v+"_ADDR", s.Addr())
	ts.Setenv(v+"_PORT", strconv.Itoa(s.Port))
	other := pathtest.NewKey(tb, s.Dir, "otherhostkey", "")
	for name, text := range map[string]string{
		"_OTHER": "[" + s.Host + "]:" + strconv.Itoa(s.Port) + " " + pathtest.PublicKeyLine(tb, other) + "\n",
		"_EMPTY": "",
	} {
		file := filepath.Join(s.Dir, "known_hosts"+name)
		ts.Check(os.WriteFile(file, []byte(text), 0o600))
		ts.Setenv(v+name, file)
	}
	if *socks != "" {
		x := pathtest.StartSSHSOCKS(tb, s)
		ts.Setenv(*socks+"_HOST", x.Host)
		ts.Setenv(*socks+"_PORT", strconv.Itoa(x.Port))
	}
}
