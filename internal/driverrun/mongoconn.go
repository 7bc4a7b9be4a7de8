package driverrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// mongoconnRunTimeout ends a mongoconn run that outlives its own --timeout
// by far: mongoconn keeps to it within 100 ms by design, so a run this long
// is hung.
const mongoconnRunTimeout = 60 * time.Second

// MongoconnError says why a mongoconn run gave no report.
type MongoconnError struct {
	Args     []string
	ExitCode int
	Stderr   string
	Err      error
}

// uriPassword matches the password of a connection string in an
// argument, up to the last '@' before the host (an unescaped '@' in a
// password is a case the suite runs).
var uriPassword = regexp.MustCompile(`(mongodb(?:\+srv)?://[^:/@\s]*:)\S*@`)

func (e *MongoconnError) Error() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = uriPassword.ReplaceAllString(a, "${1}****@")
	}
	s := fmt.Sprintf("mongoconn %s", strings.Join(args, " "))
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	s += fmt.Sprintf(" (exit %d)", e.ExitCode)
	if e.Stderr != "" {
		s += "; stderr: " + e.Stderr
	}
	return s
}

func (e *MongoconnError) Unwrap() error { return e.Err }

// Mongoconn runs the mongoconn binary bin with args (which must ask for
// -o json) and stdin, and returns its report and exit code. Exit codes 0,
// 1 and 2 come with a report (2 for a connection string that cannot be
// parsed); anything else, or output that is not one report, is an error.
// The environment holds only PATH and HOME, so that no MONGODB_URI or
// colour setting of the caller's leaks in.
func Mongoconn(ctx context.Context, bin, stdin string, args ...string) (Report, int, error) {
	ctx, cancel := context.WithTimeout(ctx, mongoconnRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "NO_COLOR=1"}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr capped
	stdout.max, stderr.max = maxReportSize, maxClientOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = clientKillGrace
	err := cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	fail := func(err error) (Report, int, error) {
		return Report{}, code, &MongoconnError{Args: args, ExitCode: code, Stderr: excerpt(stderr.buf.Bytes()), Err: err}
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fail(ctx.Err())
	case err != nil && !errors.As(err, &exitErr):
		return fail(err)
	case code < 0 || code > 2:
		return fail(nil)
	case stdout.cut:
		return fail(&ParseError{What: "mongoconn report", Reason: fmt.Sprintf("longer than %d bytes", maxReportSize)})
	}
	r, perr := ParseReport(stdout.buf.Bytes())
	if perr != nil {
		return fail(perr)
	}
	return r, code, nil
}
