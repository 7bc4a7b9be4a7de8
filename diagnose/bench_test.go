package diagnose

import (
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/explain"
	"github.com/mongoconn/mongoconn/redact"
)

// BenchmarkParseTarget parses and lints a typical replica-set string.
func BenchmarkParseTarget(b *testing.B) {
	const uri = "mongodb://alice:s3cret@db1.example.net:27017,db2.example.net:27017/app?replicaSet=rs0&authSource=admin&tls=true&readPreference=secondaryPreferred"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := connstr.ParseTarget(uri); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplain matches a PyMongo server-selection timeout.
func BenchmarkExplain(b *testing.B) {
	const text = "pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown, servers: [<ServerDescription ('localhost', 27017) server_type: Unknown, rtt: None, error=AutoReconnect('localhost:27017: [Errno 111] Connection refused')>]>"
	b.ReportAllocs()
	for b.Loop() {
		if x := explain.Explain(text); !x.Recognised() {
			b.Fatal("not recognised")
		}
	}
}

// BenchmarkRedact hides the password of a connection string inside an error.
func BenchmarkRedact(b *testing.B) {
	const text = "connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism \"SCRAM-SHA-256\": (AuthenticationFailed) Authentication failed. uri=mongodb://alice:s3cret@db1:27017/?authSource=admin"
	b.ReportAllocs()
	for b.Loop() {
		_ = redact.Redact(text)
	}
}
