package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mattn/go-isatty"
)

// Exit statuses of the demo.
const (
	exitOK          = 0
	exitUnexpected  = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// argsEnv is the environment variable holding mongoconn global flags when
// none are given on the command line: `make demo ARGS="-o json"` exports
// it to the recipe.
const argsEnv = "ARGS"

// options are the demo's parsed command line.
type options struct {
	// scenarios are the names to run, in the demo's order; all when empty.
	scenarios []string
	// list prints the scenario names and exits.
	list bool
	// binary is a mongoconn binary to use instead of building one.
	binary string
	// globals are mongoconn global flags added to every run.
	globals []string
	// markdown writes docs/demo.md: the same output in Markdown sections.
	markdown bool
}

// usageError is a mistake in how the demo was invoked.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// splitArgs separates the demo's own flags (and their values) from the
// rest, which are mongoconn global flags; everything after "--" is
// mongoconn's.
func splitArgs(args []string) (own, mongoconn []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, append(mongoconn, args[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") {
			mongoconn = append(mongoconn, a)
			continue
		}
		name, _, inline := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		switch name {
		case "scenario", "mongoconn":
			own = append(own, a)
			if !inline && i+1 < len(args) {
				i++
				own = append(own, args[i])
			}
		case "list", "markdown", "h", "help":
			own = append(own, a)
		default:
			mongoconn = append(mongoconn, a)
		}
	}
	return own, mongoconn
}

// parseOptions reads the demo's flags; the other arguments (or, when there
// are none, the words of $ARGS) are mongoconn global flags.
func parseOptions(args []string, getenv func(string) string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var names string
	fs.StringVar(&names, "scenario", "", "run only these scenarios (comma-separated names; see -list)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.StringVar(&o.binary, "mongoconn", "", "use this mongoconn binary instead of building one")
	fs.BoolVar(&o.markdown, "markdown", false, "write the text reports as Markdown, without colour (docs/demo.md)")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "usage: go run ./internal/demo [-scenario NAME[,NAME...]] [-list] [-markdown] [-mongoconn PATH] [MONGOCONN GLOBAL FLAGS]\n"+
			"       make demo [ARGS=\"MONGOCONN GLOBAL FLAGS\"]\n\nscenarios: %s\n\n", strings.Join(scenarioNames(), ", "))
		fs.PrintDefaults()
	}
	own, globals := splitArgs(args)
	if err := fs.Parse(own); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, &usageError{msg: err.Error()}
	}
	o.globals = append(fs.Args(), globals...)
	if len(o.globals) == 0 {
		o.globals = strings.Fields(getenv(argsEnv))
	}
	for i, g := range o.globals {
		if !strings.HasPrefix(g, "-") && (i == 0 || !takesValue(o.globals[i-1])) {
			return o, &usageError{msg: fmt.Sprintf("%q is not a mongoconn global flag: the demo chooses the command and the connection string of each scenario", g)}
		}
	}
	if o.markdown && wantsJSON(o.globals) {
		return o, &usageError{msg: "-markdown shows the text reports: leave out -o json"}
	}
	if names != "" {
		known := scenarioNames()
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(known, n) {
				return o, &usageError{msg: fmt.Sprintf("no scenario %q; the scenarios are %s", n, strings.Join(known, ", "))}
			}
			if !slices.Contains(o.scenarios, n) {
				o.scenarios = append(o.scenarios, n)
			}
		}
	}
	return o, nil
}

// takesValue reports whether flag is a mongoconn global flag followed by
// a separate value (as "json" follows "-o").
func takesValue(flag string) bool {
	switch flag {
	case "-o", "--output", "--timeout", "--dns-server", "--server-api":
		return true
	}
	return false
}

// wantsJSON reports whether the mongoconn global flags ask for JSON output
// (the last -o/--output wins, as in mongoconn).
func wantsJSON(globals []string) bool {
	format := "text"
	for i, g := range globals {
		switch {
		case (g == "-o" || g == "--output") && i+1 < len(globals):
			format = globals[i+1]
		case strings.HasPrefix(g, "--output="):
			format = strings.TrimPrefix(g, "--output=")
		case strings.HasPrefix(g, "-o="):
			format = strings.TrimPrefix(g, "-o=")
		case strings.HasPrefix(g, "-o") && len(g) > 2:
			format = strings.TrimPrefix(g, "-o")
		}
	}
	return strings.EqualFold(format, "json")
}

// run is the whole demo; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "demo: error: %v\n", err)
		return exitUsage
	}
	selected := selectScenarios(o.scenarios)
	if o.list {
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

	bin := o.binary
	if bin == "" {
		fmt.Fprintln(stderr, "demo: building mongoconn ...")
		if bin, err = buildMongoconn(ctx, dir, stderr); err != nil {
			return failed(ctx, stderr, err)
		}
	}
	d := &demo{
		bin:     bin,
		dir:     dir,
		globals: o.globals,
		out:     stdout,
		errOut:  stderr,
		notes:   stdout,
	}
	if wantsJSON(o.globals) {
		d.notes = stderr
	}
	d.color = isTerminal(d.notes) && getenv("NO_COLOR") == ""
	if o.markdown {
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
