package topofind

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// SplitHorizonFinding returns topology.split-horizon when the members
// advertise names this machine cannot reach (fs holds
// topology.advertised-unreachable) and the client reached them as a
// horizon client would, with TLS through an external host name: a
// reachable seed that is a name, not an IP address, and not one of the
// names the set answers with. The fix is the horizons configuration,
// filled with the names seen, and raw, the connection string, rewritten to
// reach the first such seed alone meanwhile. tlsEnabled says the
// connection string asks for TLS.
func SplitHorizonFinding(raw string, tlsEnabled bool, v *sdam.View, fs []report.Finding) (report.Finding, bool) {
	if !tlsEnabled || !hasID(fs, catalogue.IDTopologyAdvertisedUnreachable) {
		return report.Finding{}, false
	}
	var ev, external, config []string
	var direct string
	for _, s := range v.ReachableSeeds() {
		seed := sdam.DisplayAddr(v, s.Address)
		host := HostOf(seed)
		if connstr.IsIP(host) || s.Me == "" || sdam.Canonical(s.Me) == sdam.Canonical(seed) || !sdam.IsRSMember(s.Kind) {
			continue
		}
		ev = append(ev, fmt.Sprintf("%s: reached with TLS as %q (the TLS server name), the member answers hello with the names of its own network: it calls itself %s, and its set %s",
			seed, host, s.Me, strings.Join(s.Hosts, ", ")))
		external = append(external, host)
		if config == nil {
			config = horizonsConfig(s, seed)
			if u, err := connstr.RewriteRedacted(raw, connstr.Edit{Hosts: []string{seed}, Set: []connstr.Setting{{Key: "directConnection", Value: "true"}}, Drop: []string{"replicaSet"}}); err == nil {
				direct = u
			}
		}
	}
	if len(ev) == 0 {
		return report.Finding{}, false
	}
	ev = append(ev, fmt.Sprintf("the advertised names do not resolve or answer from here (topology.advertised-unreachable), and no horizon of the set names %s: a member with one would answer a client that connects through it with that horizon's names", strings.Join(external, ", ")))
	f := catalogue.NewFinding(catalogue.IDTopologySplitHorizon, ev...)
	// This set's members and this string, not the catalogue's example
	// db0.example.com.
	f.Fixes = catalogue.SplitHorizonFixes(strings.Join(config, "; "), direct)
	return f, true
}

// horizonsConfig is the rs.reconfig that adds a horizon named external to
// every member s advertises: seed for the member s is, a placeholder for
// the others.
func horizonsConfig(s report.Server, seed string) []string {
	out := []string{"cfg = rs.conf()"}
	for i, h := range s.Hosts {
		ext := "<external name:port of " + h + ">"
		if sdam.Canonical(h) == sdam.Canonical(s.Me) {
			ext = seed
		}
		out = append(out, fmt.Sprintf("cfg.members[%d].horizons = {external: %q}", i, ext))
	}
	return append(out, "rs.reconfig(cfg)")
}

func hasID(fs []report.Finding, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}
