package wireprobe

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestWrongSource(t *testing.T) {
	known := func(q string) SASLAnswer {
		return SASLAnswer{Question: q, Known: true, Mechanisms: []string{"SCRAM-SHA-256"}}
	}
	unknown := func(q string) SASLAnswer { return SASLAnswer{Question: q} }
	tests := []struct {
		name    string
		source  string
		answers []SASLAnswer
		want    string // DB of the answer, "" for none
	}{
		{"known in admin", "app", []SASLAnswer{unknown("app.alice"), known("admin.alice")}, "admin"},
		{"known in the path database", "admin", []SASLAnswer{unknown("admin.bob"), unknown("shop.bob"), known("app.bob")}, "app"},
		{"first other database that knows it", "x", []SASLAnswer{unknown("x.u"), known("admin.u"), known("app.u")}, "admin"},
		{"known in source", "app", []SASLAnswer{known("app.alice"), known("admin.alice")}, ""},
		{"known nowhere", "app", []SASLAnswer{unknown("app.mallory"), unknown("admin.mallory")}, ""},
		{"source not asked", "app", []SASLAnswer{known("admin.alice")}, ""},
		{"user with a dot", "app", []SASLAnswer{unknown("app.a.b"), known("admin.a.b")}, "admin"},
	}
	for _, tt := range tests {
		got, ok := WrongSource(tt.source, tt.answers)
		if (tt.want != "") != ok || got.DB() != tt.want {
			t.Errorf("%s: WrongSource = %+v, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestSASLAnswerOf(t *testing.T) {
	with, _ := bson.Marshal(bson.D{{Key: "saslSupportedMechs", Value: bson.A{"SCRAM-SHA-1"}}, {Key: "ok", Value: 1.0}})
	empty, _ := bson.Marshal(bson.D{{Key: "saslSupportedMechs", Value: bson.A{}}, {Key: "ok", Value: 1.0}})
	without, _ := bson.Marshal(bson.D{{Key: "ok", Value: 1.0}})
	if a := saslAnswerOf("admin.alice", with); !a.Known || len(a.Mechanisms) != 1 || a.DB() != "admin" {
		t.Errorf("with the field: %+v", a)
	}
	if a := saslAnswerOf("admin.alice", empty); !a.Known || len(a.Mechanisms) != 0 {
		t.Errorf("an empty list: %+v", a)
	}
	if a := saslAnswerOf("admin.alice", without); a.Known {
		t.Errorf("without the field: %+v", a)
	}
}
