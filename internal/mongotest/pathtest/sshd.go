package pathtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// SSHDOptions shape a real OpenSSH server.
type SSHDOptions struct {
	// Hosts is the far side's /etc/hosts: member name -> loopback IP.
	// When set, sshd runs in a mount namespace of its own whose
	// /etc/hosts holds these names and localhost only, so the names
	// resolve for direct-tcpip channels and nowhere else. This needs
	// root (unshare --mount); elsewhere the test is skipped.
	Hosts map[string]string

	// NoForwarding sets AllowTcpForwarding no: sshd refuses every
	// direct-tcpip channel as administratively prohibited.
	NoForwarding bool

	// PermitOpen, when set, is the only host:port targets sshd forwards
	// to; it refuses the others as administratively prohibited.
	PermitOpen []string
}

// SSHD is a real sshd listening on 127.0.0.1 with a throwaway host key.
type SSHD struct {
	// Host and Port are where it listens.
	Host string
	Port int

	// User is the login name ClientKey is authorised for: the user who
	// runs the test.
	User string

	// ClientKey is the path of an unencrypted ed25519 private key listed
	// in the server's authorized_keys.
	ClientKey string

	// KnownHosts is the path of a known_hosts file that lists this
	// server's host key, and nothing else.
	KnownHosts string

	// HostKey is the server's public host key, "ssh-ed25519 BASE64".
	HostKey string

	// Dir is the fixture's own directory (keys, config, files a test
	// writes for the client).
	Dir string

	authorized string
	proc       *process
}

// StartSSHD starts sshd with o and stops it when tb ends. It skips the
// test when OpenSSH is not installed.
func StartSSHD(tb testing.TB, o SSHDOptions) *SSHD {
	tb.Helper()
	sshd := lookTool(tb, "sshd")
	lookTool(tb, "ssh-keygen")
	for name, ip := range o.Hosts {
		if !isLoopback(ip) {
			tb.Fatalf("sshd: %s -> %s: the far side's names must point at loopback", name, ip)
		}
	}
	var unshare string
	if len(o.Hosts) > 0 {
		if os.Geteuid() != 0 {
			tb.Skip("sshd with its own /etc/hosts needs root (unshare --mount); run the test as root, as CI does")
		}
		unshare = lookTool(tb, "unshare")
	}
	if os.Geteuid() == 0 {
		// sshd run as root wants its privilege separation directory,
		// which the distribution's service normally creates at boot.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			tb.Fatalf("sshd: %v", err)
		}
	}
	u, err := user.Current()
	if err != nil {
		tb.Fatalf("sshd: current user: %v", err)
	}
	dir := tb.TempDir()
	s := &SSHD{Host: "127.0.0.1", User: u.Username, Dir: dir, authorized: filepath.Join(dir, "authorized_keys")}
	hostKey := NewKey(tb, dir, "hostkey", "")
	s.HostKey = PublicKeyLine(tb, hostKey)
	s.ClientKey = NewKey(tb, dir, "clientkey", "")
	s.Authorize(tb, s.ClientKey)
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte(hostsFile(o.Hosts)), 0o644); err != nil {
		tb.Fatalf("sshd: %v", err)
	}

	// A port picked free can be taken before sshd binds it: try again.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("sshd: %v", err)
		}
		conf := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(conf, []byte(sshdConfig(port, dir, hostKey, s.authorized, o)), 0o600); err != nil {
			tb.Fatalf("sshd: %v", err)
		}
		var cmd *exec.Cmd
		if unshare != "" {
			cmd = exec.Command(unshare, "--mount", "--propagation", "private", "/bin/sh", "-c",
				`mount --bind "$1" /etc/hosts && exec "$2" -D -e -f "$3"`, "sh", hosts, sshd, conf)
		} else {
			cmd = exec.Command(sshd, "-D", "-e", "-f", conf)
		}
		p, err := startProcess(cmd)
		if err != nil {
			tb.Fatalf("sshd: %v", err)
		}
		if err := waitListening(p, hostPort(port)); err != nil {
			p.stop()
			lastErr = fmt.Errorf("%v: %s", err, p.logs.String())
			continue
		}
		s.Port, s.proc = port, p
		break
	}
	if s.proc == nil {
		tb.Fatalf("sshd did not start: %v", lastErr)
	}
	tb.Cleanup(s.Close)
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.KnownHosts, []byte(s.KnownHostsLine()+"\n"), 0o600); err != nil {
		tb.Fatalf("sshd: %v", err)
	}
	return s
}

// Addr is the HOST:PORT sshd listens on.
func (s *SSHD) Addr() string { return hostPort(s.Port) }

// Bastion is the [USER@]HOST:PORT form that names this server.
func (s *SSHD) Bastion() string { return s.User + "@" + s.Addr() }

// KnownHostsLine is the known_hosts line of this server's host key.
func (s *SSHD) KnownHostsLine() string {
	return "[" + s.Host + "]:" + strconv.Itoa(s.Port) + " " + s.HostKey
}

// Authorize adds the public key of the private key at path to the
// server's authorized_keys; sshd reads it at each login.
func (s *SSHD) Authorize(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.OpenFile(s.authorized, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatalf("authorize: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(PublicKeyLine(tb, path) + "\n"); err != nil {
		tb.Fatalf("authorize: %v", err)
	}
}

// Logs returns what sshd logged so far.
func (s *SSHD) Logs() string { return s.proc.logs.String() }

// Close stops sshd and every session it forked.
func (s *SSHD) Close() { s.proc.stop() }

// sshdConfig is a minimal configuration: public keys only, from one
// authorized_keys file, on 127.0.0.1 only.
func sshdConfig(port int, dir, hostKey, authorized string, o SSHDOptions) string {
	forwarding := "yes"
	if o.NoForwarding {
		forwarding = "no"
	}
	lines := []string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"UsePAM no",
		"UseDNS no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"AllowAgentForwarding no",
		"AllowTcpForwarding " + forwarding,
		"LogLevel VERBOSE",
	}
	if len(o.PermitOpen) > 0 {
		lines = append(lines, "PermitOpen "+strings.Join(o.PermitOpen, " "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// hostsFile is the far side's /etc/hosts.
func hostsFile(hosts map[string]string) string {
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	for _, n := range names {
		b.WriteString(hosts[n] + " " + n + "\n")
	}
	return b.String()
}
