package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/probe"
)

// The probe server (`mongoconn serve`, DESIGN.md §8) against the loopback
// fixtures: FerretDB, the fake mongod and its replica sets, TLS and DNS.

// serveGuard bounds every request to a probe server in these tests: far
// longer than any probe they run, it only turns a hang into a failure.
const serveGuard = 60 * time.Second

// probeServer serves config (a YAML text) in-process on loopback.
func probeServer(t *testing.T, config string) string {
	t.Helper()
	return probeServerWith(t, config, probe.Options{})
}

// probeServerWith is probeServer with the options o (its ConfigFile and
// Logger are set here).
func probeServerWith(t *testing.T, config string, o probe.Options) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "probe.yml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	o.ConfigFile, o.Logger = file, slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := probe.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// httpGet returns the status and body of url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: serveGuard}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// promSamples parses the Prometheus text format into
// "name{label=value,...}" (labels sorted) -> value.
func promSamples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	var p expfmt.TextParser
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v\n%s", err, body)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			key := name
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			out[key] = v
		}
	}
	return out
}

// wantSamples checks the samples of body; a NaN want means "absent".
func wantSamples(t *testing.T, body string, want map[string]float64) map[string]float64 {
	t.Helper()
	got := promSamples(t, body)
	for k, v := range want {
		g, ok := got[k]
		switch {
		case v != v && ok:
			t.Errorf("%s = %v, want it absent", k, g)
		case v == v && (!ok || g != v):
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
	return got
}

var absent = func() float64 { var z float64; return z / z }()

func TestServeHealthyFakeMongod(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{})
	url := probeServer(t, fmt.Sprintf("targets:\n  db:\n    uri: mongodb://%s/\n    timeout: 5s\n", m.Addr()))
	for _, module := range []string{"ping", "diagnose"} {
		t.Run(module, func(t *testing.T) {
			code, body := httpGet(t, url+"/probe?target=db&module="+module)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			got := wantSamples(t, body, map[string]float64{
				"probe_success":                                     1,
				"probe_mongodb_stage_success{stage=tcp}":            1,
				"probe_mongodb_stage_success{stage=hello}":          1,
				"probe_mongodb_stage_success{stage=ping}":           1,
				"probe_mongodb_server_up{address=" + m.Addr() + "}": 1,
				"probe_mongodb_server_info{address=" + m.Addr() + ",kind=Standalone,max_wire_version=21,set_name=,version=7.0.12}": 1,
				"probe_mongodb_primary_present":  absent,
				"probe_ssl_earliest_cert_expiry": absent,
				"probe_dns_srv_records":          absent,
			})
			for k := range got {
				if strings.HasPrefix(k, "probe_mongodb_finding") {
					t.Errorf("a healthy server has a finding: %s", k)
				}
			}
			if rtt, ok := got["probe_mongodb_server_rtt_seconds{address="+m.Addr()+"}"]; !ok || rtt <= 0 {
				t.Errorf("rtt = %v, %v", rtt, ok)
			}
		})
	}
}

// TestServeFerretDBTLS: a real wire-protocol server behind TLS, checked
// against the test CA: success, and the earliest expiry of the chain (the
// server certificate's, which ends before the CA's).
func TestServeFerretDBTLS(t *testing.T) {
	certs := mongotest.NewCerts(t)
	pair := certs.Server(mongotest.CertValid)
	f := ferret.Start(t, ferret.Options{TLSCertFile: pair.CertFile, TLSKeyFile: pair.KeyFile})
	_, port, _ := strings.Cut(f.Addr, ":")
	url := probeServer(t, fmt.Sprintf("targets:\n  ferret:\n    uri: mongodb://localhost:%s/?tls=true&tlsCAFile=%s\n    timeout: 10s\n    module: diagnose\n", port, certs.CAFile))
	code, body := httpGet(t, url+"/probe?target=ferret")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	wantSamples(t, body, map[string]float64{
		"probe_success":                          1,
		"probe_mongodb_stage_success{stage=tls}": 1,
		"probe_ssl_earliest_cert_expiry":         float64(pair.Leaf.NotAfter.Unix()),
	})
}

func TestServeReplicaSetPrimary(t *testing.T) {
	healthy := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	noPrimary := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs1", NoPrimary: true})
	url := probeServer(t, fmt.Sprintf(`targets:
  healthy:
    uri: mongodb://%s/?replicaSet=rs0
    primary: true
    timeout: 5s
  noprimary:
    uri: mongodb://%s/?replicaSet=rs1
    primary: true
    timeout: 2s
  noprimary-read:
    uri: mongodb://%s/?replicaSet=rs1
    timeout: 2s
`, strings.Join(healthy.Addrs(), ","), strings.Join(noPrimary.Addrs(), ","), strings.Join(noPrimary.Addrs(), ",")))

	_, body := httpGet(t, url+"/probe?target=healthy")
	got := wantSamples(t, body, map[string]float64{
		"probe_success":                 1,
		"probe_mongodb_primary_present": 1,
		"probe_mongodb_server_info{address=" + healthy.Addrs()[0] + ",kind=RSPrimary,max_wire_version=21,set_name=rs0,version=7.0.12}": 1,
	})
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "probe_mongodb_server_up{") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d servers, want 3", n)
	}

	_, body = httpGet(t, url+"/probe?target=noprimary")
	wantSamples(t, body, map[string]float64{
		"probe_success":                 0,
		"probe_mongodb_primary_present": 0,
		"probe_mongodb_finding{id=topology.no-primary,severity=error}": 1,
	})
	// Without primary: true a secondary answers ping: no finding, yet the
	// missing primary shows.
	_, body = httpGet(t, url+"/probe?target=noprimary-read")
	wantSamples(t, body, map[string]float64{
		"probe_success":                 1,
		"probe_mongodb_primary_present": 0,
		"probe_mongodb_finding{id=topology.no-primary,severity=error}": absent,
	})
}

// TestServeMemberDown: a seed that refuses is a server of the report,
// down, as a silent one is: a fleet's dashboard sees which member is gone.
func TestServeMemberDown(t *testing.T) {
	closed := mongotest.ClosedPort(t)
	url := probeServer(t, fmt.Sprintf("targets:\n  gone:\n    uri: mongodb://%s/\n    timeout: 2s\n", closed))
	for _, module := range []string{"ping", "diagnose"} {
		_, body := httpGet(t, url+"/probe?target=gone&module="+module)
		wantSamples(t, body, map[string]float64{
			"probe_success":                                        0,
			"probe_mongodb_stage_success{stage=tcp}":               0,
			"probe_mongodb_server_up{address=" + closed + "}":      0,
			"probe_mongodb_finding{id=tcp.refused,severity=error}": 1,
			"probe_mongodb_server_info{address=" + closed + ",kind=Unknown,max_wire_version=0,set_name=,version=}": absent,
		})
	}
}

// TestServeThroughSSHBastion: with --ssh, every probe reaches the
// members through the bastion, where their names resolve (the target's
// own DNS server knows none of them).
func TestServeThroughSSHBastion(t *testing.T) {
	names := []string{"mongo-0.far.test:0", "mongo-1.far.test:0", "mongo-2.far.test:0"}
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Advertise: names})
	hosts := map[string]string{}
	for _, h := range rs.Hosts() {
		host, _, _ := strings.Cut(h, ":")
		hosts[host] = "127.0.0.1"
	}
	sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{Hosts: hosts})
	dns := mongotest.StartDNS(t)
	config := fmt.Sprintf("targets:\n  far:\n    uri: mongodb://%s/?replicaSet=rs0\n    timeout: 10s\n    primary: true\n    dns_server: %s\n", rs.Hosts()[0], dns.Addr)
	url := probeServerWith(t, config, probe.Options{
		SSH: netpath.SSHConfig{Bastion: sshd.Bastion(), IdentityFile: sshd.ClientKey, KnownHostsFile: sshd.KnownHosts, HomeDir: t.TempDir()},
	})
	for _, module := range []string{"ping", "diagnose"} {
		_, body := httpGet(t, url+"/probe?target=far&module="+module)
		wantSamples(t, body, map[string]float64{
			"probe_success":                 1,
			"probe_mongodb_primary_present": 1,
			"probe_mongodb_server_up{address=" + rs.Hosts()[0] + "}": 1,
		})
	}
	_, body := httpGet(t, url+"/probe?target=far&debug=true")
	if !strings.Contains(body, "via ssh "+sshd.Addr()) {
		t.Errorf("the debug report does not say via ssh %s:\n%s", sshd.Addr(), body)
	}
}

// TestServeSRV: a mongodb+srv target resolved through the target's
// dns_server: the SRV records are counted.
func TestServeSRV(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0"})
	d := mongotest.StartDNS(t)
	var zone strings.Builder
	for i, a := range rs.Addrs() {
		_, port, _ := strings.Cut(a, ":")
		fmt.Fprintf(&zone, "_mongodb._tcp.rs.example.test. 60 IN SRV 0 0 %s m%d.rs.example.test.\n", port, i)
		fmt.Fprintf(&zone, "m%d.rs.example.test. 60 IN A 127.0.0.1\n", i)
	}
	zone.WriteString("rs.example.test. 60 IN TXT \"replicaSet=rs0\"\n")
	if err := d.AddZone(zone.String()); err != nil {
		t.Fatal(err)
	}
	url := probeServer(t, fmt.Sprintf("targets:\n  srv:\n    uri: mongodb+srv://rs.example.test/?tls=false\n    dns_server: %s\n    timeout: 5s\n", d.Addr))
	_, body := httpGet(t, url+"/probe?target=srv&module=diagnose")
	wantSamples(t, body, map[string]float64{
		"probe_success":                          1,
		"probe_dns_srv_records":                  3,
		"probe_mongodb_stage_success{stage=dns}": 1,
		"probe_mongodb_primary_present":          1,
	})
}

// TestServeWrongPassword: a password from password_file that the server
// refuses is auth.failed, and the debug report names it without the
// password.
func TestServeWrongPassword(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "monitor", Password: "the-right-one"}}})
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("Wr0ng-Sentinel@x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	right := filepath.Join(t.TempDir(), "right")
	if err := os.WriteFile(right, []byte("the-right-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := probeServer(t, fmt.Sprintf("targets:\n  wrong:\n    uri: mongodb://monitor@%s/\n    password_file: %s\n    timeout: 5s\n  right:\n    uri: mongodb://monitor@%s/\n    password_file: %s\n    timeout: 5s\n", m.Addr(), pw, m.Addr(), right))
	_, body := httpGet(t, url+"/probe?target=wrong")
	wantSamples(t, body, map[string]float64{
		"probe_success": 0,
		"probe_mongodb_finding{id=auth.failed,severity=error}": 1,
	})
	_, body = httpGet(t, url+"/probe?target=right")
	wantSamples(t, body, map[string]float64{"probe_success": 1})
	_, report := httpGet(t, url+"/probe?target=wrong&debug=true")
	if !strings.Contains(report, `"auth.failed"`) || !strings.Contains(report, "monitor:****@") {
		t.Errorf("debug report:\n%s", report)
	}
	if strings.Contains(report, "Wr0ng") || strings.Contains(report, "Sentinel") {
		t.Errorf("the password is in the debug report:\n%s", report)
	}
}
