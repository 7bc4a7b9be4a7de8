package cmd

import (
	"strings"
	"testing"
)

// TestSRVHelp: the help text names the options a TXT record may set, and
// the SRV options of the connection string, each once and apart.
func TestSRVHelp(t *testing.T) {
	ios, _, _, _ := Test()
	long := strings.Join(strings.Fields(NewCmdSRV(NewFactory(ios, func(string) string { return "" }), nil).Long), " ")
	cases := []struct {
		text string
		want bool
	}{
		{"TXT record, which may set only authSource, replicaSet and loadBalanced (srvServiceName,", true},
		{"srvMaxHosts, how many targets are used, are options of the connection string only", true},
		{"loadBalanced, srvMaxHosts", false},
		{"srvServiceName and loadBalanced", false},
	}
	for _, c := range cases {
		if got := strings.Contains(long, c.text); got != c.want {
			t.Errorf("help mentions %q: %v, want %v\n%s", c.text, got, c.want, long)
		}
	}
	if n := strings.Count(long, "loadBalanced"); n != 1 {
		t.Errorf("loadBalanced named %d times:\n%s", n, long)
	}
}
