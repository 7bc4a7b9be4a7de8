package render

import (
	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

// The reports below are written out in full, not built from the
// catalogue, so that the goldens change only when the renderers do.

func int64p(v int64) *int64 { return &v }

func healthyStandalone() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Command:       "ping",
		Target:        "mongodb://127.0.0.1:27017",
		OK:            true,
		Verdict:       "connected to a standalone MongoDB 7.0.12 in 0.4 ms",
		DurationMs:    6.2,
		Topology:      "Single",
		Checks: []report.Check{
			{Stage: report.StageURI, Status: report.StatusPass, DurationMs: 0, Summary: "1 host, no options"},
			{Stage: report.StageTCP, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.3, Summary: "connected"},
			{Stage: report.StageHello, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 1.1, Summary: "Standalone, wire 0-21",
				Detail: []string{`{"isWritablePrimary": true, "maxWireVersion": 21, "minWireVersion": 0, "ok": 1}`}},
			{Stage: report.StagePing, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.4, Summary: "ping ok, MongoDB 7.0.12"},
		},
		Servers: []report.Server{{
			Address: "127.0.0.1:27017", Kind: "Standalone", Version: "7.0.12",
			MinWireVersion: 0, MaxWireVersion: 21, RTTMs: 0.4, Reachable: true, InLatencyWindow: true,
			Seed: true, SessionTimeout: int64p(30),
		}},
		Findings: []report.Finding{},
	}
}

func refusedPort() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Command:       "ping",
		Target:        "mongodb://localhost:27017",
		Verdict:       "tcp stage failed: nothing is listening on the port (connection refused)",
		DurationMs:    1.9,
		Checks: []report.Check{
			{Stage: report.StageURI, Status: report.StatusPass, Summary: "1 host, no options"},
			{Stage: report.StageTCP, Address: "127.0.0.1:27017", Status: report.StatusFail, DurationMs: 0.2, Summary: "connection refused"},
			{Stage: report.StageTCP, Address: "[::1]:27017", Status: report.StatusFail, DurationMs: 0.1, Summary: "connection refused"},
			{Stage: report.StageDNS, Address: "localhost", Status: report.StatusPass, DurationMs: 0.6, Summary: "127.0.0.1, ::1"},
			{Stage: report.StagePing, Status: report.StatusSkip, Summary: "no server to ping"},
		},
		Servers: []report.Server{{
			Address: "localhost:27017", Kind: "Unknown", Seed: true,
			Error: "dial tcp 127.0.0.1:27017: connect: connection refused",
		}},
		Findings: []report.Finding{{
			ID:       catalogue.IDTCPRefused,
			Severity: report.SeverityError,
			Title:    "Nothing is listening on the port (connection refused)",
			Evidence: []string{
				"127.0.0.1:27017: connect: connection refused",
				"[::1]:27017: connect: connection refused",
			},
			Cause: "The host answered, but no process accepts connections on that port: " +
				"mongod is not running, listens on another port, or is bound to another " +
				"interface (bindIp). The operating system refused the connection at once, so " +
				"waiting longer will not help.",
			Fixes: []string{
				"Start the server (for example `mongod --dbpath DIR` or `docker run -p 27017:27017 mongo`) and check that it logs \"Waiting for connections\" on port 27017.",
				"If the server listens on another port, put that port in the connection string.",
			},
			Docs: []string{"https://www.mongodb.com/docs/drivers/go/current/connect/connection-targets/"},
		}},
	}
}

func replicaSetUnreachable() *report.Report {
	hosts := []string{"mongo-a.internal:27017", "mongo-b.internal:27017", "mongo-c.internal:27017"}
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Command:       "diagnose",
		Target:        "mongodb://alice:****@127.0.0.1:27017/?replicaSet=rs0",
		Verdict:       "replica set members advertise addresses this machine cannot reach",
		DurationMs:    412.3,
		Topology:      "ReplicaSetWithPrimary",
		Checks: []report.Check{
			{Stage: report.StageURI, Status: report.StatusPass, Summary: "1 host, replicaSet=rs0"},
			{Stage: report.StageTCP, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.3, Summary: "connected"},
			{Stage: report.StageHello, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 1.2,
				Summary: "RSPrimary of rs0, calls itself mongo-a.internal:27017",
				Detail: []string{
					`{"isWritablePrimary": true, "setName": "rs0", "me": "mongo-a.internal:27017",`,
					`  "hosts": ["mongo-a.internal:27017", "mongo-b.internal:27017", "mongo-c.internal:27017"]}`,
				}},
			{Stage: report.StageAuth, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 4.7, Summary: "SCRAM-SHA-256 as alice on admin"},
			{Stage: report.StageDNS, Address: "mongo-b.internal", Status: report.StatusFail, DurationMs: 12.5, Summary: "no such host"},
			{Stage: report.StageDNS, Address: "mongo-c.internal", Status: report.StatusFail, DurationMs: 12.9, Summary: "no such host"},
			{Stage: report.StageTopology, Status: report.StatusFail, DurationMs: 398.1,
				Summary: "2 of 3 members unreachable from here",
				Detail:  []string{"driver: server selection timed out after 400ms", "\n"}},
			{Stage: report.StagePing, Address: "127.0.0.1:27017", Status: report.StatusSkip, Summary: "skipped after topology failure"},
		},
		Servers: []report.Server{
			{Address: "127.0.0.1:27017", Kind: "RSPrimary", SetName: "rs0", Version: "7.0.12",
				MinWireVersion: 0, MaxWireVersion: 21, Me: "mongo-a.internal:27017", Hosts: hosts,
				Primary: "mongo-a.internal:27017", SetVersion: 3, ElectionID: "7fffffff0000000000000002",
				RTTMs: 0.4, Reachable: true, InLatencyWindow: true, Seed: true,
				Tags: map[string]string{"dc": "east", "az": "1"}},
			{Address: "mongo-b.internal:27017", Kind: "Unknown", SetName: "rs0",
				Error: "lookup mongo-b.internal: no such host"},
			{Address: "mongo-c.internal:27017", Kind: "Unknown", SetName: "rs0", Hidden: true,
				Error: "lookup mongo-c.internal: no such host"},
		},
		Findings: []report.Finding{
			{
				ID:       catalogue.IDTopologyAdvertisedUnreachable,
				Severity: report.SeverityError,
				Title:    "Replica set members advertise addresses this machine cannot reach",
				Evidence: []string{
					"127.0.0.1:27017 calls itself mongo-a.internal:27017",
					"mongo-b.internal:27017: lookup mongo-b.internal: no such host",
					"mongo-c.internal:27017: lookup mongo-c.internal: no such host",
				},
				Cause: "You reached the seed 127.0.0.1:27017, but a replica-set client then " +
					"connects to the addresses the members advertise in their replica set " +
					"configuration, not to the seed. Those names only resolve inside the network " +
					"the set runs in (an SSH tunnel, a port-forward, NAT or a container network), " +
					"so server selection times out even though the first connection worked.",
				Fixes: []string{
					"Connect to the one member you can reach, without discovery: add directConnection=true and drop replicaSet.",
					"Or make the advertised names resolve and route from here (an /etc/hosts entry per member, or a tunnel per member).",
				},
				SuggestedURI: "mongodb://alice:****@127.0.0.1:27017/?directConnection=true",
				Docs:         []string{"https://www.mongodb.com/docs/drivers/go/current/connect/connection-targets/"},
			},
			{
				ID:       catalogue.IDAtlasAccessList,
				Severity: report.SeverityInfo,
				Title:    "Three members were advertised",
				Cause:    "An info finding is listed after errors and warnings.",
			},
		},
	}
}

func srvReport() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Command:       "srv",
		Target:        "mongodb+srv://bob:****@cluster0.example.net/?appName=shop",
		OK:            true,
		Verdict:       "3 SRV targets resolve and accept connections",
		DurationMs:    1234.5,
		Topology:      "ReplicaSetWithPrimary",
		Checks: []report.Check{
			{Stage: report.StageURI, Status: report.StatusPass, Summary: "mongodb+srv, 1 host"},
			{Stage: report.StageDNS, Address: "_mongodb._tcp.cluster0.example.net", Status: report.StatusPass, DurationMs: 21.4, Summary: "3 SRV records, 1 TXT record"},
			{Stage: report.StageDNS, Address: "shard-00-00.abcde.example.net", Status: report.StatusPass, DurationMs: 3.2, Summary: "198.51.100.10"},
			{Stage: report.StageDNS, Address: "shard-00-01.abcde.example.net", Status: report.StatusPass, DurationMs: 3.4, Summary: "198.51.100.11"},
			{Stage: report.StageDNS, Address: "shard-00-02.abcde.example.net", Status: report.StatusPass, DurationMs: 3.1, Summary: "198.51.100.12"},
			{Stage: report.StageTCP, Address: "shard-00-00.abcde.example.net:27017", Status: report.StatusPass, DurationMs: 31.0, Summary: "connected"},
			{Stage: report.StageTCP, Address: "shard-00-01.abcde.example.net:27017", Status: report.StatusPass, DurationMs: 30.6, Summary: "connected"},
			{Stage: report.StageTCP, Address: "shard-00-02.abcde.example.net:27017", Status: report.StatusPass, DurationMs: 88.0, Summary: "connected"},
			{Stage: report.StageTLS, Address: "shard-00-00.abcde.example.net:27017", Status: report.StatusPass, DurationMs: 64.8, Summary: "TLS 1.3, certificate valid until 2027-01-01"},
		},
		Servers: []report.Server{
			{Address: "shard-00-00.abcde.example.net:27017", Kind: "RSPrimary", SetName: "atlas-abc-shard-0", Version: "8.0.4",
				MinWireVersion: 0, MaxWireVersion: 25, RTTMs: 31.2, Reachable: true, InLatencyWindow: true, Seed: true,
				Tags: map[string]string{"region": "EU_WEST_1", "provider": "AWS"}},
			{Address: "shard-00-01.abcde.example.net:27017", Kind: "RSSecondary", SetName: "atlas-abc-shard-0", Version: "8.0.4",
				MinWireVersion: 0, MaxWireVersion: 25, RTTMs: 30.8, Reachable: true, InLatencyWindow: true, Seed: true},
			{Address: "shard-00-02.abcde.example.net:27017", Kind: "RSSecondary", SetName: "atlas-abc-shard-0", Version: "8.0.4",
				MinWireVersion: 0, MaxWireVersion: 25, RTTMs: 88.4, Reachable: true, InLatencyWindow: false, Seed: true},
		},
		SRV: &report.SRVInfo{
			Name:   "_mongodb._tcp.cluster0.example.net",
			Server: "127.0.0.1:5353",
			Records: []report.SRVRecord{
				{Target: "shard-00-00.abcde.example.net", Port: 27017, Priority: 0, Weight: 0, TTLSeconds: 60},
				{Target: "shard-00-01.abcde.example.net", Port: 27017, Priority: 0, Weight: 0, TTLSeconds: 60},
				{Target: "shard-00-02.abcde.example.net", Port: 27017, Priority: 10, Weight: 5, TTLSeconds: 3600},
			},
			TXT:     []string{"authSource=admin&replicaSet=atlas-abc-shard-0"},
			Seeds:   []string{"shard-00-00.abcde.example.net:27017", "shard-00-01.abcde.example.net:27017", "shard-00-02.abcde.example.net:27017"},
			Options: map[string]string{"authSource": "admin", "replicaSet": "atlas-abc-shard-0", "tls": "true"},
			URI: "mongodb://bob:****@shard-00-00.abcde.example.net:27017,shard-00-01.abcde.example.net:27017," +
				"shard-00-02.abcde.example.net:27017/?appName=shop&authSource=admin&replicaSet=atlas-abc-shard-0&tls=true",
		},
		Findings: []report.Finding{},
	}
}

func warningsOnly() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Command:       "ping",
		Target:        "mongodb://127.0.0.1:27017/?replicaset=rs0",
		OK:            true,
		Verdict:       "connected to a standalone MongoDB 6.0.16 in 0.5 ms, with 2 warnings",
		DurationMs:    7.0,
		Checks: []report.Check{
			{Stage: report.StageURI, Status: report.StatusWarn, Summary: "unknown option replicaset"},
			{Stage: report.StageTCP, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.2, Summary: "connected"},
			{Stage: report.StageTopology, Address: "127.0.0.1:27017", Status: report.StatusWarn, DurationMs: 2.2, Summary: "primary changed during the check"},
			{Stage: report.StagePing, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.5, Summary: "ping ok, MongoDB 6.0.16"},
		},
		Servers: []report.Server{{
			Address: "127.0.0.1:27017", Kind: "Standalone", Version: "6.0.16",
			MinWireVersion: 0, MaxWireVersion: 17, RTTMs: 0.5, Reachable: true, InLatencyWindow: true, Seed: true,
		}},
		Findings: []report.Finding{
			{
				ID:       catalogue.IDURIUnknownOption,
				Severity: report.SeverityWarning,
				Title:    "The connection string has an option drivers do not know",
				Evidence: []string{`option "replicaset" at position 27`},
				Cause:    "Drivers ignore options they do not know, so this one has no effect. Option names are case-insensitive, so replicaset is probably meant as replicaSet.",
				Fixes:    []string{"Did you mean replicaSet? Option names are matched without regard to case, but only known names take effect."},
				Docs:     []string{"https://www.mongodb.com/docs/manual/reference/connection-string-options/"},
			},
			{
				ID:       catalogue.IDTopologyFailover,
				Severity: report.SeverityWarning,
				Title:    "A failover happened during the check",
				Cause:    "The primary stepped down and a new one was elected while mongoconn was connected; operations in flight at that moment fail with a retryable error.",
				Docs:     []string{"https://www.mongodb.com/docs/manual/core/replica-set-elections/"},
			},
		},
	}
}

// uriInvalid is shaped like the report cmd builds when the connection
// string cannot be parsed: no Finish, so OK was never set.
func uriInvalid() *report.Report {
	r := report.NewReport("diagnose", "mongodb://127.0.0.1:27017:27018")
	r.Checks = append(r.Checks, report.Check{Stage: report.StageURI, Status: report.StatusFail, Summary: "port must be a number"})
	r.Verdict = "the connection string cannot be parsed: port must be a number"
	r.AddFinding(report.Finding{
		ID:       catalogue.IDURIInvalid,
		Severity: report.SeverityError,
		Title:    "The connection string cannot be parsed",
		Evidence: []string{`invalid port "27017:27018" at position 20`},
		Cause:    "The text after the last colon of a host must be a port number between 1 and 65535.",
		Fixes:    []string{"Separate several hosts with commas: mongodb://127.0.0.1:27017,127.0.0.1:27018"},
		Docs:     []string{"https://www.mongodb.com/docs/manual/reference/connection-string/"},
	})
	return r
}

type fixture struct {
	name   string
	report func() *report.Report
}

var fixtures = []fixture{
	{"healthy-standalone", healthyStandalone},
	{"refused-port", refusedPort},
	{"replset-unreachable", replicaSetUnreachable},
	{"srv", srvReport},
	{"warnings-only", warningsOnly},
	{"uri-invalid", uriInvalid},
}
