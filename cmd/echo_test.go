package cmd

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mongoconn/mongoconn/redact"
)

// rawControl returns the first character of out a terminal would act on
// (a C0 or C1 control other than newline, DEL, a bidirectional override)
// or invalid UTF-8, and its offset; -1 when none.
func rawControl(out string) (rune, int) {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && size == 1 {
			return r, i
		}
		if (unicode.IsControl(r) && r != '\n') || unicode.Is(unicode.Bidi_Control, r) {
			return r, i
		}
		i += size
	}
	return 0, -1
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// TestUsageErrorsAreShortAndEscaped runs the command line on hostile
// arguments (control characters, invalid UTF-8, the longest argument
// Linux allows) that never reach the network, and checks that stdout and
// stderr hold no raw control character and quote the input as a short
// excerpt at most.
func TestUsageErrorsAreShortAndEscaped(t *testing.T) {
	long := strings.Repeat("q", 120<<10)
	tests := [][]string{
		{"pi\x1b[31mng\x07"},
		{"pi\xffng\u009b"},
		{"ping", "--ti\x1bmeout=1s"},
		{"--output", "js\x07on\u009b", "version"},
		{"--dns-server", "1.2.3.4\x1b[2J", "version"},
		{"--server-api", "\u202e2", "version"},
		{"ping", "mongodb://127.0.0.1:1/?appName=\x1b]0;owned\x07&replicaSet=rs\x1b[31m0"},
		{"-o", "json", "ping", "mongodb://127.0.0.1:1/?appName=\x1b]0;owned\x07&replicaSet=rs\x1b[31m0"},
		{long},
		{"--" + long},
		{"--timeout", long, "version"},
		{"-o", long, "version"},
		{"--dns-server", long, "version"},
		{"completion", long},
		{"ping", "mongodb://127.0.0.1:1/", long},
		{"ping", "mongodb://" + long + ":27017/"},
		{"-o", "json", "diagnose", "mongodb://" + long + ":27017/"},
		{"ping", "mongodb://127.0.0.1:" + long[:60<<10] + "/"},
		{"-o", "json", "wire-check", "mongodb://127.0.0.1:1/?" + long[:60<<10] + "\x1b"},
		{"ping", "--targets", "/nonexistent/\x1b[31m" + long[:200]},
		{"ping", "--concurrency", long, "mongodb://127.0.0.1:1/"},
	}
	for _, args := range tests {
		name := redact.Excerpt(strings.Join(args, " "), 40)
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, nil, args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (usage)\nstderr: %.300q", code, ExitUsage, errOut)
			}
			if errOut == "" {
				t.Error("no error line")
			}
			for stream, s := range map[string]string{"stdout": out, "stderr": errOut} {
				if r, at := rawControl(s); at >= 0 {
					t.Errorf("%s: raw %U at byte %d: %q", stream, r, at, s[max(at-40, 0):min(at+40, len(s))])
				}
				if n := longestRun(s, 'q'); n > redact.EchoLimit {
					t.Errorf("%s echoes %d characters of the input, want an excerpt of at most %d", stream, n, redact.EchoLimit)
				}
			}
			if n := len(out) + len(errOut); n > 16<<10 {
				t.Errorf("%d bytes of output about one rejected argument", n)
			}
		})
	}
}

// TestLongSecretsAreMaskedBeforeTheCut passes a connection string whose
// password ends far beyond the excerpt's length where the command line
// quotes a value: the password is masked before the value is cut.
func TestLongSecretsAreMaskedBeforeTheCut(t *testing.T) {
	uri := "mongodb://alice:Zq7" + strings.Repeat("s", 200) + "@db.example.test/"
	for _, args := range [][]string{
		{"--timeout", uri, "version"},
		{"--dns-server", uri, "version"},
		{"-o", uri, "version"},
		{uri},
		{"completion", uri},
	} {
		_, out, errOut := run(t, nil, args...)
		if strings.Contains(out+errOut, "Zq7") {
			t.Errorf("%.30q…: the password shows: %q", args[0], errOut)
		}
	}
}

// TestExitCodeEscapesEveryLine checks the lines exitCode prints itself:
// errors of any kind, their hints and a connection string's caret lines.
func TestExitCodeEscapesEveryLine(t *testing.T) {
	ios, _, _, errOut := Test()
	for _, err := range []error{
		&UsageError{Msg: "bad \x1b[2J\u009b", Hint: "try \x07 \xff"},
		&recognizedErrorForTest{"engine: \x1b]0;title\x07 mongodb://u:hunter22@h/"},
	} {
		exitCode(ios, err, nil)
	}
	s := errOut.String()
	if r, at := rawControl(s); at >= 0 {
		t.Errorf("raw %U at byte %d: %q", r, at, s)
	}
	if strings.Contains(s, "hunter22") {
		t.Errorf("password printed: %q", s)
	}
	if !bytes.Contains(errOut.Bytes(), []byte(`\x1b`)) {
		t.Errorf("the escape is not shown escaped: %q", s)
	}
}

type recognizedErrorForTest struct{ msg string }

func (e *recognizedErrorForTest) Error() string { return e.msg }

// TestServeLogsEscapeControls logs a request path as a caller may send it
// (percent-decoded: ESC, a C1 CSI, a bidirectional override, invalid
// UTF-8) in both log formats and checks that no raw control character
// reaches stderr.
func TestServeLogsEscapeControls(t *testing.T) {
	for _, format := range []string{"logfmt", "json"} {
		ios, _, _, errOut := Test()
		o := &ServeOptions{f: NewFactory(ios, func(string) string { return "" }), LogFormat: format}
		o.logger().Info("request", "path", "/probe\x1b[2J\u009b31m\u202e\xff")
		s := errOut.String()
		if r, at := rawControl(s); at >= 0 {
			t.Errorf("%s: raw %U at byte %d: %q", format, r, at, s)
		}
		if !strings.Contains(s, "probe") {
			t.Errorf("%s: the record was not written: %q", format, s)
		}
	}
}

// TestExplainLogEscapesControls reads a log whose driver error holds
// ESC, a C1 CSI, a bidirectional override and invalid UTF-8, and checks
// that neither output format prints them raw.
func TestExplainLogEscapesControls(t *testing.T) {
	file := t.TempDir() + "/app.log"
	if err := os.WriteFile(file, []byte("connection refused \x1b[2J \u009b31m \u202e boom\xff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{"text", "json"} {
		code, out, errOut := run(t, nil, "-o", output, "explain", "--log", file)
		if code != ExitProblem {
			t.Errorf("%s: exit %d, want %d (tcp.refused is an error)\n%s", output, code, ExitProblem, errOut)
		}
		if r, at := rawControl(out + errOut); at >= 0 {
			t.Errorf("%s: raw %U at byte %d: %q", output, r, at, out)
		}
	}
}
