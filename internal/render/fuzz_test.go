package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mongoconn/mongoconn/report"
)

// FuzzRender puts arbitrary text and numbers, as a peer or a DNS server
// could send them, into every kind of field and checks that both
// renderers cope: no panic, valid JSON, valid UTF-8, no escape codes
// without Color, exactly one line when quiet.
func FuzzRender(f *testing.F) {
	f.Add("rs0", "7.0.12", "connection refused", "mongodb://a:****@h:1/?x=y", 0.4, int32(21))
	f.Add("\x1b[2J", "\xff\xfe", "a\nb\r\nc", "", math.NaN(), int32(-1))
	f.Add(strings.Repeat("w ", 200), "\u202e", "\x00", "mongodb://u:p@h", math.Inf(-1), int32(math.MaxInt32))
	f.Add("run `ssh -N -D 1080 ops@bastion` now", "`unpaired", "a `b\tc` `d", "", 1.0, int32(7))
	f.Add("\u009b31m", "\u0085", "\u200f", "mongodb://h/?appName=\u009b", 1.0, int32(0))
	f.Fuzz(func(t *testing.T, s1, s2, s3, uri string, ms float64, wire int32) {
		r := &report.Report{
			Command: s1, Target: uri, Verdict: s3, DurationMs: ms, Topology: s2,
			Checks: []report.Check{
				{Stage: report.Stage(s1), Address: s2, Status: report.Status(s3), DurationMs: ms, Summary: s3, Detail: []string{s1, s2}},
				{Stage: report.StageTCP, Address: s1, Status: report.StatusFail, DurationMs: -ms, Summary: s2},
			},
			Servers: []report.Server{
				{Address: s1, Kind: s2, SetName: s3, Version: s2, MinWireVersion: int64(wire), MaxWireVersion: int64(wire),
					Me: s3, Tags: map[string]string{s1: s2}, RTTMs: ms, Reachable: wire%2 == 0, Error: s3},
				{Address: s2, Kind: "", RTTMs: -ms},
			},
			SRV: &report.SRVInfo{Name: s1, Server: s2, TXT: []string{s3},
				Records: []report.SRVRecord{{Target: s2, Port: uint16(wire), TTLSeconds: uint32(wire)}},
				Seeds:   []string{s1, s2}, Options: map[string]string{s1: s3}, URI: uri},
			Findings: []report.Finding{
				{ID: s1, Severity: report.Severity(s2), Title: s3, Evidence: []string{s1, s3}, Cause: s3 + " " + s2,
					Fixes: []string{s2, s3}, SuggestedURI: uri, Docs: []string{s1}},
				{ID: s2, Severity: report.SeverityError, Title: s1},
			},
		}
		for _, o := range []TextOptions{{}, {Verbose: true}, {Quiet: true}} {
			var b bytes.Buffer
			if err := Text(&b, r, o); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if strings.Contains(out, "\x1b") {
				t.Fatalf("%+v: escape byte without Color:\n%q", o, out)
			}
			if !utf8.ValidString(out) {
				t.Fatalf("%+v: invalid UTF-8:\n%q", o, out)
			}
			if o.Quiet && strings.Count(out, "\n") != 1 {
				t.Fatalf("quiet output has %d lines:\n%q", strings.Count(out, "\n"), out)
			}
			if !strings.HasPrefix(out, "FAIL ") {
				t.Fatalf("a report with an error finding does not start with FAIL:\n%q", out)
			}
		}
		var js bytes.Buffer
		if err := JSON(&js, r); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js.Bytes()) {
			t.Fatalf("invalid JSON:\n%s", js.String())
		}
		var ju bytes.Buffer
		if err := JUnit(&ju, s1, []JUnitCase{{Report: r}, {Target: uri, Error: s3}}); err != nil {
			t.Fatal(err)
		}
		if err := wellFormedXML(ju.Bytes()); err != nil || !utf8.Valid(ju.Bytes()) {
			t.Fatalf("JUnit output is not well-formed UTF-8 XML (%v):\n%q", err, ju.String())
		}
		if at := rawTerminalRune(js.Bytes()); at >= 0 {
			t.Fatalf("raw control character in JSON at byte %d:\n%q", at, js.String())
		}
		var p bytes.Buffer
		Progress(&p, r.Checks[0], TextOptions{})
		if strings.Count(p.String(), "\n") != 1 || strings.Contains(p.String(), "\x1b") {
			t.Fatalf("progress line %q", p.String())
		}
	})
}

// wellFormedXML reads every token of b.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
