//go:build drivers && linux

package drivertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Why a network namespace: the clients resolve names with their own code
// (glibc's getaddrinfo for Node.js and Python, c-ares for Node.js's SRV and
// TXT queries, dnspython for PyMongo's, Go's resolver for mongoconn), all
// of which read /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf, and
// mongosh would report telemetry over the network if it were let. So the
// test binary runs itself again in a new network namespace and a new mount
// namespace (CLONE_NEWNET|CLONE_NEWNS, as root): there the only interface
// is a loopback one, so no address outside 127.0.0.0/8 and ::1 has a
// route, and the three files are bind-mounted over with ones that name
// only the suite's DNS server on 127.0.0.153:53. Every fixture, every
// client and mongoconn live in that namespace; the machine's own files and
// network are untouched, and the namespaces end with the process.

// Environment of the test binary run inside the namespaces.
const (
	// envInside marks the process that runs in the namespaces.
	envInside = "MONGOCONN_DRIVERS_NAMESPACE"
	// envBin names the mongoconn binary under test.
	envBin = "MONGOCONN_BIN"
	// envOuterNS holds the namespaces the test binary was started in
	// ("net:[...] mnt:[...]"), which the inner process must not share.
	envOuterNS = "MONGOCONN_DRIVERS_OUTER_NS"
)

// buildTimeout bounds building mongoconn: a cold cache compiles the driver
// and its dependencies in a minute or two on a small machine.
const buildTimeout = 10 * time.Minute

// resolverIP is the address of the suite's DNS server: the one nameserver
// of the namespace's resolv.conf, which cannot name a port, so it listens
// on 53.
const resolverIP = "127.0.0.153"

// The files the clients' resolvers read, as the namespace sees them.
var resolverFiles = []struct{ path, content string }{
	{"/etc/resolv.conf", "nameserver " + resolverIP + "\noptions attempts:2 timeout:1\n"},
	{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"/etc/nsswitch.conf", "hosts: files dns\n"},
}

func TestMain(m *testing.M) {
	os.Exit(mainCode(m))
}

func mainCode(m *testing.M) int {
	if os.Getenv(envInside) == "1" {
		undo, err := isolate()
		if err != nil {
			fmt.Fprintf(os.Stderr, "drivertest: cannot set the namespace up: %v\n", err)
			return 1
		}
		defer undo()
		return m.Run()
	}
	if notIsolable() != "" {
		return m.Run() // TestDrivers says why it skips
	}
	dir, err := os.MkdirTemp("", "mongoconn-drivers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "drivertest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := os.Getenv(envBin)
	if bin == "" {
		if bin, err = buildMongoconn(dir); err != nil {
			fmt.Fprintln(os.Stderr, "drivertest: building mongoconn:", err)
			return 1
		}
	}
	return rerunInside(bin)
}

// notIsolable says why the suite cannot make its namespaces here, "" when
// it can.
func notIsolable() string {
	if os.Geteuid() != 0 {
		return "the driver suite runs every client in a network namespace of its own, which needs root (CI runs as root): run `make drivers` as root"
	}
	return ""
}

// buildMongoconn builds the command from the module root, before the
// network is left behind.
func buildMongoconn(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin := filepath.Join(dir, "mongoconn")
	c := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	c.Dir = filepath.Join("..", "..")
	c.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return filepath.Abs(bin)
}

// rerunInside runs this test binary again, with the same arguments, in
// new network and mount namespaces, and returns its exit code. The child
// dies with this process.
func rerunInside(bin string) int {
	// Pdeathsig follows the thread that started the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	outer, err := namespaces()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drivertest:", err)
		return 1
	}
	c := exec.Command("/proc/self/exe", os.Args[1:]...)
	c.Env = append(os.Environ(), envInside+"=1", envBin+"="+bin, envOuterNS+"="+outer)
	c.Stdin, c.Stdout, c.Stderr = nil, os.Stdout, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	err = c.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return exitErr.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "drivertest: running the suite in its namespaces: %v\n", err)
	return 1
}

// isolate readies the namespaces this process was started in: it checks
// that they are not the machine's, brings the loopback interface up,
// checks that it is the only one, and bind-mounts the resolver files. The
// returned function removes the files' copies.
func isolate() (func(), error) {
	mine, err := namespaces()
	if err != nil {
		return nil, err
	}
	outer := strings.Fields(os.Getenv(envOuterNS))
	if len(outer) != 2 {
		return nil, fmt.Errorf("%s does not name the outer namespaces", envOuterNS)
	}
	for i, ns := range strings.Fields(mine) {
		if ns == outer[i] {
			return nil, fmt.Errorf("%s is the namespace the suite was started in: refusing to touch its files", ns)
		}
	}
	if err := loopbackUp(); err != nil {
		return nil, fmt.Errorf("bringing lo up: %w", err)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return nil, fmt.Errorf("interface %s is not loopback: the namespace could reach beyond this machine", i.Name)
		}
	}
	// Mounts made here must not propagate to the machine's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("making mounts private: %w", err)
	}
	dir, err := os.MkdirTemp("", "mongoconn-resolver-")
	if err != nil {
		return nil, err
	}
	var mounted []string
	undo := func() {
		for _, p := range mounted {
			_ = unix.Unmount(p, unix.MNT_DETACH)
		}
		_ = os.RemoveAll(dir)
	}
	for i, f := range resolverFiles {
		if _, err := os.Stat(f.path); errors.Is(err, os.ErrNotExist) && f.path == "/etc/nsswitch.conf" {
			continue // glibc's default order asks DNS after files anyway
		}
		src := filepath.Join(dir, fmt.Sprintf("%d-%s", i, filepath.Base(f.path)))
		if err := os.WriteFile(src, []byte(f.content), 0o644); err != nil {
			undo()
			return nil, err
		}
		if err := unix.Mount(src, f.path, "", unix.MS_BIND, ""); err != nil {
			undo()
			return nil, fmt.Errorf("bind-mounting %s: %w", f.path, err)
		}
		mounted = append(mounted, f.path)
		if b, err := os.ReadFile(f.path); err != nil || string(b) != f.content {
			undo()
			return nil, fmt.Errorf("%s does not read as the suite's copy after the bind mount", f.path)
		}
	}
	return undo, nil
}

// namespaces names this process's network and mount namespaces:
// "net:[4026531833] mnt:[4026531832]".
func namespaces() (string, error) {
	var ids []string
	for _, ns := range []string{"net", "mnt"} {
		id, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, " "), nil
}

// loopbackUp sets the IFF_UP flag of lo, as `ip link set lo up` does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// TestNamespaceIsIsolated checks, inside the namespaces, what the suite
// relies on: no route beyond loopback, and resolver files that name only
// the suite's DNS server.
func TestNamespaceIsIsolated(t *testing.T) {
	if os.Getenv(envInside) != "1" {
		t.Skip(notIsolable())
	}
	// 192.0.2.1 (TEST-NET-1) is never a real host; the point is that no
	// route exists, so the dial fails at once without a packet sent.
	c, err := net.Dial("udp", "192.0.2.1:53")
	if err == nil {
		_, err = c.Write([]byte{0})
		c.Close()
	}
	if !errors.Is(err, unix.ENETUNREACH) {
		t.Errorf("sending to 192.0.2.1: %v, want network is unreachable", err)
	}
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "nameserver" && f[1] != resolverIP {
			t.Errorf("resolv.conf names %s", f[1])
		}
	}
}
