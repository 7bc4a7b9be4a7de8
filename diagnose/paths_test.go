package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/report"
)

// pathTestBudget is the --timeout of the path tests: everything answers
// at once on loopback; the margin is for a loaded machine and the SSH
// handshakes.
const pathTestBudget = 15 * time.Second

// farHosts are the names of a far-side replica set: they resolve through
// the proxy or on the bastion, never here.
func farHosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("mongo-%d.far.test:0", i)
	}
	return out
}

// startFarSet starts a fake replica set whose members advertise
// mongo-i.far.test:PORT names, and returns it with the far side's hosts
// table (every name to 127.0.0.1, where the members listen).
func startFarSet(t *testing.T, o mongotest.ReplSetOptions) (*mongotest.ReplSet, map[string]string) {
	t.Helper()
	if o.Members == 0 {
		o.Members = 3
	}
	o.Advertise = farHosts(o.Members)
	rs := mongotest.StartReplSet(t, o)
	hosts := map[string]string{}
	for _, h := range rs.Hosts() {
		hosts[hostOf(h)] = "127.0.0.1"
	}
	return rs, hosts
}

// pathEngine is an engine whose own resolver is a loopback DNS server
// that knows none of the far side's names: a test passes only when they
// were resolved across the path.
func pathEngine(t *testing.T) *Engine {
	t.Helper()
	dns := mongotest.StartDNS(t)
	e := NewEngine()
	e.Resolver = dnsServerResolver(dns.Addr)
	e.Timeout = pathTestBudget
	return e
}

// bastionEngine is pathEngine through sshd, with its key and known_hosts
// and a home without ~/.ssh.
func bastionEngine(t *testing.T, sshd *pathtest.SSHD) *Engine {
	e := pathEngine(t)
	e.SSH = netpath.SSHConfig{Bastion: sshd.Bastion(), IdentityFile: sshd.ClientKey, KnownHostsFile: sshd.KnownHosts, HomeDir: t.TempDir()}
	return e
}

func mustTarget(t *testing.T, uri string) *connstr.Target {
	t.Helper()
	tg, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	return tg
}

// runCommands runs every command that probes members against uri and
// returns the reports by command.
func runCommands(t *testing.T, e *Engine, uri string) map[string]*report.Report {
	t.Helper()
	ctx := context.Background()
	tg := mustTarget(t, uri)
	out := map[string]*report.Report{}
	for name, run := range map[string]func() (*report.Report, error){
		"diagnose":     func() (*report.Report, error) { return e.Diagnose(ctx, tg) },
		"ping":         func() (*report.Report, error) { return e.Ping(ctx, tg, PingRequest{RequirePrimary: true}) },
		"discover":     func() (*report.Report, error) { return e.Discover(ctx, tg) },
		"wire-check":   func() (*report.Report, error) { return e.WireCheck(ctx, tg) },
		"tunnel-check": func() (*report.Report, error) { return e.TunnelCheck(ctx, tg) },
	} {
		r, err := run()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = r
	}
	return out
}

func pathDump(r *report.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ok=%v: %s\n", r.Command, r.OK, r.Verdict)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-9s %-28s %-4s %s\n", c.Stage, c.Address, c.Status, c.Summary)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  finding %s (%s): %s\n", f.ID, f.Severity, strings.Join(f.Evidence, " | "))
		for _, fix := range f.Fixes {
			fmt.Fprintf(&b, "    fix %s\n", fix)
		}
		if f.SuggestedURI != "" {
			fmt.Fprintf(&b, "    try %s\n", f.SuggestedURI)
		}
	}
	return b.String()
}

// checkThroughPath asserts that every command succeeded against the
// far-side set, that every member check says via, and that no name was
// resolved here.
func checkThroughPath(t *testing.T, reports map[string]*report.Report, via string) {
	t.Helper()
	for name, r := range reports {
		if !r.OK {
			t.Errorf("%s through the path failed:\n%s", name, pathDump(r))
			continue
		}
		sawVia, sawFarDNS := false, false
		for _, c := range r.Checks {
			if c.Status == report.StatusSkip || !slices.Contains(pathStages, c.Stage) || strings.HasPrefix(c.Summary, "SSH bastion ") {
				continue
			}
			if !strings.Contains(c.Summary, via) {
				t.Errorf("%s: %s check of %s does not say %q: %s", name, c.Stage, c.Address, via, c.Summary)
			}
			sawVia = true
			if c.Stage == report.StageDNS && strings.HasPrefix(c.Summary, "not resolved here") {
				sawFarDNS = true
			}
		}
		if !sawVia || !sawFarDNS {
			t.Errorf("%s: no check through the path, or no far-side name check:\n%s", name, pathDump(r))
		}
		for _, f := range r.Findings {
			if f.Severity == report.SeverityError || strings.HasPrefix(f.ID, "tcp.") || strings.HasPrefix(f.ID, "dns.") {
				t.Errorf("%s: finding %s through a working path", name, f.ID)
			}
		}
	}
	if r := reports["ping"]; r != nil && r.OK && !strings.Contains(r.Verdict, "ping answered") {
		t.Errorf("ping verdict %q", r.Verdict)
	}
}

// TestThroughSOCKS5Proxy: the replica set's names resolve only in the
// proxy's table; proxyHost with credentials takes every command, the
// driver's ping included, to every member.
func TestThroughSOCKS5Proxy(t *testing.T) {
	rs, hosts := startFarSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	proxy := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "bob", Password: "pr0xy-S3cret", Hosts: hosts})
	uri := fmt.Sprintf("mongodb://%s/?replicaSet=rs0&proxyHost=%s&proxyPort=%d&proxyUsername=bob&proxyPassword=pr0xy-S3cret",
		rs.Hosts()[0], proxy.Host(), proxy.Port())
	reports := runCommands(t, pathEngine(t), uri)
	checkThroughPath(t, reports, "via socks5 "+proxy.Addr())
	if testing.Verbose() {
		t.Log(pathDump(reports["diagnose"]))
	}
	for _, req := range proxy.Requests() {
		if !strings.Contains(req, ".far.test:") {
			t.Errorf("the proxy was asked for %s: a name resolved here, not by the proxy", req)
		}
	}
	for i := range rs.Len() {
		if rs.Member(i).Count("hello", "isMaster") == 0 {
			t.Errorf("member %d was never asked hello through the proxy", i)
		}
	}
	if n := rs.Member(0).Count("ping"); n == 0 {
		t.Error("the driver's ping never reached the primary")
	}
	for name, r := range reports {
		if s := pathDump(r); strings.Contains(s, "pr0xy-S3cret") {
			t.Errorf("%s: the proxy password is in the report:\n%s", name, s)
		}
	}
}

// TestThroughSSHBastion: the names resolve only in sshd's own
// /etc/hosts; every command goes through one SSH connection per run,
// closed at its end.
func TestThroughSSHBastion(t *testing.T) {
	rs, hosts := startFarSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: hosts})
	e := bastionEngine(t, sshd)
	uri := "mongodb://" + rs.Hosts()[0] + "/?replicaSet=rs0"
	reports := runCommands(t, e, uri)
	logins := strings.Count(sshd.Logs(), "Accepted publickey")
	if logins != len(reports) {
		t.Errorf("%d SSH logins for %d runs: want one each\n%s", logins, len(reports), sshd.Logs())
	}
	// tunnel-check compares with this machine, where the names do not
	// resolve: TestTunnelCheckThroughBastion looks at what it says.
	tc := reports["tunnel-check"]
	delete(reports, "tunnel-check")
	checkThroughPath(t, reports, "via ssh "+sshd.Addr())
	hellos := 0
	for _, c := range tc.Checks {
		switch {
		case c.Stage == report.StageHello:
			hellos++
			if c.Status != report.StatusPass || !strings.Contains(c.Summary, "via ssh "+sshd.Addr()) {
				t.Errorf("tunnel-check: %s: %s", c.Address, c.Summary)
			}
		case c.Stage == report.StageTCP && strings.HasPrefix(c.Address, "mongo-"):
			if !strings.Contains(c.Summary, "from here: the host name does not resolve") {
				t.Errorf("tunnel-check: %s: %s", c.Address, c.Summary)
			}
		}
	}
	if hellos != rs.Len() || !tc.HasFinding(catalogue.IDTopologyAdvertisedUnreachable) {
		t.Errorf("tunnel-check through the bastion:\n%s", pathDump(tc))
	}
}

// TestThroughSSHDynamicForward: OpenSSH's own SOCKS5 proxy (ssh -D) as
// proxyHost, names resolved by the bastion behind it.
func TestThroughSSHDynamicForward(t *testing.T) {
	rs, hosts := startFarSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: hosts})
	socks := pathtest.StartSSHSOCKS(t, sshd)
	uri := fmt.Sprintf("mongodb://%s/?replicaSet=rs0&proxyHost=%s&proxyPort=%d", rs.Hosts()[1], socks.Host, socks.Port)
	r, err := pathEngine(t).Diagnose(context.Background(), mustTarget(t, uri))
	if err != nil {
		t.Fatal(err)
	}
	checkThroughPath(t, map[string]*report.Report{"diagnose": r}, "via socks5 "+socks.Addr())
}

// pathCase is a path that fails, and the one finding it must give.
type pathCase struct {
	name string
	uri  string
	e    *Engine
	id   string
	// evidence must appear in the finding's evidence.
	evidence []string
}

func runPathCase(t *testing.T, c pathCase) {
	t.Run(c.name, func(t *testing.T) {
		r, err := c.e.Ping(context.Background(), mustTarget(t, c.uri), PingRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var f *report.Finding
		for i := range r.Findings {
			switch id := r.Findings[i].ID; {
			case id == c.id:
				if f != nil {
					t.Errorf("%s reported twice", id)
				}
				f = &r.Findings[i]
			case strings.HasPrefix(id, "tcp.") || strings.HasPrefix(id, "dns.") || id == catalogue.IDServerNotResponding:
				t.Errorf("the path's failure is also reported as %s", id)
			}
		}
		if f == nil || r.OK {
			t.Fatalf("no %s:\n%s", c.id, pathDump(r))
		}
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range c.evidence {
			if !strings.Contains(ev, want) {
				t.Errorf("%s evidence lacks %q:\n%s", c.id, want, ev)
			}
		}
		if t.Failed() || testing.Verbose() {
			t.Log(pathDump(r))
		}
	})
}

// TestProxyFailures: every failure of a SOCKS5 proxy, once, with its id.
func TestProxyFailures(t *testing.T) {
	rs, hosts := startFarSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2})
	seed := rs.Hosts()[0]
	proxyURI := func(p interface {
		Host() string
		Port() int
	}, opts string) string {
		return fmt.Sprintf("mongodb://%s/?replicaSet=rs0&proxyHost=%s&proxyPort=%d%s", seed, p.Host(), p.Port(), opts)
	}
	closed := mongotest.ClosedPort(t)
	_, closedPort, _ := net.SplitHostPort(closed)
	notSOCKS := mongotest.ServeBytes(t, []byte(mongotest.HTTPReply))
	_, notSOCKSPort, _ := net.SplitHostPort(notSOCKS)
	auth := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "bob", Password: "right", Hosts: hosts})
	refusing := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Hosts: hosts, Replies: map[string]byte{hostOf(seed): pathtest.ReplyConnectionRefused}})
	blind := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{})
	for _, c := range []pathCase{
		{name: "refused", uri: fmt.Sprintf("mongodb://%s/?proxyHost=127.0.0.1&proxyPort=%s", seed, closedPort),
			id: catalogue.IDProxyUnreachable, evidence: []string{"socks5 proxy 127.0.0.1:" + closedPort + " is unreachable", "connection refused"}},
		{name: "not-socks5", uri: fmt.Sprintf("mongodb://%s/?proxyHost=127.0.0.1&proxyPort=%s", seed, notSOCKSPort),
			id: catalogue.IDProxyUnreachable, evidence: []string{"did not complete a SOCKS5 handshake"}},
		{name: "wrong-password", uri: proxyURI(auth, "&proxyUsername=bob&proxyPassword=wrong"),
			id: catalogue.IDProxyAuthFailed, evidence: []string{"refused the username and password (user bob)"}},
		{name: "no-credentials", uri: proxyURI(auth, ""),
			id: catalogue.IDProxyAuthFailed, evidence: []string{"requires authentication"}},
		{name: "reply-refused", uri: proxyURI(refusing, ""),
			id: catalogue.IDProxyConnectFailed, evidence: []string{"could not connect to " + seed, "connection refused (reply 0x05)"}},
		{name: "unknown-name", uri: proxyURI(blind, ""),
			id: catalogue.IDProxyConnectFailed, evidence: []string{"could not connect to " + seed, "host unreachable (reply 0x04)"}},
	} {
		c.e = pathEngine(t)
		runPathCase(t, c)
	}
}

// TestSSHDynamicForwardConnectFailed: ssh -D sends no reply code when
// the bastion cannot connect; it closes the connection.
func TestSSHDynamicForwardConnectFailed(t *testing.T) {
	closed := mongotest.ClosedPort(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	socks := pathtest.StartSSHSOCKS(t, sshd)
	runPathCase(t, pathCase{name: "closed-member", e: pathEngine(t),
		uri: fmt.Sprintf("mongodb://%s/?proxyHost=%s&proxyPort=%d", closed, socks.Host, socks.Port),
		id:  catalogue.IDProxyConnectFailed, evidence: []string{"could not connect to " + closed, "closed the connection without a reply"}})
}

// TestSSHFailures: every failure of a bastion, once, with its id, and
// nothing dialled around it.
func TestSSHFailures(t *testing.T) {
	member := mongotest.StartFakeMongod(t, mongotest.Options{})
	uri := "mongodb://" + member.Addr() + "/"
	notSSH := mongotest.ServeBytes(t, []byte(mongotest.HTTPReply))
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	noForward := pathtest.StartSSHD(t, pathtest.SSHDOptions{NoForwarding: true})
	dir := t.TempDir()
	stranger := pathtest.NewKey(t, dir, "stranger", "")
	locked := pathtest.NewKey(t, dir, "locked", "k3y-Passphrase")
	other := pathtest.NewKey(t, dir, "other", "")
	emptyKnown := filepath.Join(dir, "empty_known_hosts")
	wrongKnown := filepath.Join(dir, "wrong_known_hosts")
	if err := os.WriteFile(emptyKnown, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongKnown, []byte("[127.0.0.1]:"+fmt.Sprint(sshd.Port)+" "+pathtest.PublicKeyLine(t, other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := mongotest.ClosedPort(t)
	with := func(s *pathtest.SSHD, edit func(*netpath.SSHConfig)) *Engine {
		e := bastionEngine(t, s)
		if edit != nil {
			edit(&e.SSH)
		}
		return e
	}
	for _, c := range []pathCase{
		{name: "unreachable", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.Bastion = closed }),
			id: catalogue.IDSSHUnreachable, evidence: []string{"ssh bastion " + closed + " is unreachable"}},
		{name: "not-ssh", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.Bastion = notSSH }),
			id: catalogue.IDSSHUnreachable, evidence: []string{"accepted TCP but the SSH handshake failed"}},
		{name: "key-not-authorised", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.IdentityFile = stranger }),
			id: catalogue.IDSSHAuthFailed, evidence: []string{"refused to log in " + sshd.User}},
		{name: "passphrase-without-agent", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.IdentityFile = locked }),
			id: catalogue.IDSSHAuthFailed, evidence: []string{"is passphrase-protected and no ssh-agent holds it"}},
		{name: "host-key-unknown", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.KnownHostsFile = emptyKnown }),
			id: catalogue.IDSSHHostKeyUnknown, evidence: []string{"is not in " + emptyKnown, "SHA256:", "ssh-keyscan -p " + fmt.Sprint(sshd.Port) + " 127.0.0.1", sshd.KnownHostsLine()}},
		{name: "no-known-hosts-file", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.KnownHostsFile = filepath.Join(dir, "absent") }),
			id: catalogue.IDSSHHostKeyUnknown, evidence: []string{"does not exist"}},
		{name: "host-key-mismatch", uri: uri, e: with(sshd, func(c *netpath.SSHConfig) { c.KnownHostsFile = wrongKnown }),
			id: catalogue.IDSSHHostKeyMismatch, evidence: []string{"not the known one", wrongKnown + ":1"}},
		{name: "forwarding-off", uri: uri, e: with(noForward, nil),
			id: catalogue.IDSSHForwardRefused, evidence: []string{"did not forward to " + member.Addr(), "administratively prohibited"}},
		{name: "member-closed", uri: "mongodb://" + closed + "/", e: with(sshd, nil),
			id: catalogue.IDSSHForwardRefused, evidence: []string{"did not forward to " + closed, "connect failed"}},
	} {
		runPathCase(t, c)
	}
	if n := member.Count("hello", "isMaster"); n != 0 {
		t.Errorf("the member was asked hello %d times: a probe went around the bastion", n)
	}
}

// TestEnvironmentProxyIgnored: HTTPS_PROXY and ALL_PROXY are set while
// the member refuses: proxy.env-ignored, with the options of the SOCKS5
// one and never its password.
func TestEnvironmentProxyIgnored(t *testing.T) {
	closed := mongotest.ClosedPort(t)
	env := map[string]string{
		"https_proxy": "http://carol:h77p-S3cret@127.0.0.1:3128",
		"ALL_PROXY":   "socks5h://dave:s0cks-S3cret@127.0.0.1:1081",
	}
	e := pathEngine(t)
	e.Getenv = func(k string) string { return env[k] }
	r, err := e.Ping(context.Background(), mustTarget(t, "mongodb://"+closed+"/"), PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	dump := pathDump(r)
	var f *report.Finding
	for i := range r.Findings {
		if r.Findings[i].ID == catalogue.IDProxyEnvIgnored {
			f = &r.Findings[i]
		}
	}
	if f == nil || f.Severity != report.SeverityWarning || !r.HasFinding(catalogue.IDTCPRefused) {
		t.Fatalf("want tcp.refused and the warning proxy.env-ignored:\n%s", dump)
	}
	for _, want := range []string{"https_proxy=http://carol:****@127.0.0.1:3128", "ALL_PROXY=socks5h://dave:****@127.0.0.1:1081", "tcp.refused"} {
		if !strings.Contains(strings.Join(f.Evidence, "\n"), want) {
			t.Errorf("evidence lacks %q:\n%s", want, dump)
		}
	}
	if !strings.Contains(f.SuggestedURI, "/?proxyHost=127.0.0.1&proxyPort=1081&proxyUsername=dave&proxyPassword=****") {
		t.Errorf("suggested %q", f.SuggestedURI)
	}
	if strings.Contains(dump, "S3cret") || strings.Contains(strings.Join(f.Fixes, "\n"), "S3cret") {
		t.Errorf("a proxy password is in the report:\n%s", dump)
	}

	// The same environment with a member that answers: nothing to say.
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	if r, _ := e.Ping(context.Background(), mustTarget(t, m.URI()), PingRequest{}); r.HasFinding(catalogue.IDProxyEnvIgnored) {
		t.Errorf("proxy.env-ignored with a healthy member:\n%s", pathDump(r))
	}

	// A set that works while one member it advertises refuses: the
	// warning too, the run still OK.
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Member: []mongotest.MemberOptions{{}, {}, {Down: true}}})
	down := rs.Addrs()[2]
	for name, run := range map[string]func(*connstr.Target) (*report.Report, error){
		"ping": func(tg *connstr.Target) (*report.Report, error) {
			return e.Ping(context.Background(), tg, PingRequest{})
		},
		"diagnose": func(tg *connstr.Target) (*report.Report, error) { return e.Diagnose(context.Background(), tg) },
		"discover": func(tg *connstr.Target) (*report.Report, error) { return e.Discover(context.Background(), tg) },
	} {
		r, err := run(mustTarget(t, "mongodb://"+rs.Addrs()[0]+"/?replicaSet=rs0"))
		if err != nil {
			t.Fatal(err)
		}
		dump := pathDump(r)
		if !r.OK || !r.HasFinding(catalogue.IDProxyEnvIgnored) || !strings.Contains(dump, "advertised member "+down) {
			t.Errorf("%s, member %s down: want OK with proxy.env-ignored naming it:\n%s", name, down, dump)
		}
	}
}

// TestSomeAddressesRefused: a name with an IPv6 and an IPv4 address, the
// member listening on the IPv4 one only (localhost and mongod's default
// bindIp): the tcp check warns and names the address that works.
func TestSomeAddressesRefused(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: "pw-S3cret"}}})
	_, port, _ := net.SplitHostPort(m.Addr())
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		_ = ln.Close()
	}
	dns := mongotest.StartDNS(t)
	if err := dns.AddHost("db.both.test", 60, "::1", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	e.Resolver = dnsServerResolver(dns.Addr)
	e.Timeout = pathTestBudget
	uri := "mongodb://alice:pw-S3cret@db.both.test:" + port + "/"
	for name, run := range map[string]func(*connstr.Target) (*report.Report, error){
		"ping": func(tg *connstr.Target) (*report.Report, error) {
			return e.Ping(context.Background(), tg, PingRequest{})
		},
		"diagnose":     func(tg *connstr.Target) (*report.Report, error) { return e.Diagnose(context.Background(), tg) },
		"discover":     func(tg *connstr.Target) (*report.Report, error) { return e.Discover(context.Background(), tg) },
		"wire-check":   func(tg *connstr.Target) (*report.Report, error) { return e.WireCheck(context.Background(), tg) },
		"tunnel-check": func(tg *connstr.Target) (*report.Report, error) { return e.TunnelCheck(context.Background(), tg) },
	} {
		r, err := run(mustTarget(t, uri))
		if err != nil {
			t.Fatal(err)
		}
		dump := pathDump(r)
		if !r.OK || !r.HasFinding(catalogue.IDTCPSomeAddressesRefused) {
			t.Fatalf("%s: want OK with tcp.some-addresses-refused:\n%s", name, dump)
		}
		for _, want := range []string{"[::1]:" + port + ": connection refused", "127.0.0.1:" + port + ": accepts connections",
			"try mongodb://alice:****@127.0.0.1:" + port + "/", "warn connected to 127.0.0.1:" + port + "; [::1]:" + port + " refused",
			"a client that tries only the IPv6 address ([::1]:" + port + ") is refused",
			"fix Write the address that accepts, 127.0.0.1:" + port + ", instead of the name db.both.test: mongodb://alice:****@127.0.0.1:" + port + "/"} {
			if !strings.Contains(dump, want) {
				t.Errorf("%s: report lacks %q:\n%s", name, want, dump)
			}
		}
		if strings.Contains(dump, "S3cret") {
			t.Errorf("%s: the password is in the report:\n%s", name, dump)
		}
	}
}

// TestTunnelCheckThroughBastion: the members answer through the bastion
// only. tunnel-check says so member by member and gives the two strings
// that work from here with their ssh commands; the ssh -D one, with
// OpenSSH's proxy on another port, really works.
func TestTunnelCheckThroughBastion(t *testing.T) {
	rs, hosts := startFarSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: hosts})
	e := bastionEngine(t, sshd)
	uri := "mongodb://alice:tunn3l-Pass@" + rs.Hosts()[0] + "/?replicaSet=rs0"
	r, err := e.TunnelCheck(context.Background(), mustTarget(t, uri))
	if err != nil {
		t.Fatal(err)
	}
	dump := pathDump(r)
	var f *report.Finding
	for i := range r.Findings {
		if r.Findings[i].ID == catalogue.IDTopologyAdvertisedUnreachable {
			f = &r.Findings[i]
		}
	}
	if f == nil || r.OK {
		t.Fatalf("want topology.advertised-unreachable:\n%s", dump)
	}
	fixes := strings.Join(f.Fixes, "\n")
	sshBase := fmt.Sprintf("-p %d -i %s -o UserKnownHostsFile=%s %s@127.0.0.1", sshd.Port, sshd.ClientKey, sshd.KnownHosts, sshd.User)
	for _, want := range []string{
		"run `ssh -N -L 27017:" + rs.Hosts()[0] + " " + sshBase + "` and connect with mongodb://alice:****@localhost:27017/?directConnection=true",
		"run `ssh -N -D 1080 " + sshBase + "` and connect with mongodb://alice:****@" + rs.Hosts()[0] + "/?replicaSet=rs0&proxyHost=localhost&proxyPort=1080",
	} {
		if !strings.Contains(fixes, want) {
			t.Errorf("fixes lack %q:\n%s", want, fixes)
		}
	}
	// No member is reachable from here: no fix may say connect to one.
	if strings.Contains(fixes, "you can reach") || strings.Count(fixes, "directConnection=true") != 2 {
		t.Errorf("a fix connects to a member from here:\n%s", fixes)
	}
	if want := "mongodb://alice:****@" + rs.Hosts()[0] + "/?replicaSet=rs0&proxyHost=localhost&proxyPort=1080"; f.SuggestedURI != want {
		t.Errorf("suggested %q, want %q", f.SuggestedURI, want)
	}
	for _, h := range rs.Hosts() {
		if !strings.Contains(dump, "not from here: the host name does not resolve") || !strings.Contains(dump, h+" answers through the bastion") {
			t.Errorf("evidence lacks %s:\n%s", h, dump)
		}
	}

	// The ssh -D string works from here: OpenSSH's proxy, on a port of its
	// own instead of 1080.
	socks := pathtest.StartSSHSOCKS(t, sshd)
	works := strings.Replace(strings.Replace(f.SuggestedURI, "proxyPort=1080", fmt.Sprintf("proxyPort=%d", socks.Port), 1), "alice:****@", "", 1)
	if u, err := url.Parse(works); err != nil || u.Query().Get("proxyHost") != "localhost" {
		t.Fatalf("suggested string %q: %v", works, err)
	}
	ping, err := pathEngine(t).Ping(context.Background(), mustTarget(t, works), PingRequest{RequirePrimary: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ping.OK {
		t.Errorf("the suggested ssh -D string does not work:\n%s", pathDump(ping))
	}
}

// silentRoute dials like net.Dialer, except that the connection to one
// address never completes, as over a route that drops packets (which
// loopback cannot do): the dial waits for its context and keeps the
// reason it ended.
type silentRoute struct {
	silent string

	mu    sync.Mutex
	ended []error
}

func (s *silentRoute) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if address != s.silent {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	<-ctx.Done()
	s.mu.Lock()
	s.ended = append(s.ended, context.Cause(ctx))
	s.mu.Unlock()
	return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
}

// TestEveryAddressSilentOne: one address of the name never answers; once
// the other accepted, it is given up after a grace rather than waited
// for until the dial's deadline, and it is no refusal.
func TestEveryAddressSilentOne(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	_, port, _ := net.SplitHostPort(m.Addr())
	dns := mongotest.StartDNS(t)
	if err := dns.AddHost("db.silent6.test", 60, "::1", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	route := &silentRoute{silent: "[::1]:" + port}
	e := NewEngine()
	e.Resolver = dnsServerResolver(dns.Addr)
	e.Dialer = route
	e.Timeout = pathTestBudget
	r, err := e.Ping(context.Background(), mustTarget(t, "mongodb://db.silent6.test:"+port+"/"), PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.HasFinding(catalogue.IDTCPSomeAddressesRefused) || len(r.Findings) > 0 {
		t.Errorf("want OK without findings:\n%s", pathDump(r))
	}
	route.mu.Lock()
	defer route.mu.Unlock()
	if len(route.ended) != 1 || !errors.Is(route.ended[0], context.Canceled) {
		t.Errorf("the silent address's dial ended with %v, want it cancelled once the other accepted", route.ended)
	}
}

// TestTLSAndAuthThroughPaths: the TLS handshake (with the member's name
// as the server name) and SCRAM go through the proxy and through the
// bastion too, and the name is resolved on their side.
func TestTLSAndAuthThroughPaths(t *testing.T) {
	backend := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: "tls-Pass"}}})
	certs := mongotest.NewCerts(t)
	addr := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(mongotest.CertValid).TLS, Backend: backend.Addr()})
	_, port, _ := net.SplitHostPort(addr)
	uri := "mongodb://alice:tls-Pass@localhost:" + port + "/?tls=true&tlsCAFile=" + url.QueryEscape(certs.CAFile)
	proxy := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Hosts: map[string]string{"localhost": "127.0.0.1"}})
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	for name, c := range map[string]struct {
		e   *Engine
		uri string
		via string
	}{
		"socks5": {pathEngine(t), fmt.Sprintf("%s&proxyHost=%s&proxyPort=%d", uri, proxy.Host(), proxy.Port()), "via socks5 " + proxy.Addr()},
		"ssh":    {bastionEngine(t, sshd), uri, "via ssh " + sshd.Addr()},
	} {
		r, err := c.e.Diagnose(context.Background(), mustTarget(t, c.uri))
		if err != nil {
			t.Fatal(err)
		}
		dump := pathDump(r)
		if !r.OK {
			t.Errorf("%s: diagnose failed:\n%s", name, dump)
		}
		for _, stage := range []report.Stage{report.StageTLS, report.StageAuth, report.StagePing} {
			seen := false
			for _, ch := range r.Checks {
				if ch.Stage == stage && ch.Status == report.StatusPass && strings.Contains(ch.Summary, c.via) {
					seen = true
				}
			}
			if !seen {
				t.Errorf("%s: no passing %s check %s:\n%s", name, stage, c.via, dump)
			}
		}
	}
	if n := backend.Count("saslStart", "saslContinue"); n == 0 {
		t.Error("no authentication reached the member")
	}
}

// TestTunnelCheckBothSides: members reachable from here and through the
// bastion alike: nothing to fix, and the verdict says both.
func TestTunnelCheckBothSides(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2})
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	r, err := bastionEngine(t, sshd).TunnelCheck(context.Background(), mustTarget(t, rs.URI()))
	if err != nil {
		t.Fatal(err)
	}
	dump := pathDump(r)
	want := `every member of replica set "rs0" answers through the bastion and is reachable from here as well (2 of 2, via ssh ` + sshd.Addr() + ")"
	if !r.OK || r.Verdict != want || len(r.Findings) != 0 {
		t.Errorf("want OK with %q:\n%s", want, dump)
	}
	for _, a := range rs.Addrs() {
		seen := false
		for _, c := range r.Checks {
			seen = seen || c.Stage == report.StageTCP && c.Address == a && c.Status == report.StatusPass &&
				strings.HasPrefix(c.Summary, "from here: connects; via ssh "+sshd.Addr()+": answers hello as RS")
		}
		if !seen {
			t.Errorf("no comparison check for %s:\n%s", a, dump)
		}
	}
}

// TestDriverErrorThroughPath: the driver's own failure through a proxy
// that cannot be reached (its error wraps ours) is proxy.unreachable too.
func TestDriverErrorThroughPath(t *testing.T) {
	closed := mongotest.ClosedPort(t)
	_, port, _ := net.SplitHostPort(closed)
	e := pathEngine(t)
	e.Timeout = 2 * time.Second
	x := e.newRun("ping", mustTarget(t, "mongodb://mongo-0.far.test:27017/?proxyHost=127.0.0.1&proxyPort="+port))
	ctx, cancel := e.withBudget(context.Background())
	defer cancel()
	if !x.openPath(ctx) {
		t.Fatal("the proxy's options were refused")
	}
	out := x.driverPingURI(ctx, PingRequest{}, x.driverURI())
	x.finish("")
	var ids []string
	for _, f := range out.findings {
		ids = append(ids, f.ID)
	}
	if out.check.Status != report.StatusFail || !slices.Contains(ids, catalogue.IDProxyUnreachable) {
		t.Errorf("driver ping through an unreachable proxy: %s %q, findings %v", out.check.Status, out.check.Summary, ids)
	}
}
