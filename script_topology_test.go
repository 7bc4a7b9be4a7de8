package main

import (
	"bytes"
	"flag"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
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
	scriptCmds["topossh"] = cmdTopoSSH
}

// topoScriptSlowDelay is the reply delay of a member started with -slow:
// far outside the default 15 ms latency window, even on a loaded machine.
const topoScriptSlowDelay = 150 * time.Millisecond

// topoSSHStartTimeout bounds the wait for the loopback sshd to listen and
// for ssh -L to open its local port: both take well under a second, so
// ten seconds only matters when something is broken.
const topoSSHStartTimeout = 10 * time.Second

// topoSSHPoll is the pause between two connection attempts while waiting.
const topoSSHPoll = 20 * time.Millisecond

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

// topossh NAME TARGET: start an OpenSSH server on 127.0.0.1 with throwaway
// keys, open a real ssh -L tunnel through it to TARGET (a loopback
// host:port), and set $NAME to the tunnel's local address. Transcripts
// guard it with [!exec:sshd] skip, as sshd is not installed everywhere.
func cmdTopoSSH(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: topossh NAME TARGET")
	}
	if !strings.HasPrefix(args[1], "127.0.0.1:") {
		ts.Fatalf("topossh: target %s is not on loopback", args[1])
	}
	sshd, err := exec.LookPath("sshd")
	ts.Check(err)
	sshBin, err := exec.LookPath("ssh")
	ts.Check(err)
	keygen, err := exec.LookPath("ssh-keygen")
	ts.Check(err)
	if os.Geteuid() == 0 {
		// sshd run as root wants its privilege separation directory,
		// which the distribution's service normally creates at boot.
		ts.Check(os.MkdirAll("/run/sshd", 0o755))
	}
	u, err := user.Current()
	ts.Check(err)
	dir := ts.MkAbs("sshd")
	ts.Check(os.MkdirAll(dir, 0o700))
	for _, k := range []string{"hostkey", "userkey"} {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			ts.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "userkey.pub"))
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600))
	sshdAddr, localAddr := topoFreeAddr(ts), topoFreeAddr(ts)
	_, sshdPort, _ := net.SplitHostPort(sshdAddr)
	conf := strings.Join([]string{
		"Port " + sshdPort,
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "hostkey"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"AllowTcpForwarding yes",
		"PermitRootLogin prohibit-password",
		"",
	}, "\n")
	ts.Check(os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600))

	var sshdLog, sshLog bytes.Buffer
	server := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	server.Stdout, server.Stderr = &sshdLog, &sshdLog
	ts.Check(server.Start())
	ts.Defer(func() { _ = server.Process.Kill(); _ = server.Wait() })
	if !topoWaitListening(sshdAddr) {
		ts.Fatalf("sshd did not listen on %s: %s", sshdAddr, sshdLog.String())
	}
	client := exec.Command(sshBin, "-N", "-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "ExitOnForwardFailure=yes", "-o", "LogLevel=ERROR",
		"-i", filepath.Join(dir, "userkey"), "-p", sshdPort,
		"-L", localAddr+":"+args[1], u.Username+"@127.0.0.1")
	client.Stdout, client.Stderr = &sshLog, &sshLog
	ts.Check(client.Start())
	ts.Defer(func() { _ = client.Process.Kill(); _ = client.Wait() })
	if !topoWaitListening(localAddr) {
		ts.Fatalf("ssh -L did not open %s: %s", localAddr, sshLog.String())
	}
	ts.Setenv(args[0], localAddr)
}

// topoFreeAddr returns a 127.0.0.1 address nothing listens on right now.
func topoFreeAddr(ts *testscript.TestScript) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().String()
	ts.Check(l.Close())
	return addr
}

// topoWaitListening waits until addr accepts a connection.
func topoWaitListening(addr string) bool {
	deadline := time.Now().Add(topoSSHStartTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, topoSSHPoll)
		if err == nil {
			_ = c.Close()
			return true
		}
		time.Sleep(topoSSHPoll)
	}
	return false
}
