package topofind

import (
	"io"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// A steady member seen by the probe and by the driver is no Flap, and
// neither is one change of role (an election) between two looks.
func TestRoleLogFlaps(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name  string
		seen  []RoleSeen
		flaps bool
	}{
		{"steady", []RoleSeen{{at(0), "RSPrimary", seenByProbe, 1}, {at(1), "RSPrimary", seenByProbe, 1}, {at(5), "RSPrimary", seenByMonitor, 0}}, false},
		{"one election", []RoleSeen{{at(0), "RSSecondary", seenByProbe, 1}, {at(900), "RSPrimary", seenByMonitor, 0}, {at(950), "RSPrimary", seenByMonitor, 0}}, false},
		{"back and forth", []RoleSeen{{at(0), "RSPrimary", seenByProbe, 1}, {at(2), "RSSecondary", seenByMonitor, 0}, {at(3), "RSPrimary", seenByMonitor, 0}}, true},
		{"out of order", []RoleSeen{{at(3), "RSPrimary", seenByMonitor, 0}, {at(0), "RSPrimary", seenByProbe, 1}, {at(2), "RSSecondary", seenByMonitor, 0}}, true},
		{"within one probe", []RoleSeen{{at(0), "the error ShutdownInProgress (code 91)", seenByProbe, 1}, {at(1), "RSPrimary", seenByProbe, 1}}, true},
		{"two probes, one change", []RoleSeen{{at(0), "RSSecondary", seenByProbe, 1}, {at(1000), "RSPrimary", seenByProbe, 2}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l RoleLog
			for _, s := range tc.seen {
				l.add("Db.Example:27017", s)
			}
			l.add("other:27017", RoleSeen{at(0), "RSSecondary", seenByProbe, 3})
			got := l.Flaps()
			if (len(got) == 1) != tc.flaps || len(got) > 1 {
				t.Fatalf("flaps %+v, want flapping %v", got, tc.flaps)
			}
			if tc.flaps && got[0].Addr != "db.example:27017" {
				t.Errorf("address %q", got[0].Addr)
			}
		})
	}
}

// The error a server answered a handshake with is found under the
// driver's own wrappers; a network failure names no role.
func TestServerErrorRole(t *testing.T) {
	server := driver.Error{Code: 91, Name: "ShutdownInProgress", Message: "quiesce"}
	wrapped := driver.Error{Message: "connection() error", Wrapped: topology.ConnectionError{Wrapped: server}}
	if got := serverErrorRole(wrapped); got != "the error ShutdownInProgress (code 91)" {
		t.Errorf("role %q", got)
	}
	if got := serverErrorRole(topology.ConnectionError{Wrapped: io.EOF}); got != "" {
		t.Errorf("a network failure has the role %q", got)
	}
	if got := serverErrorRole(nil); got != "" {
		t.Errorf("no error has the role %q", got)
	}
}
