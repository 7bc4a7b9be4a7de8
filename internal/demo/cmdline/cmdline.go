// Package cmdline reads the command line of the demo (internal/demo): its
// own flags (-scenario, -list, -markdown, -mongoconn) and the mongoconn
// global flags it passes on to every run. It is a package of its own so
// that its fuzz target builds without the servers the demo starts, one of
// them an embedded FerretDB.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ArgsEnv is the environment variable holding mongoconn global flags when
// none are given on the command line: `make demo ARGS="-o json"` exports
// it to the recipe.
const ArgsEnv = "ARGS"

// Options are the demo's parsed command line.
type Options struct {
	// Scenarios are the names to run, in the order given; all when empty.
	Scenarios []string
	// List prints the scenario names and exits.
	List bool
	// Binary is a mongoconn binary to use instead of building one.
	Binary string
	// Globals are mongoconn global flags added to every run.
	Globals []string
	// Markdown writes docs/demo.md: the same output in Markdown sections.
	Markdown bool
}

// UsageError is a mistake in how the demo was invoked.
type UsageError struct {
	// Msg says what is wrong.
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

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

// Parse reads the demo's flags; the other arguments (or, when there are
// none, the words of $ARGS) are mongoconn global flags. scenarios are the
// names -scenario accepts. The help (-h) goes to errOut, with
// flag.ErrHelp; every other mistake is a *UsageError.
func Parse(args, scenarios []string, getenv func(string) string, errOut io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var names string
	fs.StringVar(&names, "scenario", "", "run only these scenarios (comma-separated names; see -list)")
	fs.BoolVar(&o.List, "list", false, "list the scenarios and exit")
	fs.StringVar(&o.Binary, "mongoconn", "", "use this mongoconn binary instead of building one")
	fs.BoolVar(&o.Markdown, "markdown", false, "write the text reports as Markdown, without colour (docs/demo.md)")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "usage: go run ./internal/demo [-scenario NAME[,NAME...]] [-list] [-markdown] [-mongoconn PATH] [MONGOCONN GLOBAL FLAGS]\n"+
			"       make demo [ARGS=\"MONGOCONN GLOBAL FLAGS\"]\n\nscenarios: %s\n\n", strings.Join(scenarios, ", "))
		fs.PrintDefaults()
	}
	own, globals := splitArgs(args)
	if err := fs.Parse(own); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, &UsageError{Msg: err.Error()}
	}
	o.Globals = append(fs.Args(), globals...)
	if len(o.Globals) == 0 {
		o.Globals = strings.Fields(getenv(ArgsEnv))
	}
	for i, g := range o.Globals {
		if !strings.HasPrefix(g, "-") && (i == 0 || !TakesValue(o.Globals[i-1])) {
			return o, &UsageError{Msg: fmt.Sprintf("%q is not a mongoconn global flag: the demo chooses the command and the connection string of each scenario", g)}
		}
	}
	if o.Markdown && WantsJSON(o.Globals) {
		return o, &UsageError{Msg: "-markdown shows the text reports: leave out -o json"}
	}
	if names != "" {
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(scenarios, n) {
				return o, &UsageError{Msg: fmt.Sprintf("no scenario %q; the scenarios are %s", n, strings.Join(scenarios, ", "))}
			}
			if !slices.Contains(o.Scenarios, n) {
				o.Scenarios = append(o.Scenarios, n)
			}
		}
	}
	return o, nil
}

// TakesValue reports whether flag is a mongoconn global flag followed by
// a separate value (as "json" follows "-o").
func TakesValue(flag string) bool {
	switch flag {
	case "-o", "--output", "--timeout", "--dns-server", "--server-api":
		return true
	}
	return false
}

// WantsJSON reports whether the mongoconn global flags ask for JSON output
// (the last -o/--output wins, as in mongoconn).
func WantsJSON(globals []string) bool {
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
