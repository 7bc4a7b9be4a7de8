package explain

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
)

// The -update flag regenerates docs/troubleshooting.md. If another test
// file of the package defines -update first, that flag is used instead.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite generated files (docs/troubleshooting.md)")
	}
}

func updating() bool {
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			b, _ := g.Get().(bool)
			return b
		}
	}
	return false
}

// docExamples picks, for each id, the shortest one-line texts of the
// explain corpus whose first finding it is: they show what the error
// looks like when this is its cause. An id that no text names first gets
// the texts that name it at all.
func docExamples(t *testing.T) map[string][]string {
	t.Helper()
	byID := map[string][]string{}
	also := map[string][]string{}
	for _, c := range readCorpus(t) {
		if len(c.ids) == 0 || strings.Contains(c.text, "\n") || len(c.text) > 200 || len(c.secrets) > 0 {
			continue
		}
		x := Explain(c.text)
		ids := x.IDs()
		if len(ids) == 0 || slices.Contains(byID[ids[0]], c.text) {
			continue
		}
		byID[ids[0]] = append(byID[ids[0]], c.text)
		for _, id := range ids[1:] {
			if id != catalogue.IDSelectTimeout {
				also[id] = append(also[id], c.text)
			}
		}
	}
	for id, ex := range also {
		if len(byID[id]) == 0 {
			byID[id] = ex
		}
	}
	for id, ex := range byID {
		sort.Slice(ex, func(i, j int) bool {
			if len(ex[i]) != len(ex[j]) {
				return len(ex[i]) < len(ex[j])
			}
			return ex[i] < ex[j]
		})
		if len(ex) > 3 {
			ex = ex[:3]
		}
		byID[id] = ex
	}
	return byID
}

func TestTroubleshootingDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "troubleshooting.md")
	got := catalogue.TroubleshootingMarkdown(docExamples(t))
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./explain -run TestTroubleshootingDoc -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./explain -run TestTroubleshootingDoc -update", path)
	}
	for _, e := range catalogue.Catalogue() {
		if !bytes.Contains(got, []byte(`<a id="`+e.ID+`"></a>`)) || !bytes.Contains(got, []byte("](#"+e.ID+")")) {
			t.Errorf("the document has no anchor or index link for %s", e.ID)
		}
		for _, d := range e.Docs {
			if !bytes.Contains(got, []byte(d)) {
				t.Errorf("the document misses the link %s of %s", d, e.ID)
			}
		}
	}
}
