package render

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fatih/color"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// TextOptions shape the text report. The caller decides Color from the
// terminal, NO_COLOR and --no-color; the renderer never looks at the
// environment itself.
type TextOptions struct {
	// Color adds ANSI colours.
	Color bool
	// Quiet prints the verdict line only.
	Quiet bool
	// Verbose adds each check's Detail lines.
	Verbose bool
	// NameTarget puts the target (passwords masked) on the verdict line,
	// after the verdict word, padded to TargetWidth characters: with
	// Quiet, one line per target of a fleet says which is which.
	NameTarget  bool
	TargetWidth int
}

// wrapWidth is the column at which paragraphs (causes, fixes) wrap: a
// little under a 90-column terminal, the width most people read comfortably.
const wrapWidth = 88

// Column widths of a Progress line, which cannot see the other checks:
// the longest stage name, the longest IPv4 host:port, and a duration
// under a second.
const (
	progressStageWidth    = len("selection")
	progressAddressWidth  = len("255.255.255.255:65535")
	progressDurationWidth = len("999.9 ms")
)

// Text writes r as the human-readable report of DESIGN.md §5: the verdict
// line, the checks, the servers, the SRV records, then every finding with
// its cause and fixes. With o.Quiet only the verdict line is written.
func Text(w io.Writer, r *report.Report, o TextOptions) error {
	if r == nil {
		return ErrNilReport
	}
	t := &textWriter{p: newPalette(o.Color), o: o}
	t.verdict(r)
	if !o.Quiet {
		t.header(r)
		t.checks(r.Checks)
		t.servers(r.Servers)
		t.srv(r.SRV)
		t.findings(r.Findings)
	}
	_, err := io.WriteString(w, t.b.String())
	return err
}

// FailLine writes the verdict line of a run that found nothing to report
// yet did not do what it was asked (explain of a text it does not
// recognise): FAIL and the sentence, in the colours of Text.
func FailLine(w io.Writer, verdict string, o TextOptions) error {
	t := &textWriter{p: newPalette(o.Color), o: o}
	t.line(paint(t.p.failWord, "FAIL"), " ", clean(verdict))
	_, err := io.WriteString(w, t.b.String())
	return err
}

// Progress writes one line for a check that has just finished, for a
// terminal watching a diagnosis run. Its columns have fixed widths, so
// successive lines line up. It writes nothing when o.Quiet.
func Progress(w io.Writer, c report.Check, o TextOptions) {
	if o.Quiet {
		return
	}
	t := &textWriter{p: newPalette(o.Color), o: o}
	row := t.checkRow(c)
	row[0].min = progressStageWidth
	row[1].min = progressAddressWidth
	row[3].min = progressDurationWidth
	t.table("  ", [][]cell{row})
	_, _ = io.WriteString(w, t.b.String())
}

// palette holds the colours of one call; each is switched on or off
// explicitly, so the package-wide color.NoColor is neither consulted nor
// changed.
type palette struct {
	pass, warn, fail, skip, info *color.Color
	bold, dim, label, uri        *color.Color
	okWord, failWord             *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		pass:     mk(color.FgGreen),
		warn:     mk(color.FgYellow),
		fail:     mk(color.FgRed),
		skip:     mk(color.Faint),
		info:     mk(color.FgCyan),
		bold:     mk(color.Bold),
		dim:      mk(color.Faint),
		label:    mk(color.FgCyan),
		uri:      mk(color.FgGreen),
		okWord:   mk(color.FgGreen, color.Bold),
		failWord: mk(color.FgRed, color.Bold),
	}
}

// paint colours s with c; nil c or an empty s stays plain.
func paint(c *color.Color, s string) string {
	if c == nil || s == "" {
		return s
	}
	return c.Sprint(s)
}

type textWriter struct {
	b strings.Builder
	p palette
	o TextOptions
}

func (t *textWriter) line(parts ...string) {
	t.b.WriteString(strings.TrimRight(strings.Join(parts, ""), " "))
	t.b.WriteByte('\n')
}

func (t *textWriter) section(title string) {
	t.b.WriteByte('\n')
	t.line(paint(t.p.bold, title))
}

func (t *textWriter) verdict(r *report.Report) {
	v := clean(r.Verdict)
	word, wordColor := "OK", t.p.okWord
	if !ok(r) {
		word, wordColor = "FAIL", t.p.failWord
		if strings.TrimSpace(v) == "" {
			v = clean(firstErrorTitle(r.Findings))
		}
		if strings.TrimSpace(v) == "" {
			v = "a problem was found"
		}
	} else if strings.TrimSpace(v) == "" {
		v = "no problems found"
	}
	if r.Interrupted {
		word, wordColor = "INTERRUPTED", t.p.failWord
		if ok(r) {
			v = "stopped before the end; what was learned so far follows"
		} else {
			v += " (stopped before the end)"
		}
	}
	if t.o.NameTarget {
		target := clean(redact.Redact(r.Target))
		wordPad := strings.Repeat(" ", max(len("FAIL")-len(word), 0))
		pad := strings.Repeat(" ", max(t.o.TargetWidth-width(target), 0))
		t.line(paint(wordColor, word), wordPad, " ", target, pad, "  ", v)
		return
	}
	t.line(paint(wordColor, word), " ", v)
}

func firstErrorTitle(fs []report.Finding) string {
	for _, f := range fs {
		if f.Severity == report.SeverityError {
			return f.Title
		}
	}
	return "a problem was found"
}

// header is the line under the verdict: what was checked, by which
// command, in how long.
func (t *textWriter) header(r *report.Report) {
	var facts []string
	if r.Command != "" {
		facts = append(facts, clean(r.Command))
	}
	if r.Topology != "" {
		facts = append(facts, clean(r.Topology))
	}
	if r.DurationMs > 0 {
		facts = append(facts, millis(r.DurationMs))
	}
	target := clean(redact.Redact(r.Target))
	if target == "" && len(facts) == 0 {
		return
	}
	rest := ""
	if len(facts) > 0 {
		rest = paint(t.p.dim, "("+strings.Join(facts, ", ")+")")
		if target != "" {
			rest = " " + rest
		}
	}
	t.line("     ", target, rest)
}

// cell is one column of a table row. Its width is measured on s before
// colour is added, so colour never shifts the columns.
type cell struct {
	s     string
	c     *color.Color
	right bool // align right (numbers)
	min   int  // least width of the column
}

// table writes rows in aligned columns separated by two spaces.
func (t *textWriter) table(indent string, rows [][]cell) {
	for _, l := range tableLines(indent, rows) {
		t.line(l)
	}
}

// tableLines lays rows out in aligned columns separated by two spaces. A
// column that is empty in every row, and has no least width, is left out.
func tableLines(indent string, rows [][]cell) []string {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(c.s), c.min)
		}
	}
	lines := make([]string, len(rows))
	for j, row := range rows {
		var parts []string
		for i, c := range row {
			if widths[i] == 0 {
				continue
			}
			pad := strings.Repeat(" ", widths[i]-width(c.s))
			if c.right {
				parts = append(parts, pad+paint(c.c, c.s))
			} else {
				parts = append(parts, paint(c.c, c.s)+pad)
			}
		}
		lines[j] = indent + strings.Join(parts, "  ")
	}
	return lines
}

// --- checks -------------------------------------------------------------

func (t *textWriter) statusMark(s report.Status) cell {
	switch s {
	case report.StatusPass:
		return cell{s: "✓", c: t.p.pass}
	case report.StatusWarn:
		return cell{s: "!", c: t.p.warn}
	case report.StatusFail:
		return cell{s: "✗", c: t.p.fail}
	case report.StatusSkip:
		return cell{s: "–", c: t.p.skip}
	}
	return cell{s: "?"}
}

func (t *textWriter) checkRow(c report.Check) []cell {
	d := millis(c.DurationMs)
	if c.Status == report.StatusSkip && c.DurationMs == 0 {
		d = ""
	}
	summary := cell{s: clean(c.Summary)}
	if c.Status == report.StatusSkip {
		summary.c = t.p.dim
	}
	return []cell{
		{s: clean(string(c.Stage))},
		{s: clean(c.Address)},
		t.statusMark(c.Status),
		{s: d, right: true, c: t.p.dim},
		summary,
	}
}

// checks writes one line per check, in pipeline order (checks of one
// stage keep the order they were reported in), with Detail lines under
// each when verbose. Consecutive stages skipped for one reason share a
// line ("tls to ping  –  no seed accepted a TCP connection").
func (t *textWriter) checks(cs []report.Check) {
	if len(cs) == 0 {
		return
	}
	sorted := slices.Clone(cs)
	slices.SortStableFunc(sorted, func(a, b report.Check) int {
		return cmp.Compare(stageIndex(a.Stage), stageIndex(b.Stage))
	})
	t.section("checks")
	var rows [][]cell
	var details [][]string
	for i := 0; i < len(sorted); {
		c := sorted[i]
		j := i + 1
		for j < len(sorted) && sameSkip(c, sorted[j]) {
			j++
		}
		row := t.checkRow(c)
		if j-i > 1 {
			row[0].s = stageSpan(sorted[i:j])
		}
		rows = append(rows, row)
		details = append(details, c.Detail)
		i = j
	}
	for i, l := range tableLines("  ", rows) {
		t.line(l)
		if !t.o.Verbose {
			continue
		}
		for _, d := range details[i] {
			for _, dl := range strings.Split(d, "\n") {
				if strings.TrimSpace(dl) == "" {
					continue
				}
				t.line("      ", paint(t.p.dim, clean(dl)))
			}
		}
	}
}

// sameSkip reports whether b repeats a's skip: both skipped, for the same
// reason, on no particular address, with nothing more to say.
func sameSkip(a, b report.Check) bool {
	skip := func(c report.Check) bool {
		return c.Status == report.StatusSkip && c.Address == "" && len(c.Detail) == 0 && c.DurationMs == 0
	}
	return skip(a) && skip(b) && a.Summary == b.Summary && a.Stage != b.Stage
}

// stageSpan names the stages of a run of skipped checks: "selection,
// ping" for two, "tls to ping" for more.
func stageSpan(cs []report.Check) string {
	first, last := clean(string(cs[0].Stage)), clean(string(cs[len(cs)-1].Stage))
	if len(cs) == 2 {
		return first + ", " + last
	}
	return first + " to " + last
}

func stageIndex(s report.Stage) int {
	if i := slices.Index(report.Stages, s); i >= 0 {
		return i
	}
	return len(report.Stages)
}

// --- servers ------------------------------------------------------------

// servers writes a table of every member seen, leaving out columns that
// say nothing here (no set name anywhere, one server's latency window).
func (t *textWriter) servers(ss []report.Server) {
	if len(ss) == 0 {
		return
	}
	t.section("servers")
	window := len(ss) > 1
	head := []string{"ADDRESS", "KIND", "SET", "VERSION", "WIRE", "RTT", "REACHABLE"}
	if window {
		head = append(head, "WINDOW")
	}
	head = append(head, "NOTES")
	var hasSet, hasNotes bool
	rows := [][]cell{nil}
	for _, s := range ss {
		notes := serverNotes(s)
		hasSet = hasSet || s.SetName != ""
		hasNotes = hasNotes || notes != ""
		wire, rtt, win := "–", "–", "–"
		if s.Reachable || s.MaxWireVersion > 0 {
			wire = fmt.Sprintf("%d-%d", s.MinWireVersion, s.MaxWireVersion)
		}
		if s.Reachable {
			rtt = millis(s.RTTMs)
			win = yesNo(s.InLatencyWindow)
		}
		version := clean(s.Version)
		if version == "" {
			version = "–"
		}
		reach := cell{s: yesNo(s.Reachable), c: t.p.pass}
		if !s.Reachable {
			reach.c = t.p.fail
		}
		row := []cell{
			{s: clean(s.Address)},
			{s: clean(cmp.Or(s.Kind, "Unknown"))},
			{s: clean(s.SetName)},
			{s: version},
			{s: wire},
			{s: rtt, right: true},
			reach,
		}
		if window {
			row = append(row, cell{s: win})
		}
		row = append(row, cell{s: notes, c: t.p.dim})
		rows = append(rows, row)
	}
	for _, h := range head {
		c := cell{s: h, c: t.p.dim}
		if (h == "SET" && !hasSet) || (h == "NOTES" && !hasNotes) {
			c.s = ""
		}
		rows[0] = append(rows[0], c)
	}
	t.table("  ", rows)
}

func serverNotes(s report.Server) string {
	var n []string
	if s.Me != "" && !strings.EqualFold(s.Me, s.Address) {
		n = append(n, "calls itself "+s.Me)
	}
	if s.Primary != "" && s.Kind != "RSPrimary" {
		n = append(n, "primary "+s.Primary)
	}
	if s.Hidden {
		n = append(n, "hidden")
	}
	if s.Passive {
		n = append(n, "passive")
	}
	if s.ArbiterOnly {
		n = append(n, "arbiter")
	}
	if s.LegacyHello {
		n = append(n, "legacy isMaster")
	}
	if s.ServiceID != "" {
		n = append(n, "service "+s.ServiceID)
	}
	if len(s.Tags) > 0 {
		var kv []string
		for k, v := range s.Tags {
			kv = append(kv, k+"="+v)
		}
		slices.Sort(kv)
		n = append(n, "tags "+strings.Join(kv, ","))
	}
	if s.Error != "" {
		n = append(n, s.Error)
	}
	return clean(strings.Join(n, "; "))
}

// --- srv ----------------------------------------------------------------

func (t *textWriter) srv(s *report.SRVInfo) {
	if s == nil {
		return
	}
	via := ""
	if s.Server != "" {
		via = " " + paint(t.p.dim, "(via "+clean(s.Server)+")")
	}
	t.b.WriteByte('\n')
	t.line(paint(t.p.bold, "srv"), " ", clean(s.Name), via)
	if len(s.Records) == 0 {
		t.field("records:", "none")
	} else {
		rows := [][]cell{{
			{s: "PRIORITY", c: t.p.dim}, {s: "WEIGHT", c: t.p.dim}, {s: "PORT", c: t.p.dim},
			{s: "TARGET", c: t.p.dim}, {s: "TTL", c: t.p.dim},
		}}
		for _, r := range s.Records {
			rows = append(rows, []cell{
				{s: strconv.Itoa(int(r.Priority)), right: true, min: len("PRIORITY")},
				{s: strconv.Itoa(int(r.Weight)), right: true, min: len("WEIGHT")},
				{s: strconv.Itoa(int(r.Port)), right: true, min: len("PORT")},
				{s: clean(r.Target)},
				{s: strconv.FormatUint(uint64(r.TTLSeconds), 10) + "s", right: true, min: len("TTL")},
			})
		}
		t.table("  ", rows)
	}
	if len(s.TXT) == 0 {
		t.field("txt:", "none")
	}
	for i, x := range s.TXT {
		t.field(first(i, "txt:"), clean(x))
	}
	if len(s.Seeds) == 0 {
		t.field("seeds:", "none")
	} else {
		t.paragraph("  ", "seeds:", strings.Join(s.Seeds, ", "))
	}
	if len(s.Options) > 0 {
		keys := make([]string, 0, len(s.Options))
		for k := range s.Options {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		kv := make([]string, len(keys))
		for i, k := range keys {
			kv[i] = k + "=" + s.Options[k]
		}
		t.paragraph("  ", "options:", strings.Join(kv, " "))
	}
	if s.URI != "" {
		t.field("uri:", paint(t.p.uri, clean(redact.Redact(s.URI))))
	}
}

// --- findings -----------------------------------------------------------

// labelWidth is the width of the longest label ("evidence:") plus a space.
const labelWidth = len("evidence:") + 1

// field writes "label value" indented under a heading.
func (t *textWriter) field(label, value string) {
	t.line("  ", paint(t.p.label, label), strings.Repeat(" ", labelWidth-width(label)), value)
}

// paragraph writes text wrapped at wrapWidth, label on the first line.
func (t *textWriter) paragraph(indent, label, text string) {
	pad := strings.Repeat(" ", labelWidth-width(label))
	lines := wrap(clean(text), wrapWidth-width(indent)-labelWidth)
	for i, l := range lines {
		if i == 0 {
			t.line(indent, paint(t.p.label, label), pad, l)
		} else {
			t.line(indent, strings.Repeat(" ", labelWidth), l)
		}
	}
}

func (t *textWriter) severity(s report.Severity) (string, *color.Color) {
	switch s {
	case report.SeverityError:
		return "✗", t.p.fail
	case report.SeverityWarning:
		return "!", t.p.warn
	case report.SeverityInfo:
		return "i", t.p.info
	}
	return "?", nil
}

func severityRank(s report.Severity) int {
	switch s {
	case report.SeverityError:
		return 0
	case report.SeverityWarning:
		return 1
	}
	return 2
}

// findings writes errors first, then warnings, then the rest, each with
// its cause, evidence, fixes, suggested URI and documentation.
func (t *textWriter) findings(fs []report.Finding) {
	sorted := slices.Clone(fs)
	slices.SortStableFunc(sorted, func(a, b report.Finding) int {
		return cmp.Compare(severityRank(a.Severity), severityRank(b.Severity))
	})
	const indent = "    "
	for i, f := range sorted {
		mark, c := t.severity(f.Severity)
		sev := clean(string(f.Severity))
		if i == 0 {
			t.section("findings")
		} else {
			t.b.WriteByte('\n')
		}
		t.line("  ", paint(c, mark+" "+sev), "  ", paint(t.p.bold, clean(f.Title)), "  ", paint(t.p.dim, "["+clean(f.ID)+"]"))
		if f.Cause != "" {
			t.paragraph(indent, "cause:", f.Cause)
		}
		for i, e := range f.Evidence {
			t.line(indent, paint(t.p.label, first(i, "evidence:")), strings.Repeat(" ", labelWidth-width(first(i, "evidence:"))), clean(e))
		}
		for _, x := range f.Fixes {
			t.paragraph(indent, "fix:", x)
		}
		if f.SuggestedURI != "" {
			t.line(indent, paint(t.p.label, "try:"), strings.Repeat(" ", labelWidth-len("try:")), paint(t.p.uri, clean(redact.Redact(f.SuggestedURI))))
		}
		for i, d := range f.Docs {
			l := first(i, "docs:")
			t.line(indent, paint(t.p.label, l), strings.Repeat(" ", labelWidth-width(l)), clean(d))
		}
	}
}

// first returns label for the first item of a list and nothing after, so
// that the label heads the list once.
func first(i int, label string) string {
	if i == 0 {
		return label
	}
	return ""
}

// --- formatting helpers -------------------------------------------------

// millis formats a duration in milliseconds for a person: 0.3 ms, 412.3 ms,
// 1.25 s, 75 s.
func millis(ms float64) string {
	switch {
	case math.IsNaN(ms) || math.IsInf(ms, 0) || ms < 0:
		return "–"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	case ms < 60000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(ms/1000, 'f', 0, 64) + " s"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
