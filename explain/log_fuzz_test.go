package explain

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// fuzzSecret is a password planted in every fuzzed log: it must never
// show in what ReadLog returns.
const fuzzSecret = "Pa55w0rdZq"

// FuzzReadLog feeds any bytes to the log reader: it never fails on a
// reader that does not, its counts stay consistent, a planted password
// never shows, and the gate lets through every line Explain recognises.
func FuzzReadLog(f *testing.F) {
	for _, s := range []string{javaTrace, pyTrace, nodeError, "", "\n\n\n", "\r\n", strings.Repeat("x", 300),
		"May  1 10:00:00 h a: dial tcp 1.2.3.4:1: connect: connection refused\n\tat x\n}\nTraceback (most recent call last):\n  f\nE: m\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		log := append(bytes.Clone(data), "\n2024-05-01T10:00:00Z ERROR mongodb://fz:"+fuzzSecret+"@h:1/ dial tcp 127.0.0.1:1: connect: connection refused\n"...)
		sum, err := ReadLog(context.Background(), bytes.NewReader(log))
		if err != nil {
			t.Fatalf("ReadLog: %v", err)
		}
		if sum.Matched > sum.Entries || sum.Entries > sum.Lines || sum.Matched == 0 {
			t.Fatalf("matched %d, entries %d, lines %d", sum.Matched, sum.Entries, sum.Lines)
		}
		for _, x := range sum.Findings {
			if x.Count < 1 || x.Count > sum.Matched || x.First.Line < 1 || x.First.Line > x.Last.Line || x.Last.Line > sum.Lines {
				t.Fatalf("%s: count %d, lines %d..%d of %d", x.ID, x.Count, x.First.Line, x.Last.Line, sum.Lines)
			}
			if strings.Contains(x.Example, fuzzSecret) {
				t.Fatalf("%s: the example shows the password: %q", x.ID, x.Example)
			}
		}
		if strings.Contains(sum.URI, fuzzSecret) || strings.Contains(sum.Next, fuzzSecret) {
			t.Fatalf("the password shows: %q %q", sum.URI, sum.Next)
		}
		g := exLogGate()
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) > 4096 {
				continue
			}
			if x := Explain(string(line)); x.Recognised() && !g.match(line) {
				t.Fatalf("the gate rejects %q, which Explain recognises as %v", line, x.IDs())
			}
		}
	})
}
