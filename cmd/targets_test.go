package cmd

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"comments and blank lines", "# fleet\n\nmongodb://a:1/\n  mongodb://b:2/  \n#mongodb://c:3/\n", []string{"mongodb://a:1/", "mongodb://b:2/"}},
		{"comment after a URI", "mongodb://a:1/  # primary site\nmongodb://b:2/\t# DR\nmongodb://c:3/ #\n", []string{"mongodb://a:1/", "mongodb://b:2/", "mongodb://c:3/"}},
		{"a # inside a URI stays", "mongodb://u:p#w@a:1/ # note\n", []string{"mongodb://u:p#w@a:1/"}},
		{"byte order mark", "\uFEFFmongodb://a:1/\n", []string{"mongodb://a:1/"}},
		{"byte order mark before a comment", "\uFEFF# fleet\nmongodb://a:1/\n", []string{"mongodb://a:1/"}},
		{"CRLF", "mongodb://a:1/\r\n# x\r\nmongodb://b:2/ # y\r\n", []string{"mongodb://a:1/", "mongodb://b:2/"}},
		{"no final newline", "mongodb://a:1/", []string{"mongodb://a:1/"}},
		{"nothing", "\n  \n# only\n", nil},
	}
	for _, tc := range tests {
		got := parseTargets([]byte(tc.in))
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%s: parseTargets(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// FuzzParseTargets: any file gives lines without white space at either
// end, none empty, none a comment, each a piece of the input.
func FuzzParseTargets(f *testing.F) {
	f.Add([]byte("# fleet\nmongodb://a:1/ # x\n\uFEFF\r\n"))
	f.Add([]byte("\uFEFF\uFEFFmongodb://u:p#w@h/ #"))
	f.Add([]byte{0xff, '\n', '#', ' ', '\t'})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range parseTargets(data) {
			if l == "" || strings.TrimSpace(l) != l || strings.HasPrefix(l, "#") || strings.Contains(l, "\n") {
				t.Fatalf("line %q from %q", l, data)
			}
			if commentStart(l) >= 0 {
				t.Fatalf("line %q keeps a comment", l)
			}
			if utf8.Valid(data) && !strings.Contains(string(data), l) {
				t.Fatalf("line %q is not in the input %q", l, data)
			}
		}
	})
}

func TestTargetWidth(t *testing.T) {
	got := targetWidth([]string{"mongodb://a:1/", "mongodb://alice:secret@b:2/"})
	if want := len("mongodb://alice:****@b:2/"); got != want {
		t.Errorf("targetWidth = %d, want %d (the masked string)", got, want)
	}
	if got := targetWidth([]string{"mongodb://" + strings.Repeat("h", 200) + "/"}); got != maxTargetColumn {
		t.Errorf("targetWidth of a long string = %d, want %d", got, maxTargetColumn)
	}
}
