package cmd

import (
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/diagnose"
)

// TestSignatureFlags: --dns-server given twice answers with the first and
// compares both; --aws-imds reaches the engine; --instances is checked
// and set on a copy of the engine.
func TestSignatureFlags(t *testing.T) {
	ios, _, _, _ := Test()
	f := NewFactory(ios, func(string) string { return "" })
	root := NewCmdRoot(f)
	root.SetArgs([]string{"--dns-server", "127.0.0.1:5301", "--dns-server", "127.0.0.2", "--aws-imds", "version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	g := f.Global
	if g.DNSServer != "127.0.0.1:5301" || len(g.DNSServers) != 2 || !g.AWSIMDS {
		t.Fatalf("global options %+v", *g)
	}
	e, err := newEngine(g)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range e.CompareResolvers {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "--dns-server 127.0.0.1:5301|--dns-server 127.0.0.2:53" || !e.AWSIMDS {
		t.Errorf("engine compares %q, AWSIMDS %v", names, e.AWSIMDS)
	}
	if one, _ := newEngine(&GlobalOptions{Timeout: 1, DNSServer: "127.0.0.1:5301", DNSServers: []string{"127.0.0.1:5301"}}); len(one.CompareResolvers) != 0 {
		t.Errorf("one --dns-server compares %d resolvers", len(one.CompareResolvers))
	}
	if sys, _ := newEngine(&GlobalOptions{Timeout: 1}); len(sys.CompareResolvers) == 0 || sys.CompareResolvers[0].Name != "system resolver (Go)" {
		t.Errorf("without --dns-server: %+v", sys.CompareResolvers)
	}

	base := diagnose.NewEngine()
	if c := withInstances(base, 40); c == base || c.Instances != 40 || base.Instances != 0 {
		t.Errorf("withInstances changed the shared engine or returned it")
	}
	for _, cmd := range []string{"diagnose", "ping"} {
		code, _, errOut := run(t, nil, cmd, "--instances", "-3", "mongodb://127.0.0.1:1/")
		if code != ExitUsage || !strings.Contains(errOut, "--instances -3 must not be negative") {
			t.Errorf("%s --instances -3: exit %d, %q", cmd, code, errOut)
		}
	}
}
