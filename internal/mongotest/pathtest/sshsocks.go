package pathtest

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
)

// SSHSOCKS is OpenSSH's own SOCKS5 proxy: `ssh -N -D` against an SSHD.
// Names sent to it resolve on the sshd's side. Note what OpenSSH does:
// it answers a CONNECT with success before the far side has connected,
// and closes the connection when the far side then fails.
type SSHSOCKS struct {
	// Host and Port are where the proxy listens (127.0.0.1).
	Host string
	Port int

	proc *process
}

// StartSSHSOCKS runs ssh -D against s, with s's client key and a strict
// check of s's host key, and stops it when tb ends.
func StartSSHSOCKS(tb testing.TB, s *SSHD) *SSHSOCKS {
	tb.Helper()
	sshBin := lookTool(tb, "ssh")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("ssh -D: %v", err)
		}
		p, err := startProcess(exec.Command(sshBin, "-N", "-F", "/dev/null",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
			"-o", "ExitOnForwardFailure=yes", "-o", "LogLevel=ERROR",
			"-i", s.ClientKey, "-p", strconv.Itoa(s.Port),
			"-D", hostPort(port), s.User+"@"+s.Host))
		if err != nil {
			tb.Fatalf("ssh -D: %v", err)
		}
		if err := waitListening(p, hostPort(port)); err != nil {
			p.stop()
			lastErr = fmt.Errorf("%v: %s", err, p.logs.String())
			continue
		}
		x := &SSHSOCKS{Host: "127.0.0.1", Port: port, proc: p}
		tb.Cleanup(x.Close)
		return x
	}
	tb.Fatalf("ssh -D did not start: %v", lastErr)
	return nil
}

// Addr is the proxy's HOST:PORT.
func (x *SSHSOCKS) Addr() string { return hostPort(x.Port) }

// Logs returns what ssh printed so far.
func (x *SSHSOCKS) Logs() string { return x.proc.logs.String() }

// Close stops ssh.
func (x *SSHSOCKS) Close() { x.proc.stop() }
