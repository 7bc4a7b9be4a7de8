package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mongoconn/mongoconn/explain"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// explainLogRun reads a whole log (explain --log) and prints each id seen
// with its count, first and last time and an example. The exit status is
// 1 when an id of severity error was seen.
func explainLogRun(opts *ExplainOptions) error {
	f := opts.f
	var in io.Reader = f.IO.In
	name := "stdin"
	if opts.Log != "-" {
		file, err := os.Open(opts.Log)
		if err != nil {
			return &UsageError{Msg: "cannot read the log: " + err.Error(), Hint: "give a readable file to --log, or --log - to read stdin"}
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.IsDir() {
			return &UsageError{Msg: fmt.Sprintf("--log %s is a directory", opts.Log), Hint: "give one log file, or concatenate them: cat *.log | mongoconn explain --log -"}
		}
		in, name = file, opts.Log
	}
	sum, err := readLog(opts.ctx, in)
	if err != nil {
		var ierr *InterruptedError
		if errors.As(err, &ierr) {
			return err
		}
		return &UsageError{Msg: "cannot read the log: " + err.Error()}
	}
	if !f.Global.Quiet {
		if sum.CutLines > 0 {
			fmt.Fprintf(f.IO.ErrOut, "mongoconn: note: %d line(s) longer than %d KiB were cut to that length (the first is line %d)\n", sum.CutLines, explain.MaxLogLine>>10, sum.FirstCut)
		}
		if sum.CutEntries > 0 {
			fmt.Fprintf(f.IO.ErrOut, "mongoconn: note: %d log entr(ies) with traces longer than %d KiB were read up to that length\n", sum.CutEntries, explain.MaxLogEntry>>10)
		}
	}
	if f.Global.Output == "json" {
		if err := writeLogJSON(f.IO.Out, sum); err != nil {
			return err
		}
	} else {
		writeLogText(f.IO.Out, sum, name, f.Global.Quiet)
	}
	if sum.HasErrors() {
		return &recognizedError{msg: "the log shows driver errors"}
	}
	return nil
}

// readLog runs explain.ReadLog until it ends or a signal stops the wait
// for a log that never ends.
func readLog(ctx context.Context, r io.Reader) (*explain.LogSummary, error) {
	type result struct {
		sum *explain.LogSummary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := explain.ReadLog(ctx, r)
		done <- result{sum, err}
	}()
	select {
	case res := <-done:
		if res.err != nil && ctx.Err() != nil {
			return nil, &InterruptedError{Signal: os.Interrupt}
		}
		return res.sum, res.err
	case <-ctx.Done():
		return nil, &InterruptedError{Signal: os.Interrupt}
	}
}

// logSeenJSON is where an id was seen, in JSON.
type logSeenJSON struct {
	Line int    `json:"line"`
	Time string `json:"time,omitempty"`
}

// logFindingJSON is one line of explain --log -o json.
type logFindingJSON struct {
	ID       string          `json:"id"`
	Severity report.Severity `json:"severity"`
	Title    string          `json:"title"`
	Count    int             `json:"count"`
	First    logSeenJSON     `json:"first"`
	Last     logSeenJSON     `json:"last"`
	Example  string          `json:"example"`
}

func seenJSON(s explain.LogSeen) logSeenJSON {
	out := logSeenJSON{Line: s.Line}
	if s.Time != nil {
		out.Time = s.Time.String()
	}
	return out
}

// writeLogJSON prints one JSON object per id (JSON Lines).
func writeLogJSON(w io.Writer, sum *explain.LogSummary) error {
	enc := json.NewEncoder(render.JSONEscaper{W: w})
	for _, x := range sum.Findings {
		if err := enc.Encode(logFindingJSON{
			ID: x.ID, Severity: x.Severity, Title: x.Title, Count: x.Count,
			First: seenJSON(x.First), Last: seenJSON(x.Last), Example: redact.RedactText(x.Example),
		}); err != nil {
			return err
		}
	}
	return nil
}

// seenText says where an id was seen: its time and line, or its line.
func seenText(s explain.LogSeen) string {
	if s.Time != nil {
		return fmt.Sprintf("%s (line %d)", s.Time, s.Line)
	}
	return fmt.Sprintf("line %d", s.Line)
}

// writeLogText prints the verdict, then each id with its count, first and
// last time seen, title and example, then the command to run next.
func writeLogText(w io.Writer, sum *explain.LogSummary, name string, quiet bool) {
	var errs, others []string
	for _, x := range sum.Findings {
		if x.Severity == report.SeverityError {
			errs = append(errs, x.ID)
		} else {
			others = append(others, x.ID)
		}
	}
	scope := fmt.Sprintf("%d log entries (%d lines) of %s", sum.Entries, sum.Lines, name)
	switch {
	case len(errs) > 0:
		fmt.Fprintf(w, "FAIL %d entries show driver errors: %s\n", sum.Matched, strings.Join(errs, ", "))
	case len(others) > 0:
		fmt.Fprintf(w, "OK no driver error; %d entries show warnings: %s\n", sum.Matched, strings.Join(others, ", "))
	default:
		fmt.Fprintf(w, "OK no known driver failure\n")
	}
	if quiet {
		return
	}
	fmt.Fprintf(w, "     in %s\n", scope)
	if len(sum.Findings) == 0 {
		return
	}
	for _, x := range sum.Findings {
		times := "once"
		if x.Count > 1 {
			times = fmt.Sprintf("%d times", x.Count)
		}
		fmt.Fprintf(w, "\n%s  %s  %s\n", x.ID, x.Severity, times)
		fmt.Fprintf(w, "  %s\n", x.Title)
		fmt.Fprintf(w, "  first:   %s\n", seenText(x.First))
		if x.Count > 1 {
			fmt.Fprintf(w, "  last:    %s\n", seenText(x.Last))
		}
		fmt.Fprintf(w, "  example: %s\n", render.Line(redact.RedactText(x.Example)))
	}
	next := sum.Next
	if next == "" {
		next = explain.LogNext
	}
	fmt.Fprintf(w, "\nnext: %s\n", next)
}
