package driverrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
)

// Client names one of the MongoDB clients the suite runs.
type Client string

// The clients.
const (
	// Node is the Node.js driver (npm package mongodb), through the
	// script ping.js.
	Node Client = "node"
	// Mongosh is the MongoDB Shell (npm package mongosh), run as
	// `mongosh --quiet --eval 'db.runCommand({ping: 1})' URI`.
	Mongosh Client = "mongosh"
	// PyMongo is Debian's python3-pymongo, through the script ping.py.
	PyMongo Client = "pymongo"
)

// AllClients lists every client, in the order the suite runs them.
func AllClients() []Client { return []Client{Node, Mongosh, PyMongo} }

// Bounds on the clients' processes and what they print.
const (
	// clientRunTimeout ends a client that outlives its own timeouts by
	// far: the clients are given seconds for server selection, and mongosh
	// needs about one more to start; a run this long is hung.
	clientRunTimeout = 60 * time.Second

	// clientKillGrace is how long a client that is being stopped may take
	// to close its pipes before they are closed under it.
	clientKillGrace = 2 * time.Second

	// maxClientOutput bounds what is kept of a client's stdout and of its
	// stderr: an error with its topology description is a few KiB.
	maxClientOutput = 1 << 20

	// maxMongoshText bounds the error text kept from mongosh's stderr, as
	// explain would cut a longer one.
	maxMongoshText = 64 << 10
)

// Setup is where the clients are and how they are run. Every field is
// required.
type Setup struct {
	// NodeDir holds ping.js and node_modules with the packages mongodb and
	// mongosh (testdata/drivers/node).
	NodeDir string
	// NodeBin is the node executable.
	NodeBin string
	// PyScript is ping.py (testdata/drivers/pymongo/ping.py).
	PyScript string
	// PythonBin is a python3 that imports pymongo.
	PythonBin string
	// Home is the HOME of every client: an empty directory of the caller's,
	// where mongosh keeps its files (WriteMongoshConfig puts its
	// configuration there).
	Home string
	// ServerSelection and Connect are the serverSelectionTimeoutMS and
	// connectTimeoutMS every client is given.
	ServerSelection, Connect time.Duration
}

// Outcome is how one client's {ping: 1} ended.
type Outcome struct {
	Client Client `json:"client"`
	// URI is the connection string the client was given.
	URI string `json:"uri"`
	// OK is true when the ping succeeded.
	OK bool `json:"ok"`
	// Name is the class of the error ("MongoServerSelectionError",
	// "pymongo.errors.ServerSelectionTimeoutError"), "" when OK.
	Name string `json:"name,omitempty"`
	// Text is the error as a user of the client sees it, without stack
	// frames: what console.error prints for the Node.js driver, the error
	// line of mongosh, the last line of a traceback for PyMongo.
	Text string `json:"text,omitempty"`
}

// RunError says why a client could not be run or its answer not read: it
// is a fault of the setup, never an outcome of the scenario.
type RunError struct {
	Client Client
	// Reason says what went wrong.
	Reason string
	// ExitCode is the process's exit code (-1 when it did not exit).
	ExitCode int
	// Stderr is the start of what the process printed on stderr.
	Stderr string
	Err    error
}

func (e *RunError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Client, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.ExitCode >= 0 {
		s += fmt.Sprintf(" (exit %d)", e.ExitCode)
	}
	if e.Stderr != "" {
		s += "; stderr: " + e.Stderr
	}
	return s
}

func (e *RunError) Unwrap() error { return e.Err }

// stderrExcerpt is how much of a failed process's stderr a RunError keeps.
const stderrExcerpt = 2 << 10

// Run runs client's ping against uri and returns how it ended.
func (s *Setup) Run(ctx context.Context, client Client, uri string) (Outcome, error) {
	switch client {
	case Node:
		res, err := s.exec(ctx, client, s.NodeBin, []string{filepath.Join(s.NodeDir, "ping.js"), uri}, s.NodeDir)
		if err != nil {
			return Outcome{}, err
		}
		o, perr := ParseNodeLine(res.stdout)
		if perr != nil {
			return Outcome{}, res.fail(client, "its output is not the line ping.js prints", perr)
		}
		o.URI = uri
		return o, nil
	case PyMongo:
		res, err := s.exec(ctx, client, s.PythonBin, []string{s.PyScript, uri}, filepath.Dir(s.PyScript))
		if err != nil {
			return Outcome{}, err
		}
		o, perr := ParsePyMongoLine(res.stdout)
		if perr != nil {
			return Outcome{}, res.fail(client, "its output is not the line ping.py prints", perr)
		}
		o.URI = uri
		return o, nil
	case Mongosh:
		muri := s.MongoshURI(uri)
		res, err := s.exec(ctx, client, s.NodeBin, []string{s.mongoshScript(), "--quiet", "--norc", "--eval", "db.runCommand({ping: 1})", muri}, s.Home)
		if err != nil {
			return Outcome{}, err
		}
		o, perr := ParseMongoshOutput(res.stdout, res.stderr, res.exitCode)
		if perr != nil {
			return Outcome{}, res.fail(client, "its output is neither a ping reply nor an error", perr)
		}
		o.URI = muri
		return o, nil
	}
	return Outcome{}, &RunError{Client: client, Reason: "unknown client", ExitCode: -1}
}

// mongoshScript is the mongosh entry point of the npm package, run with
// NodeBin so that no shebang decides which node runs it.
func (s *Setup) mongoshScript() string {
	return filepath.Join(s.NodeDir, "node_modules", "mongosh", "bin", "mongosh.js")
}

// MongoshURI is uri with the suite's timeouts added as options when it
// does not set them: mongosh has no flags for them, and a user adds them
// to the string. A string connstr cannot rewrite, or one with a space
// before its options or an escape that does not decode, is returned as it
// is, so that mongosh reports it.
func (s *Setup) MongoshURI(uri string) string {
	base, query, _ := strings.Cut(uri, "?")
	if strings.Contains(base, " ") {
		return uri
	}
	if _, err := url.ParseQuery(query); err != nil {
		return uri
	}
	u, err := connstr.CutURI(uri)
	if err != nil {
		return uri
	}
	written := map[string]bool{}
	for _, p := range u.Pairs() {
		k, _, _ := strings.Cut(p, "=")
		if d, err := url.QueryUnescape(k); err == nil {
			k = d
		}
		written[strings.ToLower(k)] = true
	}
	var set []connstr.Setting
	for _, o := range []connstr.Setting{
		{Key: "serverSelectionTimeoutMS", Value: strconv.FormatInt(s.ServerSelection.Milliseconds(), 10)},
		{Key: "connectTimeoutMS", Value: strconv.FormatInt(s.Connect.Milliseconds(), 10)},
	} {
		if !written[strings.ToLower(o.Key)] {
			set = append(set, o)
		}
	}
	if len(set) == 0 {
		return uri
	}
	out, err := connstr.Rewrite(uri, connstr.Edit{Set: set})
	if err != nil {
		return uri
	}
	return out
}

// env is the whole environment of a client: nothing is inherited but
// PATH, so that no proxy, CA bundle or option of the developer's shell
// changes what a client does.
func (s *Setup) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.Home,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"NO_COLOR=1",
		"CI=true",
		"MONGOCONN_SERVER_SELECTION_MS=" + strconv.FormatInt(s.ServerSelection.Milliseconds(), 10),
		"MONGOCONN_CONNECT_MS=" + strconv.FormatInt(s.Connect.Milliseconds(), 10),
		// mongosh: no telemetry and no update check (the configuration
		// file says so too, and --quiet skips the check).
		"MONGOSH_FORCE_DISABLE_TELEMETRY_FOR_TESTING=1",
		"MONGOSH_GLOBAL_CONFIG_FILE_FOR_TESTING=" + filepath.Join(s.Home, mongoshConfigName),
		// PyMongo: Debian's package, not one from a user site directory.
		"PYTHONNOUSERSITE=1",
		"PYTHONDONTWRITEBYTECODE=1",
	}
}

// mongoshConfigName is the file in Home that mongosh reads as its global
// configuration.
const mongoshConfigName = "mongosh.conf"

// mongoshConfig turns telemetry and the update check off for good.
const mongoshConfig = `{"forceDisableTelemetry": true, "enableTelemetry": false, "updateURL": ""}` + "\n"

// WriteMongoshConfig writes mongosh's configuration into Home.
func (s *Setup) WriteMongoshConfig() error {
	return os.WriteFile(filepath.Join(s.Home, mongoshConfigName), []byte(mongoshConfig), 0o600)
}

// procResult is how a client's process ended.
type procResult struct {
	stdout, stderr []byte
	exitCode       int
}

func (r procResult) fail(c Client, reason string, err error) *RunError {
	return &RunError{Client: c, Reason: reason, ExitCode: r.exitCode, Stderr: excerpt(r.stderr), Err: err}
}

func excerpt(b []byte) string {
	if len(b) > stderrExcerpt {
		b = b[:stderrExcerpt]
	}
	return strings.TrimSpace(string(b))
}

// exec runs one client process in dir with the clients' environment and
// returns its bounded output. A non-zero exit is not an error here (mongosh
// exits 1 when the ping fails); not starting, being killed or outliving
// clientRunTimeout is.
func (s *Setup) exec(ctx context.Context, c Client, bin string, args []string, dir string) (procResult, error) {
	ctx, cancel := context.WithTimeout(ctx, clientRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = s.env()
	cmd.Stdin = nil
	var stdout, stderr capped
	stdout.max, stderr.max = maxClientOutput, maxClientOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group, so that a hung client is ended with every
	// process it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = clientKillGrace
	err := cmd.Run()
	res := procResult{stdout: stdout.buf.Bytes(), stderr: stderr.buf.Bytes(), exitCode: -1}
	if cmd.ProcessState != nil {
		res.exitCode = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, res.fail(c, fmt.Sprintf("still running after %s", clientRunTimeout), ctx.Err())
	case err != nil && !errors.As(err, &exitErr):
		return res, res.fail(c, "could not run "+bin, err)
	case stdout.cut || stderr.cut:
		return res, res.fail(c, fmt.Sprintf("printed more than %d bytes", maxClientOutput), nil)
	}
	return res, nil
}

// capped is a writer that keeps at most max bytes and remembers that it
// dropped some.
type capped struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (w *capped) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		w.cut = true
		return len(p), nil
	}
	return w.buf.Write(p)
}
