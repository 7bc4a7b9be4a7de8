package fuzz

import (
	"testing"

	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/sdam/sdamtest"
)

// FuzzTopoFindings feeds the findings and verdicts of discovery with
// topologies built from arbitrary hello replies: they must not panic.
func FuzzTopoFindings(f *testing.F) {
	sdamtest.AddDiscoverSeeds(f)
	f.Fuzz(func(t *testing.T, kind uint8, setName, me, hosts, prim, uriSet string) {
		sdamtest.DiscoverFuzzed(t, kind, setName, me, hosts, prim, uriSet, func(v *sdam.View) {
			topofind.Findings(v, topofind.URIs{Given: "mongodb://u:p@a:1/?replicaSet=" + uriSet})
			topofind.Verdict(v)
			topofind.TunnelVerdict(v)
		})
	})
}
