package netpath

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/mongoconn/mongoconn/internal/mongotest/pathtest"
)

// mapLookup resolves from a table, as the engine's resolver would, and
// counts the questions.
type mapLookup struct {
	hosts map[string][]string
	asked int
}

var errNoSuchHost = errors.New("no such host")

func (m *mapLookup) lookup(_ context.Context, host string) ([]string, error) {
	m.asked++
	if ips, ok := m.hosts[host]; ok {
		return ips, nil
	}
	return nil, errNoSuchHost
}

func ipv6Loopback(t *testing.T) bool {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// localhost -> ::1 refused, 127.0.0.1 listening: what Node 17+ meets.
func TestDialEveryLocalhostV6Refused(t *testing.T) {
	if !ipv6Loopback(t) {
		t.Skip("no IPv6 loopback (::1) on this machine")
	}
	member := pathtest.StartEcho(t)
	port := strconv.Itoa(member.Port())
	m := &mapLookup{hosts: map[string][]string{"localhost": {"::1", "127.0.0.1"}}}
	rs, err := DialEvery(testContext(t), nil, m.lookup, "localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Address != "[::1]:"+port || rs[1].Address != "127.0.0.1:"+port {
		t.Fatalf("results %+v, want ::1 then 127.0.0.1 in the lookup's order", rs)
	}
	if !rs[0].Refused() || rs[1].Err != nil || rs[1].Refused() {
		t.Errorf("::1: %v; 127.0.0.1: %v", rs[0].Err, rs[1].Err)
	}
	if !SomeRefused(rs) {
		t.Error("SomeRefused is false")
	}

	// Both listening: nothing to report.
	pathtest.StartEchoAt(t, "[::1]:"+port)
	rs, err = DialEvery(testContext(t), Direct{}, m.lookup, "localhost:"+port)
	if err != nil || len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil || SomeRefused(rs) {
		t.Errorf("both listening: %+v, %v", rs, err)
	}
}

func TestDialEvery(t *testing.T) {
	member := pathtest.StartEcho(t)
	port := strconv.Itoa(member.Port())
	refusing := closedPort(t)

	m := &mapLookup{hosts: map[string][]string{
		"twice": {"127.0.0.1", "127.0.0.1"},
		"many":  make([]string, 0, 40),
	}}
	for i := 0; i < 40; i++ {
		m.hosts["many"] = append(m.hosts["many"], "127.0.0."+strconv.Itoa(i+1))
	}

	rs, err := DialEvery(testContext(t), nil, m.lookup, member.Addr())
	if err != nil || len(rs) != 1 || rs[0].Err != nil || m.asked != 0 {
		t.Errorf("an IP address: %+v, %v, %d lookups", rs, err, m.asked)
	}
	rs, err = DialEvery(testContext(t), nil, m.lookup, refusing)
	if err != nil || len(rs) != 1 || !rs[0].Refused() || SomeRefused(rs) {
		t.Errorf("all refused is not some refused: %+v, %v", rs, err)
	}
	rs, err = DialEvery(testContext(t), nil, m.lookup, "twice:"+port)
	if err != nil || len(rs) != 1 {
		t.Errorf("a repeated address is dialled once: %+v, %v", rs, err)
	}
	rs, err = DialEvery(testContext(t), nil, m.lookup, "many:"+port)
	if err != nil || len(rs) != MaxAddresses || rs[0].Address != "127.0.0.1:"+port {
		t.Errorf("many addresses: %d results, %v", len(rs), err)
	}
	if _, err := DialEvery(testContext(t), nil, m.lookup, "nowhere:"+port); !errors.Is(err, errNoSuchHost) {
		t.Errorf("lookup failure: %v", err)
	}
	var ae *net.AddrError
	if _, err := DialEvery(testContext(t), nil, m.lookup, "no-port"); !errors.As(err, &ae) {
		t.Errorf("bad address: %T %v", err, err)
	}
}
