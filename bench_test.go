package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// The benchmarks of DESIGN.md §6 run the built binaries, as users do:
// MONGOCONN_BIN is bin/mongoconn and BAREPING_BIN the bare driver program
// (scripts/bench.sh builds both). Each reports the figure its budget is
// about as a custom metric, which scripts/bench.sh turns into a table.

func benchBin(b *testing.B, env string) string {
	b.Helper()
	p := os.Getenv(env)
	if p == "" {
		b.Skipf("%s not set: run make bench", env)
	}
	return p
}

// gnuTime measures a child's peak RSS. The rusage Go returns for its own
// children is useless here: os/exec starts them with vfork semantics, so
// the child's high-water mark starts at the size of this test process.
// GNU time forks from a small process of its own.
const gnuTime = "/usr/bin/time"

// runBin runs a binary once and returns its wall time, peak RSS in bytes
// (0 when GNU time is missing) and exit code.
func runBin(b *testing.B, bin string, args ...string) (time.Duration, int64, int) {
	b.Helper()
	rssFile := filepath.Join(b.TempDir(), "rss")
	var c *exec.Cmd
	if _, err := os.Stat(gnuTime); err == nil {
		c = exec.Command(gnuTime, append([]string{"-q", "-f", "%M", "-o", rssFile, bin}, args...)...)
	} else {
		c = exec.Command(bin, args...)
	}
	c.Env = append(os.Environ(), "MONGODB_URI=", "NO_COLOR=1")
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("%s: %v", bin, err)
	}
	var rss int64
	if data, err := os.ReadFile(rssFile); err == nil {
		fields := strings.Fields(string(data))
		if len(fields) > 0 {
			kib, _ := strconv.ParseInt(fields[len(fields)-1], 10, 64)
			rss = kib * 1024
		}
	}
	return wall, rss, code
}

func reportRun(b *testing.B, bin string, wantCode int, args ...string) {
	b.Helper()
	var total time.Duration
	var peak int64
	for i := 0; i < b.N; i++ {
		wall, rss, code := runBin(b, bin, args...)
		if wantCode >= 0 && code != wantCode {
			b.Fatalf("%s %s: exit %d, want %d", bin, strings.Join(args, " "), code, wantCode)
		}
		total += wall
		peak = max(peak, rss)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/run")
	b.ReportMetric(float64(peak)/(1<<20), "MiB-rss")
}

// BenchmarkVerdictRefused: time to a verdict when nothing listens.
func BenchmarkVerdictRefused(b *testing.B) {
	addr := mongotest.ClosedPort(b)
	b.Run("mongoconn", func(b *testing.B) {
		reportRun(b, benchBin(b, "MONGOCONN_BIN"), 1, "ping", "mongodb://"+addr+"/")
	})
}

// BenchmarkVerdictSilent: time to a verdict when the host never answers,
// with --timeout 1s (budget: 1.1 s).
func BenchmarkVerdictSilent(b *testing.B) {
	addr := mongotest.SilentListener(b)
	b.Run("mongoconn-timeout-1s", func(b *testing.B) {
		reportRun(b, benchBin(b, "MONGOCONN_BIN"), 1, "--timeout", "1s", "ping", "mongodb://"+addr+"/")
	})
}

// BenchmarkDriverDefaults: the bare driver with its default options on a
// refused port and a silent host (30 s server selection each). Slow: run
// with -benchtime 1x.
func BenchmarkDriverDefaults(b *testing.B) {
	closed := mongotest.ClosedPort(b)
	silent := mongotest.SilentListener(b)
	b.Run("refused", func(b *testing.B) { reportRun(b, benchBin(b, "BAREPING_BIN"), 1, "mongodb://"+closed+"/") })
	b.Run("silent", func(b *testing.B) { reportRun(b, benchBin(b, "BAREPING_BIN"), 1, "mongodb://"+silent+"/") })
}

// BenchmarkDiscoverReplSet: discover and diagnose on a healthy 3-member
// fake set with 20 ms added to every reply; reports the requests each
// member received per run (§6: under 5 round trips beyond TCP and TLS;
// §11: at most 3 messages, the driver's included).
func BenchmarkDiscoverReplSet(b *testing.B) {
	rs := mongotest.StartReplSet(b, mongotest.ReplSetOptions{Name: "rs0", Members: 3})
	for i := 0; i < rs.Len(); i++ {
		rs.Member(i).SetDelay(20 * time.Millisecond)
	}
	for _, command := range []string{"discover", "diagnose"} {
		b.Run(command, func(b *testing.B) {
			bin := benchBin(b, "MONGOCONN_BIN")
			for i := 0; i < rs.Len(); i++ {
				rs.Member(i).ResetCounts()
			}
			reportRun(b, bin, 0, command, rs.URI())
			worst := 0
			for i := 0; i < rs.Len(); i++ {
				worst = max(worst, rs.Member(i).Requests())
			}
			b.ReportMetric(float64(worst)/float64(b.N), "trips/member")
		})
	}
}

// BenchmarkPeakRSS: peak resident memory of each command (budget 30 MiB).
func BenchmarkPeakRSS(b *testing.B) {
	f := ferret.Start(b, ferret.Options{})
	for _, args := range [][]string{
		{"ping", f.URI},
		{"diagnose", f.URI},
		{"discover", f.URI},
		{"wire-check", f.URI},
		{"tunnel-check", f.URI},
		{"explain", "connection refused"},
	} {
		b.Run(args[0], func(b *testing.B) {
			reportRun(b, benchBin(b, "MONGOCONN_BIN"), -1, args...)
		})
	}
}

// BenchmarkManyTargets: diagnose 200 targets on loopback fakes at once
// (budget: peak RSS under 30 MiB, wall time near the slowest target).
func BenchmarkManyTargets(b *testing.B) {
	const n = 200
	dir := b.TempDir()
	var lines []string
	for i := 0; i < n; i++ {
		var uri string
		switch i % 4 {
		case 0, 1:
			uri = mongotest.StartFakeMongod(b, mongotest.Options{Delay: 20 * time.Millisecond}).URI()
		case 2:
			uri = "mongodb://" + mongotest.ClosedPort(b) + "/"
		case 3:
			uri = mongotest.StartFakeMongod(b, mongotest.Options{Version: "3.6.23"}).URI()
		}
		lines = append(lines, uri)
	}
	file := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Run("diagnose-200", func(b *testing.B) {
		reportRun(b, benchBin(b, "MONGOCONN_BIN"), 1, "-o", "json", "diagnose", "--concurrency", "200", "--targets", file)
	})
}

// BenchmarkInterrupt: time from SIGINT to exit during a diagnose of a
// silent host (budget: 200 ms).
func BenchmarkInterrupt(b *testing.B) {
	silent, err := mongotest.NewSilentListener()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(silent.Close)
	bin := benchBin(b, "MONGOCONN_BIN")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		before := silent.Connections()
		c := exec.Command(bin, "--timeout", "30s", "diagnose", "mongodb://"+silent.Addr()+"/")
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		for silent.Connections() == before {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		if err := c.Process.Signal(os.Interrupt); err != nil {
			b.Fatal(err)
		}
		err := c.Wait()
		total += time.Since(start)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			b.Fatalf("exit %v, want 130", err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/exit")
}
