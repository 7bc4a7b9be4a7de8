package resolve

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
)

func TestCheckSRVTarget(t *testing.T) {
	cases := []struct {
		name, host, target string
		ok                 bool
		suffix             string
		sameAsHost         bool
	}{
		// The specification's prose tests.
		{"prose 1: one label, target under it", "localhost", "test.localhost", true, "", false},
		{"prose 2: localhost -> localhost.mongodb", "localhost", "localhost.mongodb", false, ".localhost", false},
		{"prose 2: mongo.local -> test_1.evil.local", "mongo.local", "test_1.evil.local", false, ".mongo.local", false},
		{"prose 2: blogs.mongodb.com -> blogs.evil.com", "blogs.mongodb.com", "blogs.evil.com", false, ".mongodb.com", false},
		{"prose 3: localhost -> localhost", "localhost", "localhost", false, ".localhost", true},
		{"prose 3: mongo.local -> mongo.local", "mongo.local", "mongo.local", false, ".mongo.local", true},
		{"prose 4: missing dot, one label", "localhost", "test_1.cluster_1localhost", false, ".localhost", false},
		{"prose 4: missing dot, two labels", "mongo.local", "test_1.my_hostmongo.local", false, ".mongo.local", false},
		{"prose 4: missing dot, three labels", "blogs.mongodb.com", "cluster.testmongodb.com", false, ".mongodb.com", false},
		// The specification's DNS test records.
		{"same domain", "test1.test.build.10gen.cc", "localhost.test.build.10gen.cc", true, "", false},
		{"deeper target", "test18.test.build.10gen.cc", "localhost.sub.test.build.10gen.cc", true, "", false},
		{"parent of the domain", "test12.test.build.10gen.cc", "localhost.build.10gen.cc", false, ".test.build.10gen.cc", false},
		{"the domain itself", "test13.test.build.10gen.cc", "test.build.10gen.cc", false, ".test.build.10gen.cc", false},
		{"sibling label", "test14.test.build.10gen.cc", "localhost.not-test.build.10gen.cc", false, ".test.build.10gen.cc", false},
		{"different tld", "test17.test.build.10gen.cc", "localhost.test.build.10gen.not-cc", false, ".test.build.10gen.cc", false},
		{"three labels, target equals host", "test.build.10gen.cc", "test.build.10gen.cc", true, "", false},
		{"two labels, deeper target", "mongo.local", "db.mongo.local", true, "", false},
		// Normalisation.
		{"case and trailing dots", "Cluster0.Example.NET.", "SHARD-00.example.net.", true, "", false},
		{"atlas", "cluster0.ab1cd.mongodb.net", "cluster0-shard-00-00.ab1cd.mongodb.net", true, "", false},
		{"empty target", "cluster0.example.net", "", false, ".example.net", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckSRVTarget(c.host, c.target)
			if c.ok {
				if err != nil {
					t.Fatalf("CheckSRVTarget(%q, %q) = %v, want nil", c.host, c.target, err)
				}
				return
			}
			var me *SRVMismatchError
			if !errors.As(err, &me) {
				t.Fatalf("CheckSRVTarget(%q, %q) = %v, want *SRVMismatchError", c.host, c.target, err)
			}
			if me.Suffix != c.suffix || me.SameAsHost != c.sameAsHost {
				t.Errorf("suffix %q sameAsHost %v, want %q %v", me.Suffix, me.SameAsHost, c.suffix, c.sameAsHost)
			}
			if !strings.Contains(err.Error(), c.suffix) {
				t.Errorf("error %q does not name the expected suffix %q", err, c.suffix)
			}
		})
	}
}

func TestParseTXT(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		want     string // options as key=value, space separated
		problems []TXTProblemKind
	}{
		{"two options", "replicaSet=repl0&authSource=thisDB", "replicaSet=repl0 authSource=thisDB", nil},
		{"concatenated strings", "replicaS" + "et=rep" + "l0", "replicaSet=repl0", nil},
		{"keys are case-insensitive", "REPLICASET=rs0;authsource=admin", "replicaSet=rs0 authSource=admin", nil},
		{"load balanced", "loadBalanced=true", "loadBalanced=true", nil},
		{"load balanced false", "loadBalanced=false", "loadBalanced=false", nil},
		{"percent-encoded value", "authSource=my%20db", "authSource=my db", nil},
		{"empty record", "", "", nil},
		{"empty parts are skipped", "&&replicaSet=rs0&", "replicaSet=rs0", nil},
		{"ssl is not allowed", "ssl=false", "", []TXTProblemKind{TXTNotAllowed}},
		{"tls is not allowed", "tls=false", "", []TXTProblemKind{TXTNotAllowed}},
		{"other options are not allowed", "socketTimeoutMS=500", "", []TXTProblemKind{TXTNotAllowed}},
		{"key without value", "authSource", "", []TXTProblemKind{TXTMalformed}},
		{"empty key", "=x", "", []TXTProblemKind{TXTMalformed}},
		{"empty value", "authSource=", "", []TXTProblemKind{TXTBadValue}},
		{"bad boolean", "loadBalanced=yes", "", []TXTProblemKind{TXTBadValue}},
		{"bad escape", "replicaSet=%zz", "", []TXTProblemKind{TXTBadValue}},
		{"every problem is listed", "replicaSet=rs0&w=majority&authSource&ssl=true", "replicaSet=rs0",
			[]TXTProblemKind{TXTNotAllowed, TXTMalformed, TXTNotAllowed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, err := ParseTXT(c.text)
			var got []string
			for _, o := range opts {
				got = append(got, o.Key+"="+o.Value)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("options = %q, want %q", strings.Join(got, " "), c.want)
			}
			var te *TXTError
			if c.problems == nil {
				if err != nil {
					t.Fatalf("error = %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &te) {
				t.Fatalf("error = %v, want *TXTError", err)
			}
			var kinds []TXTProblemKind
			for _, p := range te.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !slices.Equal(kinds, c.problems) {
				t.Errorf("problems = %v, want %v (%v)", kinds, c.problems, err)
			}
			if te.Record != c.text {
				t.Errorf("record = %q, want %q", te.Record, c.text)
			}
		})
	}
}

func FuzzParseTXT(f *testing.F) {
	for _, s := range []string{
		"replicaSet=repl0&authSource=thisDB", "loadBalanced=true", "ssl=false", "authSource",
		"socketTimeoutMS=500", "replicaSet=%zz", "a=b=c;;&", "REPLICASET=rs0;authSource=%41",
		"", "=", "&", "loadBalanced=TRUE",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		opts, err := ParseTXT(text)
		for _, o := range opts {
			if _, ok := srvTXTAllowed[strings.ToLower(o.Key)]; !ok || srvTXTAllowed[strings.ToLower(o.Key)] != o.Key {
				t.Fatalf("option %q is not one a TXT record may set in canonical spelling", o.Key)
			}
			if o.Value == "" {
				t.Fatalf("option %q has an empty value", o.Key)
			}
			if !strings.Contains(text, o.Raw) {
				t.Fatalf("raw pair %q is not in the record %q", o.Raw, text)
			}
		}
		var te *TXTError
		if err != nil && (!errors.As(err, &te) || len(te.Problems) == 0) {
			t.Fatalf("error %v is not a *TXTError with problems", err)
		}
		// The accepted pairs alone parse again to the same options.
		raws := make([]string, len(opts))
		for i, o := range opts {
			raws[i] = o.Raw
		}
		again, err := ParseTXT(strings.Join(raws, "&"))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(opts) {
			t.Fatalf("reparse of %q: %v, %v; want %v", raws, again, err, opts)
		}
	})
}

func TestMergeSRVOptions(t *testing.T) {
	txt := func(s string) []TXTOption {
		o, err := ParseTXT(s)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	cases := []struct {
		name    string
		txt     string
		uri     []string
		pairs   string
		options map[string]string
	}{
		{"txt options and tls by default", "replicaSet=rs0&authSource=admin", nil,
			"replicaSet=rs0&authSource=admin&tls=true",
			map[string]string{"replicaSet": "rs0", "authSource": "admin", "tls": "true"}},
		{"uri overrides txt", "replicaSet=rs0&authSource=thisDB", []string{"authSource=otherDB"},
			"replicaSet=rs0&authSource=otherDB&tls=true",
			map[string]string{"replicaSet": "rs0", "authSource": "otherDB", "tls": "true"}},
		{"override ignores key case", "authSource=thisDB", []string{"AUTHSOURCE=otherDB"},
			"AUTHSOURCE=otherDB&tls=true",
			map[string]string{"authSource": "otherDB", "tls": "true"}},
		{"tls=false in the uri stays", "", []string{"tls=false"},
			"tls=false", map[string]string{"tls": "false"}},
		{"ssl=false in the uri stays", "", []string{"ssl=false"},
			"ssl=false", map[string]string{"tls": "false"}},
		{"srv options are dropped", "", []string{"srvServiceName=custom", "srvMaxHosts=2", "retryWrites=true"},
			"retryWrites=true&tls=true", map[string]string{"retryWrites": "true", "tls": "true"}},
		{"secrets are masked in the options only", "", []string{"tlsCertificateKeyFilePassword=s3cret", "authMechanismProperties=AWS_SESSION_TOKEN:tok,SERVICE_NAME:x"},
			"tlsCertificateKeyFilePassword=s3cret&authMechanismProperties=AWS_SESSION_TOKEN:tok,SERVICE_NAME:x&tls=true",
			map[string]string{"tlsCertificateKeyFilePassword": "****", "authMechanismProperties": "AWS_SESSION_TOKEN:****,SERVICE_NAME:x", "tls": "true"}},
		{"unknown keys keep their spelling", "", []string{"fooBar=1", "readpreference=nearest"},
			"fooBar=1&readpreference=nearest&tls=true", map[string]string{"fooBar": "1", "readPreference": "nearest", "tls": "true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := MergeOptions(txt(c.txt), c.uri)
			// The equivalent mongodb:// string carries the same options,
			// TXT ones first.
			raw := "mongodb+srv://cluster0.example.test/?" + strings.Join(c.uri, "&")
			u, err := connstr.Rewrite(raw, connstr.Edit{Hosts: []string{"a.example.test:27017"}, Defaults: TXTDefaults(txt(c.txt))})
			if err != nil {
				t.Fatal(err)
			}
			if _, got, _ := strings.Cut(u, "?"); got != c.pairs {
				t.Errorf("pairs = %q, want %q", got, c.pairs)
			}
			if !maps.Equal(m.Options, c.options) {
				t.Errorf("options = %v, want %v", m.Options, c.options)
			}
		})
	}
}

func TestSRVSettings(t *testing.T) {
	cases := []struct {
		pairs    []string
		service  string
		maxHosts int
		wantErr  bool
	}{
		{nil, "mongodb", 0, false},
		{[]string{"srvServiceName=customname"}, "customname", 0, false},
		{[]string{"SRVSERVICENAME=a-b", "srvMaxHosts=2"}, "a-b", 2, false},
		{[]string{"srvServiceName="}, "", 0, true},
		{[]string{"srvServiceName=" + strings.Repeat("x", 63)}, "", 0, true},
		{[]string{"srvServiceName=bad.name"}, "", 0, true},
		// Valid with a warning: ignored, every host is used.
		{[]string{"srvMaxHosts=-1"}, "mongodb", 0, false},
		{[]string{"srvMaxHosts=two", "srvServiceName=x"}, "x", 0, false},
	}
	for _, c := range cases {
		s, err := connstr.SRVSettingsOf(c.pairs)
		if (err != nil) != c.wantErr {
			t.Errorf("%v: err = %v, want error %v", c.pairs, err, c.wantErr)
			continue
		}
		if !c.wantErr && (s.Service != c.service || s.MaxHosts != c.maxHosts) {
			t.Errorf("%v: got %+v, want %s %d", c.pairs, s, c.service, c.maxHosts)
		}
	}
}

func TestIsAtlas(t *testing.T) {
	cases := []struct {
		hosts []string
		want  bool
	}{
		{[]string{"cluster0-shard-00-00.ab1cd.mongodb.net:27017", "cluster0-shard-00-01.ab1cd.MONGODB.NET."}, true},
		{[]string{"cluster0.ab1cd.mongodb.net"}, true},
		{[]string{"cluster0-shard-00-00.ab1cd.mongodb.net:27017", "db.example.com:27017"}, false},
		{[]string{"mongodb.net.example.com"}, false},
		{[]string{"evilmongodb.net"}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := IsAtlas(c.hosts); got != c.want {
			t.Errorf("isAtlas(%v) = %v, want %v", c.hosts, got, c.want)
		}
	}
}

func TestSelectSeeds(t *testing.T) {
	seeds := []string{"a:1", "b:1", "c:1", "d:1"}
	cases := []struct {
		max, want int
	}{{0, 4}, {2, 2}, {4, 4}, {9, 4}, {1, 1}}
	for _, c := range cases {
		got := SelectSeeds(seeds, c.max)
		if len(got) != c.want {
			t.Errorf("srvMaxHosts=%d: %d seeds, want %d", c.max, len(got), c.want)
		}
		for _, s := range got {
			if !slices.Contains(seeds, s) {
				t.Errorf("srvMaxHosts=%d: seed %q was not in the list", c.max, s)
			}
		}
		if len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
			t.Errorf("srvMaxHosts=%d: duplicate seeds %v", c.max, got)
		}
	}
	if fmt.Sprint(seeds) != "[a:1 b:1 c:1 d:1]" {
		t.Errorf("srvSelectSeeds changed its input: %v", seeds)
	}
}
