package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/probe"
)

// Serve benchmark settings (DESIGN.md §11: 100 probes/s of a healthy
// target, p99 probe latency under 2x a single ping, RSS under 64 MiB).
const (
	// serveBenchRate is the probe rate Prometheus would send for 1500
	// targets scraped every 15 s.
	serveBenchRate = 100
	// serveBenchDuration is how long the rate is held: 1000 probes, enough
	// for a p99 of ten samples.
	serveBenchDuration = 10 * time.Second
	// serveBenchPings is how many `mongoconn ping` processes give the
	// single-ping baseline (their median).
	serveBenchPings = 20
	// serveBenchScrapeTimeout is the X-Prometheus-Scrape-Timeout-Seconds
	// sent, Prometheus's default scrape timeout.
	serveBenchScrapeTimeout = "10"
)

// BenchmarkServe runs bin/mongoconn serve on a FerretDB target, sends it
// probes at 100/s for 10 s, as Prometheus would (open loop: a slow probe
// does not hold back the next), and reports the p50 and p99 probe latency,
// the median `mongoconn ping` of the same target, their ratio, the median
// of single probes with nothing else running, and the server's peak RSS.
// Run with -benchtime 1x.
func BenchmarkServe(b *testing.B) {
	bin := benchBin(b, "MONGOCONN_BIN")
	f := ferret.Start(b, ferret.Options{})

	// A single ping, as a user runs it.
	var pings []time.Duration
	for i := 0; i < serveBenchPings; i++ {
		wall, _, code := runBin(b, bin, "ping", f.URI)
		if code != 0 {
			b.Fatalf("mongoconn ping %s: exit %d", f.URI, code)
		}
		pings = append(pings, wall)
	}
	ping := quantile(pings, 0.5)

	dir := b.TempDir()
	cfg := filepath.Join(dir, "probe.yml")
	if err := os.WriteFile(cfg, []byte("targets:\n  healthy:\n    uri: "+f.URI+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	srv.Env = append(os.Environ(), "MONGODB_URI=")
	stderr, err := srv.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a + "/probe?target=healthy"
	case <-time.After(serveGuard):
		b.Fatal("serve never listened")
	}
	client := &http.Client{Timeout: serveGuard, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * serveBenchRate}}
	probe := func() (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodGet, base, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", serveBenchScrapeTimeout)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != 200 || !strings.Contains(string(body), "\nprobe_success 1\n") {
			return 0, fmt.Errorf("status %d:\n%s", resp.StatusCode, body)
		}
		return d, nil
	}

	// Single probes, one at a time: what a probe costs on an idle server.
	var single []time.Duration
	for i := 0; i < serveBenchPings; i++ {
		d, err := probe()
		if err != nil {
			b.Fatal(err)
		}
		single = append(single, d)
	}

	b.ResetTimer()
	cpuBefore := cpuTime(b, srv.Process.Pid)
	probes := 0
	var p50, p99 time.Duration
	for n := 0; n < b.N; n++ {
		var (
			mu        sync.Mutex
			latencies []time.Duration
			failures  []error
			wg        sync.WaitGroup
		)
		tick := time.NewTicker(time.Second / serveBenchRate)
		end := time.Now().Add(serveBenchDuration)
		for now := range tick.C {
			if now.After(end) {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := probe()
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, err)
					return
				}
				latencies = append(latencies, d)
			}()
		}
		tick.Stop()
		wg.Wait()
		if len(failures) > 0 {
			b.Fatalf("%d of %d probes failed; first: %v", len(failures), len(failures)+len(latencies), failures[0])
		}
		p50, p99 = quantile(latencies, 0.5), quantile(latencies, 0.99)
		probes += len(latencies)
	}
	b.StopTimer()
	cpu := cpuTime(b, srv.Process.Pid) - cpuBefore

	rss := peakRSS(b, srv.Process.Pid)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(ping), "ping-ms")
	b.ReportMetric(ms(p99)/ms(ping), "p99/ping")
	b.ReportMetric(ms(quantile(single, 0.5)), "single-probe-ms")
	b.ReportMetric(float64(rss)/(1<<20), "MiB-rss")
	if probes > 0 && cpu > 0 {
		b.ReportMetric(ms(cpu)/float64(probes), "cpu-ms/probe")
	}
}

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTicks = 100

// cpuTime is the user and system CPU time a process has used so far, from
// /proc/PID/stat (0 when it cannot be read).
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: state is
	// the first, utime the 12th and stime the 13th.
	_, rest, ok := strings.Cut(string(data), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * time.Second / clockTicks
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// quantile returns the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// peakRSS reads the high-water mark of a running process's resident
// memory (VmHWM, which exec starts afresh).
func peakRSS(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("no peak RSS: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib * 1024
		}
	}
	return 0
}

// BenchmarkServeProbe: one /probe of a healthy fake mongod at a time, in
// process, with -benchmem: the allocations of a probe, which the machine's
// load does not move.
func BenchmarkServeProbe(b *testing.B) {
	m := mongotest.StartFakeMongod(b, mongotest.Options{})
	dir := b.TempDir()
	cfg := filepath.Join(dir, "probe.yml")
	if err := os.WriteFile(cfg, []byte("targets:\n  healthy:\n    uri: "+m.URI()+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := probe.New(probe.Options{ConfigFile: cfg})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/probe?target=healthy", nil))
		if w.Code != 200 || !strings.Contains(w.Body.String(), "\nprobe_success 1\n") {
			b.Fatalf("status %d:\n%s", w.Code, w.Body)
		}
	}
}
