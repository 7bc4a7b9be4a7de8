package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
)

// The secrets of the paths to a member: proxy passwords (in the
// connection string and in the environment's proxy variables), SSH key
// passphrases and SSH key material. Not one byte may reach any output.
const (
	// secretsPathTimeout is the --timeout of the runs through a bastion:
	// an SSH handshake with a key exchange costs a few milliseconds, but
	// several run at once on a loaded machine.
	secretsPathTimeout = 10 * time.Second

	// sentinelProxy is a proxyPassword no output has a reason to hold.
	sentinelProxy = "Pr0xy-Vq7Lm2"
	// sentinelPassphrase protects an SSH key file.
	sentinelPassphrase = "Ph4se-Kt9Rw3"
)

// keyMaterial returns the forms in which the private key at path would
// leak: its seed (hex and base64) and each line of the file's body past
// the public header, lower-cased as findLeak wants them.
func keyMaterial(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	priv, ok := key.(*ed25519.PrivateKey)
	if !ok {
		t.Fatalf("%s: not an ed25519 key (%T)", path, key)
	}
	seed := priv.Seed()
	forms := []string{hex.EncodeToString(seed), base64.StdEncoding.EncodeToString(seed), base64.RawURLEncoding.EncodeToString(seed)}
	var body []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			body = append(body, l)
		}
	}
	// The first two lines hold the format's header and the public key.
	if len(body) > 2 {
		forms = append(forms, body[2:]...)
	}
	for i := range forms {
		forms[i] = strings.ToLower(forms[i])
	}
	return forms
}

// secretsPathCases are the runs through SOCKS5 proxies and SSH bastions,
// and the forms of the secrets they hold beyond the sentinels.
func secretsPathCases(t *testing.T, have map[string]bool) ([]secretsCase, map[string][]string) {
	forms := map[string][]string{sentinelProxy: leakForms(sentinelProxy), sentinelPassphrase: leakForms(sentinelPassphrase)}
	member := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: sentinelPlain}}})
	refused := mongotest.ClosedPort(t)

	// A set whose names only the proxy resolves.
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2,
		Advertise: []string{"mongo-0.far.test:0", "mongo-1.far.test:0"},
		Users:     []mongotest.User{{Name: "alice", Password: sentinelPlain}}})
	hosts := map[string]string{}
	for _, h := range rs.Hosts() {
		host, _, _ := net.SplitHostPort(h)
		hosts[host] = "127.0.0.1"
	}
	proxy := pathtest.StartSOCKS5(t, pathtest.SOCKS5Options{Username: "bob", Password: sentinelProxy, Hosts: hosts})
	proxyOpts := func(password string) string {
		return fmt.Sprintf("replicaSet=rs0&proxyHost=%s&proxyPort=%d&proxyUsername=bob&proxyPassword=%s",
			proxy.Host(), proxy.Port(), url.QueryEscape(password))
	}
	_, refusedPort, _ := net.SplitHostPort(refused)

	// A bastion, its key, a passphrase-protected key in an agent.
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{})
	dir := t.TempDir()
	agentKey := pathtest.NewKey(t, dir, "agentkey", "")
	sshd.Authorize(t, agentKey)
	forms["client key"] = keyMaterial(t, sshd.ClientKey)
	forms["agent key"] = keyMaterial(t, agentKey)
	agent := pathtest.StartSSHAgent(t, agentKey)
	pathtest.SetPassphrase(t, agentKey, "", sentinelPassphrase)
	locked := pathtest.NewKey(t, dir, "locked", sentinelPassphrase)
	home := t.TempDir() // no ~/.ssh: only what the flags and the agent give
	bastion := []string{"--ssh", sshd.Bastion(), "--ssh-known-hosts", sshd.KnownHosts}
	noAgent := []string{"SSH_AUTH_SOCK=", "HOME=" + home}

	type target struct {
		name  string
		uri   string
		flags []string
		env   []string
		want  string
		ok    bool
	}
	targets := []target{
		{name: "proxy-right", uri: credURI("alice", sentinelPlain, rs.Hosts()[0], proxyOpts(sentinelProxy)),
			want: "proxyPassword=****", ok: true},
		{name: "proxy-wrong", uri: credURI("alice", sentinelPlain, rs.Hosts()[0], proxyOpts(sentinelSpecial)),
			want: "proxy.auth-failed"},
		{name: "proxy-unreachable", uri: credURI("alice", sentinelPlain, rs.Hosts()[0],
			"proxyHost=127.0.0.1&proxyPort="+refusedPort+"&proxyUsername=bob&proxyPassword="+url.QueryEscape(sentinelProxy)),
			want: "proxy.unreachable"},
		{name: "ssh-key-file", uri: credURI("alice", sentinelPlain, member.Addr(), ""),
			flags: append(slices.Clone(bastion), "--ssh-identity", sshd.ClientKey), env: noAgent, want: "via ssh", ok: true},
		{name: "ssh-agent-locked-file", uri: credURI("alice", sentinelPlain, member.Addr(), ""),
			flags: append(slices.Clone(bastion), "--ssh-identity", agentKey),
			env:   []string{"SSH_AUTH_SOCK=" + agent.Socket, "HOME=" + home}, want: "via ssh", ok: true},
		{name: "ssh-agent-only", uri: credURI("alice", sentinelPlain, member.Addr(), ""),
			flags: bastion, env: []string{"SSH_AUTH_SOCK=" + agent.Socket, "HOME=" + home}, want: "via ssh", ok: true},
		{name: "ssh-locked-no-agent", uri: credURI("alice", sentinelPlain, member.Addr(), ""),
			flags: append(slices.Clone(bastion), "--ssh-identity", locked), env: noAgent, want: "ssh.auth-failed"},
		{name: "ssh-forward-refused", uri: credURI("alice", sentinelPlain, refused, ""),
			flags: append(slices.Clone(bastion), "--ssh-identity", sshd.ClientKey), env: noAgent, want: "ssh.forward-refused"},
		{name: "env-proxy", uri: credURI("alice", sentinelPlain, refused, ""),
			env:  []string{"ALL_PROXY=socks5h://dave:" + url.QueryEscape(sentinelProxy) + "@127.0.0.1:1081", "https_proxy=http://carol:" + sentinelSpecial + "@127.0.0.1:3128"},
			want: "proxy.env-ignored"},
	}
	var cases []secretsCase
	for _, tg := range targets {
		for _, command := range []string{"ping", "discover", "wire-check", "tunnel-check", "diagnose"} {
			if !have[command] {
				continue
			}
			for _, mode := range [][]string{nil, {"-v", "-o", "json"}} {
				args := append(append(append(slices.Clone(tg.flags), "--timeout", secretsPathTimeout.String()), mode...), command, tg.uri)
				tc := secretsCase{
					name:  fmt.Sprintf("paths/%s/%s/%s", tg.name, command, modeName(mode)),
					spec:  childSpec{args: args, env: tg.env, guard: secretsPathTimeout + hangGuard},
					codes: []int{cmd.ExitOK, cmd.ExitProblem},
					want:  tg.want,
				}
				if tg.ok && (command == "ping" || command == "diagnose") {
					tc.codes = []int{cmd.ExitOK}
				}
				cases = append(cases, tc)
			}
		}
	}
	// Usage errors must not echo a secret either.
	for _, u := range []struct {
		name string
		args []string
	}{
		{"ssh-password", []string{"--ssh", "ops:" + sentinelPassphrase + "@127.0.0.1:22", "ping", "mongodb://" + member.Addr() + "/"}},
		{"ssh-password-bad-port", []string{"--ssh", "ops:" + sentinelPassphrase + "@127.0.0.1:99999", "ping", "mongodb://" + member.Addr() + "/"}},
		{"proxy-password-too-long", []string{"ping", "mongodb://" + member.Addr() + "/?proxyHost=127.0.0.1&proxyUsername=bob&proxyPassword=" +
			strings.Repeat(sentinelProxy, 30)}},
		{"proxy-password-without-host", []string{"-o", "json", "diagnose", "mongodb://" + member.Addr() + "/?proxyUsername=bob&proxyPassword=" + sentinelProxy}},
	} {
		cases = append(cases, secretsCase{name: "paths/usage/" + u.name, spec: childSpec{args: u.args}, codes: []int{cmd.ExitUsage}, want: "mongoconn: error:"})
	}
	return cases, forms
}
