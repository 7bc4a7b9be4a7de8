package connfind

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo/address"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/description"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// TestDriverErrorTextBounded: a server-selection error over thousands of
// servers is quoted in a few hundred bytes, and its servers read for
// findings are capped.
func TestDriverErrorTextBounded(t *testing.T) {
	var desc description.Topology
	desc.Kind = description.TopologyKindReplicaSetNoPrimary
	for i := range 5000 {
		s := description.Server{Addr: address.Address(fmt.Sprintf("127.77.%d.%d:27017", i/250, i%250+1)), LastError: errors.New("connection refused")}
		desc.Servers = append(desc.Servers, s)
	}
	// Wrapped as the driver's operations wrap it, without formatting it
	// (fmt.Errorf would, and that alone takes seconds here).
	err := wrappedErr{topology.ServerSelectionError{Desc: desc, Wrapped: context.DeadlineExceeded}}
	if got := DriverErrorText(err); len(got) > 512 || !strings.Contains(got, "5000 server(s)") {
		t.Errorf("driverErrorText = %d bytes %q", len(got), got)
	}
	if got := len(BoundedServers(desc)); got != MaxDriverServers {
		t.Errorf("%d servers read, want %d", got, MaxDriverServers)
	}
	long := errors.New(strings.Repeat("x", 10*maxDriverErrorText))
	if got := DriverErrorText(long); len(got) > maxDriverErrorText+64 {
		t.Errorf("a %d-byte error quoted in %d bytes", 10*maxDriverErrorText, len(got))
	}
}

// wrappedErr wraps an error without formatting it.
type wrappedErr struct{ err error }

func (w wrappedErr) Error() string { return "ping: " + w.err.Error() }

func (w wrappedErr) Unwrap() error { return w.err }
