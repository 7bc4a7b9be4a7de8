package diagnose

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
)

// emfileDial is the error of a dial whose socket could not be opened:
// the process has no file descriptor left.
func emfileDial(network, addr string) error {
	return &net.OpError{Op: "dial", Net: network, Addr: nil, Err: os.NewSyscallError("socket", syscall.EMFILE),
		Source: nil}
}

// localLookupResolver is the engine's resolver, except that a host name
// for which fail is true cannot be looked up: the question's socket
// could not be opened, as resolve reports it (DNSLocal).
type localLookupResolver struct {
	resolve.Resolver
	fail func(host string) bool
}

func (r localLookupResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	h := strings.TrimSuffix(host, ".")
	if r.fail(h) {
		return nil, &resolve.DNSError{Kind: resolve.DNSLocal, Name: h, Type: "A/AAAA", Server: "127.0.0.1:53", Rcode: -1,
			Err: emfileDial("udp", "127.0.0.1:53")}
	}
	return r.Resolver.LookupHost(ctx, host)
}

// networkBlameIDs are the findings that blame the network, the DNS, a
// member or the connection string.
var networkBlameIDs = []string{
	catalogue.IDURIInvalid, catalogue.IDDNSNoSuchHost, catalogue.IDDNSNoAnswer, catalogue.IDSRVNoRecords,
	catalogue.IDTCPRefused, catalogue.IDTCPTimeout, catalogue.IDServerNotResponding, catalogue.IDServerNotMongoDB,
	catalogue.IDTopologyAdvertisedUnreachable, catalogue.IDTopologyNoPrimary, catalogue.IDSelectTimeout,
}

// checkLocalNotNetwork fails unless r has local.resources and no finding
// that blames the network for it.
func checkLocalNotNetwork(t *testing.T, r *report.Report) {
	t.Helper()
	ids := topoFindingIDs(r)
	if !slices.Contains(ids, catalogue.IDLocalResources) {
		t.Errorf("findings %v, want %s\n%s", ids, catalogue.IDLocalResources, findingsText(r))
	}
	for _, id := range networkBlameIDs {
		if slices.Contains(ids, id) {
			t.Errorf("findings %v: %s for a failure of this machine\n%s", ids, id, findingsText(r))
		}
	}
	if r.OK {
		t.Error("ok although members could not be asked")
	}
}

// TestAdvertisedMemberLookupLocal: the seed answers and advertises names
// whose lookups never leave this machine (no file descriptor for the DNS
// socket). That is local.resources, never topology.advertised-unreachable
// nor "does not resolve".
func TestAdvertisedMemberLookupLocal(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Advertise: mongotest.InternalHostNames(3)})
	for _, command := range []string{"discover", "tunnel-check", "diagnose"} {
		t.Run(command, func(t *testing.T) {
			e := topoEngine(t)
			e.Resolver = localLookupResolver{Resolver: e.Resolver, fail: func(h string) bool { return strings.HasSuffix(h, ".internal") }}
			tg := topoTarget(t, "mongodb://"+rs.Addrs()[0]+"/?replicaSet=rs0")
			r := runTopoCommand(t, e, command, tg)
			checkLocalNotNetwork(t, r)
			for _, c := range r.Checks {
				if strings.Contains(c.Summary, "does not resolve") || strings.Contains(c.Summary, "server unreachable") {
					t.Errorf("check %s %s: %q for a question never sent", c.Stage, c.Address, c.Summary)
				}
			}
			for _, h := range rs.Hosts() {
				if s, ok := topoServerByAddr(r, h); !ok || s.Reachable || !strings.Contains(s.Error, "EMFILE") {
					t.Errorf("advertised %s: %+v (found %v), want unreachable for EMFILE", h, s, ok)
				}
			}
		})
	}
}

// localDialer dials the seed and fails every other address as a socket
// call does without a file descriptor left.
type localDialer struct{ seed string }

func (d localDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != d.seed {
		return nil, emfileDial(network, addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// TestAdvertisedMemberDialLocal: the seed answers, the members it
// advertises cannot be dialled because this machine has no descriptor
// for the socket. The hello probe says local.resources; discovery,
// failover and selection derive no topology.advertised-unreachable,
// topology.no-primary or select.timeout from it, though the seed is a
// secondary and the primary is among the members not asked.
func TestAdvertisedMemberDialLocal(t *testing.T) {
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{})
	seed := rs.Addrs()[(rs.Primary()+1)%rs.Len()]
	for _, command := range []string{"discover", "tunnel-check", "diagnose"} {
		t.Run(command, func(t *testing.T) {
			e := topoEngine(t)
			e.Dialer = localDialer{seed: seed}
			tg := topoTarget(t, "mongodb://"+seed+"/?replicaSet=rs0")
			r := runTopoCommand(t, e, command, tg)
			checkLocalNotNetwork(t, r)
		})
	}
}

// TestTLSFileFindingLocal: a tlsCAFile or tlsCertificateKeyFile this
// machine had no descriptor (or memory) to open is local.resources, not
// uri.invalid: the option and the file may both be fine.
func TestTLSFileFindingLocal(t *testing.T) {
	tg := topoTarget(t, "mongodb://db.example.test/?tls=true&tlsCAFile=/etc/ca.pem")
	for _, c := range []struct {
		option string
		errno  syscall.Errno
		want   string
	}{
		{"tlsCAFile", syscall.EMFILE, catalogue.IDLocalResources},
		{"tlsCertificateKeyFile", syscall.ENFILE, catalogue.IDLocalResources},
		{"tlsCAFile", syscall.ENOMEM, catalogue.IDLocalResources},
		{"tlsCAFile", syscall.ENOENT, catalogue.IDURIInvalid},
		{"tlsCAFile", syscall.EACCES, catalogue.IDURIInvalid},
	} {
		err := &tlsconf.FileError{Option: c.option, Path: "/etc/ca.pem", Err: &os.PathError{Op: "open", Path: "/etc/ca.pem", Err: c.errno}}
		f := tlsFileFinding(tg, err)
		if f.ID != c.want {
			t.Errorf("%s: %v: %s (%q), want %s", c.option, c.errno, f.ID, f.Evidence, c.want)
			continue
		}
		if c.want == catalogue.IDLocalResources && (len(f.Evidence) != 1 || !strings.Contains(f.Evidence[0], c.option+` "/etc/ca.pem" could not be read`)) {
			t.Errorf("%s: %v: evidence %q does not name the file", c.option, c.errno, f.Evidence)
		}
	}
}

// runTopoCommand runs discover, tunnel-check or (any other name) diagnose
// on tg.
func runTopoCommand(t *testing.T, e *Engine, command string, tg *connstr.Target) *report.Report {
	t.Helper()
	run := e.Diagnose
	switch command {
	case "discover":
		run = e.Discover
	case "tunnel-check":
		run = e.TunnelCheck
	}
	r, err := run(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
