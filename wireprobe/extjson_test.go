package wireprobe

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestRelaxedJSON(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	reply, err := bson.Marshal(bson.D{
		{Key: "isWritablePrimary", Value: true},
		{Key: "maxWireVersion", Value: int32(21)},
		{Key: "localTime", Value: bson.NewDateTimeFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
		{Key: "electionId", Value: oid},
		{Key: "connectionId", Value: int64(42)},
		{Key: "ok", Value: 1.0},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := RelaxedJSON(reply)
	for _, want := range []string{`"maxWireVersion":21`, `"connectionId":42`, `"ok":1`, `"isWritablePrimary":true`,
		`"localTime":{"$date":"2026-01-02T03:04:05Z"}`, `"electionId":{"$oid":"65a1b2c3d4e5f60718293a4b"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("RelaxedJSON lacks %s:\n%s", want, got)
		}
	}
	for _, canonical := range []string{"$numberInt", "$numberLong", "$numberDouble"} {
		if strings.Contains(got, canonical) {
			t.Errorf("RelaxedJSON has the canonical %s:\n%s", canonical, got)
		}
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("not JSON: %s", got)
	}
	// Not BSON at all: still a string, no panic.
	if s := RelaxedJSON(bson.Raw{1, 2, 3}); strings.Contains(s, "$numberInt") {
		t.Errorf("RelaxedJSON(garbage) = %q", s)
	}
}
