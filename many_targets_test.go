package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// Many targets at once (issue 15, item 3; DESIGN.md §11): a thousand
// loopback targets under an open-file limit of 1024 get the verdict each
// deserves, never a false finding, because the concurrency of --targets is
// capped by the limit and a target that still runs out of descriptors is
// local.resources.

const (
	// manyTargets is how many targets the runs check at once.
	manyTargets = 1000

	// manyConcurrency is the --concurrency asked for: more than the
	// open-file limit allows, so that the cap is what keeps the targets
	// apart.
	manyConcurrency = 256

	// manyFDLimit is the open-file limit of the child, as a default
	// `ulimit -n` sets it.
	manyFDLimit = 1024

	// tightFDLimit is an open-file limit far below what manyConcurrency
	// targets need at once: without the cap, half the targets fail to
	// open a socket.
	tightFDLimit = 128

	// manyDelay is added before every reply of the healthy targets: a
	// server a little slower than loopback, so that targets overlap.
	manyDelay = 20 * time.Millisecond

	// manyTimeout is each target's --timeout: a loaded machine stretches
	// the run, never the verdicts.
	manyTimeout = 30 * time.Second

	// manyGuard is how long a run may last before it is called hung.
	manyGuard = 5 * time.Minute

	// manySample is how often a run's descriptors and memory are read.
	manySample = 2 * time.Millisecond
)

// manyTarget is one target and the error finding its report must hold,
// "" for a healthy one that must be ok with no error at all.
type manyTarget struct {
	uri  string
	want string
}

// startManyTargets starts n loopback targets: half healthy fake mongods
// that answer after manyDelay, a quarter MongoDB 3.6 (too old for the
// linked driver), a quarter closed ports. The closed ports are picked once
// every server listens, so that none of them can be a server's port.
func startManyTargets(tb testing.TB, n int) []manyTarget {
	tb.Helper()
	targets := make([]manyTarget, n)
	var closed []int
	for i := range targets {
		switch i % 4 {
		case 0, 1:
			targets[i] = manyTarget{uri: mongotest.StartFakeMongod(tb, mongotest.Options{Delay: manyDelay}).URI()}
		case 2:
			closed = append(closed, i)
		case 3:
			targets[i] = manyTarget{uri: mongotest.StartFakeMongod(tb, mongotest.Options{Version: "3.6.23"}).URI(), want: catalogue.IDWireServerTooOld}
		}
	}
	for _, i := range closed {
		targets[i] = manyTarget{uri: "mongodb://" + mongotest.ClosedPort(tb) + "/", want: catalogue.IDTCPRefused}
	}
	return targets
}

// writeManyTargets writes the targets as a --targets file in dir.
func writeManyTargets(tb testing.TB, dir string, targets []manyTarget) string {
	tb.Helper()
	var b strings.Builder
	for _, t := range targets {
		b.WriteString(t.uri + "\n")
	}
	file := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return file
}

// manyRun is how a run over many targets went, measured from outside.
type manyRun struct {
	code           int
	stdout, stderr []byte
	elapsed        time.Duration
	peakRSS        int64   // bytes: the child's VmHWM, last read before it ended
	peakFDs        int     // the most descriptors it held at one reading
	gcCPU          float64 // percent of the CPU the collector used, from gctrace; -1 when not traced
}

// runMany runs bin with args under an open-file limit (0: the limit this
// process has), reading the child's descriptors and memory as it runs.
// With gctrace the collector reports each cycle on stderr, and the last
// report gives its share of the CPU.
func runMany(bin string, fdLimit int, gctrace bool, args ...string) (manyRun, error) {
	shell := `exec "$0" "$@"`
	if fdLimit > 0 {
		shell = fmt.Sprintf("ulimit -n %d && %s", fdLimit, shell)
	}
	p := exec.Command("/bin/sh", append([]string{"-c", shell, bin}, args...)...)
	p.Env = append(os.Environ(), "MONGODB_URI=", "NO_COLOR=1")
	if gctrace {
		p.Env = append(p.Env, "GODEBUG=gctrace=1")
	}
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errOut bytes.Buffer
	p.Stdout, p.Stderr = &out, &errOut
	start := time.Now()
	if err := p.Start(); err != nil {
		return manyRun{}, err
	}
	var (
		mu    sync.Mutex
		run   = manyRun{gcCPU: -1}
		done  = make(chan struct{})
		watch sync.WaitGroup
	)
	watch.Add(1)
	go func() {
		defer watch.Done()
		tick := time.NewTicker(manySample)
		defer tick.Stop()
		for {
			fds := countFDs(p.Process.Pid)
			rss := readHWM(p.Process.Pid)
			mu.Lock()
			run.peakFDs = max(run.peakFDs, fds)
			if rss > 0 {
				run.peakRSS = rss
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	code, err := waitFor(p, manyGuard, &out, &errOut)
	close(done)
	watch.Wait()
	if err != nil {
		return manyRun{}, err
	}
	run.code, run.stdout, run.stderr, run.elapsed = code, out.Bytes(), errOut.Bytes(), time.Since(start)
	if gctrace {
		run.gcCPU = gcShare(run.stderr)
	}
	return run, nil
}

// countFDs is how many descriptors process pid holds (0 when it cannot
// be read).
func countFDs(pid int) int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(entries)
}

// readHWM is process pid's peak resident memory so far, in bytes (0 when
// it cannot be read).
func readHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10
		}
	}
	return 0
}

// gctraceLine is a cycle's report under GODEBUG=gctrace=1: "gc 12 @0.5s
// 7%: ...", the percentage being the collector's share of the CPU since
// the program started.
var gctraceLine = regexp.MustCompile(`(?m)^gc \d+ @[0-9.]+s (\d+)%:`)

// gcShare is the collector's share of the CPU by the last cycle reported
// in stderr, 0 when no cycle ran.
func gcShare(stderr []byte) float64 {
	m := gctraceLine.FindAllSubmatch(stderr, -1)
	if len(m) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	return v
}

// falseFindings compares the JSON Lines of a run with the targets, in
// order, and returns every report that is not what its target deserves:
// a healthy target that is not ok or has any error finding, a broken one
// whose error findings are not exactly its own.
func falseFindings(t testing.TB, targets []manyTarget, stdout []byte) []string {
	t.Helper()
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	i := 0
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if i >= len(targets) {
			bad = append(bad, fmt.Sprintf("report %d for %d targets", i+1, len(targets)))
			break
		}
		var r report.Report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad = append(bad, fmt.Sprintf("target %d: not a JSON report: %v", i+1, err))
			i++
			continue
		}
		tg := targets[i]
		i++
		ids := errorFindingIDs(&r)
		for _, v := range reportViolations(ranAs{Command: r.Command, ExitCode: -1}, &r) {
			bad = append(bad, fmt.Sprintf("target %d %s: %s", i, tg.uri, v))
		}
		switch {
		case r.Target != tg.uri:
			bad = append(bad, fmt.Sprintf("target %d: report of %s, want %s", i, r.Target, tg.uri))
		case tg.want == "" && (!r.OK || len(ids) > 0):
			bad = append(bad, fmt.Sprintf("target %d %s (healthy): ok %v, errors %v, verdict %q", i, tg.uri, r.OK, ids, r.Verdict))
		case tg.want != "" && !slices.Equal(ids, []string{tg.want}):
			bad = append(bad, fmt.Sprintf("target %d %s: errors %v, want [%s] (verdict %q)", i, tg.uri, ids, tg.want, r.Verdict))
		}
	}
	if i < len(targets) {
		bad = append(bad, fmt.Sprintf("%d reports for %d targets", i, len(targets)))
	}
	return bad
}

// TestManyTargetsOpenFileLimit checks a thousand loopback targets at
// --concurrency 256 under `ulimit -n 1024` (DESIGN.md §11) and under a
// limit of 128, in a child process: every report is the one its target
// deserves. Without the cap, 256 targets at once need more descriptors
// than 128 give, and the targets that cannot open a socket are reported
// broken (local.resources) although nothing is wrong with them.
func TestManyTargetsOpenFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a thousand loopback servers")
	}
	child := newPlainChild(t, false)
	targets := startManyTargets(t, manyTargets)
	file := writeManyTargets(t, t.TempDir(), targets)
	for _, c := range []struct {
		command string
		fdLimit int
	}{{"ping", manyFDLimit}, {"diagnose", manyFDLimit}, {"ping", tightFDLimit}} {
		command := c.command
		t.Run(fmt.Sprintf("%s/ulimit-%d", command, c.fdLimit), func(t *testing.T) {
			run, err := runMany(child.bin, c.fdLimit, false, "-o", "json", "--timeout", manyTimeout.String(),
				command, "--concurrency", strconv.Itoa(manyConcurrency), "--targets", file)
			if err != nil {
				t.Fatal(err)
			}
			res := childResult{code: run.code, stdout: run.stdout, stderr: run.stderr}
			res.checkNoCrash(t)
			checkNoControlBytes(t, res)
			if run.code != cmd.ExitProblem {
				t.Errorf("exit %d, want %d (a quarter of the targets are closed ports)\nstderr:\n%s", run.code, cmd.ExitProblem, clip(run.stderr))
			}
			bad := falseFindings(t, targets, run.stdout)
			for k, b := range bad {
				if k == 10 {
					t.Errorf("... and %d more", len(bad)-k)
					break
				}
				t.Errorf("FALSE FINDING: %s", b)
			}
			if run.peakFDs >= c.fdLimit {
				t.Errorf("%d descriptors open at once under a limit of %d", run.peakFDs, c.fdLimit)
			}
			t.Logf("%s: %d targets in %s, peak %d descriptors, peak RSS %.1f MiB",
				command, len(targets), run.elapsed.Round(time.Millisecond), run.peakFDs, float64(run.peakRSS)/(1<<20))
		})
	}
}

// BenchmarkManyTargets1000 runs a thousand loopback targets (DESIGN.md
// §11: under 2.5 s wall, under 64 MiB RSS, no false finding, also under
// `ulimit -n 1024`) at --concurrency 256 and 1000, and reports the wall
// time, peak RSS, peak descriptors, the collector's share of the CPU
// (gctrace) and the count of false findings.
func BenchmarkManyTargets1000(b *testing.B) {
	bin := benchBin(b, "MONGOCONN_BIN")
	targets := startManyTargets(b, manyTargets)
	file := writeManyTargets(b, b.TempDir(), targets)
	for _, c := range []struct {
		name        string
		command     string
		concurrency int
		fdLimit     int
	}{
		{"ping-c256", "ping", 256, 0},
		{"ping-c256-ulimit1024", "ping", 256, manyFDLimit},
		{"ping-c1000", "ping", 1000, 0},
		{"diagnose-c256-ulimit1024", "diagnose", 256, manyFDLimit},
	} {
		b.Run(c.name, func(b *testing.B) {
			var wall time.Duration
			var rss int64
			var fds, falses int
			var gc float64
			for i := 0; i < b.N; i++ {
				run, err := runMany(bin, c.fdLimit, true, "-o", "json", "--timeout", manyTimeout.String(),
					c.command, "--concurrency", strconv.Itoa(c.concurrency), "--targets", file)
				if err != nil {
					b.Fatal(err)
				}
				if run.code != cmd.ExitProblem {
					b.Fatalf("exit %d, want %d:\n%s", run.code, cmd.ExitProblem, clip(run.stderr))
				}
				bad := falseFindings(b, targets, run.stdout)
				for k, s := range bad {
					if k < 3 {
						b.Logf("false finding: %s", s)
					}
				}
				wall += run.elapsed
				rss = max(rss, run.peakRSS)
				fds = max(fds, run.peakFDs)
				gc = max(gc, run.gcCPU)
				falses += len(bad)
			}
			b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "ms/run")
			b.ReportMetric(float64(rss)/(1<<20), "MiB-rss")
			b.ReportMetric(float64(fds), "peak-fds")
			b.ReportMetric(gc, "gc-cpu-%")
			b.ReportMetric(float64(falses)/float64(b.N), "false/run")
		})
	}
}
