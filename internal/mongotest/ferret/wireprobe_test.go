package ferret

import (
	"context"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/wireprobe"
)

// The raw prober against a real server. The test lives here rather than
// in wireprobe so that wireprobe's tests, which the fake servers answer,
// never link FerretDB, and wireprobe may hold a fuzz target without a
// fuzzing build instrumenting all of FerretDB.

// probeTestBudget is the budget of a probe expected to succeed: far more
// than a loopback probe needs, even on a loaded CI machine.
const probeTestBudget = 10 * time.Second

func TestProbeHelloFerretDB(t *testing.T) {
	f := Start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), probeTestBudget)
	defer cancel()
	res := wireprobe.Prober{}.Hello(ctx, f.Addr, wireprobe.HelloOptions{Verbose: true})
	if res.Err != nil {
		t.Fatalf("probe failed: %v", res.Err)
	}
	s := res.Server
	if s.Kind != "Standalone" || !s.Reachable || s.LegacyHello || s.Error != "" {
		t.Errorf("server = %+v", s)
	}
	if s.MaxWireVersion < 6 || s.MaxWireVersion < s.MinWireVersion {
		t.Errorf("wire range %d..%d", s.MinWireVersion, s.MaxWireVersion)
	}
	if s.Version == "" || res.BuildInfoErr != nil {
		t.Errorf("version %q, buildInfo error %v", s.Version, res.BuildInfoErr)
	}
	if res.RoundTrips != wireprobe.MaxHelloRoundTrips || len(res.RTTs) != wireprobe.DefaultHelloSamples {
		t.Errorf("round trips %d, samples %d", res.RoundTrips, len(res.RTTs))
	}
	if res.Hello == nil || res.BuildInfo == nil {
		t.Errorf("verbose probe kept no raw replies")
	}
	// RTTMs is rounded to 0.1 ms and a loopback hello can be faster: the
	// samples themselves must have been timed.
	for i, d := range res.RTTs {
		if d <= 0 {
			t.Errorf("rtt sample %d = %v", i, d)
		}
	}
	if s.RTTMs < 0 {
		t.Errorf("rtt %v", s.RTTMs)
	}
	if _, ok := wireprobe.FindingForProbe(res.Err, f.Addr); ok {
		t.Errorf("a healthy probe maps to a finding")
	}
}
