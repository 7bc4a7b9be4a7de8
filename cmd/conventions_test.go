package cmd

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestDidYouMean(t *testing.T) {
	tests := []struct{ typed, want string }{
		{"pnig", "did you mean ping?"},
		{"diagnsoe", "did you mean diagnose?"},
		{"wirecheck", "did you mean wire-check?"},
		{"explian", "did you mean explain?"},
		{"verison", "did you mean version?"},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, nil, tc.typed)
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want %d", tc.typed, code, ExitUsage)
		}
		if out != "" {
			t.Errorf("%s: stdout = %q, want nothing", tc.typed, out)
		}
		want := "mongoconn: error: unknown command \"" + tc.typed + "\"\nmongoconn: hint: " + tc.want + "\n"
		if errOut != want {
			t.Errorf("%s: stderr =\n%s\nwant\n%s", tc.typed, errOut, want)
		}
	}
	_, _, errOut := run(t, nil, "frobnicate")
	if strings.Contains(errOut, "did you mean") {
		t.Errorf("a word far from every command got a suggestion: %q", errOut)
	}
}

func TestVersionFlag(t *testing.T) {
	_, cmdOut, _ := run(t, nil, "version")
	if !strings.HasPrefix(cmdOut, "mongoconn ") {
		t.Fatalf("version printed %q", cmdOut)
	}
	for _, args := range [][]string{{"--version"}, {"ping", "--version"}, {"--version", "diagnose", "mongodb://127.0.0.1:1/"}} {
		code, out, errOut := run(t, nil, args...)
		if code != ExitOK || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if out != cmdOut {
			t.Errorf("%v printed\n%s\nwant what version prints\n%s", args, out, cmdOut)
		}
	}
	for _, want := range []string{"commit", "date", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, "go.mongodb.org/mongo-driver/v2 v2."} {
		if !strings.Contains(cmdOut, want) {
			t.Errorf("version output lacks %q:\n%s", want, cmdOut)
		}
	}

	code, out, _ := run(t, nil, "-q", "--version")
	if code != ExitOK || strings.Contains(strings.TrimSpace(out), "\n") || strings.TrimSpace(out) == "" {
		t.Errorf("-q --version printed %q (exit %d), want the version alone", out, code)
	}

	code, out, _ = run(t, nil, "--version", "-o", "json")
	if code != ExitOK {
		t.Fatalf("--version -o json: exit %d", code)
	}
	var v struct {
		Version   string `json:"version"`
		GoVersion string `json:"goVersion"`
		Platform  string `json:"platform"`
		Driver    struct {
			Module         string `json:"module"`
			Version        string `json:"version"`
			MaxWireVersion int    `json:"maxWireVersion"`
		} `json:"driver"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--version -o json printed %q: %v", out, err)
	}
	if v.Version == "" || v.GoVersion != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH ||
		v.Driver.Module != "go.mongodb.org/mongo-driver/v2" || v.Driver.Version == "" || v.Driver.MaxWireVersion < 21 {
		t.Errorf("--version -o json = %+v", v)
	}
}

func TestDurationWithoutUnit(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "5", "ping"}, "mongoconn: error: --timeout 5 has no unit\nmongoconn: hint: did you mean --timeout 5s? Durations take a unit: ms, s, m or h\n"},
		{[]string{"ping", "--timeout=2.5"}, "did you mean --timeout 2.5s?"},
		{[]string{"ping", "--wait", "60"}, "did you mean --wait 60s?"},
		{[]string{"--timeout", "soon", "ping"}, "invalid argument \"soon\""},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, nil, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	_, _, errOut := run(t, nil, "--timeout", "soon", "ping")
	if strings.Contains(errOut, "did you mean") {
		t.Errorf("a value that is not a number got a unit hint: %q", errOut)
	}
}

func TestSRVNeedsAHost(t *testing.T) {
	code, out, errOut := run(t, nil, "srv")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "srv needs a host name or a mongodb+srv:// connection string") {
		t.Errorf("srv without an argument: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestJUnitOnlyWhereItApplies(t *testing.T) {
	for _, args := range [][]string{{"-o", "junit", "explain", "x"}, {"-o", "junit", "version"}, {"discover", "-o", "junit"}} {
		code, out, errOut := run(t, nil, args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, "-o junit is for ping, diagnose and wire-check") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// complete asks cobra's completion machinery what the shell would offer
// after args, as the scripts of `mongoconn completion` do.
func complete(t *testing.T, args ...string) (values []string, directive string) {
	t.Helper()
	code, out, errOut := run(t, nil, append([]string{"__complete"}, args...)...)
	if code != ExitOK {
		t.Fatalf("__complete %v: exit %d, stderr %q", args, code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %v: no directive line in %q", args, out)
	}
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, last
}

// Directives of cobra's completion protocol.
const (
	directiveDefault    = ":0"
	directiveNoFileComp = ":4"
)

func TestCompletion(t *testing.T) {
	tests := []struct {
		args      []string
		values    string
		directive string
	}{
		{[]string{"-o", ""}, "text json", directiveNoFileComp},
		{[]string{"ping", "-o", ""}, "text json junit", directiveNoFileComp},
		{[]string{"diagnose", "--output", ""}, "text json junit", directiveNoFileComp},
		{[]string{"wire-check", "-o", ""}, "text json junit", directiveNoFileComp},
		{[]string{"discover", "-o", ""}, "text json", directiveNoFileComp},
		{[]string{"--server-api", ""}, "1", directiveNoFileComp},
		{[]string{"ping", "--server-api", ""}, "1", directiveNoFileComp},
		{[]string{"--timeout", ""}, "5s 10s 30s 1m", directiveNoFileComp},
		{[]string{"ping", "--wait", ""}, "30s 60s 2m 5m", directiveNoFileComp},
		{[]string{"ping", ""}, "", directiveNoFileComp},
		{[]string{"diagnose", "mongodb://a/", ""}, "", directiveNoFileComp},
		{[]string{"srv", ""}, "", directiveNoFileComp},
		{[]string{"explain", ""}, "", directiveNoFileComp},
		{[]string{"tunnel-check", ""}, "", directiveNoFileComp},
		{[]string{"--dns-server", ""}, "", directiveNoFileComp},
		// A targets file is a file: the shell offers file names.
		{[]string{"ping", "--targets", ""}, "", directiveDefault},
		{[]string{"pi"}, "ping", directiveNoFileComp},
	}
	for _, tc := range tests {
		values, directive := complete(t, tc.args...)
		if got := strings.Join(values, " "); got != tc.values || directive != tc.directive {
			t.Errorf("complete %q = %q %s, want %q %s", tc.args, got, directive, tc.values, tc.directive)
		}
	}
}
