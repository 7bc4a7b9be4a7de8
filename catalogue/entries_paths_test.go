package catalogue

import (
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/report"
)

// TestPathEntries: the ids of DESIGN.md §9 in its order, the two
// warnings, and the fixes that are a different connection string show
// the options to write.
func TestPathEntries(t *testing.T) {
	want := []string{
		IDProxyUnreachable, IDProxyAuthFailed, IDProxyConnectFailed, IDSSHUnreachable, IDSSHAuthFailed,
		IDSSHHostKeyUnknown, IDSSHHostKeyMismatch, IDSSHForwardRefused, IDProxyEnvIgnored, IDTCPSomeAddressesRefused,
	}
	var got []string
	for _, e := range pathEntries {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("path entries %v, want %v", got, want)
	}
	for _, id := range want {
		e, ok := Lookup(id)
		if !ok {
			t.Fatalf("Lookup(%s) found nothing", id)
		}
		warn := id == IDProxyEnvIgnored || id == IDTCPSomeAddressesRefused
		if (e.Severity == report.SeverityWarning) != warn {
			t.Errorf("%s: severity %s", id, e.Severity)
		}
	}
	for id, text := range map[string]string{
		IDProxyUnreachable:        "proxyHost=localhost&proxyPort=1080",
		IDProxyAuthFailed:         "proxyUsername=<user>&proxyPassword=<password>",
		IDProxyEnvIgnored:         "proxyHost=",
		IDTCPSomeAddressesRefused: "mongodb://127.0.0.1:27017/",
		IDSSHAuthFailed:           "--ssh-identity",
		IDSSHHostKeyUnknown:       "--ssh-known-hosts",
	} {
		e, _ := Lookup(id)
		if !strings.Contains(strings.Join(e.Fixes, "\n"), text) {
			t.Errorf("%s: no fix shows %q", id, text)
		}
	}
}
