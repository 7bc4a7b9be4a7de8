package cmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// junitCommand reports whether -o junit applies to the command: those
// that check targets and may check many (DESIGN.md §2), one test case per
// target.
func junitCommand(name string) bool {
	switch name {
	case "ping", "diagnose", "wire-check":
		return true
	}
	return false
}

// uriCommand reports whether the command's arguments are connection
// strings (or a host, or error text): the shell must not offer file names
// for them.
func uriCommand(name string) bool {
	switch name {
	case "ping", "discover", "srv", "wire-check", "tunnel-check", "diagnose", "explain":
		return true
	}
	return false
}

// conventions gives the root command what people expect of a command-line
// tool: --version, "did you mean" for a mistyped command, completion of
// flag values, no file names offered for connection strings, and a hint
// for a duration written without its unit.
func conventions(root *cobra.Command, f *Factory) {
	// cobra leaves the distance at 0 (exact names only) until it looks
	// for suggestions itself, which it does not for a root that takes
	// arguments: "pnig" is two edits from "ping".
	root.SuggestionsMinimumDistance = 2

	showVersion := false
	root.PersistentFlags().BoolVar(&showVersion, "version", false, "print the version and exit (as the version command)")
	pre := root.PersistentPreRunE
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if pre != nil {
			if err := pre(c, args); err != nil {
				return err
			}
		}
		if showVersion {
			if err := printVersion(f); err != nil {
				return err
			}
			return &doneError{}
		}
		if f.Global.Output == "junit" && !junitCommand(c.Name()) {
			return &UsageError{
				Msg:  fmt.Sprintf("-o junit is for ping, diagnose and wire-check, not %s", c.Name()),
				Hint: "use -o text or -o json",
			}
		}
		return nil
	}

	flagErr := root.FlagErrorFunc()
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if uerr := durationUnitError(err); uerr != nil {
			return uerr
		}
		return flagErr(c, err)
	})

	noFiles := cobra.FixedCompletions(nil, cobra.ShellCompDirectiveNoFileComp)
	keepFirst(root.RegisterFlagCompletionFunc("output", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		formats := []string{"text\thuman-readable report", "json\tone JSON report (JSON Lines for several targets)"}
		if junitCommand(c.Name()) {
			formats = append(formats, "junit\tJUnit XML, one test case per target")
		}
		return formats, cobra.ShellCompDirectiveNoFileComp
	}))
	keepFirst(root.RegisterFlagCompletionFunc("server-api", cobra.FixedCompletions([]string{"1\tStable API version 1"}, cobra.ShellCompDirectiveNoFileComp)))
	keepFirst(root.RegisterFlagCompletionFunc("timeout", cobra.FixedCompletions([]string{"5s", "10s", "30s", "1m"}, cobra.ShellCompDirectiveNoFileComp)))
	keepFirst(root.RegisterFlagCompletionFunc("dns-server", noFiles))
	for _, c := range root.Commands() {
		if !uriCommand(c.Name()) {
			continue
		}
		if c.ValidArgsFunction == nil {
			c.ValidArgsFunction = noFiles
		}
		if c.Flags().Lookup("wait") != nil {
			keepFirst(c.RegisterFlagCompletionFunc("wait", cobra.FixedCompletions([]string{"30s", "60s", "2m", "5m"}, cobra.ShellCompDirectiveNoFileComp)))
		}
		if c.Flags().Lookup("concurrency") != nil {
			keepFirst(c.RegisterFlagCompletionFunc("concurrency", noFiles))
		}
	}
}

// keepFirst drops the error of a completion registration: it only says that
// the flag has a completion already (which stays) or does not exist, and
// TestCompletion checks every completion this file registers.
func keepFirst(error) {}

// doneError ends a command whose whole output was printed before it ran
// (--version): exit 0.
type doneError struct{}

func (*doneError) Error() string { return "done" }

// durationUnitError turns "--timeout 5" into a usage error that says how
// to write it: a duration flag given a bare number lacks its unit.
func durationUnitError(err error) *UsageError {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) || ive.GetFlag() == nil || ive.GetFlag().Value.Type() != "duration" {
		return nil
	}
	v := strings.TrimSpace(ive.GetValue())
	n, perr := strconv.ParseFloat(v, 64)
	if perr != nil || n <= 0 {
		return nil
	}
	name := "--" + ive.GetFlag().Name
	return &UsageError{
		Msg:  fmt.Sprintf("%s %s has no unit", name, v),
		Hint: fmt.Sprintf("did you mean %s %ss? Durations take a unit: ms, s, m or h", name, v),
	}
}
