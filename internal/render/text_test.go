package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/mongoconn/mongoconn/report"
)

const esc = "\x1b["

func text(t *testing.T, r *report.Report, o TextOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Text(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestColorOnlyWhenAsked checks that escape codes appear exactly when
// Color is set, whatever NO_COLOR and the package-wide color.NoColor say:
// the caller decides, and the renderer leaves the global alone.
func TestColorOnlyWhenAsked(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	globalBefore := color.NoColor
	check := report.Check{Stage: report.StageTCP, Address: "127.0.0.1:1", Status: report.StatusFail, DurationMs: 0.1, Summary: "refused"}
	for _, fx := range fixtures {
		for _, o := range []TextOptions{{}, {Color: true}, {Color: true, Quiet: true}, {Verbose: true}, {Color: true, Verbose: true}} {
			out := text(t, fx.report(), o)
			if got := strings.Contains(out, esc); got != o.Color {
				t.Errorf("%s %+v: escape codes present = %v, want %v\n%s", fx.name, o, got, o.Color, out)
			}
			plain := text(t, fx.report(), TextOptions{Quiet: o.Quiet, Verbose: o.Verbose})
			if stripANSI(out) != plain {
				t.Errorf("%s %+v: colour changed the text itself\n--- coloured, stripped\n%s\n--- plain\n%s", fx.name, o, stripANSI(out), plain)
			}
		}
	}
	for _, on := range []bool{false, true} {
		var b bytes.Buffer
		Progress(&b, check, TextOptions{Color: on})
		if got := strings.Contains(b.String(), esc); got != on {
			t.Errorf("Progress Color=%v: escape codes present = %v", on, got)
		}
	}
	if color.NoColor != globalBefore {
		t.Errorf("color.NoColor changed from %v to %v", globalBefore, color.NoColor)
	}
}

// stripANSI removes SGR sequences (ESC [ ... m).
func stripANSI(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, esc)
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		s = s[i+len(esc):]
		j := strings.IndexByte(s, 'm')
		if j < 0 {
			return b.String()
		}
		s = s[j+1:]
	}
}

func TestQuiet(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			full := text(t, fx.report(), TextOptions{})
			quiet := text(t, fx.report(), TextOptions{Quiet: true, Verbose: true})
			first, _, _ := strings.Cut(full, "\n")
			if quiet != first+"\n" {
				t.Errorf("quiet = %q, want the first line of the full report %q", quiet, first)
			}
		})
	}
}

// TestVerdictLine checks the first line of DESIGN.md §5: OK or FAIL from
// the findings, then the sentence.
func TestVerdictLine(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
		want string
	}{
		{"healthy", healthyStandalone(), "OK connected to a standalone MongoDB 7.0.12 in 0.4 ms"},
		{"warnings only", warningsOnly(), "OK connected to a standalone MongoDB 6.0.16 in 0.5 ms, with 2 warnings"},
		{"uri invalid, never finished", uriInvalid(), "FAIL the connection string cannot be parsed: port must be a number"},
		{"no verdict, ok", &report.Report{}, "OK no problems found"},
		{"no verdict, error", &report.Report{OK: true, Findings: []report.Finding{
			{Severity: report.SeverityWarning, Title: "A warning"},
			{Severity: report.SeverityError, Title: "Nothing is listening"},
		}}, "FAIL Nothing is listening"},
		{"interrupted", &report.Report{Verdict: "stopped", Interrupted: true}, "INTERRUPTED stopped before the end; what was learned so far follows"},
		{"interrupted with a problem", &report.Report{Verdict: "tcp stage failed", Interrupted: true, Findings: []report.Finding{{Severity: report.SeverityError, Title: "x"}}}, "INTERRUPTED tcp stage failed (stopped before the end)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := text(t, tc.r, TextOptions{})
			if first, _, _ := strings.Cut(out, "\n"); first != tc.want {
				t.Errorf("verdict line = %q, want %q", first, tc.want)
			}
		})
	}
}

// TestFindingLayout checks the labels of DESIGN.md §5 and the wrapping of
// paragraphs.
func TestFindingLayout(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			out := text(t, r, TextOptions{})
			for _, f := range r.Findings {
				for _, want := range []string{f.ID, f.Title, string(f.Severity)} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q", want)
					}
				}
				if f.SuggestedURI != "" && !strings.Contains(out, "    try:      "+f.SuggestedURI+"\n") {
					t.Errorf("output lacks the try: line for %s", f.SuggestedURI)
				}
				if got, want := strings.Count(out, "    fix:"), countFixes(r); got != want {
					t.Errorf("%d fix: lines, want %d", got, want)
				}
				for _, e := range f.Evidence {
					if !strings.Contains(out, e+"\n") {
						t.Errorf("output lacks evidence %q on a line of its own", e)
					}
				}
			}
			for _, l := range strings.Split(out, "\n") {
				label := strings.TrimSpace(l)
				if (strings.HasPrefix(label, "cause:") || strings.HasPrefix(label, "fix:")) && width(l) > wrapWidth {
					t.Errorf("paragraph line longer than %d columns: %q", wrapWidth, l)
				}
			}
		})
	}
}

func countFixes(r *report.Report) int {
	n := 0
	for _, f := range r.Findings {
		n += len(f.Fixes)
	}
	return n
}

// TestSectionsOnlyWhenPresent checks that empty parts of a report leave no
// empty headings behind, and that each part appears when it has content.
func TestSectionsOnlyWhenPresent(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
		want []string
		not  []string
	}{
		{"empty", &report.Report{Command: "explain"}, nil, []string{"\nchecks\n", "\nservers\n", "\nsrv", "\nfindings\n"}},
		{"healthy", healthyStandalone(), []string{"\nchecks\n", "\nservers\n"}, []string{"\nsrv", "\nfindings\n", "WINDOW", "SET", "NOTES"}},
		{"replset", replicaSetUnreachable(), []string{"\nchecks\n", "\nservers\n", "\nfindings\n", "WINDOW", "SET", "NOTES", "calls itself mongo-a.internal:27017", "hidden"}, []string{"\nsrv"}},
		{"srv", srvReport(), []string{"\nsrv _mongodb._tcp.cluster0.example.net (via 127.0.0.1:5353)\n", "  txt:      authSource=admin&replicaSet=atlas-abc-shard-0\n", "3600s", "options:  authSource=admin replicaSet=atlas-abc-shard-0 tls=true\n"}, []string{"\nfindings\n"}},
		{"srv without answers", &report.Report{SRV: &report.SRVInfo{Name: "_mongodb._tcp.x.example"}}, []string{"records:  none\n", "txt:      none\n", "seeds:    none\n"}, []string{"options:", "uri:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := text(t, tc.r, TextOptions{})
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q\n%s", w, out)
				}
			}
		})
	}
}

// TestChecksAligned checks that the columns of the check lines line up:
// every summary starts in the same column, and checks come in pipeline
// order.
func TestChecksAligned(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			out := text(t, r, TextOptions{})
			_, rest, _ := strings.Cut(out, "\nchecks\n")
			lines := strings.Split(rest, "\n")[:len(r.Checks)]
			col := -1
			last := -1
			for _, l := range lines {
				var c report.Check
				for _, k := range r.Checks {
					if k.Summary != "" && strings.HasSuffix(l, "  "+k.Summary) && strings.HasPrefix(l, "  "+string(k.Stage)+" ") {
						c = k
					}
				}
				if c.Stage == "" {
					t.Fatalf("line %q matches no check", l)
				}
				at := utf8.RuneCountInString(l) - utf8.RuneCountInString(c.Summary)
				if col >= 0 && at != col {
					t.Errorf("summary of %q starts at column %d, want %d", l, at, col)
				}
				col = at
				if i := stageIndex(c.Stage); i < last {
					t.Errorf("%q out of pipeline order", l)
				} else {
					last = i
				}
			}
		})
	}
}

func TestVerboseDetail(t *testing.T) {
	r := replicaSetUnreachable()
	quiet := text(t, r, TextOptions{})
	loud := text(t, r, TextOptions{Verbose: true})
	for _, c := range r.Checks {
		for _, d := range c.Detail {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			if strings.Contains(quiet, d) {
				t.Errorf("detail %q shown without Verbose", d)
			}
			if !strings.Contains(loud, d) {
				t.Errorf("detail %q missing with Verbose", d)
			}
		}
	}
	if strings.Contains(loud, "\n\n\n") || strings.Contains(loud, " \n") {
		t.Errorf("blank detail lines or trailing spaces in verbose output:\n%s", loud)
	}
}

// TestPlaceholdersUnchanged: the engine redacts, the renderer must carry
// every redacted string through as it is and never bring anything back.
func TestPlaceholdersUnchanged(t *testing.T) {
	const target = "mongodb://alice:****@127.0.0.1:27017/?replicaSet=rs0&tlsCertificateKeyFilePassword=****"
	r := replicaSetUnreachable()
	r.Target = target
	r.Checks[3].Summary = "SCRAM-SHA-256 as alice:**** on admin"
	r.Checks[2].Detail = []string{`saslStart {"payload": "****"}`}
	r.Findings[0].Evidence = append(r.Findings[0].Evidence, "auth error for mongodb://alice:****@127.0.0.1:27017")
	r.SRV = &report.SRVInfo{Name: "_mongodb._tcp.x", URI: "mongodb://alice:****@a:27017,b:27017/?authSource=admin"}
	inputs := []string{target, r.Checks[3].Summary, r.Checks[2].Detail[0], r.Findings[0].Evidence[3], r.Findings[0].SuggestedURI, r.SRV.URI}

	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Target != target || back.Checks[3].Summary != inputs[1] || back.Checks[2].Detail[0] != inputs[2] ||
		back.Findings[0].Evidence[3] != inputs[3] || back.Findings[0].SuggestedURI != inputs[4] || back.SRV.URI != inputs[5] {
		t.Errorf("JSON round trip changed a redacted field:\n%s", js.String())
	}
	txt := text(t, r, TextOptions{Verbose: true})
	for _, in := range inputs {
		if !strings.Contains(txt, in) {
			t.Errorf("text output lacks %q unchanged", in)
		}
	}
	if got, want := strings.Count(txt, "****"), strings.Count(strings.Join(inputs, " "), "****"); got < want {
		t.Errorf("%d placeholders in text, want at least %d", got, want)
	}
}

// TestRedactsAgain: should a password ever reach the renderer in a
// connection string, it does not reach the output.
func TestRedactsAgain(t *testing.T) {
	const secret = "s3cr3t-p4ss"
	r := healthyStandalone()
	r.Target = "mongodb://alice:" + secret + "@127.0.0.1:27017/"
	r.Findings = []report.Finding{{ID: "x", Severity: report.SeverityInfo, Title: "t",
		SuggestedURI: "mongodb://alice:" + secret + "@127.0.0.1:27017/?directConnection=true"}}
	r.SRV = &report.SRVInfo{URI: "mongodb://alice:" + secret + "@a:27017/"}
	outputs := map[string]string{
		"text": text(t, r, TextOptions{Color: true, Verbose: true}),
	}
	var js, jl bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := JSONLines(&jl, r); err != nil {
		t.Fatal(err)
	}
	outputs["json"], outputs["jsonl"] = js.String(), jl.String()
	for name, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s output shows the password:\n%s", name, out)
		}
		if !strings.Contains(out, "alice:****@") {
			t.Errorf("%s output lacks the redacted target", name)
		}
	}
}

// TestHostileStrings: text from the network cannot drive the terminal.
func TestHostileStrings(t *testing.T) {
	r := healthyStandalone()
	r.Servers[0].SetName = "rs0\x1b[2J\x1b]0;owned\x07"
	r.Servers[0].Version = "7.0\u202e21.0"
	r.Checks[1].Summary = "line one\nline two\r\x00\xff"
	r.Verdict = "ok\x1b[31m"
	for _, o := range []TextOptions{{}, {Verbose: true}, {Color: true}} {
		out := text(t, r, o)
		plain := out
		if o.Color {
			plain = stripANSI(out)
		}
		for _, bad := range []string{"\x1b", "\x07", "\x00", "\r", "\u202e"} {
			if strings.Contains(plain, bad) {
				t.Errorf("%+v: output carries %q:\n%q", o, bad, out)
			}
		}
		if !utf8.ValidString(out) {
			t.Errorf("%+v: output is not valid UTF-8", o)
		}
		for _, want := range []string{`rs0\x1b[2J\x1b]0;owned\x07`, `7.0\u202e21.0`, "line one line two"} {
			if !strings.Contains(plain, want) {
				t.Errorf("%+v: output lacks the escaped form %q:\n%s", o, want, plain)
			}
		}
	}
}

func TestProgress(t *testing.T) {
	line := func(stage, addr, mark, dur, summary string) string {
		return fmt.Sprintf("  %-9s  %-21s  %s  %8s  %s\n", stage, addr, mark, dur, summary)
	}
	tests := []struct {
		c    report.Check
		want string
	}{
		{report.Check{Stage: report.StageTCP, Address: "127.0.0.1:27017", Status: report.StatusPass, DurationMs: 0.3, Summary: "connected"},
			line("tcp", "127.0.0.1:27017", "✓", "0.3 ms", "connected")},
		{report.Check{Stage: report.StageSelection, Address: "[::1]:27017", Status: report.StatusFail, DurationMs: 1500, Summary: "timed out"},
			line("selection", "[::1]:27017", "✗", "1.50 s", "timed out")},
		{report.Check{Stage: report.StageURI, Status: report.StatusWarn, Summary: "unknown option"},
			line("uri", "", "!", "0.0 ms", "unknown option")},
		{report.Check{Stage: report.StagePing, Status: report.StatusSkip, Summary: "skipped"},
			line("ping", "", "–", "", "skipped")},
		{report.Check{Stage: report.StageDNS, Address: "a-very-long-host-name.example.net", Status: report.StatusPass, DurationMs: 2, Summary: "1 address"},
			"  dns        a-very-long-host-name.example.net  ✓    2.0 ms  1 address\n"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			var b bytes.Buffer
			Progress(&b, tc.c, TextOptions{Verbose: true})
			if b.String() != tc.want {
				t.Errorf("Progress =\n%q\nwant\n%q", b.String(), tc.want)
			}
			b.Reset()
			Progress(&b, tc.c, TextOptions{Quiet: true})
			if b.Len() != 0 {
				t.Errorf("Progress with Quiet wrote %q", b.String())
			}
		})
	}
}
