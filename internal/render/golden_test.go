package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mongoconn/mongoconn/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/render -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	variants := []struct {
		suffix string
		only   map[string]bool // nil: every fixture
		render func(*bytes.Buffer, *report.Report) error
	}{
		{".json.golden", nil, func(b *bytes.Buffer, r *report.Report) error { return JSON(b, r) }},
		{".txt.golden", nil, func(b *bytes.Buffer, r *report.Report) error { return Text(b, r, TextOptions{}) }},
		{".verbose.txt.golden", map[string]bool{"healthy-standalone": true, "replset-unreachable": true},
			func(b *bytes.Buffer, r *report.Report) error { return Text(b, r, TextOptions{Verbose: true}) }},
		{".color.txt.golden", map[string]bool{"refused-port": true, "srv": true},
			func(b *bytes.Buffer, r *report.Report) error { return Text(b, r, TextOptions{Color: true}) }},
	}
	for _, fx := range fixtures {
		for _, v := range variants {
			if v.only != nil && !v.only[fx.name] {
				continue
			}
			t.Run(fx.name+v.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := v.render(&b, fx.report()); err != nil {
					t.Fatal(err)
				}
				golden(t, fx.name+v.suffix, b.Bytes())
			})
		}
	}
}
