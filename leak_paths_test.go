package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
	"github.com/mongoconn/mongoconn/netpath"
)

// TestNoGoroutineLeakPaths: every entry point through a SOCKS5 proxy and
// through an SSH bastion, working or failing or cancelled mid-probe,
// leaves nothing running: the run's SSH connection is closed with every
// channel in it.
func TestNoGoroutineLeakPaths(t *testing.T) {
	bastion := func(t *testing.T, knownHosts func(*pathtest.SSHD) string) func(*diagnose.Engine) {
		sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
		kh := sshd.KnownHosts
		if knownHosts != nil {
			kh = knownHosts(sshd)
		}
		return func(e *diagnose.Engine) {
			e.SSH = netpath.SSHConfig{Bastion: sshd.Bastion(), IdentityFile: sshd.ClientKey, KnownHostsFile: kh, HomeDir: t.TempDir()}
		}
	}
	cases := []struct {
		name        string
		start       func(t *testing.T) (string, func(*diagnose.Engine))
		wantOK      bool
		cancelAfter bool
	}{
		{name: "socks5", wantOK: true, start: func(t *testing.T) (string, func(*diagnose.Engine)) {
			rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2})
			p := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "bob", Password: "pw"})
			return fmt.Sprintf("%s&proxyHost=%s&proxyPort=%d&proxyUsername=bob&proxyPassword=pw", rs.URI(), p.Host(), p.Port()), nil
		}},
		{name: "socks5-unreachable", start: func(t *testing.T) (string, func(*diagnose.Engine)) {
			_, port, _ := net.SplitHostPort(mongotest.ClosedPort(t))
			return "mongodb://" + mongotest.ClosedPort(t) + "/?proxyHost=127.0.0.1&proxyPort=" + port, nil
		}},
		{name: "ssh", wantOK: true, start: func(t *testing.T) (string, func(*diagnose.Engine)) {
			return mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2}).URI(), bastion(t, nil)
		}},
		{name: "ssh-host-key-unknown", start: func(t *testing.T) (string, func(*diagnose.Engine)) {
			empty := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return mongotest.StartFakeMongod(t, mongotest.Options{}).URI(), bastion(t, func(*pathtest.SSHD) string { return empty })
		}},
		{name: "ssh-silent-member-cancelled", cancelAfter: true, start: func(t *testing.T) (string, func(*diagnose.Engine)) {
			return "mongodb://" + mongotest.SilentListener(t) + "/", bastion(t, nil)
		}},
	}
	for _, tc := range cases {
		checkNoLeak(t, tc.name, func(t *testing.T) {
			uri, setup := tc.start(t)
			timeout, cancel := leakHealthyTimeout, leakCancelAfter
			if !tc.cancelAfter {
				cancel = 0
			}
			reports := runEntryPoints(t, uri, timeout, cancel, setup)
			if r := reports["ping"]; r != nil && !tc.cancelAfter && r.OK != tc.wantOK {
				t.Errorf("ping ok = %v, want %v: %s", r.OK, tc.wantOK, r.Verdict)
			}
		})
	}
}
