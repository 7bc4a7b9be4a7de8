package explain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// Bounds of ReadLog. Memory is bounded by the longest line, and that is
// bounded too: a log can hold anything.
const (
	// MaxLogLine is the longest line ReadLog keeps: a driver error with a
	// topology description of dozens of members fits many times over; the
	// rest of a longer line is skipped and counted.
	MaxLogLine = 256 << 10

	// MaxLogEntry is the most text of one entry (a line and the lines of
	// its trace) given to Explain: a Java trace of a few hundred frames
	// fits; further lines of the entry are counted, not read.
	MaxLogEntry = 256 << 10

	// logCacheBytes bounds the entries remembered with what Explain said
	// of them: logs repeat the same error thousands of times, and a
	// repeated entry is not explained again.
	logCacheBytes = 4 << 20

	// logExampleLen is the longest example kept for an id.
	logExampleLen = 300

	// logCheckEvery is how many lines pass between two looks at the
	// context, so that an interrupt stops a long read at once.
	logCheckEvery = 4096
)

// LogSeen is where an id was seen: the line of the entry and its time,
// when the entry starts with one.
type LogSeen struct {
	Line int
	// Time is the entry's timestamp, nil when its first line has none.
	Time *LogTime
}

// LogFinding is one catalogue id seen in a log.
type LogFinding struct {
	ID       string
	Severity report.Severity
	Title    string
	// Count is the number of entries in which the id was recognised.
	Count int
	First LogSeen
	Last  LogSeen
	// Example is the text that showed the id the first time, redacted.
	Example string
}

// LogSummary is what ReadLog found in a whole log.
type LogSummary struct {
	// Lines and Entries count what was read: an entry is a line and the
	// lines that continue it (stack traces, tracebacks, error objects).
	Lines, Entries int
	// Matched counts the entries in which at least one id was recognised.
	Matched int
	// Findings are the ids seen, in the order they first appeared.
	Findings []LogFinding
	// CutLines counts the lines longer than MaxLogLine, cut to it;
	// FirstCut is the first of them.
	CutLines, FirstCut int
	// CutEntries counts the entries longer than MaxLogEntry, cut to it.
	CutEntries int
	// URI is the first connection string seen in a recognised entry,
	// redacted, and Next the command to run next.
	URI, Next string
}

// HasErrors reports whether an id of error severity was seen.
func (s *LogSummary) HasErrors() bool {
	for _, f := range s.Findings {
		if f.Severity == report.SeverityError {
			return true
		}
	}
	return false
}

// ReadLog streams a whole application log from r: it joins each line with
// the lines that continue it (Java stack traces and "Caused by:", Python
// tracebacks and their final exception line, Node.js stack frames and
// error objects printed over several lines), explains every entry that
// may hold a driver error, and sums up each id with its count, the first
// and last time it was seen and one redacted example. Memory stays bounded
// by MaxLogLine and MaxLogEntry whatever the log's size. It returns early
// with ctx's error when ctx ends, and with the read error when r fails.
func ReadLog(ctx context.Context, r io.Reader) (*LogSummary, error) {
	lr := &logReader{
		br:    bufio.NewReaderSize(r, MaxLogLine),
		sum:   &LogSummary{},
		index: map[string]int{},
		cache: map[string][]logHit{},
	}
	err := lr.run(ctx)
	return lr.sum, err
}

// logHit is what Explain said of an entry, for one id.
type logHit struct {
	id      string
	sev     report.Severity
	title   string
	example string
}

// logReader is the state of one ReadLog.
type logReader struct {
	br  *bufio.Reader
	sum *LogSummary

	entry      []byte // the entry being gathered
	entryLine  int    // its first line
	entryCut   bool   // lines of it were left out
	traceback  bool   // it holds a Python traceback not yet ended
	lastIndent bool   // its last line was indented
	// gated is set when a line of the entry holds a literal of a rule;
	// key gathers those lines and the lines that name MongoDB (without
	// the entry's timestamp): what Explain reads in the entry, and so
	// what its cached explanation is found by.
	gated bool
	key   []byte

	index      map[string]int // id -> index in sum.Findings
	cache      map[string][]logHit
	cacheBytes int
}

func (lr *logReader) run(ctx context.Context) error {
	for {
		line, err := lr.readLine()
		if len(line) > 0 || err == nil {
			lr.sum.Lines++
			lr.add(line)
			if lr.sum.Lines%logCheckEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if err != nil {
			lr.flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// readLine returns the next line without its end, cut to MaxLogLine (the
// rest of a longer line is read and dropped). The slice is valid until
// the next call.
func (lr *logReader) readLine() ([]byte, error) {
	line, err := lr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Keep the first MaxLogLine bytes, skip to the end of the line.
		kept := bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = lr.br.ReadSlice('\n')
		}
		lr.sum.CutLines++
		if lr.sum.FirstCut == 0 {
			lr.sum.FirstCut = lr.sum.Lines + 1
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return kept, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, err
}

// add puts a line into the current entry, or starts a new entry with it.
func (lr *logReader) add(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		// A blank line ends nothing by itself: Python chains tracebacks
		// with blank lines between them, Node.js prints one before an
		// error. The next line decides.
		return
	}
	if len(lr.entry) == 0 || !lr.continues(line) {
		lr.flush()
		lr.entryLine = lr.sum.Lines
	}
	indented := line[0] == ' ' || line[0] == '\t'
	switch {
	case bytes.HasPrefix(line, pyTraceback):
		lr.traceback = true
	case lr.traceback && !indented && lr.lastIndent:
		lr.traceback = false // the exception line ends the traceback
	}
	lr.lastIndent = indented
	if len(lr.entry)+len(line)+1 > MaxLogEntry {
		lr.entryCut = true
		return
	}
	first := len(lr.entry) == 0
	if !first {
		lr.entry = append(lr.entry, '\n')
	}
	lr.entry = append(lr.entry, line...)
	pass := exGateComplete() && exLogGate().match(line)
	if !exGateComplete() {
		pass = true
	}
	lr.gated = lr.gated || pass
	if pass || bytes.Contains(line, mongoWord) || bytes.Contains(line, mongoWordTitle) {
		if first {
			if _, n, ok := parseLogTime(line); ok {
				line = line[n:]
			}
		}
		lr.key = append(appendMasked(lr.key, line), '\n')
	}
}

// appendMasked appends line to key with the numbers that only tell one
// occurrence of an error from the next masked: request and batch numbers,
// process ids, durations (runs of four or more digits after a space, '-',
// '#', '=', '(' or '_'). Numbers that can change what Explain says are
// kept: error and exit codes (after "Error ", "Errno ", "code "), versions
// and lengths, and the parts of addresses, ports and times (next to '.'
// or ':').
func appendMasked(key, line []byte) []byte {
	for i := 0; i < len(line); {
		c := line[i]
		if !exIsDigit(c) || (i > 0 && !maskAfter(line[i-1])) || keepNumber(line[:i]) {
			key = append(key, c)
			i++
			continue
		}
		j := i
		for j < len(line) && exIsDigit(line[j]) {
			j++
		}
		if j-i < 4 || j < len(line) && (line[j] == '.' || line[j] == ':' || exIsAlnum(line[j])) {
			key = append(key, line[i:j]...)
		} else {
			key = append(key, '#')
		}
		i = j
	}
	return key
}

func maskAfter(c byte) bool {
	return c == ' ' || c == '-' || c == '#' || c == '=' || c == '(' || c == '_'
}

// keepNumber reports whether the number after before is a code, a
// version or a length, which rules read.
func keepNumber(before []byte) bool {
	for _, w := range numberWords {
		if len(before) >= len(w) && bytes.EqualFold(before[len(before)-len(w):], w) {
			return true
		}
	}
	return false
}

var numberWords = [][]byte{[]byte("error "), []byte("errno "), []byte("code "), []byte("code: "), []byte("code="), []byte("version "), []byte("length "), []byte("length: "), []byte("id "), []byte("id: ")}

// mongoWord marks a line that may matter to an explanation although no
// rule's literal is in it: it names a connection string, a driver
// package or a Mongo* error class.
var (
	mongoWord      = []byte("mongo")
	mongoWordTitle = []byte("Mongo")
)

var (
	pyTraceback = []byte("Traceback (most recent call last):")
	pyChained   = [][]byte{
		[]byte("During handling of the above exception, another exception occurred:"),
		[]byte("The above exception was the direct cause of the following exception:"),
	}
	javaCausedBy = [][]byte{[]byte("Caused by: "), []byte("Suppressed: ")}
)

// continues reports whether line belongs to the current entry: an
// indented line (a stack frame, a traceback frame, a property of an error
// object), the close of an object, Java's "Caused by:", the lines that
// start and chain Python tracebacks, the exception line that ends one, and
// a Java exception class line after its log line.
func (lr *logReader) continues(line []byte) bool {
	switch line[0] {
	case ' ', '\t', '}', ']', ')':
		return true
	}
	if bytes.HasPrefix(line, pyTraceback) {
		return true
	}
	for _, p := range pyChained {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	for _, p := range javaCausedBy {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	if lr.traceback && lr.lastIndent {
		return exceptionLine(line)
	}
	return javaExceptionLine(line)
}

// exceptionLine reports whether line reads "Name: message" or
// "package.Name: message" (or the name alone): how Python ends a
// traceback.
func exceptionLine(line []byte) bool {
	i := 0
	for i < len(line) && (exIsAlnum(line[i]) || line[i] == '_' || line[i] == '.' || line[i] == '$') {
		i++
	}
	return i > 0 && (i == len(line) || line[i] == ':')
}

// javaExceptionLine reports whether line starts with a qualified Java
// class name ending in Exception or Error (com.mongodb.MongoTimeoutException:
// ...), which a Java logger prints on the line after its message.
func javaExceptionLine(line []byte) bool {
	if len(line) == 0 || line[0] < 'a' || line[0] > 'z' {
		return false
	}
	i, dots := 0, 0
	for i < len(line) && (exIsAlnum(line[i]) || line[i] == '_' || line[i] == '.' || line[i] == '$') {
		if line[i] == '.' {
			dots++
		}
		i++
	}
	name := line[:i]
	return dots > 0 && (i == len(line) || line[i] == ':') &&
		(bytes.HasSuffix(name, []byte("Exception")) || bytes.HasSuffix(name, []byte("Error")))
}

// flush explains the entry gathered so far and starts an empty one.
func (lr *logReader) flush() {
	if len(lr.entry) == 0 && !lr.entryCut {
		return
	}
	lr.sum.Entries++
	if lr.entryCut {
		lr.sum.CutEntries++
	}
	lr.explainEntry(lr.entry, lr.entryLine)
	lr.entry = lr.entry[:0]
	lr.key = lr.key[:0]
	lr.gated = false
	lr.entryCut = false
	lr.traceback = false
	lr.lastIndent = false
	if cap(lr.entry) > 4*MaxLogEntry {
		lr.entry, lr.key = nil, nil
	}
}

// explainEntry runs Explain on an entry that may hold a driver error and
// adds what it recognised to the summary. An entry whose lines that
// matter (key) were explained before is not explained again: a log
// repeats its errors with other times, thread names and request ids.
func (lr *logReader) explainEntry(entry []byte, line int) {
	if !lr.gated {
		return
	}
	firstLine := entry
	if i := bytes.IndexByte(entry, '\n'); i >= 0 {
		firstLine = entry[:i]
	}
	seen := LogSeen{Line: line}
	if t, _, ok := parseLogTime(firstLine); ok {
		seen.Time = &t
	}
	body := lr.key
	hits, ok := lr.cache[string(body)]
	if !ok {
		x := Explain(string(entry))
		hits = logHits(&x, entry)
		if lr.sum.URI == "" && x.URI != "" && len(hits) > 0 {
			lr.sum.URI, lr.sum.Next = x.URI, x.Next
		}
		if lr.cacheBytes+len(body) > logCacheBytes {
			clear(lr.cache)
			lr.cacheBytes = 0
		}
		lr.cache[string(body)] = hits
		lr.cacheBytes += len(body)
	}
	if len(hits) == 0 {
		return
	}
	lr.sum.Matched++
	for _, h := range hits {
		i, ok := lr.index[h.id]
		if !ok {
			i = len(lr.sum.Findings)
			lr.index[h.id] = i
			lr.sum.Findings = append(lr.sum.Findings, LogFinding{ID: h.id, Severity: h.sev, Title: h.title, First: seen, Example: h.example})
		}
		f := &lr.sum.Findings[i]
		f.Count++
		f.Last = seen
		if f.Severity != report.SeverityError && h.sev == report.SeverityError {
			f.Severity = h.sev
		}
	}
}

// logHits keeps, of an explanation, each id with its severity, title and
// an example: the excerpt that matched, else the entry's first line.
func logHits(x *Explanation, entry []byte) []logHit {
	var out []logHit
	for _, f := range x.Findings {
		ex := ""
		for _, e := range f.Evidence {
			if s, ok := strings.CutPrefix(e, "seen: "); ok {
				ex = s
				break
			}
		}
		if ex == "" {
			first := entry
			if i := bytes.IndexByte(entry, '\n'); i >= 0 {
				first = entry[:i]
			}
			ex = strings.Join(strings.Fields(string(first)), " ")
		}
		ex = exEscapeControls(redact.RedactText(strings.ToValidUTF8(ex, "\uFFFD")))
		if len(ex) > logExampleLen {
			ex = ex[:exRuneStart(ex, logExampleLen)] + "…"
		}
		out = append(out, logHit{id: f.ID, sev: f.Severity, title: f.Title, example: ex})
	}
	return out
}

// LogNext is the command to run when a log names no connection string.
const LogNext = "mongoconn diagnose '<URI>'"

// exEscapeControls writes the control characters of s (a log can hold
// terminal escapes) as \xNN, so that printing an example cannot drive the
// terminal.
func exEscapeControls(s string) string {
	if !strings.ContainsFunc(s, exIsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if exIsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func exIsControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }
