package sdam

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Servers for selection tables: address, kind, RTT and tags.
func selSrv(addr, kind string, rtt float64, tags ...string) report.Server {
	s := report.Server{Address: addr, Kind: kind, RTTMs: rtt, Reachable: kind != report.KindUnknown, SetName: "rs0"}
	if len(tags) > 0 {
		s.Tags = map[string]string{}
		for _, kv := range tags {
			k, v, _ := strings.Cut(kv, ":")
			s.Tags[k] = v
		}
	}
	return s
}

func selPrimary(addr string, rtt float64, tags ...string) report.Server {
	return selSrv(addr, report.KindRSPrimary, rtt, tags...)
}

func selSecondary(addr string, rtt float64, tags ...string) report.Server {
	return selSrv(addr, report.KindRSSecondary, rtt, tags...)
}

func selHidden(addr string, rtt float64) report.Server {
	s := selSrv(addr, report.KindRSOther, rtt)
	s.Hidden = true
	return s
}

func selDown(addr string) report.Server {
	return report.Server{Address: addr, Kind: report.KindUnknown, Error: "connection refused"}
}

func tagSets(sets ...string) []map[string]string {
	var out []map[string]string
	for _, set := range sets {
		m := map[string]string{}
		for _, kv := range strings.Split(set, ",") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, ":")
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

func TestSelect(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	lag := func(d time.Duration) Progress { return Progress{LastWrite: now.Add(-d), LastUpdate: now} }
	rs := []report.Server{selPrimary("p:1", 2, "dc:west"), selSecondary("s:1", 1, "dc:west", "rack:1"), selSecondary("s:2", 30, "dc:north")}
	cases := []struct {
		name      string
		servers   []report.Server
		rp        ReadPref
		threshold time.Duration
		opts      SelectOptions
		read      []string     // the latency window of the read, fastest first
		readErr   SelectReason // or why the read has no server
		write     []string
		writeErr  SelectReason
		tagSet    map[string]string
		fallback  bool
		excluded  []string // addresses the read excludes
		caveat    bool     // the write goes to a server that refuses it
		detail    string   // in the read's error detail
	}{
		{name: "primary mode reads from the primary", servers: rs, rp: ReadPref{Mode: ReadPrimary},
			read: []string{"p:1"}, write: []string{"p:1"}, excluded: []string{"s:1", "s:2"}},
		{name: "empty mode is primary", servers: rs, rp: ReadPref{},
			read: []string{"p:1"}, write: []string{"p:1"}},
		{name: "primary mode without a primary", servers: []report.Server{selSecondary("s:1", 1), selSecondary("s:2", 2)}, rp: ReadPref{Mode: ReadPrimary},
			readErr: SelectNoPrimary, writeErr: SelectNoPrimary, detail: "s:1 is RSSecondary"},
		{name: "primaryPreferred with a primary", servers: rs, rp: ReadPref{Mode: ReadPrimaryPreferred, TagSets: tagSets("dc:north")},
			read: []string{"p:1"}, write: []string{"p:1"}},
		{name: "primaryPreferred without a primary reads from tagged secondaries", servers: rs[1:], rp: ReadPref{Mode: ReadPrimaryPreferred, TagSets: tagSets("dc:north")},
			read: []string{"s:2"}, writeErr: SelectNoPrimary, fallback: true, tagSet: map[string]string{"dc": "north"}},
		{name: "primaryPreferred with nothing", servers: []report.Server{selDown("p:1")}, opts: SelectOptions{Topology: TopologyReplicaSetNoPrimary}, rp: ReadPref{Mode: ReadPrimaryPreferred},
			readErr: SelectNoSecondary, writeErr: SelectNoPrimary, detail: "no primary either"},
		{name: "secondary mode skips the primary and keeps the window", servers: rs, rp: ReadPref{Mode: ReadSecondary},
			read: []string{"s:1"}, write: []string{"p:1"}, excluded: []string{"p:1", "s:2"}},
		{name: "secondary mode with only a primary", servers: rs[:1], rp: ReadPref{Mode: ReadSecondary},
			readErr: SelectNoSecondary, write: []string{"p:1"}, detail: "no member is a secondary"},
		{name: "secondaryPreferred falls back to the primary without secondaries", servers: rs[:1], rp: ReadPref{Mode: ReadSecondaryPreferred},
			read: []string{"p:1"}, write: []string{"p:1"}, fallback: true},
		{name: "secondaryPreferred falls back when no secondary has the tags; the primary ignores them", servers: rs, rp: ReadPref{Mode: ReadSecondaryPreferred, TagSets: tagSets("dc:east")},
			read: []string{"p:1"}, write: []string{"p:1"}, fallback: true},
		{name: "secondaryPreferred with no secondary and no primary", servers: []report.Server{selHidden("h:1", 1)}, opts: SelectOptions{Topology: TopologyReplicaSetNoPrimary}, rp: ReadPref{Mode: ReadSecondaryPreferred},
			readErr: SelectNoSecondary, writeErr: SelectNoPrimary, detail: "no primary to fall back to"},
		{name: "nearest takes primary and secondaries within the window", servers: rs, rp: ReadPref{Mode: ReadNearest},
			read: []string{"s:1", "p:1"}, write: []string{"p:1"}, excluded: []string{"s:2"}},
		{name: "a wider window takes the slow member too", servers: rs, rp: ReadPref{Mode: ReadNearest}, threshold: 40 * time.Millisecond,
			read: []string{"s:1", "p:1", "s:2"}, write: []string{"p:1"}},
		{name: "the window is anchored on the fastest suitable server, not the fastest server",
			servers: []report.Server{selPrimary("p:1", 1), selSecondary("s:1", 20), selSecondary("s:2", 30), selSecondary("s:3", 50)}, rp: ReadPref{Mode: ReadSecondary},
			read: []string{"s:1", "s:2"}, write: []string{"p:1"}, excluded: []string{"p:1", "s:3"}},
		{name: "tag sets are tried in order; the first that matches decides", servers: rs, rp: ReadPref{Mode: ReadNearest, TagSets: tagSets("dc:east", "dc:north", "dc:west")},
			read: []string{"s:2"}, write: []string{"p:1"}, tagSet: map[string]string{"dc": "north"}},
		{name: "a tag set matches servers whose tags include it", servers: rs, rp: ReadPref{Mode: ReadSecondary, TagSets: tagSets("rack:1,dc:west")},
			read: []string{"s:1"}, write: []string{"p:1"}, tagSet: map[string]string{"dc": "west", "rack": "1"}},
		{name: "a tag set with one pair too many matches nothing", servers: rs, rp: ReadPref{Mode: ReadSecondary, TagSets: tagSets("dc:west,rack:2")},
			readErr: SelectNoTagMatch, write: []string{"p:1"}, detail: `no secondary carries tags {dc: "west", rack: "2"}`},
		{name: "tags nobody has", servers: rs, rp: ReadPref{Mode: ReadNearest, TagSets: tagSets("dc:east")},
			readErr: SelectNoTagMatch, write: []string{"p:1"}, detail: `no member carries tags {dc: "east"}`, excluded: []string{"p:1", "s:1", "s:2"}},
		{name: "an empty tag set at the end matches everyone", servers: rs, rp: ReadPref{Mode: ReadSecondary, TagSets: tagSets("dc:east", "")},
			read: []string{"s:1"}, write: []string{"p:1"}, tagSet: map[string]string{}},
		{name: "tags with mode primary are refused", servers: rs, rp: ReadPref{Mode: ReadPrimary, TagSets: tagSets("dc:west")},
			readErr: SelectInvalidReadPref, write: []string{"p:1"}},
		{name: "an unknown mode is refused", servers: rs, rp: ReadPref{Mode: "fastest"},
			readErr: SelectInvalidReadPref, write: []string{"p:1"}},
		{name: "the mode is case-insensitive", servers: rs, rp: ReadPref{Mode: "SECONDARY"},
			read: []string{"s:1"}, write: []string{"p:1"}},
		{name: "maxStalenessSeconds with mode primary is refused", servers: rs, rp: ReadPref{Mode: ReadPrimary, MaxStaleness: 120 * time.Second},
			readErr: SelectInvalidReadPref, write: []string{"p:1"}},
		{name: "maxStalenessSeconds under 90 is refused", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 60 * time.Second},
			readErr: SelectInvalidReadPref, write: []string{"p:1"}, detail: "smallest allowed value, 90"},
		{name: "maxStalenessSeconds under the heartbeat plus 10 s is refused", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 100 * time.Second, HeartbeatFrequency: 95 * time.Second},
			readErr: SelectInvalidReadPref, write: []string{"p:1"}, detail: "use at least 105"},
		{name: "staleness against the primary", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second},
			threshold: time.Second,
			opts:      SelectOptions{Progress: map[string]Progress{"p:1": lag(0), "s:1": lag(81 * time.Second), "s:2": lag(79 * time.Second)}},
			read:      []string{"s:2"}, write: []string{"p:1"}, excluded: []string{"p:1", "s:1"}},
		{name: "staleness nets out the primary's own lag", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second},
			opts: SelectOptions{Progress: map[string]Progress{"p:1": lag(30 * time.Second), "s:1": lag(100 * time.Second), "s:2": lag(200 * time.Second)}},
			read: []string{"s:1"}, write: []string{"p:1"}},
		{name: "without a primary staleness is measured against the freshest secondary",
			servers: []report.Server{selSecondary("s:1", 1), selSecondary("s:2", 1), selSecondary("s:3", 1)}, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second},
			opts: SelectOptions{Progress: map[string]Progress{"s:1": lag(500 * time.Second), "s:2": lag(579 * time.Second), "s:3": lag(581 * time.Second)}},
			read: []string{"s:1", "s:2"}, writeErr: SelectNoPrimary, excluded: []string{"s:3"}},
		{name: "every secondary stale", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second},
			opts:    SelectOptions{Progress: map[string]Progress{"p:1": lag(0), "s:1": lag(300 * time.Second), "s:2": lag(400 * time.Second)}},
			readErr: SelectAllStale, write: []string{"p:1"}, detail: "s:1 310 s"},
		{name: "secondaryPreferred falls back to the primary when every secondary is stale", servers: rs, rp: ReadPref{Mode: ReadSecondaryPreferred, MaxStaleness: 90 * time.Second},
			opts: SelectOptions{Progress: map[string]Progress{"p:1": lag(0), "s:1": lag(300 * time.Second), "s:2": lag(400 * time.Second)}},
			read: []string{"p:1"}, write: []string{"p:1"}, fallback: true},
		{name: "nearest never finds the primary stale", servers: rs, rp: ReadPref{Mode: ReadNearest, MaxStaleness: 90 * time.Second},
			opts: SelectOptions{Progress: map[string]Progress{"p:1": lag(0), "s:1": lag(300 * time.Second), "s:2": lag(400 * time.Second)}},
			read: []string{"p:1"}, write: []string{"p:1"}},
		{name: "staleness is applied before tags", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second, TagSets: tagSets("dc:west", "dc:north")},
			opts: SelectOptions{Progress: map[string]Progress{"p:1": lag(0), "s:1": lag(300 * time.Second), "s:2": lag(0)}},
			read: []string{"s:2"}, write: []string{"p:1"}, tagSet: map[string]string{"dc": "north"}},
		{name: "unknown staleness keeps the member", servers: rs, rp: ReadPref{Mode: ReadSecondary, MaxStaleness: 90 * time.Second}, threshold: time.Millisecond,
			read: []string{"s:1"}, write: []string{"p:1"}},
		{name: "arbiters, hidden, recovering and unreachable members are never selected",
			servers: []report.Server{selSrv("a:1", report.KindRSArbiter, 1), selHidden("h:1", 1), selSrv("o:1", report.KindRSOther, 1), selDown("d:1")},
			opts:    SelectOptions{Topology: TopologyReplicaSetNoPrimary}, rp: ReadPref{Mode: ReadNearest},
			readErr: SelectNoServers, writeErr: SelectNoPrimary, excluded: []string{"a:1", "h:1", "o:1", "d:1"}},
		{name: "sharded: any mongos in the window; the read preference goes to mongos",
			servers: []report.Server{selSrv("m:1", report.KindMongos, 3), selSrv("m:2", report.KindMongos, 1), selSrv("m:3", report.KindMongos, 40), selDown("m:4")},
			rp:      ReadPref{Mode: ReadSecondary, TagSets: tagSets("dc:east")},
			read:    []string{"m:2", "m:1"}, write: []string{"m:2", "m:1"}, excluded: []string{"m:3", "m:4"}},
		{name: "sharded with no router answering", servers: []report.Server{selDown("m:1")}, opts: SelectOptions{Topology: TopologySharded},
			readErr: SelectNoMongos, writeErr: SelectNoMongos},
		{name: "a direct connection to a secondary reads from it; writes go there and are refused",
			servers: []report.Server{selSecondary("s:1", 1)}, opts: SelectOptions{Topology: TopologySingle}, rp: ReadPref{Mode: ReadPrimary},
			read: []string{"s:1"}, write: []string{"s:1"}, caveat: true},
		{name: "a standalone", servers: []report.Server{selSrv("x:1", report.KindStandalone, 1)}, rp: ReadPref{Mode: ReadSecondary, TagSets: tagSets("dc:east")},
			read: []string{"x:1"}, write: []string{"x:1"}},
		{name: "a load balancer", servers: []report.Server{selSrv("lb:1", report.KindLoadBalancer, 1)}, rp: ReadPref{Mode: ReadNearest},
			read: []string{"lb:1"}, write: []string{"lb:1"}},
		{name: "nothing answered", servers: []report.Server{selDown("x:1")},
			readErr: SelectNoServers, writeErr: SelectNoServers},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sel := SelectWith(tc.servers, tc.rp, tc.threshold, tc.opts)
			checkChoice(t, "read", sel.Read, tc.read, tc.readErr)
			checkChoice(t, "write", sel.Write, tc.write, tc.writeErr)
			if tc.tagSet != nil || sel.Read.TagSet != nil {
				if len(tc.tagSet) != len(sel.Read.TagSet) || !tagsMatch(tc.tagSet, sel.Read.TagSet) {
					t.Errorf("tag set = %v, want %v", sel.Read.TagSet, tc.tagSet)
				}
			}
			if (sel.Read.Fallback != "") != tc.fallback {
				t.Errorf("fallback = %q, want %v", sel.Read.Fallback, tc.fallback)
			}
			var ex []string
			for _, e := range sel.Read.Excluded {
				ex = append(ex, e.Address)
				if e.Why == "" {
					t.Errorf("exclusion of %s has no reason", e.Address)
				}
			}
			for _, a := range tc.excluded {
				if !slices.Contains(ex, a) {
					t.Errorf("read excludes %v, want %s among them", ex, a)
				}
			}
			if (sel.Write.Caveat != "") != tc.caveat {
				t.Errorf("write caveat = %q, want %v", sel.Write.Caveat, tc.caveat)
			}
			if tc.detail != "" && (sel.Read.Err == nil || !strings.Contains(sel.Read.Err.Error(), tc.detail)) {
				t.Errorf("read error = %v, want it to mention %q", sel.Read.Err, tc.detail)
			}
		})
	}
}

func checkChoice(t *testing.T, op string, c Choice, window []string, reason SelectReason) {
	t.Helper()
	if c.Op != op {
		t.Errorf("%s: op = %q", op, c.Op)
	}
	if reason != 0 {
		var se *SelectError
		if !errors.As(c.Err, &se) {
			t.Fatalf("%s: error = %v, want a *SelectError (%s); window %v", op, c.Err, reason, c.Addresses())
		}
		if se.Reason != reason {
			t.Errorf("%s: reason = %s (%s), want %s", op, se.Reason, se.Detail, reason)
		}
		if c.OK() || len(c.Window) > 0 {
			t.Errorf("%s: failed choice has window %v", op, c.Addresses())
		}
		if c.Describe() == "" {
			t.Errorf("%s: no description", op)
		}
		return
	}
	if c.Err != nil {
		t.Fatalf("%s: unexpected error %v", op, c.Err)
	}
	if got := c.Addresses(); !slices.Equal(got, window) {
		t.Errorf("%s: window = %v, want %v", op, got, window)
	}
	if !c.OK() {
		t.Errorf("%s: not OK", op)
	}
}

func TestSelectStalenessFigures(t *testing.T) {
	// The estimate itself, against both formulas of the max-staleness
	// specification, with a 20 s heartbeat.
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	hb := 20 * time.Second
	cases := []struct {
		name    string
		servers []report.Server
		prog    map[string]Progress
		want    time.Duration
	}{
		{"with a primary", []report.Server{selPrimary("p:1", 1), selSecondary("s:1", 1)},
			map[string]Progress{
				"p:1": {LastWrite: now.Add(-2 * time.Second), LastUpdate: now.Add(-1 * time.Second)},
				"s:1": {LastWrite: now.Add(-100 * time.Second), LastUpdate: now},
			}, 100*time.Second - time.Second + hb},
		{"without a primary", []report.Server{selSecondary("s:0", 1), selSecondary("s:1", 1)},
			map[string]Progress{
				"s:0": {LastWrite: now.Add(-10 * time.Second), LastUpdate: now},
				"s:1": {LastWrite: now.Add(-100 * time.Second), LastUpdate: now},
			}, 90*time.Second + hb},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sel := SelectWith(tc.servers, ReadPref{Mode: ReadSecondary, MaxStaleness: 100 * time.Second, HeartbeatFrequency: hb}, 0, SelectOptions{Progress: tc.prog})
			var got time.Duration
			for _, e := range sel.Read.Excluded {
				if e.Address == "s:1" {
					got = e.Staleness
				}
			}
			if got != tc.want {
				t.Errorf("staleness of s:1 = %s, want %s (excluded %+v)", got, tc.want, sel.Read.Excluded)
			}
		})
	}
}

func TestInferTopology(t *testing.T) {
	cases := []struct {
		servers []report.Server
		want    TopologyKind
	}{
		{nil, TopologyUnknown},
		{[]report.Server{selDown("x:1")}, TopologyUnknown},
		{[]report.Server{selSrv("x:1", report.KindStandalone, 1)}, TopologySingle},
		{[]report.Server{selSrv("x:1", report.KindStandalone, 1), selSrv("x:2", report.KindStandalone, 1)}, TopologyUnknown},
		{[]report.Server{selSecondary("s:1", 1), selDown("x:1")}, TopologyReplicaSetNoPrimary},
		{[]report.Server{selSrv("a:1", report.KindRSArbiter, 1)}, TopologyReplicaSetNoPrimary},
		{[]report.Server{selSecondary("s:1", 1), selPrimary("p:1", 1)}, TopologyReplicaSetWithPrimary},
		{[]report.Server{selSrv("m:1", report.KindMongos, 1), selDown("x:1")}, TopologySharded},
		{[]report.Server{selSrv("lb:1", report.KindLoadBalancer, 1)}, TopologyLoadBalanced},
	}
	for i, tc := range cases {
		if got := InferTopology(tc.servers); got != tc.want {
			t.Errorf("%d: InferTopology = %s, want %s", i, got, tc.want)
		}
	}
}

func TestReadPrefOf(t *testing.T) {
	cases := []struct {
		uri  string
		want ReadPref
		text string
	}{
		{"mongodb://a:1/", ReadPref{Mode: ReadPrimary}, "readPreference=primary"},
		{"mongodb://a:1,b:2/?replicaSet=rs0&readPreference=secondary&readPreferenceTags=dc:east,rack:1&readPreferenceTags=&maxStalenessSeconds=120&heartbeatFrequencyMS=20000",
			ReadPref{Mode: ReadSecondary, TagSets: tagSets("dc:east,rack:1", ""), MaxStaleness: 120 * time.Second, HeartbeatFrequency: 20 * time.Second},
			"readPreference=secondary&readPreferenceTags=dc:east,rack:1&readPreferenceTags=&maxStalenessSeconds=120"},
		{"mongodb://a:1/?readPreference=nearest&maxStalenessSeconds=-1", ReadPref{Mode: ReadNearest}, "readPreference=nearest"},
	}
	for _, tc := range cases {
		tg, err := connstr.ParseTarget(tc.uri)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		got := ReadPrefOf(tg)
		if got.Mode != tc.want.Mode || got.MaxStaleness != tc.want.MaxStaleness || got.HeartbeatFrequency != tc.want.HeartbeatFrequency || len(got.TagSets) != len(tc.want.TagSets) {
			t.Errorf("%s: ReadPrefOf = %+v, want %+v", tc.uri, got, tc.want)
			continue
		}
		for i := range got.TagSets {
			if len(got.TagSets[i]) != len(tc.want.TagSets[i]) || !tagsMatch(tc.want.TagSets[i], got.TagSets[i]) {
				t.Errorf("%s: tag set %d = %v, want %v", tc.uri, i, got.TagSets[i], tc.want.TagSets[i])
			}
		}
		if s := got.String(); s != tc.text {
			t.Errorf("%s: String = %q, want %q", tc.uri, s, tc.text)
		}
	}
	if rp := ReadPrefOf(nil); rp.Mode != ReadPrimary {
		t.Errorf("ReadPrefOf(nil) = %+v", rp)
	}
}

func TestProgressFromHello(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	written := at.Add(-3 * time.Second)
	raw := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		h    bson.Raw
		ok   bool
	}{
		{"lastWrite with a date", raw(bson.D{{Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(written)}}}}), true},
		{"no lastWrite", raw(bson.D{{Key: "ok", Value: 1.0}}), false},
		{"lastWrite not a document", raw(bson.D{{Key: "lastWrite", Value: "yesterday"}}), false},
		{"lastWriteDate not a date", raw(bson.D{{Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: int64(5)}}}}), false},
		{"garbage", bson.Raw{1, 2, 3}, false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		p, ok := ProgressFromHello(tc.h, at)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v", tc.name, ok)
			continue
		}
		if ok && (!p.LastWrite.Equal(written) || !p.LastUpdate.Equal(at)) {
			t.Errorf("%s: progress = %+v", tc.name, p)
		}
	}
}

func FuzzProgressFromHello(f *testing.F) {
	for _, d := range []bson.D{
		{{Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(time.Unix(1700000000, 0))}}}},
		{{Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: bson.DateTime(-1 << 62)}}}},
		{{Key: "lastWrite", Value: bson.A{1, 2}}},
		{{Key: "ok", Value: 1.0}},
	} {
		b, err := bson.Marshal(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(b))
	}
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		at := time.Unix(1700000000, 0)
		p, ok := ProgressFromHello(bson.Raw(b), at)
		if ok && !p.LastUpdate.Equal(at) {
			t.Fatalf("LastUpdate = %v", p.LastUpdate)
		}
		if !ok && (p != Progress{}) {
			t.Fatalf("progress without ok: %+v", p)
		}
	})
}
