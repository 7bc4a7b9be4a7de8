package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProbeRefusedTarget(t *testing.T) {
	addr := closedPort(t)
	s := startServer(t, fmt.Sprintf("targets:\n  refused:\n    uri: mongodb://%s/\n    timeout: 5s\n", addr), Options{})

	code, body := get(t, s.URL+"/probe?target=refused")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	fams := metricsOf(t, body)
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"probe_success", "", 0},
		{"probe_mongodb_finding", "id=tcp.refused,severity=error", 1},
		{"probe_mongodb_stage_success", "stage=uri", 1},
		{"probe_mongodb_stage_success", "stage=tcp", 0},
	} {
		if got, ok := value(fams, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("%s{%s} = %v (present %v), want %v\n%s", tc.name, tc.labels, got, ok, tc.want, body)
		}
	}
	if _, ok := value(fams, "probe_mongodb_stage_success", "stage=ping"); ok {
		t.Error("the skipped ping stage has a metric")
	}
	if len(fams["probe_duration_seconds"]) != 1 {
		t.Error("no probe_duration_seconds")
	}

	// The same probe with the diagnose module, and as a debug report.
	code, body = get(t, s.URL+"/probe?target=refused&module=diagnose&debug=true")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var rep struct {
		Command  string `json:"command"`
		OK       bool   `json:"ok"`
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("debug=true is not a JSON report: %v\n%s", err, body)
	}
	if rep.Command != "diagnose" || rep.OK || len(rep.Findings) == 0 || rep.Findings[0].ID != "tcp.refused" {
		t.Errorf("debug report = %+v", rep)
	}

	// The server's own metrics count both probes.
	_, body = get(t, s.URL+"/metrics")
	fams = metricsOf(t, body)
	if v, _ := value(fams, "mongoconn_probes_total", "result=failure,target=refused"); v != 2 {
		t.Errorf("mongoconn_probes_total{failure} = %v, want 2", v)
	}
	if v, ok := value(fams, "mongoconn_probes_total", "result=success,target=refused"); !ok || v != 0 {
		t.Errorf("mongoconn_probes_total{success} = %v, %v: want a zero counter from the start", v, ok)
	}
	for _, name := range []string{"mongoconn_config_last_reload_successful", "mongoconn_config_last_reload_success_timestamp_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if len(fams[name]) == 0 {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if !strings.Contains(s.Logs.String(), "path=/probe status=200") || !strings.Contains(s.Logs.String(), "target=refused module=diagnose result=failure") {
		t.Errorf("no request log line:\n%s", s.Logs)
	}
}

func TestProbeRequestErrors(t *testing.T) {
	s := startServer(t, "targets:\n  a:\n    uri: mongodb://127.0.0.1:1/\n", Options{})
	for _, tc := range []struct {
		query, header, want string
		hidden              []string
	}{
		{"uri=mongodb://u:Sentinel-Zx81@10.0.0.1/", "", "uri parameter is refused", []string{"Sentinel", "10.0.0.1"}},
		{"target=a&uri=mongodb://h/", "", "uri parameter is refused", nil},
		{"", "", "no target", nil},
		{"target=nope", "", `unknown target "nope"`, nil},
		{"target=" + url.QueryEscape("mongodb://u:Sentinel-Zx81@h/"), "", "unknown target: not a name", []string{"Sentinel", "mongodb"}},
		{"target=a&module=tunnel", "", `unknown module "tunnel"`, nil},
		{"target=a&module=" + url.QueryEscape("x@Sentinel-Zx81"), "", "unknown module: use ping or diagnose", []string{"Sentinel"}},
		{"target=a&debug=maybe", "", "debug is true or false", nil},
		{"target=a&target=b", "", "given 2 times", nil},
		{"target=a&address=10.0.0.1", "", `unknown parameter "address"`, nil},
		{"target=a&" + url.QueryEscape("h@Sentinel-Zx81") + "=1", "", "unknown parameter:", []string{"Sentinel"}},
		{"target=a&x=%zz", "", "cannot be parsed", nil},
		{"target=a", "soon", "X-Prometheus-Scrape-Timeout-Seconds", nil},
	} {
		var hdr []string
		if tc.header != "" {
			hdr = []string{ScrapeTimeoutHeader, tc.header}
		}
		code, body := get(t, s.URL+"/probe?"+tc.query, hdr...)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want 400 saying %q", tc.query, code, body, tc.want)
		}
		if strings.Count(strings.TrimSpace(body), "\n") != 0 {
			t.Errorf("%s: the reason is not one line: %q", tc.query, body)
		}
		for _, h := range tc.hidden {
			if strings.Contains(body, h) {
				t.Errorf("%s: the answer echoes %q: %q", tc.query, h, body)
			}
		}
	}
	logs := s.Logs.String()
	if strings.Contains(logs, "Sentinel") || strings.Contains(logs, "10.0.0.1") {
		t.Errorf("the log echoes a request's query:\n%s", logs)
	}
	if n := strings.Count(logs, "status=400"); n != 13 {
		t.Errorf("%d request lines with status=400, want 13:\n%s", n, logs)
	}
}

func TestEndpointsAndMethods(t *testing.T) {
	s := startServer(t, "targets:\n  a:\n    uri: mongodb://127.0.0.1:1/\n", Options{})
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/-/healthy", 200, "OK"},
		{"HEAD", "/-/healthy", 200, ""},
		{"POST", "/-/healthy", 405, "answers GET"},
		{"POST", "/probe?target=a", 405, "answers GET"},
		{"DELETE", "/metrics", 405, "answers GET"},
		{"GET", "/-/reload", 405, "answers POST"},
		{"GET", "/", 200, "a (ping)"},
		{"GET", "/nothing", 404, "not found"},
	} {
		code, body := do(t, tc.method, s.URL+tc.path)
		if code != tc.code || (tc.body != "" && !strings.Contains(body, tc.body)) || (tc.body == "OK" && body != "OK") {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
}

// TestScrapeTimeoutCapsBudget: a silent server, a target timeout of a
// minute, and a scrape timeout of 1.5 s: the probe ends at the scrape
// timeout minus 0.5 s with server.not-responding, not after a minute.
func TestScrapeTimeoutCapsBudget(t *testing.T) {
	silent := silentListener(t)
	s := startServer(t, fmt.Sprintf("targets:\n  silent:\n    uri: mongodb://%s/\n    timeout: 1m\n", silent.Addr()), Options{})
	code, body := get(t, s.URL+"/probe?target=silent&debug=true", ScrapeTimeoutHeader, "1.5")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if !strings.Contains(body, `"id": "server.not-responding"`) {
		t.Errorf("no server.not-responding in the report:\n%s", body)
	}
	var rep struct {
		DurationMs float64 `json:"durationMs"`
	}
	_ = json.Unmarshal([]byte(body), &rep)
	if rep.DurationMs > 30_000 {
		t.Errorf("the probe ran %.0f ms: the target's minute, not the scrape's budget", rep.DurationMs)
	}
}

// TestConcurrencyBound: with one slot, a probe that finds it taken waits
// up to half its budget; it runs when the slot frees in time and gets 503
// when it does not.
func TestConcurrencyBound(t *testing.T) {
	silent := silentListener(t)
	refused := closedPort(t)
	s := startServer(t, fmt.Sprintf(`targets:
  hold:
    uri: mongodb://%s/
    timeout: 3s
  short:
    uri: mongodb://%s/
    timeout: 1s
  quick:
    uri: mongodb://%s/
    timeout: 20s
`, silent.Addr(), silent.Addr(), refused), Options{MaxConcurrentProbes: 1})

	// hold takes the only slot for its whole budget (the peer is silent).
	held := make(chan int, 1)
	go func() {
		code, _ := get(t, s.URL+"/probe?target=hold")
		held <- code
	}()
	waitFor(t, "hold to take the slot", func() bool { return len(s.slots) == 1 && silent.accepted() > 0 })

	// short waits half of its 1 s budget: hold still runs for seconds.
	code, body := get(t, s.URL+"/probe?target=short")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "--max-concurrent-probes") {
		t.Errorf("a probe over the bound = %d %q, want 503", code, body)
	}
	// quick waits up to 10 s: hold ends first, then quick runs.
	code, body = get(t, s.URL+"/probe?target=quick")
	if code != http.StatusOK || !strings.Contains(body, `probe_mongodb_finding{id="tcp.refused",severity="error"} 1`) {
		t.Errorf("a probe that waited for the slot = %d %q", code, body)
	}
	if c := <-held; c != http.StatusOK {
		t.Errorf("the holding probe = %d", c)
	}
	_, metrics := get(t, s.URL+"/metrics")
	fams := metricsOf(t, metrics)
	if v, _ := value(fams, "mongoconn_probes_total", "result=rejected,target=short"); v != 1 {
		t.Errorf("rejected count = %v, want 1", v)
	}
	if v, _ := value(fams, "mongoconn_probes_in_flight", ""); v != 0 {
		t.Errorf("in flight = %v after every probe ended", v)
	}
}

// waitFor polls cond until it holds, failing after requestGuard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(requestGuard); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReload(t *testing.T) {
	refused := closedPort(t)
	s := startServer(t, fmt.Sprintf("targets:\n  a:\n    uri: mongodb://%s/\n", refused), Options{})
	reloadGauge := func() float64 {
		_, body := get(t, s.URL+"/metrics")
		v, ok := value(metricsOf(t, body), "mongoconn_config_last_reload_successful", "")
		if !ok {
			t.Fatal("no mongoconn_config_last_reload_successful")
		}
		return v
	}
	if g := reloadGauge(); g != 1 {
		t.Fatalf("gauge at start = %v", g)
	}

	// A valid file with a new target.
	writeFile(t, dirOf(s.File), "probe.yml", fmt.Sprintf("targets:\n  b:\n    uri: mongodb://%s/\n    module: diagnose\n", refused))
	if code, body := do(t, http.MethodPost, s.URL+"/-/reload"); code != 200 || body != "config reloaded\n" {
		t.Fatalf("reload = %d %q", code, body)
	}
	if code, _ := get(t, s.URL+"/probe?target=b"); code != 200 {
		t.Errorf("the new target: %d", code)
	}
	if code, _ := get(t, s.URL+"/probe?target=a"); code != 400 {
		t.Errorf("the removed target: %d, want 400", code)
	}

	// An invalid file: refused, b still served, gauge 0.
	writeFile(t, dirOf(s.File), "probe.yml", "targets:\n  c:\n    uri: mongodb://h/\n    colour: blue\n")
	code, body := do(t, http.MethodPost, s.URL+"/-/reload")
	if code != 500 || !strings.Contains(body, `probe.yml:4: target "c": unknown field "colour"`) {
		t.Errorf("invalid reload = %d %q", code, body)
	}
	if g := reloadGauge(); g != 0 {
		t.Errorf("gauge after a failed reload = %v, want 0", g)
	}
	if code, _ := get(t, s.URL+"/probe?target=b"); code != 200 {
		t.Errorf("the old config is gone after a failed reload: %d", code)
	}
	if !strings.Contains(s.Logs.String(), "config reload failed") {
		t.Errorf("the failure is not logged:\n%s", s.Logs)
	}

	// Fixed again: gauge back to 1 with a later timestamp.
	writeFile(t, dirOf(s.File), "probe.yml", fmt.Sprintf("targets:\n  c:\n    uri: mongodb://%s/\n", refused))
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if g := reloadGauge(); g != 1 {
		t.Errorf("gauge after a good reload = %v", g)
	}
	if s.Config().Targets["c"] == nil {
		t.Error("target c not loaded")
	}
}

func dirOf(file string) string { return file[:strings.LastIndex(file, "/")] }

// TestShutdownCancelsProbes: a probe of a silent server with a minute's
// budget is in flight when the server is told to stop; Serve returns
// (long before the minute) and the probe's client gets an answer or a
// closed connection.
func TestShutdownCancelsProbes(t *testing.T) {
	silent := silentListener(t)
	file := writeFile(t, t.TempDir(), "probe.yml", fmt.Sprintf("targets:\n  silent:\n    uri: mongodb://%s/\n    timeout: 1m\n", silent.Addr()))
	s, err := New(Options{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	var wg sync.WaitGroup
	wg.Add(1)
	var probeErr error
	var probeCode int
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: requestGuard}
		resp, err := c.Get("http://" + ln.Addr().String() + "/probe?target=silent")
		if err != nil {
			probeErr = err
			return
		}
		probeCode = resp.StatusCode
		_ = resp.Body.Close()
	}()
	waitFor(t, "the probe to reach the silent server", func() bool { return silent.accepted() > 0 })
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(requestGuard):
		t.Fatal("Serve still running after the shutdown was asked")
	}
	wg.Wait()
	if probeErr == nil && probeCode != http.StatusOK {
		t.Errorf("the probe in flight got %d", probeCode)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), requestGuard); err == nil {
		t.Error("still listening after Serve returned")
	}
}

// TestCertExpiryFromTLSStage holds certNotAfter to the engine's TLS stage:
// the earliest expiry of the chain a real handshake showed.
func TestCertExpiryFromTLSStage(t *testing.T) {
	notAfter := time.Now().Add(9 * 24 * time.Hour).UTC()
	peer := startTLSPeer(t, notAfter)
	s := startServer(t, fmt.Sprintf("targets:\n  tls:\n    uri: mongodb://127.0.0.1:%s/?tls=true&tlsCAFile=%s\n    timeout: 1s\n", portOf(peer.Addr()), peer.CAFile), Options{})
	code, body := get(t, s.URL+"/probe?target=tls")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	fams := metricsOf(t, body)
	got, ok := value(fams, "probe_ssl_earliest_cert_expiry", "")
	if !ok || int64(got) != peer.NotAfter.Unix() {
		t.Errorf("probe_ssl_earliest_cert_expiry = %v (present %v), want %d (%s)\n%s", int64(got), ok, peer.NotAfter.Unix(), peer.NotAfter, body)
	}
	if v, _ := value(fams, "probe_mongodb_stage_success", "stage=tls"); v != 1 {
		t.Errorf("tls stage = %v, want 1\n%s", v, body)
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestNewRefusesBadConfig: New returns the *ConfigError.
func TestNewRefusesBadConfig(t *testing.T) {
	file := writeFile(t, t.TempDir(), "probe.yml", "targets:\n  a:\n    uri: mongodb://h/\n    timeout: 5\n")
	_, err := New(Options{ConfigFile: file})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 4 {
		t.Fatalf("New = %v, want a ConfigError at line 4", err)
	}
	_, err = New(Options{ConfigFile: file + ".missing"})
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New on a missing file = %v", err)
	}
}
