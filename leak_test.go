package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// The leak test (issue 6, item 1): every engine entry point, and every
// command in-process, against hostile peers and healthy fixtures, then a
// look at the goroutines left once the fixtures are closed. Our own small
// checker: runtime.Stack of every goroutine before and after.

const (
	// leakSettle is how long leftover goroutines may take to wind down
	// after the last call returned and the fixtures closed: connection
	// readers notice a closed socket within milliseconds, so two seconds
	// only separates a leak from a slow scheduler under -race.
	leakSettle = 2 * time.Second

	// leakPoll is the pause between two looks at the goroutines while
	// they wind down.
	leakPoll = 20 * time.Millisecond

	// leakHostileTimeout is the engine budget against hostile peers: long
	// enough for every stage to start (the probes, the driver's monitors
	// and pools), short enough that silent peers cost half a second.
	leakHostileTimeout = 500 * time.Millisecond

	// leakHealthyTimeout is the engine budget against healthy fixtures,
	// which answer in milliseconds; the margin is for -race on 2 cores.
	leakHealthyTimeout = 5 * time.Second

	// leakCancelAfter is when the cancellation cases cancel the context:
	// mid-probe, as Ctrl-C does.
	leakCancelAfter = 50 * time.Millisecond
)

// goroutine is one entry of runtime.Stack(all).
type goroutine struct {
	id    int64
	stack string
}

// goroutines returns every goroutine of the process by id.
func goroutines() map[int64]goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[int64]goroutine{}
	for _, block := range strings.Split(string(buf), "\n\n") {
		block = strings.TrimSpace(block)
		rest, ok := strings.CutPrefix(block, "goroutine ")
		if !ok {
			continue
		}
		idText, _, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			continue
		}
		out[id] = goroutine{id: id, stack: block}
	}
	return out
}

// benignGoroutines are frames of goroutines that outlive any one call by
// design and are not ours to stop: the runtime's and the signal package's
// own workers, started once per process.
var benignGoroutines = []string{
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
	"runtime/trace.",
	"testing.(*T).Run",
	"testing.tRunner",
	"testing.runFuzzing",
}

// newGoroutines returns the goroutines of now that were not in before and
// are not benign, sorted by id.
func newGoroutines(before, now map[int64]goroutine) []goroutine {
	var out []goroutine
	for id, g := range now {
		if _, ok := before[id]; ok {
			continue
		}
		benign := false
		for _, b := range benignGoroutines {
			if strings.Contains(firstFrames(g.stack), b) {
				benign = true
				break
			}
		}
		if !benign {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// firstFrames is the stack without its "created by" trailer, so that a
// goroutine is judged by what it runs, not by who started it.
func firstFrames(stack string) string {
	if k := strings.Index(stack, "\ncreated by "); k >= 0 {
		return stack[:k]
	}
	return stack
}

// checkNoLeak runs body as a subtest named name (its fixtures, registered
// with that subtest's Cleanup, are closed when it returns), then fails when
// goroutines started meanwhile are still running after leakSettle.
func checkNoLeak(t *testing.T, name string, body func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		before := goroutines()
		if !t.Run("run", body) {
			return
		}
		var left []goroutine
		deadline := time.Now().Add(leakSettle)
		for {
			left = newGoroutines(before, goroutines())
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(leakPoll)
		}
		var b strings.Builder
		for _, g := range left {
			fmt.Fprintf(&b, "\n%s\n", g.stack)
		}
		t.Errorf("%d goroutines left behind after %s:%s", len(left), leakSettle, b.String())
	})
}

// entryPoint is one engine call.
type entryPoint struct {
	name string
	call func(e *diagnose.Engine, ctx context.Context, tg *connstr.Target) (*report.Report, error)
}

// entryPoints are every engine entry point a command calls.
var entryPoints = []entryPoint{
	{"ping", func(e *diagnose.Engine, ctx context.Context, tg *connstr.Target) (*report.Report, error) {
		return e.Ping(ctx, tg, diagnose.PingRequest{})
	}},
	{"ping-primary", func(e *diagnose.Engine, ctx context.Context, tg *connstr.Target) (*report.Report, error) {
		return e.Ping(ctx, tg, diagnose.PingRequest{RequirePrimary: true})
	}},
	{"discover", (*diagnose.Engine).Discover},
	{"wire-check", (*diagnose.Engine).WireCheck},
	{"tunnel-check", (*diagnose.Engine).TunnelCheck},
	{"diagnose", (*diagnose.Engine).Diagnose},
	{"srv", (*diagnose.Engine).SRV},
}

// runEntryPoints calls every entry point on uri at once, each with its own
// engine, and returns the reports by entry point name. cancelAfter > 0
// cancels the context that long after the start.
func runEntryPoints(t *testing.T, uri string, timeout, cancelAfter time.Duration, setup func(*diagnose.Engine)) map[string]*report.Report {
	t.Helper()
	tg, err := connstr.ParseTarget(uri)
	if err != nil {
		t.Fatalf("ParseTarget(%s): %v", redact.Redact(uri), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if cancelAfter > 0 {
		stop := time.AfterFunc(cancelAfter, cancel)
		defer stop.Stop()
	}
	var (
		mu      sync.Mutex
		reports = map[string]*report.Report{}
		wg      sync.WaitGroup
	)
	for _, ep := range entryPoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := diagnose.NewEngine()
			e.Timeout = timeout
			if setup != nil {
				setup(e)
			}
			r, err := ep.call(e, ctx, tg)
			if err != nil {
				t.Errorf("%s: %v", ep.name, err)
				return
			}
			if r == nil {
				t.Errorf("%s: nil report and no error", ep.name)
				return
			}
			assertReportProperty(t, ranAs{Command: strings.TrimSuffix(ep.name, "-primary"), Primary: ep.name == "ping-primary", ExitCode: -1}, r)
			mu.Lock()
			reports[ep.name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return reports
}

// TestNoGoroutineLeakHostile: the engine leaves nothing running after any
// entry point met any hostile peer.
func TestNoGoroutineLeakHostile(t *testing.T) {
	for _, mode := range append(mongotest.HostileModes(), mongotest.ModeJunkAfterHello) {
		checkNoLeak(t, mode.String(), func(t *testing.T) {
			fake := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mode})
			reports := runEntryPoints(t, fake.URI(), leakHostileTimeout, 0, nil)
			for name, r := range reports {
				// srv stops at TCP, which every hostile peer accepts.
				if name != "srv" && r.OK {
					t.Errorf("%s against a %s peer reported OK: %s", name, mode, r.Verdict)
				}
			}
		})
	}
}

// TestNoGoroutineLeakHealthy: the same on deployments that answer, where
// the driver's monitors, pools and sessions all start and must all stop.
func TestNoGoroutineLeakHealthy(t *testing.T) {
	const user, password = "alice", "leak-test-password"
	cases := []struct {
		name   string
		start  func(t *testing.T) (uri string, setup func(*diagnose.Engine))
		wantOK bool
	}{
		{"fake-standalone", func(t *testing.T) (string, func(*diagnose.Engine)) {
			return mongotest.StartFakeMongod(t, mongotest.Options{}).URI(), nil
		}, true},
		{"fake-replset", func(t *testing.T) (string, func(*diagnose.Engine)) {
			return mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3}).URI(), nil
		}, true},
		{"scram-wrong-password", func(t *testing.T) (string, func(*diagnose.Engine)) {
			f := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: user, Password: password}}})
			return "mongodb://" + user + ":not-" + password + "@" + f.Addr() + "/", nil
		}, false},
		{"scram-right-password", func(t *testing.T) (string, func(*diagnose.Engine)) {
			f := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: user, Password: password}}})
			return "mongodb://" + user + ":" + password + "@" + f.Addr() + "/", nil
		}, true},
		{"refused", func(t *testing.T) (string, func(*diagnose.Engine)) {
			return "mongodb://" + mongotest.ClosedPort(t) + "/", nil
		}, false},
		{"ferretdb", func(t *testing.T) (string, func(*diagnose.Engine)) {
			return ferret.Start(t, ferret.Options{}).URI, nil
		}, true},
		{"tls-expired", func(t *testing.T) (string, func(*diagnose.Engine)) {
			certs := mongotest.NewCerts(t)
			backend := mongotest.StartFakeMongod(t, mongotest.Options{})
			addr := mongotest.ServeTLS(t, mongotest.TLSServer{Cert: certs.Server(mongotest.CertExpired).TLS, Backend: backend.Addr()})
			return "mongodb://" + addr + "/?tls=true&tlsCAFile=" + certs.CAFile, nil
		}, false},
		{"srv", func(t *testing.T) (string, func(*diagnose.Engine)) {
			rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 2})
			dns := mongotest.StartDNS(t)
			for i, a := range rs.Addrs() {
				_, port, _ := strings.Cut(a, ":")
				p, _ := strconv.Atoi(port)
				host := fmt.Sprintf("m%d.rs.example.test", i)
				dns.AddSRV("_mongodb._tcp.rs.example.test", 60, 0, 0, uint16(p), host)
				if err := dns.AddHost(host, 60, "127.0.0.1"); err != nil {
					t.Fatal(err)
				}
			}
			dns.AddTXT("rs.example.test", 60, "replicaSet=rs0")
			return "mongodb+srv://rs.example.test/?tls=false", func(e *diagnose.Engine) {
				e.Resolver = resolve.NewResolver(dns.Addr)
			}
		}, true},
		{"srv-silent-dns", func(t *testing.T) (string, func(*diagnose.Engine)) {
			dns := mongotest.StartDNS(t)
			dns.SetSilent("_mongodb._tcp.quiet.example.test", true)
			dns.SetSilent("quiet.example.test", true)
			return "mongodb+srv://quiet.example.test/", func(e *diagnose.Engine) {
				e.Resolver = resolve.NewResolver(dns.Addr)
			}
		}, false},
	}
	for _, tc := range cases {
		checkNoLeak(t, tc.name, func(t *testing.T) {
			uri, setup := tc.start(t)
			timeout := leakHealthyTimeout
			if !tc.wantOK {
				timeout = leakHostileTimeout
			}
			reports := runEntryPoints(t, uri, timeout, 0, setup)
			// ping is the one entry point whose verdict every case fixes;
			// the others may add warnings or errors of their own.
			if r := reports["ping"]; r != nil && r.OK != tc.wantOK {
				t.Errorf("ping ok = %v, want %v: %s", r.OK, tc.wantOK, r.Verdict)
			}
		})
	}
}

// TestNoGoroutineLeakCancelled: cancelling the context mid-probe (what
// Ctrl-C does) stops everything the call started.
func TestNoGoroutineLeakCancelled(t *testing.T) {
	for _, mode := range []mongotest.Mode{mongotest.ModeSilent, mongotest.ModeDrip, mongotest.ModeNormal} {
		checkNoLeak(t, mode.String(), func(t *testing.T) {
			fake := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mode, Delay: 2 * leakCancelAfter})
			runEntryPoints(t, fake.URI(), leakHealthyTimeout, leakCancelAfter, nil)
		})
	}
}

// TestNoGoroutineLeakCommands: the commands themselves, in-process with
// test streams (rendering, progress, ping --wait retries), leave nothing
// running either.
func TestNoGoroutineLeakCommands(t *testing.T) {
	type fixture struct {
		name string
		uri  func(t *testing.T) string
	}
	fixtures := []fixture{
		{"healthy", func(t *testing.T) string { return mongotest.StartFakeMongod(t, mongotest.Options{}).URI() }},
		{"silent", func(t *testing.T) string {
			return mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeSilent}).URI()
		}},
		{"refused", func(t *testing.T) string { return "mongodb://" + mongotest.ClosedPort(t) + "/" }},
	}
	commands := [][]string{
		{"ping"}, {"-v", "ping"}, {"ping", "--wait", "300ms"}, {"-o", "json", "discover"},
		{"wire-check"}, {"tunnel-check"}, {"-v", "diagnose"}, {"-q", "diagnose"},
	}
	for _, fx := range fixtures {
		checkNoLeak(t, fx.name, func(t *testing.T) {
			uri := fx.uri(t)
			var wg sync.WaitGroup
			for _, args := range commands {
				wg.Add(1)
				go func() {
					defer wg.Done()
					args := append([]string{"--timeout", leakHostileTimeout.String()}, append(args, uri)...)
					out, errOut, err := runInProcess(context.Background(), args...)
					if fx.name == "healthy" && err != nil {
						t.Errorf("mongoconn %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
					}
					if fx.name != "healthy" && err == nil {
						t.Errorf("mongoconn %s: no problem reported\nstdout:\n%s", strings.Join(args, " "), out)
					}
				}()
			}
			wg.Wait()
		})
	}
}

// runInProcess runs the root command with args on test streams.
func runInProcess(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	ios, _, out, errOut := cmd.Test()
	f := cmd.NewFactory(ios, func(string) string { return "" })
	root := cmd.NewCmdRoot(f)
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// TestLeakCheckerSeesLeak: the checker itself notices a goroutine started
// after the first look and still blocked at the second, and only that one.
func TestLeakCheckerSeesLeak(t *testing.T) {
	before := goroutines()
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		close(started)
		<-release
	}()
	<-started
	left := newGoroutines(before, goroutines())
	close(release)
	if len(left) != 1 || !strings.Contains(left[0].stack, "TestLeakCheckerSeesLeak") {
		t.Fatalf("checker saw %d new goroutines, want the one blocked here: %+v", len(left), left)
	}
	for _, g := range newGoroutines(before, before) {
		t.Errorf("goroutine %d reported against its own snapshot", g.id)
	}
}
