package diagnose

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// selectionStage applies server selection to the servers discovery saw
// (Report.Servers): which member a read with the connection string's read
// preference, and a write, would go to. It adds two checks of stage
// selection (read, write) and, when an operation has no server for a
// reason the other stages do not already report, select.timeout saying
// exactly why. With maxStalenessSeconds on a replica set it asks the data-
// bearing members for one more hello to read their lastWrite. Run it after
// failoverStage, whose findings it defers to.
func (x *run) selectionStage(ctx context.Context, servers []report.Server) sdam.Selection {
	start := x.now()
	answered := false
	for _, s := range servers {
		if s.Reachable {
			answered = true
		}
	}
	if !answered {
		x.skip(report.StageSelection, "no server answered hello: nothing to select from")
		return sdam.Selection{}
	}
	kind := x.selectionTopology(servers)
	rp := sdam.ReadPrefOf(x.t)
	threshold := x.t.LocalThreshold
	o := sdam.SelectOptions{Topology: kind}
	var progressNotes []string
	if rp.MaxStaleness > 0 && (kind == sdam.TopologyReplicaSetNoPrimary || kind == sdam.TopologyReplicaSetWithPrimary) {
		o.Progress, progressNotes = x.selectionProgress(ctx, servers)
	}
	sel := sdam.SelectWith(servers, rp, threshold, o)
	x.selectionReport(sel, x.since(start), progressNotes, untriedServers(servers))
	return sel
}

// untriedServers lists the servers this machine could not ask at all
// (out of file descriptors, ports or memory: report.Server.Local).
func untriedServers(servers []report.Server) []string {
	var out []string
	for _, s := range servers {
		if s.Local && !s.Reachable {
			out = append(out, s.Address)
		}
	}
	return out
}

// selectionTopology is the topology kind selection works with: Single for
// a direct connection, else what discovery found, else inferred.
func (x *run) selectionTopology(servers []report.Server) sdam.TopologyKind {
	if x.t.DirectConnection != nil && *x.t.DirectConnection {
		return sdam.TopologySingle
	}
	if x.t.LoadBalanced {
		return sdam.TopologyLoadBalanced
	}
	x.mu.Lock()
	k := sdam.KindOf(x.r.Topology)
	x.mu.Unlock()
	// Discovery may have settled on a kind before every member answered;
	// what the servers say now decides between the replica-set kinds.
	inferred := sdam.InferTopology(servers)
	switch {
	case k == "" || k == sdam.TopologyUnknown:
		return inferred
	case (k == sdam.TopologyReplicaSetNoPrimary || k == sdam.TopologyReplicaSetWithPrimary) &&
		(inferred == sdam.TopologyReplicaSetNoPrimary || inferred == sdam.TopologyReplicaSetWithPrimary):
		return inferred
	}
	return k
}

// selectionProbeCap bounds the extra hello that reads a member's
// lastWrite for maxStalenessSeconds: members that answered a moment ago
// answer in milliseconds, and a silent one must not hold the verdict.
const selectionProbeCap = 2 * time.Second

// selectionProgress asks the primary and secondaries for one more hello and
// reads lastWrite.lastWriteDate from each reply.
func (x *run) selectionProgress(ctx context.Context, servers []report.Server) (map[string]sdam.Progress, []string) {
	var addrs []string
	for _, s := range servers {
		if s.Reachable && (s.Kind == report.KindRSPrimary || s.Kind == report.KindRSSecondary) {
			addrs = append(addrs, s.Address)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, selectionProbeCap)
	defer cancel()
	looks := x.rehello(pctx, addrs)
	out := map[string]sdam.Progress{}
	var notes []string
	for _, l := range looks {
		if !l.Reachable || l.Hello == nil {
			notes = append(notes, fmt.Sprintf("%s: no lastWrite (the hello for maxStalenessSeconds failed: %s)", l.Address, l.Error))
			continue
		}
		p, ok := sdam.ProgressFromHello(l.Hello, l.At)
		if !ok {
			notes = append(notes, l.Address+": its hello carries no lastWrite.lastWriteDate")
			continue
		}
		out[l.Address] = p
		notes = append(notes, fmt.Sprintf("%s: lastWriteDate %s", l.Address, p.LastWrite.UTC().Format(time.RFC3339)))
	}
	return out, notes
}

// selectionReport adds the read and write checks and the findings.
// untried are the servers this machine could not ask: a selection that
// finds no server may have found one among them, so it adds no finding
// (local.resources says why they were not asked).
func (x *run) selectionReport(sel sdam.Selection, ms float64, progressNotes []string, untried []string) {
	readWhat := "read with " + sel.ReadPref.String()
	if sel.Topology == sdam.TopologySingle {
		readWhat = "read (direct connection: the read preference does not choose the server)"
	}
	x.addCheck(topofind.ChoiceCheck(sel, sel.Read, readWhat, ms, progressNotes))
	x.addCheck(topofind.ChoiceCheck(sel, sel.Write, "write", 0, nil))

	for _, c := range []sdam.Choice{sel.Read, sel.Write} {
		if se, ok := c.Err.(*sdam.SelectError); ok && se.Reason != sdam.SelectInvalidReadPref &&
			len(untried) > 0 && x.hasFinding(catalogue.IDLocalResources) {
			continue
		}
		if f, ok := x.selectionFinding(sel, c); ok {
			x.addFinding(f)
		}
	}
}

// selectionFinding explains an operation with no server, unless another
// stage's finding already does (no primary, a failover, members out of
// reach).
func (x *run) selectionFinding(sel sdam.Selection, c sdam.Choice) (report.Finding, bool) {
	var se *sdam.SelectError
	if c.Err == nil {
		return report.Finding{}, false
	}
	if e, ok := c.Err.(*sdam.SelectError); ok {
		se = e
	} else {
		return report.Finding{}, false
	}
	switch se.Reason {
	case sdam.SelectNoPrimary:
		if x.hasFinding(catalogue.IDTopologyNoPrimary) || x.hasFinding(catalogue.IDTopologyFailover) ||
			x.hasFinding(catalogue.IDTopologyAdvertisedUnreachable) || x.hasFinding(catalogue.IDTopologyReplSetNotInitiated) {
			return report.Finding{}, false
		}
	case sdam.SelectNoServers, sdam.SelectNoMongos:
		if x.hasFinding(catalogue.IDTopologyAdvertisedUnreachable) || x.hasFinding(catalogue.IDTopologyReplSetNameMismatch) {
			return report.Finding{}, false
		}
	}
	what := "a write"
	if c.Op == "read" {
		what = "a read with " + sel.ReadPref.String()
	}
	ev := []string{fmt.Sprintf("%s would wait serverSelectionTimeoutMS (%s) and then fail with a server selection timeout: %s", what, topofind.SelectionTimeoutText(x.t), se.Detail)}
	for _, e := range c.Excluded {
		if !e.ByFilter {
			ev = append(ev, e.Address+" "+e.Why)
		}
	}
	ev = append(ev, c.Notes...)
	f := catalogue.NewFinding(catalogue.IDSelectTimeout, ev...)
	fixes, uri := x.selectionFixes(sel, se)
	if uri != "" {
		f = report.WithSuggestedURI(f, uri)
	}
	f.Fixes = append(fixes, f.Fixes...)
	return f, true
}

// selectionFixes are the fixes for one reason, with the corrected
// connection string where there is one.
func (x *run) selectionFixes(sel sdam.Selection, se *sdam.SelectError) ([]string, string) {
	t := x.t
	switch se.Reason {
	case sdam.SelectNoTagMatch:
		fixes := []string{}
		if tags := x.memberTagSets(); len(tags) > 0 {
			fixes = append(fixes, "Ask for tags the members carry: "+strings.Join(tags, " or "))
		} else {
			fixes = append(fixes, "No member carries any tag: add them with rs.reconfig() (cfg.Members[i].tags = {dc: \"east\"}), or remove readPreferenceTags")
		}
		fixes = append(fixes, "End the tag sets with an empty one (…&readPreferenceTags=) so that any eligible member serves the read when no tagged member does")
		return fixes, topofind.TagFallbackURI(t, sel.ReadPref)
	case sdam.SelectAllStale:
		need := topofind.NeededStaleness(sel)
		fixes := []string{
			"Find out why the secondaries lag: rs.printSecondaryReplicationInfo() in mongosh (network, disk, an index build, a long operation on the secondary)",
		}
		uri := ""
		if need > 0 {
			fixes = append(fixes, fmt.Sprintf("Or accept older data: maxStalenessSeconds=%d or more, or remove maxStalenessSeconds", need))
			uri = t.RewriteRedacted(connstr.Edit{Set: []connstr.Setting{{Key: "maxStalenessSeconds", Value: strconv.FormatInt(need, 10)}}})
		}
		if sel.ReadPref.EffectiveMode() == sdam.ReadSecondary {
			fixes = append(fixes, "Or let reads fall back to the primary: readPreference=secondaryPreferred")
		}
		return fixes, uri
	case sdam.SelectInvalidReadPref:
		if sel.ReadPref.MaxStaleness > 0 {
			floor := max(sdam.SmallestMaxStaleness, sel.ReadPref.Heartbeat()+sdam.IdleWritePeriod)
			n := int64((floor + time.Second - 1) / time.Second)
			return []string{fmt.Sprintf("Use maxStalenessSeconds=%d or more (at least 90, and at least heartbeatFrequencyMS/1000 + 10)", n)},
				t.RewriteRedacted(connstr.Edit{Set: []connstr.Setting{{Key: "maxStalenessSeconds", Value: strconv.FormatInt(n, 10)}}})
		}
		return []string{"Remove readPreferenceTags, or choose a mode that reads from secondaries (readPreference=secondaryPreferred)"}, ""
	case sdam.SelectNoSecondary:
		if sel.ReadPref.EffectiveMode() == sdam.ReadSecondary {
			return []string{"Let reads fall back to the primary when no secondary qualifies: readPreference=secondaryPreferred"},
				t.RewriteRedacted(connstr.Edit{Set: []connstr.Setting{{Key: "readPreference", Value: string(sdam.ReadSecondaryPreferred)}}})
		}
		return []string{"Bring the secondaries back, or read from the primary: readPreference=primaryPreferred"},
			t.RewriteRedacted(connstr.Edit{Set: []connstr.Setting{{Key: "readPreference", Value: string(sdam.ReadPrimaryPreferred)}}})
	case sdam.SelectNoPrimary:
		return []string{"For reads that may go to a secondary while there is no primary: readPreference=primaryPreferred"},
			t.RewriteRedacted(connstr.Edit{Set: []connstr.Setting{{Key: "readPreference", Value: string(sdam.ReadPrimaryPreferred)}}})
	}
	return nil, ""
}

// memberTagSets lists the distinct tag sets of the reachable data-bearing
// members, in connection-string spelling.
func (x *run) memberTagSets() []string {
	x.mu.Lock()
	servers := append([]report.Server(nil), x.r.Servers...)
	x.mu.Unlock()
	var out []string
	for _, s := range servers {
		if s.Reachable && len(s.Tags) > 0 && (s.Kind == report.KindRSPrimary || s.Kind == report.KindRSSecondary) {
			out = report.AppendUnique(out, "readPreferenceTags="+sdam.TagSetURI(s.Tags))
		}
	}
	return out
}
