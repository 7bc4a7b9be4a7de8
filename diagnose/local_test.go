package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/resolve"
)

// localChildEnv carries, to the child process of TestLocalResources, the
// loopback address it must diagnose once it has no file descriptor left.
const localChildEnv = "MONGOCONN_TEST_EXHAUSTED_TARGET"

// localChildURIEnv and localChildDNSEnv carry, instead, a whole
// connection string and the DNS server its names are asked of.
const (
	localChildURIEnv = "MONGOCONN_TEST_EXHAUSTED_URI"
	localChildDNSEnv = "MONGOCONN_TEST_EXHAUSTED_DNS"
)

// localChildLimit is the open-file limit the child lowers itself to:
// above what a test process holds at start, low enough to fill at once.
const localChildLimit = 64

// localChildResult is what the child prints.
type localChildResult struct {
	Exhausted bool     `json:"exhausted"`
	IDs       []string `json:"ids"`
	OK        bool     `json:"ok"`
	Evidence  []string `json:"evidence"`
	Summaries []string `json:"summaries"`
	Err       string   `json:"err"`
}

// TestLocalResources runs diagnose in a child process that has used up
// its file descriptors (RLIMIT_NOFILE lowered, then filled) against a
// healthy loopback listener: the verdict must be local.resources, never a
// network finding.
func TestLocalResources(t *testing.T) {
	if os.Getenv(localChildEnv) != "" {
		t.Skip("runs in the child only as TestLocalResourcesChild")
	}
	ln := serveEach(t, func(c net.Conn) { _ = c.Close() })
	res := runLocalChild(t, localChildEnv+"="+ln.Addr().String())
	if !res.Exhausted {
		t.Fatalf("the child could not use up its file descriptors: %+v", res)
	}
	if res.Err != "" {
		t.Fatalf("diagnose failed in the child: %s", res.Err)
	}
	if !slices.Contains(res.IDs, catalogue.IDLocalResources) {
		t.Errorf("findings %v (evidence %q), want %s", res.IDs, res.Evidence, catalogue.IDLocalResources)
	}
	for _, id := range []string{catalogue.IDTCPTimeout, catalogue.IDTCPRefused, catalogue.IDServerNotResponding, catalogue.IDServerNotMongoDB, catalogue.IDDNSNoSuchHost} {
		if slices.Contains(res.IDs, id) {
			t.Errorf("findings %v: a network finding (%s) for a machine out of file descriptors", res.IDs, id)
		}
	}
	if res.OK {
		t.Error("the report is ok although nothing could be dialled")
	}
}

// localChildBudget bounds the child process: its diagnose gives up on
// the first dial.
const localChildBudget = 60 * time.Second

// TestLocalResourcesChild is the child of TestLocalResources; alone it
// does nothing.
func TestLocalResourcesChild(t *testing.T) {
	addr := os.Getenv(localChildEnv)
	if addr == "" {
		t.Skip("the child of TestLocalResources")
	}
	uri := "mongodb://" + addr + "/?directConnection=true"
	if u := os.Getenv(localChildURIEnv); u != "" {
		uri = u
	}
	res := localChild(uri, os.Getenv(localChildDNSEnv))
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}

func localChild(uri, dnsServer string) localChildResult {
	var res localChildResult
	target, err := connstr.ParseTarget(uri)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	e := NewEngine()
	e.Timeout = 5 * time.Second
	if dnsServer != "" {
		e.Resolver = resolve.NewResolver(dnsServer)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		res.Err = err.Error()
		return res
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: localChildLimit, Max: old.Max}); err != nil {
		res.Err = err.Error()
		return res
	}
	var held []*os.File
	defer func() {
		for _, f := range held {
			_ = f.Close()
		}
	}()
	for range localChildLimit + 1 {
		f, err := os.Open(os.DevNull)
		if errors.Is(err, syscall.EMFILE) {
			res.Exhausted = true
			break
		}
		if err != nil {
			res.Err = err.Error()
			return res
		}
		held = append(held, f)
	}
	r, err := e.Diagnose(context.Background(), target)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.OK = r.OK
	for _, f := range r.Findings {
		res.IDs = append(res.IDs, f.ID)
		res.Evidence = append(res.Evidence, f.Evidence...)
	}
	for _, c := range r.Checks {
		res.Summaries = append(res.Summaries, c.Summary)
	}
	return res
}

// TestLocalResourcesDNS is TestLocalResources for targets whose names are
// asked of a DNS server: a seed name, and a mongodb+srv string. With no
// descriptor left the question is never sent, so the verdict is
// local.resources, never "no such host" or "no SRV records".
func TestLocalResourcesDNS(t *testing.T) {
	if os.Getenv(localChildEnv) != "" {
		t.Skip("runs in the child only as TestLocalResourcesChild")
	}
	dns := mongotest.StartDNS(t)
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	_, port, _ := net.SplitHostPort(m.Addr())
	if err := dns.AddHost("db.local.test", 60, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	dns.AddSRV("_mongodb._tcp.cluster.local.test", 60, 0, 0, uint16(p), "db.local.test")
	for name, uri := range map[string]string{
		"seed name": "mongodb://db.local.test:" + port + "/",
		"srv":       "mongodb+srv://cluster.local.test/?tls=false",
	} {
		t.Run(name, func(t *testing.T) {
			res := runLocalChild(t, localChildEnv+"="+m.Addr(), localChildURIEnv+"="+uri, localChildDNSEnv+"="+dns.Addr)
			if !res.Exhausted || res.Err != "" {
				t.Fatalf("child: %+v", res)
			}
			if !slices.Contains(res.IDs, catalogue.IDLocalResources) {
				t.Errorf("findings %v (evidence %q), want %s", res.IDs, res.Evidence, catalogue.IDLocalResources)
			}
			for _, id := range networkBlameIDs {
				if slices.Contains(res.IDs, id) {
					t.Errorf("findings %v: a network finding (%s) for a machine out of file descriptors", res.IDs, id)
				}
			}
			for _, s := range res.Summaries {
				if strings.Contains(s, "server unreachable") || strings.Contains(s, "does not resolve") {
					t.Errorf("check %q: the DNS blamed for a question never sent", s)
				}
			}
		})
	}
}

// runLocalChild runs TestLocalResourcesChild in a process of its own with
// env added, and reads the result it prints on its first line.
func runLocalChild(t *testing.T, env ...string) localChildResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), localChildBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLocalResourcesChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res localChildResult
	line := out
	if i := slices.Index(out, '\n'); i >= 0 {
		line = out[:i]
	}
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	return res
}

// serveEach listens on a loopback port until the test ends and hands every
// connection it accepts to serve.
func serveEach(t *testing.T, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
	return ln
}
