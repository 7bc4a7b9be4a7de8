package diagnose

import (
	"strings"
	"testing"
)

func TestTunnelRewriteURI(t *testing.T) {
	direct := uriEdit{host: "127.0.0.1:4000", set: map[string]string{"directConnection": "true"}, drop: []string{"replicaSet"}}
	cases := []struct {
		name string
		raw  string
		edit uriEdit
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
		{"only set an option", "mongodb://a:1,b:2/?replicaSet=prod", uriEdit{set: map[string]string{"replicaSet": "rs0"}},
			"mongodb://a:1,b:2/?replicaSet=rs0"},
		{"semicolon separators", "mongodb://a:1/?replicaSet=rs0;w=1", direct, "mongodb://127.0.0.1:4000/?w=1&directConnection=true"},
		{"at sign in an encoded password", "mongodb://u:p%40ss@a:1/", direct, "mongodb://u:p%40ss@127.0.0.1:4000/?directConnection=true"},
	}
	for _, c := range cases {
		got, err := rewriteURI(c.raw, c.edit)
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
	if _, err := rewriteURI("http://example.com", direct); err == nil {
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
		got, err := rewriteURI(raw, uriEdit{host: "127.0.0.1:1", set: map[string]string{"directConnection": "true"}, drop: []string{"replicaSet"}})
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "mongodb://") {
			t.Fatalf("rewrite of %q gave %q", raw, got)
		}
		if !strings.Contains(got, "directConnection=true") || strings.Contains(strings.ToLower(got), "replicaset=") {
			t.Fatalf("rewrite of %q gave %q", raw, got)
		}
	})
}
