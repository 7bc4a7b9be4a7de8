package pathtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Agent is a real ssh-agent listening on a socket of its own.
type Agent struct {
	// Socket is the agent's socket: the value for SSH_AUTH_SOCK.
	Socket string

	proc *process
}

// StartSSHAgent runs ssh-agent, adds the private keys at paths (which
// must be unencrypted) with ssh-add, and stops it when tb ends.
func StartSSHAgent(tb testing.TB, paths ...string) *Agent {
	tb.Helper()
	agentBin := lookTool(tb, "ssh-agent")
	add := lookTool(tb, "ssh-add")
	// A unix socket path must stay short: the test's temporary directory
	// may be too deep.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		tb.Fatalf("ssh-agent: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "sock")
	p, err := startProcess(exec.Command(agentBin, "-D", "-a", sock))
	if err != nil {
		tb.Fatalf("ssh-agent: %v", err)
	}
	a := &Agent{Socket: sock, proc: p}
	tb.Cleanup(a.Close)
	if err := waitSocket(p, sock); err != nil {
		tb.Fatalf("ssh-agent: %v: %s", err, p.logs.String())
	}
	for _, k := range paths {
		cmd := exec.Command(add, "-q", k)
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock, "SSH_ASKPASS_REQUIRE=never", "DISPLAY=")
		runTool(tb, cmd)
	}
	return a
}

// Close stops the agent.
func (a *Agent) Close() { a.proc.stop() }

// waitSocket waits until a unix socket at path accepts a connection.
func waitSocket(p *process, path string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("unix", path, startPoll)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("the process ended")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no socket at %s after %s", path, startTimeout)
		}
		time.Sleep(startPoll)
	}
}
