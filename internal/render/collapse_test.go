package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/report"
)

func TestRepeatedSkipsShareALine(t *testing.T) {
	r := refusedPort()
	r.Checks = []report.Check{
		{Stage: report.StageURI, Status: report.StatusPass, Summary: "connection string parsed"},
		{Stage: report.StageTCP, Address: "127.0.0.1:1", Status: report.StatusFail, DurationMs: 0.4, Summary: "connection refused"},
	}
	for _, st := range []report.Stage{report.StageTLS, report.StageHello, report.StageWire, report.StageAuth, report.StageTopology} {
		r.Checks = append(r.Checks, report.Check{Stage: st, Status: report.StatusSkip, Summary: "no seed accepted a TCP connection"})
	}
	r.Checks = append(r.Checks,
		report.Check{Stage: report.StageSelection, Status: report.StatusSkip, Summary: "no member can be reached"},
		report.Check{Stage: report.StagePing, Status: report.StatusSkip, Summary: "no member can be reached"},
	)
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checks := out[strings.Index(out, "checks\n"):strings.Index(out, "\nservers")]
	want := `checks
  uri                           ✓  0.0 ms  connection string parsed
  tcp              127.0.0.1:1  ✗  0.4 ms  connection refused
  tls to topology               –          no seed accepted a TCP connection
  selection, ping               –          no member can be reached
`
	if checks != want {
		t.Errorf("checks block:\n%s\nwant\n%s", checks, want)
	}
	if n := strings.Count(checks, "no seed accepted a TCP connection"); n != 1 {
		t.Errorf("the reason is printed %d times", n)
	}

	// A skip with an address, or of the same stage, stays on its own line.
	r.Checks = []report.Check{
		{Stage: report.StageTLS, Address: "a:1", Status: report.StatusSkip, Summary: "x"},
		{Stage: report.StageHello, Address: "a:1", Status: report.StatusSkip, Summary: "x"},
		{Stage: report.StageAuth, Status: report.StatusSkip, Summary: "y"},
		{Stage: report.StageAuth, Status: report.StatusSkip, Summary: "y"},
	}
	b.Reset()
	_ = Text(&b, r, TextOptions{})
	if strings.Count(b.String(), " x\n") != 2 || strings.Count(b.String(), " y\n") != 2 {
		t.Errorf("checks that are not one repeated skip were merged:\n%s", b.String())
	}

	// JSON keeps every check.
	b.Reset()
	if err := JSON(&b, refusedPort()); err != nil || strings.Count(b.String(), `"stage"`) != len(refusedPort().Checks) {
		t.Errorf("JSON lost checks: %v", err)
	}
}
