package cmd

import (
	"context"
	"errors"
	"os"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/report"
)

// textOptions derives the text renderer's options from the global flags
// and the terminal: colour only on a terminal, without NO_COLOR or
// --no-color.
func (f *Factory) textOptions() render.TextOptions {
	g := f.Global
	_, noColorEnv := lookupEnv(f.Getenv, "NO_COLOR")
	return render.TextOptions{
		Color:   f.IO.IsStdoutTTY() && !g.NoColor && !noColorEnv,
		Quiet:   g.Quiet,
		Verbose: g.Verbose,
	}
}

func lookupEnv(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// printReport writes r in the chosen format and turns its outcome into the
// error exitCode understands.
func (f *Factory) printReport(ctx context.Context, r *report.Report) error {
	if ctx.Err() != nil { // the command's context ends only on a signal
		diagnose.MarkInterrupted(r)
	}
	var err error
	switch f.Global.Output {
	case "json":
		err = render.JSON(f.IO.Out, r)
	case "junit":
		err = render.JUnit(f.IO.Out, r.Command, []render.JUnitCase{{Report: r}})
	default:
		err = render.Text(f.IO.Out, r, f.textOptions())
	}
	if err != nil {
		return err
	}
	if r.Interrupted {
		return &InterruptedError{Signal: os.Interrupt}
	}
	if !r.OK {
		return &ProblemError{Report: r}
	}
	return nil
}

// parseTarget parses the connection string. When it cannot be parsed and
// JSON was asked for, stdout still gets a report carrying uri.invalid
// (DESIGN.md §3); the returned error makes the exit code 2.
func (f *Factory) parseTarget(command, raw string) (*connstr.Target, error) {
	t, err := connstr.ParseTarget(raw)
	if err == nil {
		return t, nil
	}
	var uerr *connstr.URIError
	if errors.As(err, &uerr) && (f.Global.Output == "json" || f.Global.Output == "junit") {
		r := report.NewReport(command, uerr.Excerpt())
		for _, fd := range uerr.Findings() {
			r.AddFinding(fd)
		}
		r.Checks = append(r.Checks, report.Check{Stage: report.StageURI, Status: report.StatusFail, Summary: uerr.Msg})
		r.Verdict = "the connection string cannot be parsed: " + uerr.Msg
		if f.Global.Output == "junit" {
			_ = render.JUnit(f.IO.Out, command, []render.JUnitCase{{Report: r}})
		} else {
			_ = render.JSON(f.IO.Out, r)
		}
	}
	return nil, err
}
