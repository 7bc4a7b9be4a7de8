package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/driverrun"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// The paired benchmarks of DESIGN.md §11: mongoconn and its yardstick run
// one after the other in every iteration, in alternating order, so that
// a change in the machine's load moves both figures of a pair alike; the
// ratio is the median of the ratios of the pairs.

// peerTimeout bounds one run of a peer client (mongosh, PyMongo, the
// Node.js driver): each answers a healthy loopback server in about a
// second, mongosh's start being the slowest part.
const peerTimeout = time.Minute

// peerSelection and peerConnect are the serverSelectionTimeoutMS and
// connectTimeoutMS the peers are given: their defaults, as the bare
// driver program keeps its own.
const (
	peerSelection = 30 * time.Second
	peerConnect   = 30 * time.Second
)

// benchNodeDir holds ping.js and the npm packages mongodb and mongosh
// (make drivers-install).
const benchNodeDir = "testdata/drivers/node"

// benchPyScript is PyMongo's ping script.
const benchPyScript = "testdata/drivers/pymongo/ping.py"

// benchPeers is the setup of the peer clients that are installed on this
// machine, and which of them they are; none when make drivers-install has
// not run, or with BENCH_QUICK=1.
func benchPeers(b *testing.B) (*driverrun.Setup, []driverrun.Client) {
	b.Helper()
	if os.Getenv("BENCH_QUICK") == "1" {
		return nil, nil
	}
	dir, err := filepath.Abs(benchNodeDir)
	if err != nil {
		b.Fatal(err)
	}
	script, err := filepath.Abs(benchPyScript)
	if err != nil {
		b.Fatal(err)
	}
	s := &driverrun.Setup{NodeDir: dir, PyScript: script, Home: b.TempDir(), ServerSelection: peerSelection, Connect: peerConnect}
	var peers []driverrun.Client
	if node, err := exec.LookPath("node"); err == nil {
		s.NodeBin = node
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "mongosh", "bin", "mongosh.js")); err == nil {
			peers = append(peers, driverrun.Mongosh)
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "mongodb")); err == nil {
			peers = append(peers, driverrun.Node)
		}
	}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		c := exec.Command(path, "-c", "import pymongo")
		c.Env = []string{"PYTHONNOUSERSITE=1"}
		if c.Run() == nil {
			s.PythonBin = path
			peers = append(peers, driverrun.PyMongo)
			break
		}
	}
	if err := s.WriteMongoshConfig(); err != nil {
		b.Fatal(err)
	}
	return s, peers
}

// medianOf xs (xs is sorted in place); 0 when empty.
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// BenchmarkPingPaired: mongoconn ping and the bare driver program on
// FerretDB, paired (§11: within 1.1x), and the peer clients that are
// installed, each against the bare driver of its iteration.
func BenchmarkPingPaired(b *testing.B) {
	f := ferret.Start(b, ferret.Options{})
	mc, bare := benchBin(b, "MONGOCONN_BIN"), benchBin(b, "BAREPING_BIN")
	setup, peers := benchPeers(b)
	var mcCPU, bareCPU time.Duration
	runMC := func() time.Duration {
		wall, cpu := wallAndCPU(b, mc, "ping", f.URI)
		mcCPU += cpu
		return wall
	}
	runBare := func() time.Duration {
		wall, cpu := wallAndCPU(b, bare, f.URI)
		bareCPU += cpu
		return wall
	}
	var mcMs, bareMs, ratios []float64
	peerMs := map[driverrun.Client][]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m, d time.Duration
		if i%2 == 0 {
			m, d = runMC(), runBare()
		} else {
			d, m = runBare(), runMC()
		}
		mcMs, bareMs = append(mcMs, ms(m)), append(bareMs, ms(d))
		ratios = append(ratios, float64(m)/float64(d))
		for _, p := range peers {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			start := time.Now()
			out, err := setup.Run(ctx, p, f.URI)
			wall := time.Since(start)
			cancel()
			if err != nil {
				b.Fatalf("%s: %v", p, err)
			}
			if !out.OK {
				b.Fatalf("%s: ping failed: %s", p, out.Text)
			}
			peerMs[p] = append(peerMs[p], ms(wall))
		}
	}
	b.StopTimer()
	mm, dm := medianOf(mcMs), medianOf(bareMs)
	b.ReportMetric(mm, "mongoconn-ms")
	b.ReportMetric(dm, "bare-ms")
	b.ReportMetric(medianOf(ratios), "ratio")
	b.ReportMetric(ms(mcCPU)/float64(b.N), "mongoconn-cpu-ms")
	b.ReportMetric(ms(bareCPU)/float64(b.N), "bare-cpu-ms")
	for _, p := range peers {
		pm := medianOf(peerMs[p])
		b.ReportMetric(pm, string(p)+"-ms")
		b.ReportMetric(pm/mm, string(p)+"/mongoconn")
	}
}

// wallAndCPU runs bin, which must exit 0, and returns its wall time and
// the user and system CPU time it used.
func wallAndCPU(b *testing.B, bin string, args ...string) (time.Duration, time.Duration) {
	b.Helper()
	c := exec.Command(bin, args...)
	c.Env = append(os.Environ(), "MONGODB_URI=", "NO_COLOR=1")
	start := time.Now()
	if err := c.Run(); err != nil {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	return time.Since(start), c.ProcessState.UserTime() + c.ProcessState.SystemTime()
}

// cpuOf runs bin and returns the user and system CPU time it used.
func cpuOf(b *testing.B, bin string, args ...string) time.Duration {
	b.Helper()
	_, cpu := wallAndCPU(b, bin, args...)
	return cpu
}

// BenchmarkStartCPU: the CPU time of `mongoconn version` against a
// program that only links the Go driver and exits (internal/barestart),
// paired (§11: within 1.1x). The kernel accounts CPU time in ticks for
// such short processes, so the figures are sums over many runs: run with
// -benchtime 100x or more.
func BenchmarkStartCPU(b *testing.B) {
	mc, bare := benchBin(b, "MONGOCONN_BIN"), benchBin(b, "BARESTART_BIN")
	var mcCPU, bareCPU time.Duration
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			mcCPU += cpuOf(b, mc, "version")
			bareCPU += cpuOf(b, bare)
		} else {
			bareCPU += cpuOf(b, bare)
			mcCPU += cpuOf(b, mc, "version")
		}
	}
	b.ReportMetric(ms(mcCPU)/float64(b.N), "mongoconn-cpu-ms")
	b.ReportMetric(ms(bareCPU)/float64(b.N), "bare-cpu-ms")
	if bareCPU > 0 {
		b.ReportMetric(float64(mcCPU)/float64(bareCPU), "ratio")
	}
}
