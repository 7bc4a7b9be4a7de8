package probe

import (
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// sample is one metric line: its labels (name=value, sorted, joined by
// commas) and value.
type sample struct {
	labels string
	value  float64
}

// families parses the text exposition format into name -> samples.
func families(t *testing.T, r io.Reader) map[string][]sample {
	t.Helper()
	var p expfmt.TextParser
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v", err)
	}
	return flatten(mfs)
}

func flatten(mfs map[string]*dto.MetricFamily) map[string][]sample {
	out := map[string][]sample{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			if m.Untyped != nil {
				v = m.GetUntyped().GetValue()
			}
			out[name] = append(out[name], sample{labels: strings.Join(ls, ","), value: v})
		}
	}
	return out
}

// value returns the value of name with exactly labels, and whether it is
// there.
func value(fams map[string][]sample, name, labels string) (float64, bool) {
	for _, s := range fams[name] {
		if s.labels == labels {
			return s.value, true
		}
	}
	return 0, false
}

func gather(t *testing.T, res *result, d time.Duration) map[string][]sample {
	t.Helper()
	mfs, err := probeRegistry(res, d).Gather()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return flatten(m)
}

func TestProbeMetricsReplicaSet(t *testing.T) {
	expiry := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	res := &result{
		OK:         false,
		ReplicaSet: true,
		Stages: []stageResult{
			{Stage: "uri", Success: true},
			{Stage: "tcp", Success: true, Duration: 2 * time.Millisecond},
			{Stage: "topology", Success: false, Duration: time.Millisecond},
		},
		Findings: []findingResult{{ID: "topology.no-primary", Severity: "error"}, {ID: "uri.unknown-option", Severity: "warning"}},
		Servers: []serverResult{
			{Address: "db1:27017", Up: true, Answered: true, RTT: 1500 * time.Microsecond, Kind: "RSSecondary", SetName: "rs0", Version: "7.0.12", MaxWireVersion: 21},
			{Address: "db2:27017", Up: false},
		},
		HasSRV: true, SRVRecords: 3,
		CertExpiry: expiry,
		secrets:    newSecretList("unused"),
	}
	fams := gather(t, res, 1250*time.Millisecond)
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"probe_success", "", 0},
		{"probe_duration_seconds", "", 1.25},
		{"probe_mongodb_stage_success", "stage=uri", 1},
		{"probe_mongodb_stage_success", "stage=tcp", 1},
		{"probe_mongodb_stage_success", "stage=topology", 0},
		{"probe_mongodb_stage_duration_seconds", "stage=tcp", 0.002},
		{"probe_mongodb_finding", "id=topology.no-primary,severity=error", 1},
		{"probe_mongodb_finding", "id=uri.unknown-option,severity=warning", 1},
		{"probe_mongodb_server_up", "address=db1:27017", 1},
		{"probe_mongodb_server_up", "address=db2:27017", 0},
		{"probe_mongodb_server_rtt_seconds", "address=db1:27017", 0.0015},
		{"probe_mongodb_server_info", "address=db1:27017,kind=RSSecondary,max_wire_version=21,set_name=rs0,version=7.0.12", 1},
		{"probe_mongodb_primary_present", "", 0},
		{"probe_ssl_earliest_cert_expiry", "", float64(expiry.Unix())},
		{"probe_dns_srv_records", "", 3},
	} {
		got, ok := value(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s{%s} = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if _, ok := value(fams, "probe_mongodb_server_rtt_seconds", "address=db2:27017"); ok {
		t.Error("a server that did not answer has an RTT")
	}
	if len(fams["probe_mongodb_server_info"]) != 1 {
		t.Errorf("server_info = %v, want only the server that answered", fams["probe_mongodb_server_info"])
	}
	for _, st := range []string{"stage=dns", "stage=ping"} {
		if _, ok := value(fams, "probe_mongodb_stage_success", st); ok {
			t.Errorf("%s did not run but has a metric", st)
		}
	}
}

func TestProbeMetricsAbsentWhenNotApplicable(t *testing.T) {
	res := &result{
		OK:      true,
		Stages:  []stageResult{{Stage: "ping", Success: true}},
		Servers: []serverResult{{Address: "h:27017", Up: true, Answered: true, Kind: "Standalone", Version: "8.0.1", MaxWireVersion: 25}},
	}
	primaryAnswered := &result{ReplicaSet: true, Servers: []serverResult{{Address: "a:1", Up: true, Answered: true, Kind: "RSPrimary"}}}
	fams := gather(t, res, time.Millisecond)
	if v, _ := value(fams, "probe_success", ""); v != 1 {
		t.Errorf("probe_success = %v, want 1", v)
	}
	for _, name := range []string{"probe_mongodb_primary_present", "probe_ssl_earliest_cert_expiry", "probe_dns_srv_records", "probe_mongodb_finding"} {
		if len(fams[name]) != 0 {
			t.Errorf("%s present for a standalone without TLS, SRV or findings: %v", name, fams[name])
		}
	}
	if v, ok := value(gather(t, primaryAnswered, 0), "probe_mongodb_primary_present", ""); !ok || v != 1 {
		t.Errorf("primary_present = %v, %v; want 1", v, ok)
	}
	// The engine could not run: only success and duration.
	fams = gather(t, nil, time.Second)
	if len(fams) != 2 || len(fams["probe_success"]) != 1 || len(fams["probe_duration_seconds"]) != 1 {
		t.Errorf("metrics of a probe that could not run: %v", fams)
	}
}

// TestProbeMetricsRedactLabels: a label value that holds a secret (an
// advertised host name a hostile server made from the password) is
// redacted.
func TestProbeMetricsRedactLabels(t *testing.T) {
	res := &result{
		Servers: []serverResult{{Address: "Sentinel-Qq81.evil:27017", Up: true, Answered: true, Kind: "Standalone", SetName: "Sentinel-Qq81"}},
		secrets: newSecretList("Sentinel-Qq81"),
	}
	mfs, err := probeRegistry(res, 0).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.Contains(mf.String(), "Sentinel") {
			t.Errorf("%s carries the secret: %s", mf.GetName(), mf.String())
		}
	}
}

func TestCertNotAfter(t *testing.T) {
	for line, want := range map[string]string{
		`certificate 0: subject "CN=localhost", issuer "CN=ca", valid 2026-01-02 03:04:05 UTC to 2027-02-03 04:05:06 UTC, names 127.0.0.1 localhost`: "2027-02-03T04:05:06Z",
		`certificate 1: subject "CN=a, valid x", issuer "CN=ca", valid 2026-01-02 03:04:05 UTC to 2030-12-31 23:59:59 UTC, CA`:                       "2030-12-31T23:59:59Z",
		`certificate 0: subject "CN=x", valid 2026-01-02 03:04:05 UTC to 2027-02-03`:                                                                 "",
		`WAIVED tls.expired: certificate expired`: "",
		`hello: {"certificate 0": 1}`:             "",
	} {
		got, ok := certNotAfter(line)
		if want == "" {
			if ok {
				t.Errorf("certNotAfter(%q) = %v, want nothing", line, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339) != want {
			t.Errorf("certNotAfter(%q) = %v, %v; want %s", line, got, ok, want)
		}
	}
}

func TestProbeBudget(t *testing.T) {
	for _, tc := range []struct {
		timeout time.Duration
		header  string
		want    time.Duration
		err     bool
	}{
		{10 * time.Second, "", 10 * time.Second, false},
		{10 * time.Second, "15", 10 * time.Second, false},
		{10 * time.Second, "5", 4500 * time.Millisecond, false},
		{10 * time.Second, "1.5", time.Second, false},
		{10 * time.Second, "0.4", 200 * time.Millisecond, false},
		{10 * time.Second, "0", 0, true},
		{10 * time.Second, "-3", 0, true},
		{10 * time.Second, "NaN", 0, true},
		{10 * time.Second, "+Inf", 0, true},
		{10 * time.Second, "ten", 0, true},
	} {
		got, err := probeBudget(tc.timeout, tc.header)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("probeBudget(%s, %q) = %s, %v; want %s (error %v)", tc.timeout, tc.header, got, err, tc.want, tc.err)
		}
	}
}
