package topofind

import (
	"fmt"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// TagFallbackURI is the connection string with the same tag sets followed
// by an empty one, which matches any member.
func TagFallbackURI(t *connstr.Target, rp sdam.ReadPref) string {
	if t == nil || !t.Rewritable() {
		return ""
	}
	var tags []connstr.Setting
	for _, ts := range rp.TagSets {
		if len(ts) == 0 {
			return "" // it already ends with a catch-all
		}
		tags = append(tags, connstr.Setting{Key: "readPreferenceTags", Value: sdam.TagSetURI(ts)})
	}
	tags = append(tags, connstr.Setting{Key: "readPreferenceTags", Value: ""})
	return t.RewriteRedacted(connstr.Edit{Drop: []string{"readPreferenceTags"}, Set: tags})
}

// ChoiceCheck is the selection check of one operation (what: "write",
// or the read and its read preference), with the latency window, the
// servers left out and why, and notes.
func ChoiceCheck(sel sdam.Selection, c sdam.Choice, what string, ms float64, notes []string) report.Check {
	ck := report.Check{Stage: report.StageSelection, DurationMs: ms}
	switch {
	case c.OK() && c.Caveat != "":
		ck.Status = report.StatusWarn
		ck.Summary = what + ": " + c.Describe() + "; " + c.Caveat
	case c.OK():
		ck.Status = report.StatusPass
		ck.Summary = what + ": " + c.Describe()
	default:
		ck.Status = report.StatusFail
		ck.Summary = what + ": no server qualifies: " + c.Describe()
	}
	if len(c.Window) > 0 && sel.Topology != sdam.TopologySingle && sel.Topology != sdam.TopologyLoadBalanced {
		ck.Detail = append(ck.Detail, fmt.Sprintf("latency window: %s to %s (fastest + localThresholdMS %s)",
			report.FormatMs(c.Fastest), report.FormatMs(c.Fastest+float64(sel.Threshold)/float64(time.Millisecond)), sdam.FormatThreshold(sel.Threshold)))
	}
	for _, e := range c.Excluded {
		ck.Detail = append(ck.Detail, e.Address+" "+e.Why)
	}
	ck.Detail = append(ck.Detail, c.Notes...)
	ck.Detail = append(ck.Detail, notes...)
	return ck
}

// NeededStaleness is the smallest maxStalenessSeconds under which some
// secondary would qualify, in whole seconds, or 0 when unknown.
func NeededStaleness(sel sdam.Selection) int64 {
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
	return max(n, int64(sdam.SmallestMaxStaleness/time.Second))
}
