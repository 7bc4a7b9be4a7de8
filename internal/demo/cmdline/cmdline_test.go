package cmdline

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// demoScenarios stand for the demo's scenario names.
var demoScenarios = []string{"healthy", "tunnel", "old-server", "wrong-password", "refused", "srv", "explain"}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		argsEnv   string
		scenarios []string
		globals   []string
		binary    string
		list      bool
		markdown  bool
		err       string
	}{
		{name: "nothing"},
		{name: "one scenario", args: []string{"-scenario", "tunnel"}, scenarios: []string{"tunnel"}},
		{name: "inline value", args: []string{"--scenario=srv,refused"}, scenarios: []string{"srv", "refused"}},
		{name: "repeated name once", args: []string{"-scenario", "srv, srv"}, scenarios: []string{"srv"}},
		{name: "unknown scenario", args: []string{"-scenario", "nope"}, err: `no scenario "nope"`},
		{name: "list", args: []string{"-list"}, list: true},
		{name: "binary", args: []string{"-mongoconn", "/tmp/m"}, binary: "/tmp/m"},
		{name: "mongoconn flags mixed in", args: []string{"-o", "json", "-scenario", "healthy", "--no-color"},
			scenarios: []string{"healthy"}, globals: []string{"-o", "json", "--no-color"}},
		{name: "after --", args: []string{"-list", "--", "-v"}, list: true, globals: []string{"-v"}},
		{name: "ARGS", argsEnv: " -o  json --timeout 3s ", globals: []string{"-o", "json", "--timeout", "3s"}},
		{name: "arguments win over ARGS", args: []string{"-q"}, argsEnv: "-v", globals: []string{"-q"}},
		{name: "a command is not a flag", args: []string{"diagnose"}, err: `"diagnose" is not a mongoconn global flag`},
		{name: "a URI is not a flag", argsEnv: "-q mongodb://x", err: `"mongodb://x" is not a mongoconn global flag`},
		{name: "missing value", args: []string{"-scenario"}, err: "flag needs an argument"},
		{name: "markdown", args: []string{"-markdown", "-q"}, markdown: true, globals: []string{"-q"}},
		{name: "markdown is text", args: []string{"-markdown", "-o", "json"}, err: "-markdown shows the text reports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == ArgsEnv {
					return tt.argsEnv
				}
				return ""
			}
			o, err := Parse(tt.args, demoScenarios, getenv, io.Discard)
			if tt.err != "" {
				var uerr *UsageError
				if !errors.As(err, &uerr) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want a usage error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Scenarios, tt.scenarios) || !slices.Equal(o.Globals, tt.globals) || o.Binary != tt.binary || o.List != tt.list || o.Markdown != tt.markdown {
				t.Errorf("got %+v, want scenarios %q globals %q binary %q list %v", o, tt.scenarios, tt.globals, tt.binary, tt.list)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var errOut bytes.Buffer
	_, err := Parse([]string{"-h"}, demoScenarios, func(string) string { return "" }, &errOut)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error %v, want flag.ErrHelp", err)
	}
	for _, name := range demoScenarios {
		if !strings.Contains(errOut.String(), name) {
			t.Errorf("help does not name scenario %s:\n%s", name, errOut.String())
		}
	}
}

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		globals []string
		want    bool
	}{
		{nil, false},
		{[]string{"-o", "json"}, true},
		{[]string{"-ojson"}, true},
		{[]string{"-o=json"}, true},
		{[]string{"--output", "JSON"}, true},
		{[]string{"--output=json"}, true},
		{[]string{"-o", "json", "-o", "text"}, false},
		{[]string{"-o"}, false},
		{[]string{"-q", "--no-color"}, false},
	}
	for _, tt := range tests {
		if got := WantsJSON(tt.globals); got != tt.want {
			t.Errorf("WantsJSON(%q) = %v, want %v", tt.globals, got, tt.want)
		}
	}
}

func FuzzParseOptions(f *testing.F) {
	f.Add("-scenario tunnel -o json")
	f.Add("--scenario=srv,refused -- -v")
	f.Add("-list -mongoconn /tmp/m --timeout 3s")
	f.Add("diagnose mongodb://x")
	f.Add("-scenario")
	f.Add("-o")
	f.Add("--")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		o, err := Parse(args, demoScenarios, func(string) string { return line }, io.Discard)
		if err != nil {
			return
		}
		for _, n := range o.Scenarios {
			if !slices.Contains(demoScenarios, n) {
				t.Fatalf("unknown scenario %q accepted", n)
			}
		}
		for i, g := range o.Globals {
			if !strings.HasPrefix(g, "-") && (i == 0 || !TakesValue(o.Globals[i-1])) {
				t.Fatalf("%q passed to mongoconn as a global flag", g)
			}
		}
	})
}
