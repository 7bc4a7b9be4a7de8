package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// DefaultConcurrency bounds how many targets are checked at once: enough
// to finish a fleet in about the time of its slowest member, few enough
// that file descriptors and memory stay small.
const DefaultConcurrency = 16

// maxTargetsFileSize bounds a --targets file: a million bytes is some ten
// thousand connection strings, far more than anyone checks at once.
const maxTargetsFileSize = 1 << 20

// TargetsOptions are the flags of commands that check several targets.
type TargetsOptions struct {
	File        string
	Concurrency int
}

func (o *TargetsOptions) addFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.File, "targets", "", "read connection strings from `FILE`, one per line (# comments; - for stdin)")
	c.Flags().IntVar(&o.Concurrency, "concurrency", DefaultConcurrency, "how many targets to check at once (fewer when the open-file limit is low)")
}

// TargetArgs are the connection strings a command checks: its arguments
// and --targets FILE, else $MONGODB_URI, else the default target.
type TargetArgs struct {
	ctx     context.Context
	URIs    []string
	Targets TargetsOptions
}

// bind gives c the --targets flags and a RunE that fills a, then calls
// run.
func (a *TargetArgs) bind(f *Factory, c *cobra.Command, run func() error) {
	a.Targets.addFlags(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		a.ctx = c.Context()
		uris, err := f.targetURIs(args, &a.Targets)
		if err != nil {
			return err
		}
		a.URIs = uris
		return run()
	}
}

// manyTargetsHelp ends the help of every command that takes several
// targets.
const manyTargetsHelp = `

Several connection strings (arguments or --targets FILE) are checked concurrently,
bounded by --concurrency, one report each (JSON Lines with -o json); the exit code
is the worst of all.`

// ManyError carries the exit code of a run over several targets: the worst
// of all, each report already printed.
type ManyError struct{ Code int }

func (e *ManyError) Error() string { return fmt.Sprintf("several targets: exit %d", e.Code) }

// targetURIs lists the connection strings to check: the arguments, then
// the --targets file; with neither, the default target.
func (f *Factory) targetURIs(args []string, o *TargetsOptions) ([]string, error) {
	if o.Concurrency < 1 {
		return nil, &UsageError{Msg: fmt.Sprintf("--concurrency %d must be at least 1", o.Concurrency)}
	}
	uris := append([]string(nil), args...)
	if o.File != "" {
		more, err := f.readTargets(o.File)
		if err != nil {
			return nil, err
		}
		if len(more) == 0 {
			return nil, &UsageError{Msg: fmt.Sprintf("--targets %s holds no connection string", echo(o.File)), Hint: "one URI per line; lines starting with # are comments"}
		}
		uris = append(uris, more...)
	}
	if len(uris) == 0 {
		uris = []string{f.targetURI(nil)}
	}
	return uris, nil
}

func (f *Factory) readTargets(path string) ([]string, error) {
	var r io.Reader
	if path == "-" {
		r = f.IO.In
	} else {
		file, err := os.Open(path)
		if err != nil {
			return nil, &UsageError{Msg: "--targets: " + echoWords(err.Error())}
		}
		defer file.Close()
		r = file
	}
	data, err := io.ReadAll(io.LimitReader(r, maxTargetsFileSize+1))
	if err != nil {
		return nil, &UsageError{Msg: "--targets: " + echoWords(err.Error())}
	}
	if len(data) > maxTargetsFileSize {
		return nil, &UsageError{Msg: fmt.Sprintf("--targets %s is larger than %d bytes", echo(path), maxTargetsFileSize)}
	}
	return parseTargets(data), nil
}

// utf8BOM is the byte order mark some Windows editors put at the start of
// a text file.
const utf8BOM = "\uFEFF"

// parseTargets reads a targets file: one connection string per line;
// blank lines and lines starting with # are skipped, and a # after white
// space starts a comment at the end of a line (a # inside a connection
// string, as in an unescaped password, is kept for the URI checks to
// name). A UTF-8 byte order mark and CRLF line ends are accepted.
func parseTargets(data []byte) []string {
	text := strings.TrimPrefix(string(data), utf8BOM)
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if i := commentStart(line); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// commentStart is the index of the # that starts a comment in line: at
// its start or after a space or tab; -1 when there is none.
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// checkFunc runs one command against one parsed target.
type checkFunc func(ctx context.Context, e *diagnose.Engine, t *connstr.Target) (*report.Report, error)

// runTargets checks every target with check. One target is the ordinary
// case: its report, its exit code. Several run concurrently (bounded by
// concurrency) and print one report each, in the order given (JSON Lines
// with -o json); the exit code is the worst of all.
func (f *Factory) runTargets(ctx context.Context, command string, uris []string, concurrency int, check checkFunc) error {
	e, err := f.newEngine()
	if err != nil {
		return err
	}
	if len(uris) == 1 {
		t, err := f.parseTarget(command, uris[0])
		if err != nil {
			return err
		}
		var r *report.Report
		err = f.watch(e, func() (err error) {
			r, err = check(ctx, e, t)
			return err
		})
		if err != nil {
			return err
		}
		return f.printReport(ctx, r)
	}

	type result struct {
		report *report.Report
		code   int
		errMsg string
		done   chan struct{}
	}
	results := make([]*result, len(uris))
	for i := range results {
		results[i] = &result{done: make(chan struct{})}
	}
	// Targets checked at once start their drivers late: each holds a
	// driver client for less time.
	e.LateDriver = concurrency > 1
	// Targets are admitted in order, each getting its goroutine once it
	// has a slot: a thousand targets waiting hold no stacks.
	slots := newTargetSlots(concurrency, f.openFiles(), f.SetMemoryLimit)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, uri := range uris {
			res := results[i]
			release, err := slots.acquire(ctx, uri)
			if err != nil {
				close(res.done)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(res.done)
				defer release()
				res.report, res.code, res.errMsg = f.checkOne(ctx, e, command, uri, check)
			}()
		}
	}()
	worst := ExitOK
	opts := f.textOptions()
	if opts.Quiet {
		opts.NameTarget, opts.TargetWidth = true, targetWidth(uris)
	}
	var cases []render.JUnitCase
	for i, res := range results {
		<-res.done
		if res.errMsg != "" {
			fmt.Fprintf(f.IO.ErrOut, "mongoconn: error: target %d: %s\n", i+1, messageLine(res.errMsg))
		}
		switch {
		case f.Global.Output == "junit":
			if res.report != nil || res.errMsg != "" {
				cases = append(cases, render.JUnitCase{Report: res.report, Target: uris[i], Error: res.errMsg})
			}
		case res.report == nil:
		case f.Global.Output == "json":
			_ = render.JSONLines(f.IO.Out, res.report)
		default:
			if i > 0 && !opts.Quiet {
				fmt.Fprintln(f.IO.Out)
			}
			_ = render.Text(f.IO.Out, res.report, opts)
		}
		worst = worseExit(worst, res.code)
	}
	if f.Global.Output == "junit" {
		if err := render.JUnit(f.IO.Out, command, cases); err != nil {
			return err
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return &InterruptedError{Signal: os.Interrupt}
	}
	if worst == ExitOK {
		return nil
	}
	return &ManyError{Code: worst}
}

// checkOne runs check on one target of many and says how it ended.
func (f *Factory) checkOne(ctx context.Context, e *diagnose.Engine, command, uri string, check checkFunc) (*report.Report, int, string) {
	t, err := connstr.ParseTarget(uri)
	if err != nil {
		var uerr *connstr.URIError
		if errors.As(err, &uerr) {
			r := report.NewReport(command, uerr.Excerpt())
			for _, fd := range uerr.Findings() {
				r.AddFinding(fd)
			}
			r.Checks = append(r.Checks, report.Check{Stage: report.StageURI, Status: report.StatusFail, Summary: uerr.Msg})
			r.Verdict = "the connection string cannot be parsed: " + uerr.Msg
			return r, ExitUsage, uerr.Error()
		}
		return nil, ExitUsage, err.Error()
	}
	r, err := check(ctx, e, t)
	if err != nil {
		return nil, ExitProblem, err.Error()
	}
	if ctx.Err() != nil {
		diagnose.MarkInterrupted(r)
	}
	if !r.OK {
		return r, ExitProblem, ""
	}
	return r, ExitOK, ""
}

// maxTargetColumn caps the column of target names in quiet output, so
// that one long connection string does not push every verdict off the
// screen.
const maxTargetColumn = 64

// targetWidth is the width of the target column of quiet output: the
// longest connection string, masked, up to maxTargetColumn.
func targetWidth(uris []string) int {
	w := 0
	for _, u := range uris {
		w = max(w, utf8.RuneCountInString(redact.Redact(u)))
	}
	return min(w, maxTargetColumn)
}

// worseExit orders exit codes: a usage error outranks a problem, which
// outranks success.
func worseExit(a, b int) int {
	rank := func(c int) int {
		switch c {
		case ExitOK:
			return 0
		case ExitProblem:
			return 1
		default:
			return 2
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// showProgress is true when check lines should appear as stages finish:
// text output to a terminal, not quiet.
func (f *Factory) showProgress() bool {
	return f.Global.Output == "text" && !f.Global.Quiet && f.IO.IsStdoutTTY() && f.IO.IsStderrTTY()
}
