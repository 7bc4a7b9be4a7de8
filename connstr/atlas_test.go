package connstr

import "testing"

func TestParseAtlasClusterHost(t *testing.T) {
	tests := []struct {
		host          string
		ok            bool
		cluster, id   string
		legacy, isAll bool
	}{
		{"cluster0.abcde.mongodb.net", true, "cluster0", "abcde", false, true},
		{"Cluster0.AB1CD.mongodb.net.", true, "cluster0", "ab1cd", false, true},
		{"my-app-prod.x7k2p.mongodb-dev.net", true, "my-app-prod", "x7k2p", false, true},
		{"cluster0-pl-0.abcde.mongodb.net", true, "cluster0-pl-0", "abcde", false, true},
		{"cluster0-abcde.mongodb.net", true, "cluster0", "abcde", true, true},
		{"cluster0-shard-00-00-abcde.mongodb.net", false, "", "", false, true},
		{"cluster0-shard-00-00.abcde.mongodb.net", false, "", "", false, true},
		{"mongodb.net", false, "", "", false, false},
		{"abcde.mongodb.net", false, "", "", false, true},
		{"cluster0.ab.mongodb.net", false, "", "", false, true},
		{"cluster_0.abcde.mongodb.net", false, "", "", false, true},
		{"cluster0.abcde.mongodb.com", false, "", "", false, false},
		{"cluster0.abcde.notmongodb.net", false, "", "", false, false},
	}
	for _, tt := range tests {
		got, ok := ParseAtlasClusterHost(tt.host)
		if ok != tt.ok || got.Cluster != tt.cluster || got.ID != tt.id || got.Legacy != tt.legacy {
			t.Errorf("ParseAtlasClusterHost(%q) = %+v, %v", tt.host, got, ok)
		}
		if IsAtlasHost(tt.host) != tt.isAll {
			t.Errorf("IsAtlas(%q) = %v", tt.host, !tt.isAll)
		}
	}
}

// FuzzParseAtlasClusterHost: any host name gives a result or false, never
// a panic, and a host it reads is under an Atlas domain with both parts.
func FuzzParseAtlasClusterHost(f *testing.F) {
	for _, s := range []string{"cluster0.abcde.mongodb.net", "cluster0-abcde.mongodb.net", "mongodb.net", "x..mongodb-dev.net", "-.a.mongodb.net"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		h, ok := ParseAtlasClusterHost(host)
		if ok && (h.Cluster == "" || h.ID == "" || !IsAtlasHost(host)) {
			t.Fatalf("%q read as %+v", host, h)
		}
	})
}
