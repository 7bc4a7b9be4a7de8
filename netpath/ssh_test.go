package netpath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
)

const keyPassphrase = "k3y-PASSPHRASE-secret"

// sshConfig logs in to s with its client key and its known_hosts, in an
// environment without an ssh-agent and with an empty home.
func sshConfig(t *testing.T, s *pathtest.SSHD) SSHConfig {
	return SSHConfig{
		Bastion:        s.Bastion(),
		IdentityFile:   s.ClientKey,
		KnownHostsFile: s.KnownHosts,
		HomeDir:        t.TempDir(),
		Getenv:         func(string) string { return "" },
	}
}

func dialSSH(t *testing.T, cfg SSHConfig) *SSH {
	t.Helper()
	b, err := DialSSH(testContext(t), cfg)
	if err != nil {
		t.Fatalf("DialSSH: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func fingerprint(t *testing.T, authorizedKey string) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

// privateKeyLines are the base64 lines of a private key file: key
// material that must never be printed.
func privateKeyLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func TestSSHReachesFarSideNamesOverOneConnection(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: map[string]string{farName: "127.0.0.1"}})
	b := dialSSH(t, sshConfig(t, sshd))
	if got, want := b.Via(), "via ssh "+sshd.Addr(); got != want || Via(b) != want {
		t.Errorf("Via = %q, want %q", got, want)
	}
	if got, want := b.HostKey().Fingerprint, fingerprint(t, sshd.HostKey); got != want {
		t.Errorf("host key %s, want %s", got, want)
	}
	if b.Bastion().User != sshd.User || b.Bastion().Port != sshd.Port {
		t.Errorf("bastion %v", b.Bastion())
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := b.DialContext(testContext(t), "tcp", farTarget(member))
			if err != nil {
				t.Errorf("dial %s through the bastion: %v", farTarget(member), err)
				return
			}
			defer c.Close()
			if c.RemoteAddr().String() != farTarget(member) {
				t.Errorf("RemoteAddr %s", c.RemoteAddr())
			}
			roundTrip(t, c, fmt.Sprintf("hello %d through ssh", i))
		}()
	}
	wg.Wait()
	if n := member.Connections(); n != 4 {
		t.Errorf("member saw %d connections, want 4", n)
	}
	if n := strings.Count(sshd.Logs(), "Accepted publickey"); n != 1 {
		t.Errorf("sshd accepted %d logins, want 1:\n%s", n, sshd.Logs())
	}
}

// The driver and the probes set deadlines on their connections; SSH
// channels have none of their own.
func TestSSHConnectionsHaveDeadlines(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	b := dialSSH(t, sshConfig(t, sshd))
	c, err := b.DialContext(testContext(t), "tcp", member.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(shortTimeout)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read from a silent member: got %v, want a timeout", err)
	}
	roundTrip(t, c, "still usable after a timeout")
}

func TestSSHUnreachable(t *testing.T) {
	cases := []struct {
		name      string
		addr      func(t *testing.T) string
		handshake bool
		timeout   bool
	}{
		{"nothing listens", closedPort, false, false},
		{"hangs up at once", func(t *testing.T) string { return hangUpListener(t, false) }, true, false},
		{"never answers", func(t *testing.T) string { return hangUpListener(t, true) }, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := pathtest.NewKey(t, t.TempDir(), "id", "")
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			if tc.timeout {
				ctx, cancel = context.WithTimeout(context.Background(), shortTimeout)
			}
			defer cancel()
			_, err := DialSSH(ctx, SSHConfig{Bastion: "root@" + tc.addr(t), IdentityFile: key,
				KnownHostsFile: filepath.Join(t.TempDir(), "known_hosts"), Getenv: func(string) string { return "" }})
			var e *SSHUnreachableError
			if !errors.As(err, &e) || e.Handshake != tc.handshake || e.Timeout() != tc.timeout || e.Lost {
				t.Fatalf("got %T %v, want *SSHUnreachableError handshake=%v timeout=%v", err, err, tc.handshake, tc.timeout)
			}
			if !tc.handshake && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%v does not wrap ECONNREFUSED", err)
			}
		})
	}
}

func TestSSHWrongKey(t *testing.T) {
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	cfg := sshConfig(t, sshd)
	cfg.IdentityFile = pathtest.NewKey(t, t.TempDir(), "stranger", "")
	_, err := DialSSH(testContext(t), cfg)
	var e *SSHAuthError
	if !errors.As(err, &e) || !e.PublickeyAccepted || e.User != sshd.User {
		t.Fatalf("got %T %v, want *SSHAuthError", err, err)
	}
	want := fingerprint(t, pathtest.PublicKeyLine(t, cfg.IdentityFile))
	if len(e.Tried) != 1 || !strings.Contains(e.Tried[0], cfg.IdentityFile) || !strings.Contains(e.Tried[0], want) {
		t.Errorf("Tried = %q, want the identity file and %s", e.Tried, want)
	}
	for _, l := range privateKeyLines(t, cfg.IdentityFile) {
		noSecret(t, l, err.Error(), fmt.Sprintf("%+v", err))
	}
}

func TestSSHHostKeyUnknown(t *testing.T) {
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, []byte("# nothing known\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{empty, filepath.Join(t.TempDir(), "absent")} {
		cfg := sshConfig(t, sshd)
		cfg.KnownHostsFile = file
		_, err := DialSSH(testContext(t), cfg)
		var e *SSHHostKeyUnknownError
		if !errors.As(err, &e) {
			t.Fatalf("%s: got %T %v, want *SSHHostKeyUnknownError", file, err, err)
		}
		if e.Presented.Fingerprint != fingerprint(t, sshd.HostKey) || e.KnownHosts != file || e.NoFile != (file != empty) {
			t.Errorf("%+v", e)
		}
		if want := "ssh-keyscan -p " + strconv.Itoa(sshd.Port) + " 127.0.0.1"; e.Keyscan != want {
			t.Errorf("Keyscan = %q, want %q", e.Keyscan, want)
		}
		if e.Line != sshd.KnownHostsLine() {
			t.Errorf("Line = %q, want %q", e.Line, sshd.KnownHostsLine())
		}
	}
	// The command given really shows the key to add.
	keyscan, err := exec.LookPath("ssh-keyscan")
	if err != nil {
		t.Skip("ssh-keyscan is not installed")
	}
	ctx := testContext(t)
	out, err := exec.CommandContext(ctx, keyscan, "-t", "ed25519", "-p", strconv.Itoa(sshd.Port), "127.0.0.1").Output()
	if err != nil || !strings.Contains(string(out), sshd.KnownHostsLine()) {
		t.Errorf("ssh-keyscan: %v: %q lacks %q", err, out, sshd.KnownHostsLine())
	}
}

func TestSSHHostKeyChanged(t *testing.T) {
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	other := pathtest.NewKey(t, t.TempDir(), "otherhost", "")
	file := filepath.Join(t.TempDir(), "known_hosts")
	lines := "# the bastion, as it was\n[127.0.0.1]:" + strconv.Itoa(sshd.Port) + " " + pathtest.PublicKeyLine(t, other) + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sshConfig(t, sshd)
	cfg.KnownHostsFile = file
	_, err := DialSSH(testContext(t), cfg)
	var e *SSHHostKeyMismatchError
	if !errors.As(err, &e) || e.Revoked {
		t.Fatalf("got %T %v, want *SSHHostKeyMismatchError", err, err)
	}
	if e.Presented.Fingerprint != fingerprint(t, sshd.HostKey) || len(e.Known) != 1 ||
		e.Known[0].File != file || e.Known[0].Line != 2 || e.Known[0].Fingerprint != fingerprint(t, pathtest.PublicKeyLine(t, other)) {
		t.Errorf("%+v", e)
	}
	if strings.Contains(sshd.Logs(), "Accepted publickey") {
		t.Error("logged in to a bastion whose host key changed")
	}
}

func TestSSHForwardRefused(t *testing.T) {
	member := pathtest.StartEcho(t)
	cases := []struct {
		name   string
		opts   pathtest.SSHDOptions
		target string
		reason ForwardFailure
	}{
		{"AllowTcpForwarding no", pathtest.SSHDOptions{NoForwarding: true}, member.Addr(), ForwardProhibited},
		{"PermitOpen elsewhere", pathtest.SSHDOptions{PermitOpen: []string{"127.0.0.1:1"}}, member.Addr(), ForwardProhibited},
		{"the member refuses", pathtest.SSHDOptions{}, closedPort(t), ForwardConnectFailed},
		{"the name does not resolve there", pathtest.SSHDOptions{Hosts: map[string]string{farName: "127.0.0.1"}}, "unknown.far.test:27017", ForwardConnectFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sshd := pathtest.StartSSHD(t, tc.opts)
			b := dialSSH(t, sshConfig(t, sshd))
			c, err := b.DialContext(testContext(t), "tcp", tc.target)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			var e *SSHForwardError
			if !errors.As(err, &e) || e.Reason != tc.reason || e.Target != tc.target || e.Bastion != sshd.Addr() {
				t.Fatalf("got %T %v, want *SSHForwardError %s", err, err, tc.reason)
			}
		})
	}
}

func TestSSHIdentities(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	keys := t.TempDir()

	locked := pathtest.NewKey(t, keys, "locked", keyPassphrase)
	sshd.Authorize(t, locked)

	agentKey := pathtest.NewKey(t, keys, "agentkey", "")
	sshd.Authorize(t, agentKey)
	agent := pathtest.StartSSHAgent(t, agentKey)
	// The agent holds it, then the file gets a passphrase.
	SetPassphrase(t, agentKey, "", keyPassphrase)

	homeWithKey := t.TempDir()
	if err := os.MkdirAll(filepath.Join(homeWithKey, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sshd.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(homeWithKey, ".ssh", "id_ed25519"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	homeLocked := t.TempDir()
	if err := os.MkdirAll(filepath.Join(homeLocked, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	lb, err := os.ReadFile(locked)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(homeLocked, ".ssh", "id_rsa"), lb, 0o600); err != nil {
		t.Fatal(err)
	}

	noAgent := func(string) string { return "" }
	withAgent := func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return agent.Socket
		}
		return ""
	}
	deadAgent := func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return filepath.Join(t.TempDir(), "no-agent-here")
		}
		return ""
	}
	cases := []struct {
		name     string
		identity string
		home     string
		getenv   func(string) string
		check    func(t *testing.T, err error)
	}{
		{"identity file", sshd.ClientKey, t.TempDir(), noAgent, nil},
		{"the agent alone", "", t.TempDir(), withAgent, nil},
		{"a locked identity file the agent holds", agentKey, t.TempDir(), withAgent, nil},
		{"~/.ssh/id_ed25519", "", homeWithKey, deadAgent, nil},
		{"a locked identity file and no agent", locked, t.TempDir(), noAgent, func(t *testing.T, err error) {
			var e *SSHIdentityError
			if !errors.As(err, &e) || !e.Encrypted || e.Path != locked {
				t.Fatalf("got %T %v, want *SSHIdentityError encrypted", err, err)
			}
		}},
		{"only a locked key in ~/.ssh and no agent", "", homeLocked, noAgent, func(t *testing.T, err error) {
			var e *SSHIdentityError
			if !errors.As(err, &e) || !e.Encrypted || e.Path != "" || !strings.Contains(strings.Join(e.Looked, "\n"), "id_rsa: passphrase-protected") {
				t.Fatalf("got %T %v, want *SSHIdentityError encrypted", err, err)
			}
		}},
		{"nothing at all", "", t.TempDir(), deadAgent, func(t *testing.T, err error) {
			var e *SSHIdentityError
			if !errors.As(err, &e) || e.Encrypted || len(e.Looked) != 4 {
				t.Fatalf("got %T %v, want *SSHIdentityError listing the agent and three files", err, err)
			}
		}},
		{"an identity file that is not a key", sshd.KnownHosts, t.TempDir(), noAgent, func(t *testing.T, err error) {
			var e *SSHIdentityError
			if !errors.As(err, &e) || e.Encrypted || e.Path != sshd.KnownHosts || e.Err == nil {
				t.Fatalf("got %T %v, want *SSHIdentityError", err, err)
			}
		}},
		{"an identity file that does not exist", filepath.Join(keys, "absent"), t.TempDir(), noAgent, func(t *testing.T, err error) {
			var e *SSHIdentityError
			if !errors.As(err, &e) || !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("got %T %v, want *SSHIdentityError not found", err, err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := SSHConfig{Bastion: sshd.Bastion(), IdentityFile: tc.identity, KnownHostsFile: sshd.KnownHosts,
				HomeDir: tc.home, Getenv: tc.getenv}
			b, err := DialSSH(testContext(t), cfg)
			if tc.check != nil {
				if err == nil {
					b.Close()
					t.Fatal("logged in")
				}
				tc.check(t, err)
				noSecret(t, keyPassphrase, err.Error(), fmt.Sprintf("%+v", err))
				return
			}
			if err != nil {
				t.Fatalf("DialSSH: %v", err)
			}
			defer b.Close()
			c, err := b.DialContext(testContext(t), "tcp", member.Addr())
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c, "hello")
			c.Close()
		})
	}
}

// SetPassphrase is pathtest's, named here for reading.
func SetPassphrase(t *testing.T, path, old, new string) { pathtest.SetPassphrase(t, path, old, new) }

func TestSSHCloseEndsEverything(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	b, err := DialSSH(testContext(t), sshConfig(t, sshd))
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := b.DialContext(testContext(t), "tcp", member.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	roundTrip(t, conns[0], "one")
	reading := make(chan error, 1)
	go func() {
		_, err := conns[1].Read(make([]byte, 1))
		reading <- err
	}()
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := <-reading; err == nil {
		t.Error("a read went on after Close")
	}
	if _, err := b.DialContext(testContext(t), "tcp", member.Addr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("dial after Close: %v", err)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	checkNoGoroutines(t)
}

func TestSSHConnectionLost(t *testing.T) {
	member := pathtest.StartEcho(t)
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	b := dialSSH(t, sshConfig(t, sshd))
	sshd.Close()
	// The loss is seen when the transport notices the closed socket.
	var err error
	for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline); time.Sleep(pollInterval) {
		var c net.Conn
		if c, err = b.DialContext(testContext(t), "tcp", member.Addr()); err != nil {
			break
		}
		c.Close()
	}
	var e *SSHUnreachableError
	if !errors.As(err, &e) || !e.Lost {
		t.Fatalf("got %T %v, want *SSHUnreachableError lost", err, err)
	}
}

func TestSSHConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(bad, []byte("[127.0.0.1]:22 ssh-ed25519 not-base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := DialSSH(testContext(t), SSHConfig{Bastion: "host:22", KnownHostsFile: bad, HomeDir: dir})
	var kh *KnownHostsError
	if !errors.As(err, &kh) || kh.File != bad {
		t.Errorf("corrupt known_hosts: got %T %v", err, err)
	}
	_, err = DialSSH(testContext(t), SSHConfig{Bastion: "host:0", HomeDir: dir})
	var be *BastionError
	if !errors.As(err, &be) {
		t.Errorf("bad --ssh: got %T %v", err, err)
	}
}
