package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// The end-to-end test of serve: a real Prometheus (Debian's prometheus
// package), started here on loopback with a generated config, scrapes
// `mongoconn serve` every second, blackbox-style, and the test reads
// probe_success and probe_mongodb_finding back through Prometheus's HTTP
// query API, for a healthy target (FerretDB) and a refused one.
//
// Prometheus's defaults are overridden where they would reach beyond this
// test: it listens on 127.0.0.1 (not 0.0.0.0:9090), keeps its data in a
// temporary directory (not /var/lib/prometheus), reads only the generated
// config, whose every target is on loopback, and has no Alertmanager,
// remote write or service discovery to call.

// prometheusGuard bounds the whole wait for Prometheus to start, scrape
// and answer: it scrapes every second, so this only turns a hang into a
// failure.
const prometheusGuard = 90 * time.Second

// prometheusStopGuard is how long Prometheus may take to stop after
// SIGINT (it flushes its head block) before it is killed.
const prometheusStopGuard = 10 * time.Second

// freeLoopbackPort returns a loopback address nothing listens on now.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// promQuery is an instant query's answer: instance label -> value.
func promQuery(t *testing.T, base, query string) (map[string]string, error) {
	t.Helper()
	resp, err := (&http.Client{Timeout: serveGuard}).Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return nil, err // not listening yet
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d: %s (%v)", resp.StatusCode, body, err)
	}
	var answer struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range answer.Data.Result {
		if len(r.Value) == 2 {
			out[r.Metric["instance"]], _ = r.Value[1].(string)
		}
	}
	return out, nil
}

func TestServePrometheusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (Debian: apt-get install prometheus): the end-to-end scrape by a real Prometheus is not tested")
	}
	f := ferret.Start(t, ferret.Options{})
	refused := mongotest.ClosedPort(t)
	serve := startServe(t, fmt.Sprintf("targets:\n  healthy:\n    uri: %s\n    timeout: 5s\n  refused:\n    uri: mongodb://%s/\n    timeout: 5s\n", f.URI, refused), nil)
	serveAddr := strings.TrimPrefix(serve.url, "http://")

	dir := t.TempDir()
	rules, err := os.ReadFile(filepath.Join("docs", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: mongoconn
    metrics_path: /probe
    static_configs:
      - targets: [healthy, refused]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %s
  - job_name: mongoconn-server
    static_configs:
      - targets: [%q]
`, serveAddr, serveAddr)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := freeLoopbackPort(t)
	var promLog lockedBuffer
	c := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--web.console.templates="+dir,
		"--web.console.libraries="+dir,
		"--log.level=warn",
	)
	c.Dir = dir
	c.Stdout, c.Stderr = &promLog, &promLog
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = c.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(prometheusStopGuard):
			_ = c.Process.Kill()
			<-exited
		}
	})
	base := "http://" + promAddr

	want := map[string]map[string]string{
		"probe_success": {"healthy": "1", "refused": "0"},
		`probe_mongodb_finding{id="tcp.refused"}`:                {"refused": "1"},
		`probe_mongodb_stage_success{stage="ping"}`:              {"healthy": "1"},
		`ALERTS{alertname="MongoDBProbeFailing"}`:                {"refused": "1"},
		`mongoconn_probes_total{result="success"} > 0`:           {serveAddr: ""},
		`count by (instance) (probe_mongodb_server_info)`:        {"healthy": "1"},
		`mongoconn_config_last_reload_successful`:                {serveAddr: "1"},
		`probe_mongodb_finding{instance="healthy"} or vector(0)`: {"": "0"},
	}
	deadline := time.Now().Add(prometheusGuard)
	for query, expect := range want {
		for {
			got, err := promQuery(t, base, query)
			ok := err == nil
			for inst, v := range expect {
				g, present := got[inst]
				ok = ok && present && (v == "" || g == v)
			}
			if ok {
				if query == "probe_success" && len(got) != 2 {
					t.Errorf("probe_success for %v, want healthy and refused only", got)
				}
				break
			}
			select {
			case <-exited:
				t.Fatalf("prometheus exited:\n%s", promLog.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %v (%v), want %v\nprometheus log:\n%s\nserve log:\n%s", query, got, err, expect, promLog.String(), serve.stderr)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}
