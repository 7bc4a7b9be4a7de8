package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// The hostile-peer suite (issue 6, item 1): every network command against
// every hostile mode of the fake mongod, run as a real process.

const (
	// hostileTimeout is the --timeout of every hostile case: long enough
	// for a loopback probe to fail on its own, short enough that the ten
	// silent and dripping cases keep the suite within seconds.
	hostileTimeout = time.Second

	// hostileRSSLimit is the peak resident memory a command may reach
	// against a hostile peer: twice the 30 MiB budget of DESIGN.md §6, so
	// that only a peer able to make us buffer what it declares (a 2 GiB
	// length, a 16 MiB hello kept twice) fails it, not allocator noise.
	hostileRSSLimit = 64 << 20
)

// hostileFinding is the one error-level finding each hostile mode must
// produce, whatever the command. The probe reads a reply under a deadline
// and a size bound, so:
//   - a peer that never answers, or answers one byte a second, is
//     server.not-responding (the reply stalls before the deadline);
//   - a peer that answers with something that is not a MongoDB reply
//     (HTTP text, random bytes, a 2 GiB length, a reply to another request,
//     a 16 MiB hello no server sends, a reply cut short) is
//     server.not-mongodb;
//   - a TLS alert is a server that wants TLS: tls.server-requires-tls.
func hostileFinding(m mongotest.Mode) string {
	switch m {
	case mongotest.ModeSilent, mongotest.ModeDrip:
		return catalogue.IDServerNotResponding
	case mongotest.ModeTLSAlert:
		return catalogue.IDTLSServerRequiresTLS
	case mongotest.ModeHTTP, mongotest.ModeHugeLength, mongotest.ModeCloseAfterHeader,
		mongotest.ModeCloseMidMessage, mongotest.ModeRandomBytes, mongotest.ModeWrongResponseTo,
		mongotest.ModeHugeHello:
		return catalogue.IDServerNotMongoDB
	}
	return ""
}

// childMarks are what a Go process writes on stderr when it crashes or
// the race detector catches it; none may ever appear.
var childMarks = []string{"panic:", "goroutine ", "fatal error:", "WARNING: DATA RACE"}

// hostileConcurrency is how many hostile cases run at once: they mostly
// wait on their peer or their --timeout, so more than the two cores of CI.
const hostileConcurrency = 10

// TestHostilePeers: each network command (ping also with --primary,
// --wait and both) against each hostile mode ends with exit 1 and exactly
// the mode's finding in the JSON report, keeps the report property, ends
// within --timeout plus deadlineMargin, without crashing, within
// hostileRSSLimit. The 80 processes run hostileConcurrency at a time;
// each case is then judged in its own subtest.
func TestHostilePeers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 80 processes")
	}
	child := newMongoconnChild(t, true)
	type hostileCase struct {
		mode    mongotest.Mode
		cl      commandLine
		addr    string
		want    string
		timeout time.Duration
	}
	var (
		cases []hostileCase
		specs []childSpec
	)
	for _, mode := range mongotest.HostileModes() {
		want := hostileFinding(mode)
		if want == "" {
			t.Fatalf("no expected finding for hostile mode %s: add it to hostileFinding", mode)
		}
		// The huge hello is streamed header first, so its size is known
		// at once: every mode gets the same budget, this test's.
		fake := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mode})
		timeout := hostileTimeout
		for _, cl := range networkCommandLines(timeout) {
			cases = append(cases, hostileCase{mode: mode, cl: cl, addr: fake.Addr(), want: want, timeout: timeout})
			specs = append(specs, childSpec{
				args:  cl.args("json", timeout, nil, fake.URI()),
				guard: cl.budget(timeout) + hangGuard,
			})
		}
	}
	results, overhead := runBatch(t, child, specs, hostileConcurrency)
	for i, tc := range cases {
		t.Run(tc.mode.String()+"/"+tc.cl.name, func(t *testing.T) {
			res := results[i]
			if res.err != nil {
				t.Fatal(res.err)
			}
			r := judgeJSON(t, tc.cl, res.childResult, expectation{verdict: mustFail, ids: []string{tc.want}, rssLimit: hostileRSSLimit},
				tc.cl.budget(tc.timeout), overhead)
			if got := errorFindingIDs(r); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("error findings %v, want exactly [%s]\nstdout:\n%s", got, tc.want, res.stdout)
			}
			for _, f := range r.Findings {
				if f.ID == tc.want && !strings.Contains(strings.Join(f.Evidence, "\n"), tc.addr) {
					t.Errorf("%s evidence %q does not name %s", tc.want, f.Evidence, tc.addr)
				}
			}
			if strings.Contains(string(res.stderr), "mongoconn: error:") {
				t.Errorf("the engine could not run:\n%s", res.stderr)
			}
		})
	}
}

// errorFindingIDs returns the sorted, distinct ids of the report's
// error-level findings.
func errorFindingIDs(r *report.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		if f.Severity == report.SeverityError && !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// mongoconnChild runs the real command as a child process: this test
// binary (TestMain runs cmd.Main under MONGOCONN_RUN_MAIN=1) or, when this
// binary carries the race detector, a plain build of the command. The race
// runtime multiplies the resident size several times and makes each start
// of this binary cost a second, while the plain build is what users run.
type mongoconnChild struct {
	bin     string
	env     []string
	measure bool   // peak RSS is measured with GNU time
	why     string // why it is not, when it is not
}

// newMongoconnChild prepares the child; measure asks for its peak RSS.
func newMongoconnChild(t *testing.T, measure bool) *mongoconnChild {
	t.Helper()
	c := &mongoconnChild{bin: os.Args[0], env: []string{"MONGOCONN_RUN_MAIN=1"}}
	if raceEnabled() {
		bin, err := buildPlainCommand(t.TempDir())
		if err != nil {
			c.why = "the test binary carries the race detector and a plain build failed: " + err.Error()
			return c
		}
		c.bin, c.env = bin, nil
	}
	if !measure {
		c.why = "not asked for"
		return c
	}
	if _, err := os.Stat(gnuTime); err != nil {
		c.why = gnuTime + " is missing"
		return c
	}
	c.measure = true
	return c
}

// newPlainChild is newMongoconnChild with a plain build of the command
// always, not only under the race detector: the binary users run, with
// its own start-up cost and resident size, for suites that judge both.
// When the build fails it falls back to this test binary.
func newPlainChild(t *testing.T, measure bool) *mongoconnChild {
	t.Helper()
	c := newMongoconnChild(t, measure)
	if c.bin != os.Args[0] {
		return c
	}
	bin, err := buildPlainCommand(t.TempDir())
	if err != nil {
		t.Logf("running this test binary as mongoconn: a plain build failed: %v", err)
		return c
	}
	c.bin, c.env = bin, nil
	return c
}

// raceEnabled reports whether this binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// buildPlainCommand builds mongoconn without the race detector into dir.
func buildPlainCommand(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mongoconn")
	b := exec.Command(goBin, "build", "-o", bin, ".")
	b.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := b.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return bin, nil
}

// childSpec is one invocation: arguments, extra environment, stdin, and
// how long it may run before it is called hung (a failure detector, not a
// speed assertion).
type childSpec struct {
	args  []string
	env   []string
	stdin string
	guard time.Duration
}

// childResult is how one run of the command ended.
type childResult struct {
	code           int
	stdout, stderr []byte
	peakRSS        int64         // bytes; 0 when not measured
	elapsed        time.Duration // from start to exit, on the wall clock
	why            string
}

// run runs the command, failing the test when it is still running after
// spec.guard.
func (c *mongoconnChild) run(t *testing.T, spec childSpec) childResult {
	t.Helper()
	if !c.measure && c.bin == os.Args[0] && spec.env == nil && spec.stdin == "" {
		p, out, errOut := startSelf(t, spec.args...)
		code, err := waitFor(p, spec.guard, out, errOut)
		if err != nil {
			t.Fatal(err)
		}
		return childResult{code: code, stdout: out.Bytes(), stderr: errOut.Bytes(), why: c.why}
	}
	res, err := c.exec(spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// exec runs the command once, from any goroutine; tmp holds GNU time's
// measurement. It fails when the command outlives spec.guard.
func (c *mongoconnChild) exec(spec childSpec, tmp string) (childResult, error) {
	var rssFile string
	p := exec.Command(c.bin, spec.args...)
	if c.measure {
		f, err := os.CreateTemp(tmp, "rss-*")
		if err != nil {
			return childResult{}, err
		}
		rssFile = f.Name()
		_ = f.Close()
		p = exec.Command(gnuTime, append([]string{"-q", "-f", "%M", "-o", rssFile, c.bin}, spec.args...)...)
	}
	p.Env = append(os.Environ(), "MONGODB_URI=", "NO_COLOR=1")
	p.Env = append(append(p.Env, c.env...), spec.env...)
	p.Stdin = strings.NewReader(spec.stdin)
	// Its own process group, so that a hung child dies with GNU time.
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errOut bytes.Buffer
	p.Stdout, p.Stderr = &out, &errOut
	start := time.Now()
	if err := p.Start(); err != nil {
		return childResult{}, err
	}
	code, err := waitFor(p, spec.guard, &out, &errOut)
	if err != nil {
		return childResult{}, err
	}
	res := childResult{code: code, stdout: out.Bytes(), stderr: errOut.Bytes(), elapsed: time.Since(start), why: c.why}
	if !c.measure {
		return res, nil
	}
	data, err := os.ReadFile(rssFile)
	if err != nil {
		return res, fmt.Errorf("GNU time wrote no measurement: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return res, fmt.Errorf("GNU time wrote %q", data)
	}
	kib, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		return res, fmt.Errorf("GNU time wrote %q: %w", data, err)
	}
	res.peakRSS = kib << 10
	return res, nil
}

// waitFor waits for p and returns its exit code; when p outlives guard it
// kills p (and its process group) and says it hung.
func waitFor(p *exec.Cmd, guard time.Duration, out, errOut *bytes.Buffer) (int, error) {
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, nil
		case errors.As(err, &ee):
			return ee.ExitCode(), nil
		default:
			return -1, fmt.Errorf("wait: %w", err)
		}
	case <-timer.C:
		// SIGQUIT first: the Go runtime prints every goroutine's stack,
		// which says where the command was blocked.
		group := p.SysProcAttr != nil && p.SysProcAttr.Setpgid
		if group {
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGQUIT)
		} else {
			_ = p.Process.Signal(syscall.SIGQUIT)
		}
		select {
		case <-done:
		case <-time.After(stackDumpWait):
			if group {
				_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			}
			_ = p.Process.Kill()
			<-done
		}
		return -1, fmt.Errorf("%s still running after %s: hung; blocked in:\n%s\nstdout:\n%s",
			clip([]byte(strings.Join(p.Args, " "))), guard, stackSummary(errOut.Bytes()), clip(out.Bytes()))
	}
}

// stackDumpWait is how long a hung command is given to print its
// goroutines after SIGQUIT before it is killed.
const stackDumpWait = 2 * time.Second

// withoutArgs cuts the argument list off a frame of a goroutine dump:
// "pkg.(*T).f(0x1, {...})" is "pkg.(*T).f".
func withoutArgs(frame string) string {
	if !strings.HasSuffix(frame, ")") {
		return frame
	}
	depth := 0
	for i := len(frame) - 1; i >= 0; i-- {
		switch frame[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return frame[:i]
			}
		}
	}
	return frame
}

// stackSummary condenses a Go goroutine dump to the places goroutines
// wait in this module and in the driver, the most common first, with
// their counts; the whole output when it holds no dump.
func stackSummary(dump []byte) string {
	blocks := strings.Split(string(dump), "\n\n")
	counts := map[string]int{}
	var order []string
	for _, b := range blocks {
		if !strings.HasPrefix(strings.TrimSpace(b), "goroutine ") {
			continue
		}
		var frames []string
		for _, line := range strings.Split(b, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "github.com/mongoconn/") || strings.HasPrefix(line, "go.mongodb.org/") {
				frames = append(frames, withoutArgs(line))
				if len(frames) == 3 {
					break
				}
			}
		}
		if len(frames) == 0 {
			continue
		}
		key := strings.Join(frames, " <- ")
		if counts[key] == 0 {
			order = append(order, key)
		}
		counts[key]++
	}
	if len(order) == 0 {
		return clip(dump)
	}
	slices.SortStableFunc(order, func(a, b string) int { return counts[b] - counts[a] })
	var out strings.Builder
	for i, k := range order {
		if i == 8 {
			fmt.Fprintf(&out, "  ... %d more places\n", len(order)-i)
			break
		}
		fmt.Fprintf(&out, "  %5d x %s\n", counts[k], k)
	}
	return out.String()
}

// childRun is one run of a batch, or why it could not run.
type childRun struct {
	childResult
	err error
}

// runConcurrently runs every spec, at most limit at a time, and returns
// the runs in the order of specs.
func runConcurrently(t *testing.T, child *mongoconnChild, specs []childSpec, limit int) []childRun {
	t.Helper()
	tmp := t.TempDir()
	runs := make([]childRun, len(specs))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := child.exec(spec, tmp)
			runs[i] = childRun{childResult: res, err: err}
		}()
	}
	wg.Wait()
	return runs
}

// checkNoCrash fails when the child panicked, crashed or raced.
func (r childResult) checkNoCrash(t *testing.T) {
	t.Helper()
	for _, m := range childMarks {
		if bytes.Contains(r.stderr, []byte(m)) {
			t.Fatalf("stderr holds %q (exit %d):\n%s", m, r.code, r.stderr)
		}
	}
}

// checkRSS fails when the child's peak resident memory exceeded limit.
func (r childResult) checkRSS(t *testing.T, limit int64) {
	t.Helper()
	if r.peakRSS == 0 {
		t.Logf("peak RSS not measured: %s", r.why)
		return
	}
	if r.peakRSS > limit {
		t.Errorf("peak RSS %.1f MiB, above the %.0f MiB limit", float64(r.peakRSS)/(1<<20), float64(limit)/(1<<20))
	}
}
