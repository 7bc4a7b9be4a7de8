package connstr

import (
	"strings"
	"testing"
)

func TestTunnelRewriteURI(t *testing.T) {
	direct := Edit{Host: "127.0.0.1:4000", Set: map[string]string{"directConnection": "true"}, Drop: []string{"replicaSet"}}
	cases := []struct {
		name string
		raw  string
		edit Edit
		want string
	}{
		{"seed alone, replicaSet removed, other options kept", "mongodb://alice:s3cret@mongo-a.internal:27017,mongo-b.internal:27017/app?replicaSet=rs0&authSource=admin&w=majority",
			direct, "mongodb://alice:s3cret@127.0.0.1:4000/app?authSource=admin&w=majority&directConnection=true"},
		{"no path, no options", "mongodb://localhost:4000", direct, "mongodb://127.0.0.1:4000/?directConnection=true"},
		{"existing directConnection=false replaced in place", "mongodb://h:1/?directConnection=false&appName=x", direct,
			"mongodb://127.0.0.1:4000/?directConnection=true&appName=x"},
		{"option keys match whatever their case", "mongodb://h:1/?REPLICASET=rs0&DirectConnection=false", direct,
			"mongodb://127.0.0.1:4000/?DirectConnection=true"},
		{"SRV becomes a plain string with TLS", "mongodb+srv://u:p@cluster0.example.net/db?retryWrites=true&srvMaxHosts=2", direct,
			"mongodb://u:p@127.0.0.1:4000/db?retryWrites=true&directConnection=true&tls=true"},
		{"SRV with tls=false keeps it", "mongodb+srv://cluster0.example.net/?tls=false", direct,
			"mongodb://127.0.0.1:4000/?tls=false&directConnection=true"},
		{"only set an option", "mongodb://a:1,b:2/?replicaSet=prod", Edit{Set: map[string]string{"replicaSet": "rs0"}},
			"mongodb://a:1,b:2/?replicaSet=rs0"},
		{"semicolon separators", "mongodb://a:1/?replicaSet=rs0;w=1", direct, "mongodb://127.0.0.1:4000/?w=1&directConnection=true"},
		{"percent-encoded option keys are the options they decode to", "mongodb://h:1/?replica%53et=rs0&direct%43onnection=false&0replicaSet=x", direct,
			"mongodb://127.0.0.1:4000/?direct%43onnection=true&0replicaSet=x"},
		{"at sign in an encoded password", "mongodb://u:p%40ss@a:1/", direct, "mongodb://u:p%40ss@127.0.0.1:4000/?directConnection=true"},
	}
	for _, c := range cases {
		got, err := Rewrite(c.raw, c.edit)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
		if _, err := ParseTarget(got); err != nil {
			t.Errorf("%s: the rewritten string does not parse: %v", c.name, err)
		}
	}
	if _, err := Rewrite("http://example.com", direct); err == nil {
		t.Error("rewriteURI accepted an http URL")
	}
}

func FuzzTunnelRewriteURI(f *testing.F) {
	for _, s := range []string{
		"mongodb://alice:s3cret@h:1,h:2/db?replicaSet=rs0&w=1",
		"mongodb+srv://u:p@cluster0.example.net/?srvMaxHosts=1",
		"mongodb://",
		"mongodb://@/?&&=",
		"mongodb://a/?directConnection",
		"mongodb://u:p@@h?x=y;z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Rewrite(raw, Edit{Host: "127.0.0.1:1", Set: map[string]string{"directConnection": "true"}, Drop: []string{"replicaSet"}})
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "mongodb://") {
			t.Fatalf("rewrite of %q gave %q", raw, got)
		}
		// Options are read the way the driver reads them (split on & and ;,
		// keys percent-decoded and case-folded), not as substrings: an
		// unrelated key such as "0replicaSet" merely contains the name and
		// must be kept, while "replica%53et" is replicaSet and must go.
		_, query, _ := strings.Cut(got, "?")
		direct := 0
		for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			switch optionKey(k) {
			case "replicaset":
				t.Fatalf("rewrite of %q kept replicaSet: %q", raw, got)
			case "directconnection":
				if v != "true" {
					t.Fatalf("rewrite of %q gave directConnection=%q: %q", raw, v, got)
				}
				direct++
			}
		}
		if direct != 1 {
			t.Fatalf("rewrite of %q has %d directConnection options: %q", raw, direct, got)
		}
	})
}
