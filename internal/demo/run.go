package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/mongoconn/mongoconn/internal/demo/cmdline"
)

// Exit statuses of the demo.
const (
	exitOK          = 0
	exitUnexpected  = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// run is the whole demo; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := cmdline.Parse(args, scenarioNames(), getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "demo: error: %v\n", err)
		return exitUsage
	}
	selected := selectScenarios(o.Scenarios)
	if o.List {
		for _, sc := range selected {
			fmt.Fprintf(stdout, "%-15s %s\n", sc.name, sc.title)
		}
		return exitOK
	}

	dir, err := os.MkdirTemp("", "mongoconn-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "demo: error: %v\n", err)
		return exitUnexpected
	}
	defer os.RemoveAll(dir)

	bin := o.Binary
	if bin == "" {
		fmt.Fprintln(stderr, "demo: building mongoconn ...")
		if bin, err = buildMongoconn(ctx, dir, stderr); err != nil {
			return failed(ctx, stderr, err)
		}
	}
	d := &demo{
		bin:     bin,
		dir:     dir,
		globals: o.Globals,
		out:     stdout,
		errOut:  stderr,
		notes:   stdout,
	}
	if cmdline.WantsJSON(o.Globals) {
		d.notes = stderr
	}
	d.color = isTerminal(d.notes) && getenv("NO_COLOR") == ""
	if o.Markdown {
		d.markdown = true
		d.color = false
		d.env = []string{"NO_COLOR=1"}
		fmt.Fprint(stdout, markdownIntro)
	}
	results := make([]result, 0, len(selected))
	for i, sc := range selected {
		if ctx.Err() != nil {
			break
		}
		results = append(results, d.runScenario(ctx, sc, i+1, len(selected)))
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "demo: interrupted; every server was stopped")
		return exitInterrupted
	}
	return d.summary(results)
}

// failed reports an error that stopped the demo.
func failed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "demo: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "demo: error: %v\n", err)
	return exitUnexpected
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
