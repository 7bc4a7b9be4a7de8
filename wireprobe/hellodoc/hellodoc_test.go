package hellodoc

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func raw(t testing.TB, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKind(t *testing.T) {
	oid := bson.ObjectID{1, 2, 3}
	tests := []struct {
		name string
		doc  bson.D
		want string
	}{
		{"standalone", bson.D{{Key: "isWritablePrimary", Value: true}}, report.KindStandalone},
		{"legacy standalone", bson.D{{Key: "ismaster", Value: true}}, report.KindStandalone},
		{"mongos", bson.D{{Key: "ismaster", Value: true}, {Key: "msg", Value: "isdbgrid"}}, report.KindMongos},
		{"ghost", bson.D{{Key: "ismaster", Value: false}, {Key: "isreplicaset", Value: true}}, report.KindRSGhost},
		{"primary", bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSPrimary},
		{"legacy primary", bson.D{{Key: "ismaster", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSPrimary},
		{"the later spelling wins", bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "ismaster", Value: false}, {Key: "setName", Value: "rs"}}, report.KindRSOther},
		{"secondary", bson.D{{Key: "secondary", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSSecondary},
		{"hidden secondary", bson.D{{Key: "secondary", Value: true}, {Key: "hidden", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSOther},
		{"arbiter", bson.D{{Key: "arbiterOnly", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSArbiter},
		{"other", bson.D{{Key: "setName", Value: "rs"}}, report.KindRSOther},
		{"ghost before set name", bson.D{{Key: "isreplicaset", Value: true}, {Key: "setName", Value: "rs"}}, report.KindRSGhost},
		{"load balancer", bson.D{{Key: "ismaster", Value: true}, {Key: "msg", Value: "isdbgrid"}, {Key: "serviceId", Value: oid}}, report.KindLoadBalancer},
		{"not ok", bson.D{{Key: "ismaster", Value: true}, {Key: "ok", Value: 0.0}}, report.KindUnknown},
		{"ok as int32", bson.D{{Key: "ismaster", Value: true}, {Key: "ok", Value: int32(1)}}, report.KindStandalone},
		{"ok as int64", bson.D{{Key: "ismaster", Value: true}, {Key: "ok", Value: int64(1)}}, report.KindStandalone},
		{"no ok", bson.D{{Key: "ismaster", Value: true}}, report.KindStandalone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.doc
			if !strings.HasPrefix(tc.name, "not ok") && !strings.HasPrefix(tc.name, "ok as") && tc.name != "no ok" {
				d = append(d, bson.E{Key: "ok", Value: 1.0})
			}
			s, err := Parse("h:1", raw(t, d))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if s.Kind != tc.want || s.Address != "h:1" || !s.Reachable {
				t.Errorf("kind %s address %q reachable %v, want %s", s.Kind, s.Address, s.Reachable, tc.want)
			}
		})
	}
}

// base is a healthy primary's reply: every field the driver reads, with
// the type MongoDB gives it.
func base() bson.D {
	oid := bson.ObjectID{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1}
	return bson.D{
		{Key: "topologyVersion", Value: bson.D{{Key: "processId", Value: oid}, {Key: "counter", Value: int64(6)}}},
		{Key: "hosts", Value: bson.A{"a:1", "b:1"}},
		{Key: "passives", Value: bson.A{"c:1"}},
		{Key: "arbiters", Value: bson.A{"d:1"}},
		{Key: "setName", Value: "rs0"},
		{Key: "setVersion", Value: int32(3)},
		{Key: "isWritablePrimary", Value: true},
		{Key: "secondary", Value: false},
		{Key: "hidden", Value: false},
		{Key: "passive", Value: false},
		{Key: "arbiterOnly", Value: false},
		{Key: "isreplicaset", Value: false},
		{Key: "primary", Value: "a:1"},
		{Key: "tags", Value: bson.D{{Key: "dc", Value: "east"}}},
		{Key: "me", Value: "a:1"},
		{Key: "electionId", Value: oid},
		{Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: bson.DateTime(1)}}},
		{Key: "maxBsonObjectSize", Value: int32(16 << 20)},
		{Key: "maxMessageSizeBytes", Value: int32(48 << 20)},
		{Key: "maxWriteBatchSize", Value: int32(100000)},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
		{Key: "minWireVersion", Value: int32(0)},
		{Key: "maxWireVersion", Value: int32(21)},
		{Key: "readOnly", Value: false},
		{Key: "helloOk", Value: true},
		{Key: "iscryptd", Value: false},
		{Key: "compression", Value: bson.A{"zstd"}},
		{Key: "msg", Value: "x"},
		{Key: "ok", Value: 1.0},
	}
}

// with replaces field in doc.
func with(doc bson.D, field string, v any) bson.D {
	out := append(bson.D(nil), doc...)
	for i := range out {
		if out[i].Key == field {
			out[i].Value = v
			return out
		}
	}
	return append(out, bson.E{Key: field, Value: v})
}

func TestParseBase(t *testing.T) {
	s, err := Parse("a:1", raw(t, base()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Hidden || s.ArbiterOnly || s.Passive {
		t.Errorf("flags of the base: %+v", s)
	}
	for _, flag := range []string{"hidden", "arbiterOnly", "passive"} {
		f, err := Parse("a:1", raw(t, with(base(), flag, true)))
		if err != nil || !map[string]bool{"hidden": f.Hidden, "arbiterOnly": f.ArbiterOnly, "passive": f.Passive}[flag] {
			t.Errorf("%s: true not read: %+v, %v", flag, f, err)
		}
	}
	if s.Kind != report.KindRSPrimary || s.SetName != "rs0" || s.Me != "a:1" || s.Primary != "a:1" || len(s.Hosts) != 2 ||
		len(s.Passives) != 1 || len(s.Arbiters) != 1 || s.Tags["dc"] != "east" || s.SetVersion != 3 ||
		s.MaxWireVersion != 21 || s.SessionTimeout == nil || *s.SessionTimeout != 30 ||
		s.ElectionID != "7fffffff0000000000000001" || len(s.Compression) != 1 {
		t.Errorf("server %+v", s)
	}
}

// Every field the driver reads refuses the reply when it has another
// type, and names the field and its type; the numbers accept every
// numeric type and keep their value.
func TestParseFieldTypes(t *testing.T) {
	oid := bson.ObjectID{1}
	refusedCases := []struct {
		field string
		value any
		named string // the field the error names
		typ   bson.Type
	}{
		{"maxWireVersion", "21", "maxWireVersion", bson.TypeString},
		{"maxWireVersion", true, "maxWireVersion", bson.TypeBoolean},
		{"maxWireVersion", bson.NewDecimal128(0, 21), "maxWireVersion", bson.TypeDecimal128},
		{"minWireVersion", "0", "minWireVersion", bson.TypeString},
		{"isWritablePrimary", "true", "isWritablePrimary", bson.TypeString},
		{"ismaster", int32(1), "ismaster", bson.TypeInt32},
		{"secondary", "false", "secondary", bson.TypeString},
		{"hidden", 0.0, "hidden", bson.TypeDouble},
		{"passive", "no", "passive", bson.TypeString},
		{"arbiterOnly", "false", "arbiterOnly", bson.TypeString},
		{"isreplicaset", "false", "isreplicaset", bson.TypeString},
		{"readOnly", int32(0), "readOnly", bson.TypeInt32},
		{"helloOk", "true", "helloOk", bson.TypeString},
		{"iscryptd", "false", "iscryptd", bson.TypeString},
		{"msg", int32(1), "msg", bson.TypeInt32},
		{"hosts", "a:1", "hosts", bson.TypeString},
		{"hosts", bson.A{"a:1", int32(27017)}, "hosts[1]", bson.TypeInt32},
		{"passives", bson.A{int32(1)}, "passives[0]", bson.TypeInt32},
		{"arbiters", "d:1", "arbiters", bson.TypeString},
		{"compression", "zstd", "compression", bson.TypeString},
		{"setName", int32(0), "setName", bson.TypeInt32},
		{"me", int32(1), "me", bson.TypeInt32},
		{"primary", true, "primary", bson.TypeBoolean},
		{"electionId", oid.Hex(), "electionId", bson.TypeString},
		{"serviceId", "x", "serviceId", bson.TypeString},
		{"setVersion", "1", "setVersion", bson.TypeString},
		{"topologyVersion", "x", "topologyVersion", bson.TypeString},
		{"topologyVersion", bson.D{{Key: "processId", Value: oid}, {Key: "counter", Value: int32(6)}}, "topologyVersion.counter", bson.TypeInt32},
		{"topologyVersion", bson.D{{Key: "processId", Value: "p"}}, "topologyVersion.processId", bson.TypeString},
		{"tags", bson.D{{Key: "dc", Value: int32(1)}}, "tags.dc", bson.TypeInt32},
		{"tags", bson.A{"dc"}, "tags", bson.TypeArray},
		{"lastWrite", "x", "lastWrite", bson.TypeString},
		{"lastWrite", bson.D{{Key: "lastWriteDate", Value: "2024-01-01"}}, "lastWrite.lastWriteDate", bson.TypeString},
		{"maxBsonObjectSize", "16777216", "maxBsonObjectSize", bson.TypeString},
		{"maxMessageSizeBytes", true, "maxMessageSizeBytes", bson.TypeBoolean},
		{"maxWriteBatchSize", "1", "maxWriteBatchSize", bson.TypeString},
		{"logicalSessionTimeoutMinutes", "30", "logicalSessionTimeoutMinutes", bson.TypeString},
		{"ok", "1", "ok", bson.TypeString},
		{"ok", true, "ok", bson.TypeBoolean},
	}
	for _, tc := range refusedCases {
		t.Run("refused/"+tc.named+"/"+tc.typ.String(), func(t *testing.T) {
			s, err := Parse("a:1", raw(t, with(base(), tc.field, tc.value)))
			fe, ok := AsFieldError(err)
			if !ok {
				t.Fatalf("accepted (%+v), error %v", s, err)
			}
			if fe.Field != tc.named || fe.Type != tc.typ || fe.Want == "" {
				t.Errorf("error names %q of type %s (want %q), expected %q of type %s", fe.Field, fe.Type, fe.Want, tc.named, tc.typ)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.named) || !strings.Contains(msg, tc.typ.String()) || !strings.Contains(msg, fe.Want) {
				t.Errorf("message %q does not name the field, its type and what the driver expects", msg)
			}
			if s.Kind != report.KindUnknown {
				t.Errorf("kind %s for a refused reply", s.Kind)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		field string
		value any
		want  int64
	}{
		{"int32", "maxWireVersion", int32(21), 21},
		{"int64", "maxWireVersion", int64(21), 21},
		{"double", "maxWireVersion", 21.0, 21},
		{"double truncated as the driver does", "maxWireVersion", 21.9, 21},
		{"int64 beyond 32 bits", "maxWireVersion", int64(1) << 32, 1 << 32},
		{"negative", "maxWireVersion", int64(-1), -1},
		{"min beyond 32 bits", "minWireVersion", int64(1)<<32 | 30, 1<<32 | 30},
		{"set version int64", "setVersion", int64(1) << 40, 1 << 40},
	} {
		t.Run("number/"+tc.name, func(t *testing.T) {
			s, err := Parse("a:1", raw(t, with(base(), tc.field, tc.value)))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{"maxWireVersion": s.MaxWireVersion, "minWireVersion": s.MinWireVersion, "setVersion": s.SetVersion}[tc.field]
			if got != tc.want {
				t.Errorf("%s = %d, want %d", tc.field, got, tc.want)
			}
			// JSON keeps the number whole.
			b, _ := json.Marshal(s)
			var back map[string]any
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			if err := dec.Decode(&back); err != nil {
				t.Fatal(err)
			}
			if n, ok := back[tc.field].(json.Number); tc.field != "setVersion" && (!ok || n.String() != jsonInt(tc.want)) {
				t.Errorf("JSON %s = %v, want %d", tc.field, back[tc.field], tc.want)
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestOKField(t *testing.T) {
	for _, tc := range []struct {
		ok      any
		refused bool
	}{
		{1.0, false}, {int32(1), false}, {int64(0), false}, {0.0, false},
		{"1", true}, {true, true}, {bson.A{1}, true}, {nil, true},
	} {
		err := OKField(raw(t, bson.D{{Key: "ok", Value: tc.ok}}))
		if (err != nil) != tc.refused {
			t.Errorf("ok %v (%T): error %v, want refused %v", tc.ok, tc.ok, err, tc.refused)
		}
		if err != nil && err.Field != "ok" {
			t.Errorf("ok %v: names %q", tc.ok, err.Field)
		}
	}
	if err := OKField(raw(t, bson.D{{Key: "isWritablePrimary", Value: true}})); err != nil {
		t.Errorf("no ok field: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	_, err := Parse("a:1", bson.Raw{12, 0, 0, 0, 2, 'a', 0, 0xff, 0, 0, 0, 0})
	fe, ok := AsFieldError(err)
	if !ok || fe.Type != 0 || fe.Err == nil || fe.Unwrap() == nil || !strings.Contains(err.Error(), "well-formed") {
		t.Errorf("error %v", err)
	}
}

func TestExcerptBounded(t *testing.T) {
	long := strings.Repeat("é", 200)
	_, err := Parse("a:1", raw(t, with(base(), "maxWireVersion", long)))
	fe, ok := AsFieldError(err)
	if !ok {
		t.Fatal(err)
	}
	if len(fe.Value) > maxValueText+len("...") || !utf8.ValidString(fe.Value) || !strings.HasSuffix(fe.Value, "...") {
		t.Errorf("excerpt %q (%d bytes)", fe.Value, len(fe.Value))
	}
}

func TestDriverWire(t *testing.T) {
	for _, tc := range []struct {
		minW, maxW int64
		want       WireRange
		truncated  bool
	}{
		{0, 21, WireRange{0, 21}, false},
		{0, 1 << 32, WireRange{0, 0}, true},
		{1<<32 | 30, 21, WireRange{30, 21}, true},
		{0, math.MaxInt32, WireRange{0, math.MaxInt32}, false},
		{0, math.MaxInt32 + 1, WireRange{0, math.MinInt32}, true},
		{-1, -1, WireRange{-1, -1}, false},
	} {
		if got := DriverWire(tc.minW, tc.maxW); got != tc.want {
			t.Errorf("DriverWire(%d, %d) = %v, want %v", tc.minW, tc.maxW, got, tc.want)
		}
		if got := Truncated(tc.minW) || Truncated(tc.maxW); got != tc.truncated {
			t.Errorf("Truncated(%d, %d) = %v", tc.minW, tc.maxW, got)
		}
	}
}

// FuzzParse feeds arbitrary documents to the hello parser: it never
// panics, its kind is one of the driver's names, a refused reply is
// Unknown with an error naming a field, and it agrees with OKField.
func FuzzParse(f *testing.F) {
	for _, d := range []bson.D{
		base(),
		{{Key: "ismaster", Value: true}, {Key: "ok", Value: 1.0}},
		{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"}, {Key: "hosts", Value: bson.A{"a:1", 3}}, {Key: "tags", Value: bson.D{{Key: "dc", Value: 1}}}, {Key: "ok", Value: 1}},
		{{Key: "msg", Value: "isdbgrid"}, {Key: "maxWireVersion", Value: int64(1) << 40}, {Key: "ok", Value: true}},
		{{Key: "serviceId", Value: bson.ObjectID{}}, {Key: "electionId", Value: "nope"}, {Key: "ok", Value: 1.0}},
		{{Key: "topologyVersion", Value: bson.D{{Key: "counter", Value: int32(1)}}}, {Key: "ok", Value: "1"}},
	} {
		f.Add([]byte(raw(f, d)))
	}
	kinds := map[string]bool{report.KindStandalone: true, report.KindRSPrimary: true, report.KindRSSecondary: true, report.KindRSArbiter: true, report.KindRSOther: true,
		report.KindRSGhost: true, report.KindMongos: true, report.KindLoadBalancer: true, report.KindUnknown: true}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc := bson.Raw(b)
		if doc.Validate() != nil {
			return // the wire decoder rejects these before the parser sees them
		}
		s, err := Parse("h:1", doc)
		if !kinds[s.Kind] {
			t.Fatalf("kind %q", s.Kind)
		}
		if err != nil {
			fe, ok := AsFieldError(err)
			if !ok || s.Kind != report.KindUnknown || (fe.Type != 0 && fe.Field == "") {
				t.Fatalf("refused with %v, kind %s", err, s.Kind)
			}
			_ = err.Error()
		}
		if okErr := OKField(doc); okErr != nil && err == nil {
			t.Fatalf("OKField refuses (%v) what Parse accepts", okErr)
		}
	})
}
