package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// scarceFDLimits are the open-file limits the command runs under in
// TestScarceFileDescriptors: from too few to start the command's work to
// just enough for some of it, where each run runs out somewhere else
// (a DNS socket, the tlsCAFile, a TCP dial, a hello).
var scarceFDLimits = []int{9, 10, 11, 12, 13, 14, 15, 16}

// scarceRepeats is how often each command runs under each limit: where
// the descriptors run out varies from run to run.
const scarceRepeats = 3

// scarceTimeout is each run's --timeout.
const scarceTimeout = 8 * time.Second

// scarceNetworkIDs are the findings that blame the network, the DNS, a
// member or the connection string: none may stand for a failure of this
// machine to open a file or a socket.
var scarceNetworkIDs = []string{
	catalogue.IDURIInvalid, catalogue.IDDNSNoSuchHost, catalogue.IDDNSNoAnswer, catalogue.IDSRVNoRecords,
	catalogue.IDTCPRefused, catalogue.IDTCPTimeout, catalogue.IDTCPSomeAddressesRefused,
	catalogue.IDTLSUnknownAuthority, catalogue.IDTLSServerNotTLS, catalogue.IDServerNotResponding, catalogue.IDServerNotMongoDB,
	catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDTopologyNoPrimary, catalogue.IDSelectTimeout,
}

// TestScarceFileDescriptors runs ping, diagnose, discover and
// tunnel-check against a healthy Atlas-like deployment (mongodb+srv, TLS
// with tlsCAFile, three members named through a loopback DNS server)
// under open-file limits so low that the command runs out of descriptors
// somewhere along the way. Whatever it ran out on, the report says
// local.resources or is healthy; it never blames the network, the DNS,
// the members or the connection string, and no DNS check says a server
// is unreachable.
func TestScarceFileDescriptors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command some hundred times under low open-file limits")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to lower the open-file limit with ulimit -n")
	}
	child := newPlainChild(t, false)
	if len(child.env) > 0 {
		t.Skip("no plain build of the command to run under ulimit: " + child.why)
	}
	certs := mongotest.NewCerts(t)
	pair, err := certs.IssueServer("atlas", "*.abcde.mongodb.net")
	if err != nil {
		t.Fatal(err)
	}
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
		Name:    "atlas-x1-shard-0",
		Members: 3,
		TLS:     &tls.Config{Certificates: []tls.Certificate{pair.TLS}, MinVersion: tls.VersionTLS12},
		HostFor: func(i int, port string) string {
			return net.JoinHostPort(fmt.Sprintf("cluster0-shard-00-%02d.abcde.mongodb.net", i), port)
		},
	})
	dns := mongotest.StartDNS(t)
	for i, a := range rs.Addrs() {
		_, port, _ := net.SplitHostPort(a)
		host := fmt.Sprintf("cluster0-shard-00-%02d.abcde.mongodb.net", i)
		var p uint16
		if _, err := fmt.Sscan(port, &p); err != nil {
			t.Fatal(err)
		}
		dns.AddSRV("_mongodb._tcp.cluster0.abcde.mongodb.net", 60, 0, 0, p, host)
		if err := dns.AddHost(host, 60, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	dns.AddTXT("cluster0.abcde.mongodb.net", 60, "authSource=admin&replicaSet=atlas-x1-shard-0")
	uri := "mongodb+srv://cluster0.abcde.mongodb.net/?tlsCAFile=" + certs.CAFile

	// The deployment is healthy: with descriptors to spare, every
	// command says so.
	for _, command := range []string{"ping", "discover"} {
		res := scarceRun(t, sh, child.bin, 0, command, dns.Addr, uri)
		if res.code != 0 {
			t.Fatalf("%s with no limit: exit %d, want 0:\n%s\n%s", command, res.code, clip(res.stdout), clip(res.stderr))
		}
	}

	local := 0
	for _, command := range []string{"ping", "diagnose", "discover", "tunnel-check"} {
		for _, limit := range scarceFDLimits {
			for range scarceRepeats {
				res := scarceRun(t, sh, child.bin, limit, command, dns.Addr, uri)
				res.checkNoCrash(t)
				var r struct {
					OK       bool   `json:"ok"`
					Verdict  string `json:"verdict"`
					Findings []struct {
						ID       string   `json:"id"`
						Severity string   `json:"severity"`
						Evidence []string `json:"evidence"`
					} `json:"findings"`
					Checks []struct {
						Stage   string `json:"stage"`
						Summary string `json:"summary"`
					} `json:"checks"`
				}
				if err := json.Unmarshal(res.stdout, &r); err != nil {
					// Too few descriptors to start at all: the
					// runtime or the shell gave up before a report.
					continue
				}
				var ids []string
				for _, f := range r.Findings {
					ids = append(ids, f.ID)
				}
				where := fmt.Sprintf("%s under ulimit -n %d", command, limit)
				if slices.Contains(ids, catalogue.IDLocalResources) {
					local++
				}
				for _, f := range r.Findings {
					if slices.Contains(scarceNetworkIDs, f.ID) {
						t.Errorf("%s: %s (%q) for a machine out of file descriptors; findings %v, verdict %q", where, f.ID, f.Evidence, ids, r.Verdict)
					}
				}
				if !r.OK && !slices.Contains(ids, catalogue.IDLocalResources) {
					t.Errorf("%s: not ok without local.resources: findings %v, verdict %q", where, ids, r.Verdict)
				}
				for _, c := range r.Checks {
					if c.Stage == "dns" && strings.Contains(c.Summary, "server unreachable") {
						t.Errorf("%s: dns check %q for a question this machine could not send", where, c.Summary)
					}
				}
			}
		}
	}
	if local == 0 {
		t.Errorf("no run under limits %v ran out of descriptors: the test proves nothing", scarceFDLimits)
	}
}

// scarceRun runs the command under `ulimit -n limit` (none when 0).
func scarceRun(t *testing.T, sh, bin string, limit int, command, dnsAddr, uri string) childResult {
	t.Helper()
	script := `exec "$0" "$@"`
	if limit > 0 {
		script = fmt.Sprintf("ulimit -n %d && %s", limit, script)
	}
	shell := &mongoconnChild{bin: sh}
	res, err := shell.exec(childSpec{
		args:  []string{"-c", script, bin, "-o", "json", "--timeout", scarceTimeout.String(), "--dns-server", dnsAddr, command, uri},
		guard: scarceTimeout + hangGuard,
	}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return res
}
