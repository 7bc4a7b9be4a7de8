package probe

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The metric names of one probe (DESIGN.md §8). They are a contract:
// dashboards and alert rules use them.
const (
	metricSuccess       = "probe_success"
	metricDuration      = "probe_duration_seconds"
	metricStageSuccess  = "probe_mongodb_stage_success"
	metricStageDuration = "probe_mongodb_stage_duration_seconds"
	metricFinding       = "probe_mongodb_finding"
	metricServerUp      = "probe_mongodb_server_up"
	metricServerRTT     = "probe_mongodb_server_rtt_seconds"
	metricServerInfo    = "probe_mongodb_server_info"
	metricPrimary       = "probe_mongodb_primary_present"
	metricCertExpiry    = "probe_ssl_earliest_cert_expiry"
	metricSRVRecords    = "probe_dns_srv_records"
)

// The server's own metric names (DESIGN.md §8).
const (
	metricProbesTotal     = "mongoconn_probes_total"
	metricProbesInFlight  = "mongoconn_probes_in_flight"
	metricReloadOK        = "mongoconn_config_last_reload_successful"
	metricReloadTimestamp = "mongoconn_config_last_reload_success_timestamp_seconds"
)

// The result label values of mongoconn_probes_total.
const (
	resultSuccess  = "success"  // probe_success 1
	resultFailure  = "failure"  // probe_success 0
	resultRejected = "rejected" // 503: no probe slot freed in time
)

// probeRegistry builds the metrics of one probe in a registry of their
// own. res is nil when the engine could not run; then only probe_success
// (0) and probe_duration_seconds are there.
func probeRegistry(res *result, duration time.Duration) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		reg.MustRegister(g)
		return g
	}
	vec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	success := gauge(metricSuccess, "1 when the probe's report has no error-level finding.")
	gauge(metricDuration, "How long the probe took, in seconds.").Set(duration.Seconds())
	if res == nil {
		return reg
	}
	if res.OK {
		success.Set(1)
	}
	label := func(s string) string { return scrub(res.secrets, s) }

	stageOK := vec(metricStageSuccess, "1 when no check of the stage failed; stages that did not run are absent.", "stage")
	stageDur := vec(metricStageDuration, "The longest check of the stage, in seconds (its checks run in parallel).", "stage")
	for _, st := range res.Stages {
		stageOK.WithLabelValues(st.Stage).Set(boolValue(st.Success))
		stageDur.WithLabelValues(st.Stage).Set(st.Duration.Seconds())
	}

	finding := vec(metricFinding, "1 for each finding of the report, by catalogue id and severity.", "id", "severity")
	for _, f := range res.Findings {
		finding.WithLabelValues(label(f.ID), label(f.Severity)).Set(1)
	}

	if len(res.Servers) > 0 {
		up := vec(metricServerUp, "1 when the server answered from here, 0 when it could not be reached.", "address")
		rtt := vec(metricServerRTT, "Average round trip of the server's hello replies, in seconds (servers that answered).", "address")
		info := vec(metricServerInfo, "1 for each server that answered hello, with what it said of itself.", "address", "kind", "set_name", "version", "max_wire_version")
		for _, s := range res.Servers {
			addr := label(s.Address)
			up.WithLabelValues(addr).Set(boolValue(s.Up))
			if s.Answered {
				rtt.WithLabelValues(addr).Set(s.RTT.Seconds())
				info.WithLabelValues(addr, label(s.Kind), label(s.SetName), label(s.Version), strconv.FormatInt(s.MaxWireVersion, 10)).Set(1)
			}
		}
	}
	if res.ReplicaSet {
		gauge(metricPrimary, "Replica sets: 1 when a primary answered.").Set(boolValue(res.primaryAnswered()))
	}
	if !res.CertExpiry.IsZero() {
		gauge(metricCertExpiry, "Unix time of the earliest certificate expiry in the TLS chains seen.").Set(float64(res.CertExpiry.Unix()))
	}
	if res.HasSRV {
		gauge(metricSRVRecords, "mongodb+srv: the number of SRV records found.").Set(float64(res.SRVRecords))
	}
	return reg
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// serverMetrics are the server's own metrics, served on /metrics.
type serverMetrics struct {
	reg             *prometheus.Registry
	probes          *prometheus.CounterVec
	inFlight        prometheus.Gauge
	reloadOK        prometheus.Gauge
	reloadTimestamp prometheus.Gauge
}

func newServerMetrics() *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricProbesTotal,
			Help: "Probes answered, by target and result (success, failure, rejected when no probe slot freed in time).",
		}, []string{"target", "result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricProbesInFlight,
			Help: "Probes running now.",
		}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricReloadOK,
			Help: "1 when the last configuration load succeeded, 0 when the file was refused (the previous configuration stays in force).",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricReloadTimestamp,
			Help: "Unix time of the last successful configuration load.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.probes, m.inFlight, m.reloadOK, m.reloadTimestamp,
	)
	return m
}

// loaded records a successful configuration load at now and makes the
// probe counters of its targets exist at zero, so that rate() sees them
// from the first scrape.
func (m *serverMetrics) loaded(cfg *Config, now time.Time) {
	m.reloadOK.Set(1)
	m.reloadTimestamp.Set(float64(now.UnixNano()) / 1e9)
	for name := range cfg.Targets {
		for _, r := range []string{resultSuccess, resultFailure} {
			m.probes.WithLabelValues(name, r)
		}
	}
}
