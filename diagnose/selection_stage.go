package diagnose

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// selectionStage applies server selection to the servers discovery saw
// (Report.Servers): which member a read with the connection string's read
// preference, and a write, would go to. It adds two checks of stage
// selection (read, write) and, when an operation has no server for a
// reason the other stages do not already report, select.timeout saying
// exactly why. With maxStalenessSeconds on a replica set it asks the data-
// bearing members for one more hello to read their lastWrite. Run it after
// failoverStage, whose findings it defers to.
func (x *run) selectionStage(ctx context.Context, servers []Server) Selection {
	start := x.now()
	answered := false
	for _, s := range servers {
		if s.Reachable {
			answered = true
		}
	}
	if !answered {
		x.skip(StageSelection, "no server answered hello: nothing to select from")
		return Selection{}
	}
	kind := x.selectionTopology(servers)
	rp := ReadPrefOf(x.t)
	threshold := x.t.LocalThreshold
	o := SelectOptions{Topology: kind}
	var progressNotes []string
	if rp.MaxStaleness > 0 && (kind == TopologyReplicaSetNoPrimary || kind == TopologyReplicaSetWithPrimary) {
		o.Progress, progressNotes = x.selectionProgress(ctx, servers)
	}
	sel := SelectWith(servers, rp, threshold, o)
	x.selectionReport(sel, x.since(start), progressNotes)
	return sel
}

// selectionTopology is the topology kind selection works with: Single for
// a direct connection, else what discovery found, else inferred.
func (x *run) selectionTopology(servers []Server) TopologyKind {
	if x.t.DirectConnection != nil && *x.t.DirectConnection {
		return TopologySingle
	}
	if x.t.LoadBalanced {
		return TopologyLoadBalanced
	}
	x.mu.Lock()
	k := topologyKindOf(x.r.Topology)
	x.mu.Unlock()
	// Discovery may have settled on a kind before every member answered;
	// what the servers say now decides between the replica-set kinds.
	inferred := InferTopology(servers)
	switch {
	case k == "" || k == TopologyUnknown:
		return inferred
	case (k == TopologyReplicaSetNoPrimary || k == TopologyReplicaSetWithPrimary) &&
		(inferred == TopologyReplicaSetNoPrimary || inferred == TopologyReplicaSetWithPrimary):
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
func (x *run) selectionProgress(ctx context.Context, servers []Server) (map[string]Progress, []string) {
	var addrs []string
	for _, s := range servers {
		if s.Reachable && (s.Kind == srvKindRSPrimary || s.Kind == srvKindRSSecondary) {
			addrs = append(addrs, s.Address)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, selectionProbeCap)
	defer cancel()
	looks := make([]foLook, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			looks[i] = x.helloOnce(pctx, a)
		}()
	}
	wg.Wait()
	out := map[string]Progress{}
	var notes []string
	for _, l := range looks {
		if !l.Reachable || l.hello == nil {
			notes = append(notes, fmt.Sprintf("%s: no lastWrite (the hello for maxStalenessSeconds failed: %s)", l.Address, l.Error))
			continue
		}
		p, ok := ProgressFromHello(l.hello, l.at)
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
func (x *run) selectionReport(sel Selection, ms float64, progressNotes []string) {
	readWhat := "read with " + sel.ReadPref.String()
	if sel.Topology == TopologySingle {
		readWhat = "read (direct connection: the read preference does not choose the server)"
	}
	x.addCheck(x.choiceCheck(sel, sel.Read, readWhat, ms, progressNotes))
	x.addCheck(x.choiceCheck(sel, sel.Write, "write", 0, nil))

	for _, c := range []Choice{sel.Read, sel.Write} {
		if f, ok := x.selectionFinding(sel, c); ok {
			x.addFinding(f)
		}
	}
}

func (x *run) choiceCheck(sel Selection, c Choice, what string, ms float64, notes []string) Check {
	ck := Check{Stage: StageSelection, DurationMs: ms}
	switch {
	case c.OK() && c.Caveat != "":
		ck.Status = StatusWarn
		ck.Summary = what + ": " + c.Describe() + "; " + c.Caveat
	case c.OK():
		ck.Status = StatusPass
		ck.Summary = what + ": " + c.Describe()
	default:
		ck.Status = StatusFail
		ck.Summary = what + ": no server qualifies: " + c.Describe()
	}
	if len(c.Window) > 0 && sel.Topology != TopologySingle && sel.Topology != TopologyLoadBalanced {
		ck.Detail = append(ck.Detail, fmt.Sprintf("latency window: %s to %s (fastest + localThresholdMS %s)",
			fmtDuration(c.Fastest), fmtDuration(c.Fastest+float64(sel.Threshold)/float64(time.Millisecond)), fmtThreshold(sel.Threshold)))
	}
	for _, e := range c.Excluded {
		ck.Detail = append(ck.Detail, e.Address+" "+e.Why)
	}
	ck.Detail = append(ck.Detail, c.Notes...)
	ck.Detail = append(ck.Detail, notes...)
	return ck
}

// selectionFinding explains an operation with no server, unless another
// stage's finding already does (no primary, a failover, members out of
// reach).
func (x *run) selectionFinding(sel Selection, c Choice) (Finding, bool) {
	var se *SelectError
	if c.Err == nil {
		return Finding{}, false
	}
	if e, ok := c.Err.(*SelectError); ok {
		se = e
	} else {
		return Finding{}, false
	}
	switch se.Reason {
	case SelectNoPrimary:
		if x.hasFinding(IDTopologyNoPrimary) || x.hasFinding(IDTopologyFailover) ||
			x.hasFinding(IDTopologyAdvertisedUnreachable) || x.hasFinding(IDTopologyReplSetNotInitiated) {
			return Finding{}, false
		}
	case SelectNoServers, SelectNoMongos:
		if x.hasFinding(IDTopologyAdvertisedUnreachable) || x.hasFinding(IDTopologyReplSetNameMismatch) {
			return Finding{}, false
		}
	}
	what := "a write"
	if c.Op == "read" {
		what = "a read with " + sel.ReadPref.String()
	}
	ev := []string{fmt.Sprintf("%s would wait serverSelectionTimeoutMS (%s) and then fail with a server selection timeout: %s", what, selectionTimeoutText(x.t), se.Detail)}
	for _, e := range c.Excluded {
		if !e.byFilter {
			ev = append(ev, e.Address+" "+e.Why)
		}
	}
	ev = append(ev, c.Notes...)
	f := NewFinding(IDSelectTimeout, ev...)
	fixes, uri := x.selectionFixes(sel, se)
	if uri != "" {
		f = suggestURI(f, uri)
	}
	f.Fixes = append(fixes, f.Fixes...)
	return f, true
}

// selectionFixes are the fixes for one reason, with the corrected
// connection string where there is one.
func (x *run) selectionFixes(sel Selection, se *SelectError) ([]string, string) {
	t := x.t
	switch se.Reason {
	case SelectNoTagMatch:
		fixes := []string{}
		if tags := x.memberTagSets(); len(tags) > 0 {
			fixes = append(fixes, "Ask for tags the members carry: "+strings.Join(tags, " or "))
		} else {
			fixes = append(fixes, "No member carries any tag: add them with rs.reconfig() (cfg.members[i].tags = {dc: \"east\"}), or remove readPreferenceTags")
		}
		fixes = append(fixes, "End the tag sets with an empty one (…&readPreferenceTags=) so that any eligible member serves the read when no tagged member does")
		return fixes, tagFallbackURI(t, sel.ReadPref)
	case SelectAllStale:
		need := x.neededStaleness(sel)
		fixes := []string{
			"Find out why the secondaries lag: rs.printSecondaryReplicationInfo() in mongosh (network, disk, an index build, a long operation on the secondary)",
		}
		uri := ""
		if need > 0 {
			fixes = append(fixes, fmt.Sprintf("Or accept older data: maxStalenessSeconds=%d or more, or remove maxStalenessSeconds", need))
			uri = t.WithOptions(map[string]string{"maxStalenessSeconds": strconv.FormatInt(need, 10)})
		}
		if sel.ReadPref.mode() == ReadSecondary {
			fixes = append(fixes, "Or let reads fall back to the primary: readPreference=secondaryPreferred")
		}
		return fixes, uri
	case SelectInvalidReadPref:
		if sel.ReadPref.MaxStaleness > 0 {
			floor := max(SmallestMaxStaleness, sel.ReadPref.heartbeat()+IdleWritePeriod)
			n := int64((floor + time.Second - 1) / time.Second)
			return []string{fmt.Sprintf("Use maxStalenessSeconds=%d or more (at least 90, and at least heartbeatFrequencyMS/1000 + 10)", n)},
				t.WithOptions(map[string]string{"maxStalenessSeconds": strconv.FormatInt(n, 10)})
		}
		return []string{"Remove readPreferenceTags, or choose a mode that reads from secondaries (readPreference=secondaryPreferred)"}, ""
	case SelectNoSecondary:
		if sel.ReadPref.mode() == ReadSecondary {
			return []string{"Let reads fall back to the primary when no secondary qualifies: readPreference=secondaryPreferred"},
				t.WithOptions(map[string]string{"readPreference": string(ReadSecondaryPreferred)})
		}
		return []string{"Bring the secondaries back, or read from the primary: readPreference=primaryPreferred"},
			t.WithOptions(map[string]string{"readPreference": string(ReadPrimaryPreferred)})
	case SelectNoPrimary:
		return []string{"For reads that may go to a secondary while there is no primary: readPreference=primaryPreferred"},
			t.WithOptions(map[string]string{"readPreference": string(ReadPrimaryPreferred)})
	}
	return nil, ""
}

// memberTagSets lists the distinct tag sets of the reachable data-bearing
// members, in connection-string spelling.
func (x *run) memberTagSets() []string {
	x.mu.Lock()
	servers := append([]Server(nil), x.r.Servers...)
	x.mu.Unlock()
	var out []string
	for _, s := range servers {
		if s.Reachable && len(s.Tags) > 0 && (s.Kind == srvKindRSPrimary || s.Kind == srvKindRSSecondary) {
			out = appendUnique(out, "readPreferenceTags="+tagSetURI(s.Tags))
		}
	}
	return out
}

// tagFallbackURI is the connection string with the same tag sets followed
// by an empty one, which matches any member.
func tagFallbackURI(t *Target, rp ReadPref) string {
	if t == nil || !t.rewritable() {
		return ""
	}
	base := t.WithOptions(nil, "readPreferenceTags")
	var pairs []string
	for _, ts := range rp.TagSets {
		if len(ts) == 0 {
			return "" // it already ends with a catch-all
		}
		pairs = append(pairs, "readPreferenceTags="+escapeQueryValue(tagSetURI(ts)))
	}
	pairs = append(pairs, "readPreferenceTags=")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + strings.Join(pairs, "&")
}

// neededStaleness is the smallest maxStalenessSeconds under which some
// secondary would qualify, in whole seconds, or 0 when unknown.
func (x *run) neededStaleness(sel Selection) int64 {
	best := time.Duration(-1)
	for _, e := range sel.Read.Excluded {
		if e.Staleness > 0 && (best < 0 || e.Staleness < best) {
			best = e.Staleness
		}
	}
	if best < 0 {
		return 0
	}
	n := int64((best + time.Second - 1) / time.Second)
	return max(n, int64(SmallestMaxStaleness/time.Second))
}
