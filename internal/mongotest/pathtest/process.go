package pathtest

import (
	"bytes"
	"errors"
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
)

const (
	// startTimeout bounds the wait for sshd, ssh -D or ssh-agent to be
	// ready: each takes well under a second, so ten seconds only matters
	// when something is broken or the machine is badly overloaded.
	startTimeout = 10 * time.Second

	// startPoll is the pause between two looks while waiting for a
	// process to listen.
	startPoll = 20 * time.Millisecond

	// ioTimeout bounds every read and write of a fixture's handshake with
	// a client on loopback, where a byte takes microseconds: past it the
	// client is stuck and the fixture hangs up.
	ioTimeout = 5 * time.Second

	// commandTimeout bounds one run of ssh-keygen or ssh-add.
	commandTimeout = 30 * time.Second
)

// lookTool returns the absolute path of an OpenSSH program, also where
// /usr/sbin is not on PATH (sshd for a user who is not root), or skips
// the test with a clear message when it is not installed.
func lookTool(tb testing.TB, name string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	tb.Skipf("%s is not installed (OpenSSH: apt-get install openssh-server openssh-client)", name)
	return ""
}

// lockedBuffer collects a process's output, written from exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a program a fixture started in its own process group, so
// that stopping it also stops the children it forked (sshd's
// per-connection processes).
type process struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
	once sync.Once
}

// startProcess starts cmd with its output collected.
func startProcess(cmd *exec.Cmd) (*process, error) {
	p := &process{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A child that keeps the output open must not hold Wait forever.
	cmd.WaitDelay = startTimeout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop kills the process, every process it started (sshd's session
// processes leave its process group with setsid), and waits for it.
func (p *process) stop() {
	p.once.Do(func() {
		pid := p.cmd.Process.Pid
		for _, child := range descendants(pid) {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	})
}

// descendants lists the processes below pid, from /proc, found before
// any is killed (a killed parent's children move to init).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], child)
		}
	}
	var out []int
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// waitListening waits until addr accepts a TCP connection, or p ends.
func waitListening(p *process, addr string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, startPoll)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if p.exited() {
			return errors.New("the process ended")
		}
		if time.Now().After(deadline) {
			return errors.New("nothing listens on " + addr + " after " + startTimeout.String())
		}
		time.Sleep(startPoll)
	}
}

// freePort returns a port of 127.0.0.1 nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

// hostPort joins 127.0.0.1 and port.
func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// isLoopback reports whether host is a loopback IP literal.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
