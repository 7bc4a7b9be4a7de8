package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// scriptCmds are the fixture commands transcripts may use. Each file
// script_<topic>_test.go adds its own in an init function.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"ferretdb":       cmdFerretDB,
	"closedport":     cmdClosedPort,
	"silentlistener": cmdSilentListener,
	"lateferretdb":   cmdLateFerretDB,
	"nopassword":     cmdNoPassword,
}

func TestMain(m *testing.M) {
	// Tests that need the real process (signals) run the test binary
	// itself as mongoconn.
	if os.Getenv("MONGOCONN_RUN_MAIN") == "1" {
		os.Exit(cmd.Main())
	}
	testscript.Main(m, map[string]func(){
		"mongoconn": func() { os.Exit(cmd.Main()) },
	})
}

// TestScripts runs the end-to-end transcripts in testdata/script against
// the real command and loopback fixtures.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  filepath.Join("testdata", "script"),
		Cmds: scriptCmds,
		Setup: func(env *testscript.Env) error {
			// Never inherit a target or colour settings from the developer's shell.
			env.Setenv("MONGODB_URI", "")
			env.Setenv("NO_COLOR", "")
			// Fixtures written for go test (pathtest) need the script's test.
			env.Values[scriptTBKey{}] = env.T()
			return nil
		},
		RequireExplicitExec: false,
	})
}

// ferretdb NAME: start FerretDB and set $NAME to its URI, $NAME_ADDR to its
// address.
func cmdFerretDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ferretdb NAME")
	}
	f, err := ferret.New(ts.MkAbs("ferretdb-"+args[0]), ferret.Options{})
	ts.Check(err)
	ts.Defer(f.Close)
	ts.Setenv(args[0], f.URI)
	ts.Setenv(args[0]+"_ADDR", f.Addr)
}

// lateferretdb NAME DELAY: reserve a port, set $NAME to a URI for it, and
// start FerretDB there after DELAY.
func cmdLateFerretDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lateferretdb NAME DELAY")
	}
	delay, err := time.ParseDuration(args[1])
	ts.Check(err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().String()
	ts.Check(l.Close())
	ts.Setenv(args[0], "mongodb://"+addr+"/")
	dir := ts.MkAbs("ferretdb-" + args[0])
	done := make(chan *ferret.DB, 1)
	go func() {
		time.Sleep(delay)
		f, err := ferret.NewAt(dir, addr, ferret.Options{})
		if err != nil {
			done <- nil
			return
		}
		done <- f
	}()
	ts.Defer(func() {
		if f := <-done; f != nil {
			f.Close()
		}
	})
}

// closedport NAME: set $NAME to an address where nothing listens.
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport NAME")
	}
	addr, err := mongotest.NewClosedPort()
	ts.Check(err)
	ts.Setenv(args[0], addr)
}

// silentlistener NAME: set $NAME to an address that accepts connections
// and never answers.
func cmdSilentListener(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: silentlistener NAME")
	}
	l, err := mongotest.NewSilentListener()
	ts.Check(err)
	ts.Defer(l.Close)
	ts.Setenv(args[0], l.Addr())
}

// nopassword SECRET FILE...: fail if SECRET appears in any of the files
// (stdout and stderr of the last command by default).
func cmdNoPassword(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: nopassword SECRET [FILE...]")
	}
	secret := args[0]
	files := args[1:]
	texts := map[string]string{}
	if len(files) == 0 {
		texts["stdout"] = ts.ReadFile("stdout")
		texts["stderr"] = ts.ReadFile("stderr")
	}
	for _, f := range files {
		texts[f] = ts.ReadFile(f)
	}
	for name, text := range texts {
		if strings.Contains(text, secret) {
			ts.Fatalf("the password %q leaked into %s", secret, name)
		}
	}
}
