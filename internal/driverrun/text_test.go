package driverrun

import (
	"strings"
	"testing"
)

// nodeInspect is console.error of a server selection error from the
// Node.js driver 7.9 against a refused port, as ping.js reports it.
const nodeInspect = `MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:1
    at Topology.selectServer (/app/node_modules/mongodb/lib/sdam/topology.js:350:38)
    at async Db.command (/app/node_modules/mongodb/lib/db.js:195:16) {
  errorLabelSet: Set(0) {},
  reason: TopologyDescription {
    type: 'Unknown',
    servers: Map(1) { '127.0.0.1:1' => [ServerDescription] },
    setName: null
  },
  code: undefined,
  [cause]: MongoNetworkError: connect ECONNREFUSED 127.0.0.1:1
      at Socket.<anonymous> (/app/node_modules/mongodb/lib/cmap/connect.js:314:44)
      at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {
    beforeHandshake: false,
    [cause]: Error: connect ECONNREFUSED 127.0.0.1:1
        at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)
        ... 2 lines matching cause stack trace ...
        at async Db.command (/app/node_modules/mongodb/lib/db.js:195:16) {
      errno: -111,
      code: 'ECONNREFUSED'
    }
  }
}`

const nodeInspectStripped = `MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:1 {
  errorLabelSet: Set(0) {},
  reason: TopologyDescription {
    type: 'Unknown',
    servers: Map(1) { '127.0.0.1:1' => [ServerDescription] },
    setName: null
  },
  code: undefined,
  [cause]: MongoNetworkError: connect ECONNREFUSED 127.0.0.1:1 {
    beforeHandshake: false,
    [cause]: Error: connect ECONNREFUSED 127.0.0.1:1 {
      errno: -111,
      code: 'ECONNREFUSED'
    }
  }
}`

func TestStripStackFrames(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"node error with causes", nodeInspect, nodeInspectStripped},
		{"no frames", "MongoNetworkError: connection 1 to 127.0.0.1:27017 closed", "MongoNetworkError: connection 1 to 127.0.0.1:27017 closed"},
		{"frames without properties", "Error: x\n    at f (a.js:1:1)\n    at g (a.js:2:2)", "Error: x"},
		{"a message line that only starts with at", "Error: look\nat the end", "Error: look\nat the end"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripStackFrames(tt.in); got != tt.want {
				t.Errorf("StripStackFrames =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestOneLineName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:1", "MongoServerSelectionError"},
		{"MongoParseError: Invalid scheme", "MongoParseError"},
		{"pymongo.errors.ServerSelectionTimeoutError: x", "pymongo.errors.ServerSelectionTimeoutError"},
		{"Error: querySrv ECONNREFUSED _mongodb._tcp.c0.example.test", "Error"},
		{"MongoshInvalidInputError: [COMMON-10001] Invalid URI", "MongoshInvalidInputError"},
		{"Current Mongosh Log ID: 65", ""},
		{"connection closed", ""},
	}
	for _, tt := range tests {
		if got := oneLineName(tt.in); got != tt.want {
			t.Errorf("oneLineName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzStripStackFrames(f *testing.F) {
	f.Add(nodeInspect)
	f.Add("Error: x\n    at f (a.js:1:1) {\n  code: 1\n}")
	f.Add("    at only (a.js:1:1) {")
	f.Fuzz(func(t *testing.T, s string) {
		got := StripStackFrames(s)
		if len(got) > len(s)+2*strings.Count(s, "\n") {
			t.Fatalf("the result grew: %d bytes from %d", len(got), len(s))
		}
		for _, l := range strings.Split(got, "\n") {
			if stackFrame.MatchString(l) {
				t.Fatalf("a frame is left: %q", l)
			}
		}
		if again := StripStackFrames(got); again != got {
			t.Fatalf("not idempotent:\n%q\n%q", got, again)
		}
	})
}
