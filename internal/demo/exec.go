package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/internal/demo/cmdline"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/redact"
)

// Time limits of the demo's own processes.
const (
	// buildTimeout bounds `go build`: a cold module cache compiles the
	// driver, cobra and their dependencies, which takes a minute or two on
	// a small machine; a warm one takes seconds.
	buildTimeout = 5 * time.Minute

	// runTimeout bounds one mongoconn run. mongoconn keeps to its own
	// --timeout (10 s by default) within 100 ms by design; this backstop
	// only ends a run that hangs, so that the demo always finishes.
	runTimeout = 30 * time.Second

	// interruptGrace is how long a mongoconn run that is being stopped
	// (Ctrl-C or runTimeout) gets after SIGINT to print what it learned
	// before it is killed; it needs milliseconds.
	interruptGrace = 2 * time.Second
)

// modulePath is the module the demo builds mongoconn from.
const modulePath = "github.com/mongoconn/mongoconn"

// buildMongoconn builds the mongoconn binary into dir from the module that
// holds the current directory, and returns its path.
func buildMongoconn(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run the demo from the %s checkout (make demo)", modulePath)
	}
	if err := checkModule(gomod); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mongoconn")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("go build did not finish within %s", buildTimeout)
		}
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

// checkModule makes sure gomod declares mongoconn's module.
func checkModule(gomod string) error {
	f, err := os.Open(gomod)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if strings.Trim(strings.TrimSpace(name), `"`) == modulePath {
				return nil
			}
			return fmt.Errorf("%s is module %s, not %s: run the demo from the mongoconn checkout", gomod, strings.TrimSpace(name), modulePath)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s declares no module", gomod)
}

// demo runs scenarios with one mongoconn binary.
type demo struct {
	// bin is the mongoconn binary.
	bin string
	// dir is a scratch directory, removed when the demo ends.
	dir string
	// globals are mongoconn global flags for every run.
	globals []string
	// out and errOut are the demo's standard output and error.
	out, errOut io.Writer
	// notes receives the headers and verdict lines: out, or errOut when
	// the reports are JSON (so that stdout is a JSON stream).
	notes io.Writer
	// color marks headers and verdict lines with ANSI colours.
	color bool
	// markdown puts each scenario in a Markdown section and code block.
	markdown bool
	// env is added to the environment mongoconn inherits.
	env []string
}

// result is how one scenario went.
type result struct {
	name     string
	outcome  outcome
	problems []string
}

// runScenario starts sc's servers, shows mongoconn's report on them,
// checks it against sc.want and stops the servers.
func (d *demo) runScenario(ctx context.Context, sc scenario, n, total int) result {
	res := result{name: sc.name}
	d.header(sc, n, total)
	dns, err := mongotest.NewDNSServer()
	if err != nil {
		res.problems = []string{fmt.Sprintf("start the DNS server: %v", err)}
		d.footer(sc, res)
		return res
	}
	fx := &fixtures{dir: filepath.Join(d.dir, sc.name), dns: dns}
	fx.onClose(dns.Close)
	defer fx.close()
	inv, err := sc.setup(fx)
	if err != nil {
		res.problems = []string{fmt.Sprintf("set up: %v", err)}
		d.footer(sc, res)
		return res
	}
	globals := slices.Clone(d.globals)
	if !sc.offline {
		globals = append(globals, "--dns-server", dns.Addr)
	}
	fmt.Fprintf(d.notes, "%s\n\n", d.paint(ansiDim, commandLine(append(slices.Clone(globals), inv.args...), inv.stdin, inv.secrets)))

	res.outcome, err = d.show(ctx, globals, inv)
	if ctx.Err() != nil {
		return res
	}
	if err != nil {
		res.problems = []string{err.Error()}
	} else {
		res.problems = sc.want.verify(res.outcome, inv.secrets)
	}
	d.footer(sc, res)
	return res
}

// show runs mongoconn for the reader and reads its JSON report. With text
// output that takes a second, captured, run with -o json; with -o json the
// shown run is read.
func (d *demo) show(ctx context.Context, globals []string, inv invocation) (outcome, error) {
	var o outcome
	args := append(slices.Clone(globals), inv.args...)
	shownOut, shownErr := newCapped(), newCapped()
	stdout, stderr := d.out, d.errOut
	jsonOut := cmdline.WantsJSON(globals)
	if jsonOut || !isTerminal(d.out) {
		// Keep what the reader sees to look for secrets (and, for JSON,
		// to read the report). A terminal gets mongoconn's own file, so
		// that it colours its report.
		stdout, stderr = io.MultiWriter(d.out, shownOut), io.MultiWriter(d.errOut, shownErr)
	}
	exit, err := d.exec(ctx, args, inv.stdin, stdout, stderr)
	if err != nil {
		return o, err
	}
	o.exit = exit
	o.output = shownOut.String() + shownErr.String()
	if ctx.Err() != nil { // interrupted: what mongoconn learned was shown
		return o, nil
	}
	if jsonOut {
		o.report, o.reportErr = decodeReport(shownOut.Bytes())
		return o, nil
	}
	fmt.Fprintln(d.out)

	checkOut, checkErr := newCapped(), newCapped()
	check := append(slices.Clone(globals), "-o", "json", "--no-color")
	check = append(check, inv.args...)
	if o.exit, err = d.exec(ctx, check, inv.stdin, checkOut, checkErr); err != nil {
		return o, err
	}
	o.output += checkOut.String() + checkErr.String()
	o.report, o.reportErr = decodeReport(checkOut.Bytes())
	if o.reportErr != nil && checkErr.Len() > 0 {
		o.reportErr = fmt.Errorf("%w; stderr: %s", o.reportErr, firstLine(checkErr.String()))
	}
	return o, nil
}

// capped keeps the first maxReportBytes+1 bytes written to it and
// accepts, without keeping, the rest: enough to read any report and to
// notice one that is too large, whatever a broken binary writes.
type capped struct{ buf bytes.Buffer }

func newCapped() *capped { return &capped{} }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxReportBytes + 1 - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (c *capped) Bytes() []byte { return c.buf.Bytes() }

// String returns what was kept.
func (c *capped) String() string { return c.buf.String() }

// Len is how many bytes were kept.
func (c *capped) Len() int { return c.buf.Len() }

// exec runs mongoconn with args and returns its exit status. An error
// means it could not run, or did not end by itself.
func (d *demo) exec(ctx context.Context, args []string, stdin string, stdout, stderr io.Writer) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = interruptGrace
	if len(d.env) > 0 {
		cmd.Env = append(os.Environ(), d.env...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return 0, fmt.Errorf("mongoconn did not finish within %s", runTimeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			return 0, fmt.Errorf("mongoconn did not exit by itself: %v", ee)
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("run mongoconn: %w", err)
	}
	return 0, nil
}

// ANSI styles of the demo's own lines.
const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[31m"
	ansiReset = "\x1b[0m"
)

// paint wraps s in style when colour is on.
func (d *demo) paint(style, s string) string {
	if !d.color {
		return s
	}
	return style + s + ansiReset
}

// headerLine is the first line of scenario n of total.
func headerLine(sc scenario, n, total int) string {
	return fmt.Sprintf("=== %d/%d %s: %s", n, total, sc.name, sc.title)
}

// aboutWidth is where the line under a header wraps.
const aboutWidth = 88

// header opens a scenario.
func (d *demo) header(sc scenario, n, total int) {
	if d.markdown {
		fmt.Fprintf(d.notes, "## %d. %s\n\n%s\n\n```text\n", n, sc.title, wrap(sc.doc, aboutWidth))
	}
	fmt.Fprintf(d.notes, "%s\n%s\n\n", d.paint(ansiBold, headerLine(sc, n, total)), wrap(sc.about, aboutWidth))
}

// wrap breaks s into lines of at most width bytes where it can.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// footer closes a scenario with whether it showed what it should.
func (d *demo) footer(sc scenario, res result) {
	if len(res.problems) == 0 {
		fmt.Fprintf(d.notes, "%s %s\n", d.paint(ansiGreen, "--- as expected:"), sc.want.describe())
	} else {
		fmt.Fprintf(d.notes, "%s want %s\n", d.paint(ansiRed, "--- NOT as expected:"), sc.want.describe())
		for _, p := range res.problems {
			fmt.Fprintf(d.notes, "    %s\n", redact.Redact(p))
		}
	}
	if d.markdown {
		fmt.Fprint(d.notes, "```\n")
	}
	fmt.Fprintln(d.notes)
}

// summary prints the closing line and returns the demo's exit status.
func (d *demo) summary(results []result) int {
	var bad []string
	for _, r := range results {
		if len(r.problems) > 0 {
			bad = append(bad, r.name)
		}
	}
	line, style, code := fmt.Sprintf("demo: all %d scenarios showed what they should", len(results)), ansiGreen, exitOK
	if len(bad) > 0 {
		line, style, code = fmt.Sprintf("demo: %d of %d scenarios did not show what they should: %s",
			len(bad), len(results), strings.Join(bad, ", ")), ansiRed, exitUnexpected
	}
	if d.markdown {
		fmt.Fprintf(d.notes, "## Summary\n\n```text\n%s\n```\n", line)
		return code
	}
	fmt.Fprintf(d.notes, "%s\n", d.paint(style, line))
	return code
}

// commandLine is args as a reader would type them, passwords redacted,
// with stdin as a here-document.
func commandLine(args []string, stdin string, secrets []string) string {
	words := []string{"$ mongoconn"}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	line := strings.Join(words, " ")
	if stdin != "" {
		line += " <<'EOF'\n" + strings.TrimRight(stdin, "\n") + "\nEOF"
	}
	return redact.RedactSecrets(line, secrets...)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// needsQuote reports whether r means something to a POSIX shell.
func needsQuote(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-_./:@%+=,", r)
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
