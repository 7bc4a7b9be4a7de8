package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mongoconn/mongoconn/explain"
	"github.com/mongoconn/mongoconn/internal/render"
)

// ExplainOptions are the inputs of `mongoconn explain`.
type ExplainOptions struct {
	f   *Factory
	ctx context.Context

	// Text is the error text to explain; "-" reads it from stdin.
	Text string
	// Log is a whole log to read (--log FILE, "-" for stdin), "" for none.
	Log string
}

// NewCmdExplain builds `mongoconn explain`. runF replaces explainRun in
// tests.
func NewCmdExplain(f *Factory, runF func(*ExplainOptions) error) *cobra.Command {
	opts := &ExplainOptions{f: f}
	c := &cobra.Command{
		Use:   "explain TEXT|- | explain --log FILE|-",
		Short: "Explain an error message from any MongoDB driver, offline",
		Long: `Read an error message printed by a MongoDB driver (Go, PyMongo, Node.js and mongosh,
Java) and print the known failures it matches, each with its cause, its fixes and
the documentation, then the command to run next. Nothing is contacted: explain only
reads the text. Passwords in the text are masked before anything is printed.

The text is the argument (quote it), or stdin with "-" or when stdin is a pipe.
Several arguments are joined with spaces.

Exit status: 0 when the text matches a known failure, 1 when nothing matches.

With --log FILE (or --log - for stdin), explain reads a whole application log
instead, however large: it joins each line with the lines that continue it
(Java stack traces and "Caused by:", Python tracebacks, Node.js stack frames
and error objects), recognises every driver error in it, and prints each
finding id with the number of log entries that showed it, the first and last
time it was seen (RFC 3339, ISO 8601, syslog, Java and Python logging
timestamps; else the line number) and one example, passwords masked. With
-o json it prints one JSON object per id (JSON Lines). Memory stays bounded:
a line longer than 256 KiB is cut, and a note on stderr says so.
Exit status with --log: 1 when an id of severity error was seen, 0 otherwise,
2 when the log cannot be read.`,
		Example: `  mongoconn explain 'server selection error: context deadline exceeded, current topology: ...'
  python app.py 2>&1 | mongoconn explain -
  mongoconn -o json explain "$(kubectl logs deploy/api | tail -50)"
  mongoconn explain --log /var/log/app/app.log
  kubectl logs deploy/api --since 24h | mongoconn explain --log -
  mongoconn -o json explain --log app.log | jq -r 'select(.severity == "error") | .id'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ctx = c.Context()
			if opts.Log != "" {
				if len(args) > 0 {
					return &UsageError{Msg: "explain --log reads a log, not a text argument", Hint: "mongoconn explain --log FILE, or mongoconn explain 'ERROR TEXT'"}
				}
				if runF != nil {
					return runF(opts)
				}
				return explainLogRun(opts)
			}
			switch {
			case len(args) == 1 && args[0] == "-":
				opts.Text = "-"
			case len(args) > 0:
				opts.Text = strings.Join(args, " ")
			case !f.IO.IsStdinTTY():
				opts.Text = "-"
			default:
				return &UsageError{
					Msg:  "explain needs the error text",
					Hint: "mongoconn explain 'ERROR TEXT', or pipe it: some-command 2>&1 | mongoconn explain -",
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return explainRun(opts)
		},
	}
	c.Flags().StringVar(&opts.Log, "log", "", "read a whole application log from this file (\"-\" for stdin) and sum up every driver error in it")
	return c
}

func explainRun(opts *ExplainOptions) error {
	f := opts.f
	text := opts.Text
	if text == "-" {
		var err error
		if text, err = readExplainInput(opts.ctx, f.IO.In); err != nil {
			return err
		}
	}
	if strings.TrimSpace(text) == "" {
		return &UsageError{Msg: "the text to explain is empty", Hint: "pass the error message your application printed"}
	}
	x := explain.Explain(text)
	if x.Truncated && !f.Global.Quiet {
		fmt.Fprintf(f.IO.ErrOut, "mongoconn: hint: only the first %d KiB of the text were read\n", explain.MaxExplainInput>>10)
	}
	r := x.Report()
	if f.Global.Output == "json" {
		if err := render.JSON(f.IO.Out, r); err != nil {
			return err
		}
	} else if x.Recognised() {
		if err := render.Text(f.IO.Out, r, f.textOptions()); err != nil {
			return err
		}
	} else if err := render.FailLine(f.IO.Out, r.Verdict, f.textOptions()); err != nil {
		return err
	}
	if !x.Recognised() {
		return &recognizedError{msg: "nothing in the text matches a known failure"}
	}
	return nil
}

// readExplainInput reads the text from r, at most one byte more than
// Explain reads so that it can tell it cut the text. A signal stops the
// wait for input that never ends.
func readExplainInput(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, explain.MaxExplainInput+1))
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return "", fmt.Errorf("reading the text to explain from stdin: %w", res.err)
		}
		return string(res.b), nil
	case <-ctx.Done():
		return "", &InterruptedError{Signal: os.Interrupt}
	}
}
