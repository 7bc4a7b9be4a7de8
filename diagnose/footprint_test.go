package diagnose

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// countingDialer dials for real and counts the connections open at once:
// every socket the engine and the driver open goes through the Dialer
// seam.
type countingDialer struct {
	d net.Dialer

	mu         sync.Mutex
	open, peak int
}

func (c *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := c.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.open++
	c.peak = max(c.peak, c.open)
	c.mu.Unlock()
	return &countedConn{Conn: conn, c: c}, nil
}

func (c *countingDialer) counts() (open, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open, c.peak
}

// countedConn gives its descriptor back to the count once, when closed.
type countedConn struct {
	net.Conn
	c    *countingDialer
	once sync.Once
}

func (k *countedConn) Close() error {
	k.once.Do(func() {
		k.c.mu.Lock()
		k.c.open--
		k.c.mu.Unlock()
	})
	return k.Conn.Close()
}

// TestFootprint runs every network command against a standalone and a
// three-member replica set with and without credentials, counts the
// sockets open at once, and checks that TargetFootprint covers them and
// that every one is closed when the command returns: a caller that admits
// targets by their footprint never runs out of descriptors because one
// target held more, or kept them after its report.
func TestFootprint(t *testing.T) {
	users := []mongotest.User{{Name: "alice", Password: "s3cret"}}
	single := mongotest.StartFakeMongod(t, mongotest.Options{Users: users})
	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{Name: "rs0", Members: 3, Users: users})
	uris := map[string]string{
		"standalone":      single.URI(),
		"standalone-auth": "mongodb://alice:s3cret@" + single.Addr() + "/",
		"replset":         rs.URI(),
		"replset-auth":    fmt.Sprintf("mongodb://alice:s3cret@%s/?replicaSet=rs0", rs.Addrs()[0]),
	}
	commands := map[string]func(*Engine, context.Context, *connstr.Target) (*report.Report, error){
		"ping": func(e *Engine, ctx context.Context, tg *connstr.Target) (*report.Report, error) {
			return e.Ping(ctx, tg, PingRequest{})
		},
		"ping--primary": func(e *Engine, ctx context.Context, tg *connstr.Target) (*report.Report, error) {
			return e.Ping(ctx, tg, PingRequest{RequirePrimary: true})
		},
		"diagnose":     (*Engine).Diagnose,
		"discover":     (*Engine).Discover,
		"wire-check":   (*Engine).WireCheck,
		"tunnel-check": (*Engine).TunnelCheck,
	}
	for name, uri := range uris {
		tg := topoTarget(t, uri)
		fp := TargetFootprint(tg)
		for command, run := range commands {
			t.Run(name+"/"+command, func(t *testing.T) {
				e := topoEngine(t)
				d := &countingDialer{}
				e.Dialer = d
				r, err := run(e, context.Background(), tg)
				if err != nil {
					t.Fatal(err)
				}
				if !r.OK {
					t.Fatalf("not ok: %s", r.Verdict)
				}
				open, peak := d.counts()
				t.Logf("%d sockets at most, footprint %d", peak, fp.Files)
				if peak > fp.Files {
					t.Errorf("%d sockets open at once, more than the footprint's %d descriptors", peak, fp.Files)
				}
				if open != 0 {
					t.Errorf("%d sockets still open after the report", open)
				}
			})
		}
	}
}

// TestTargetFootprint checks the estimate's arithmetic on seed lists.
func TestTargetFootprint(t *testing.T) {
	for _, tc := range []struct {
		uri     string
		members int
	}{
		{"mongodb://a/", 1},
		{"mongodb://a,b/", 2},
		{"mongodb://a/?replicaSet=rs0", setMembers},
		{"mongodb://a,b,c,d,e/?replicaSet=rs0", 5},
		{"mongodb+srv://cluster0.example.net/", setMembers},
		{"mongodb+srv://cluster0.example.net/?srvMaxHosts=1", 1},
		{"mongodb+srv://cluster0.example.net/?srvMaxHosts=9", setMembers},
	} {
		fp := TargetFootprint(topoTarget(t, tc.uri))
		want := Footprint{Files: filesPerTarget + filesPerMember*tc.members, Memory: memoryPerMember * int64(tc.members)}
		if fp != want {
			t.Errorf("TargetFootprint(%s) = %+v, want %+v", tc.uri, fp, want)
		}
	}
}
