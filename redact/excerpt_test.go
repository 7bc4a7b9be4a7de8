package redact

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc… (4 bytes)"},
		{"ééé", 3, "ééé"},
		{"éééé", 3, "ééé… (8 bytes)"},
		{"a\xffbc", 2, "a\xff… (4 bytes)"},
		{"abc", 0, "… (3 bytes)"},
		{"abc", -1, "abc"},
	} {
		if got := Excerpt(tc.s, tc.n); got != tc.want {
			t.Errorf("Excerpt(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestShortenWords(t *testing.T) {
	long := strings.Repeat("q", 100)
	for _, tc := range []struct {
		s, want string
	}{
		{"short words stay", "short words stay"},
		{"unknown command " + long, "unknown command " + strings.Repeat("q", 10) + "… (100 bytes)"},
		{long + "\n\t" + long + " x", strings.Repeat("q", 10) + "… (100 bytes)\n\t" + strings.Repeat("q", 10) + "… (100 bytes) x"},
		{"  " + long + "  ", "  " + strings.Repeat("q", 10) + "… (100 bytes)  "},
	} {
		if got := ShortenWords(tc.s, 10); got != tc.want {
			t.Errorf("ShortenWords(%.30q…, 10) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// cutMark is what Excerpt appends to a cut word.
var cutMark = regexp.MustCompile(`… \(\d+ bytes\)`)

// FuzzShortenWords checks that no word of the result is longer than the
// limit (before its "…"), that text without a long word is left as it
// is, and that valid UTF-8 stays valid.
func FuzzShortenWords(f *testing.F) {
	f.Add("unknown command "+strings.Repeat("q", 200), 80)
	f.Add("a\u00a0b\u2028c\xff", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = n % 200
		if n < 0 {
			n = -n
		}
		got := ShortenWords(s, n)
		long := false
		for _, w := range strings.FieldsFunc(s, unicode.IsSpace) {
			long = long || utf8.RuneCountInString(w) > n
		}
		if !long && got != s {
			t.Fatalf("ShortenWords(%q, %d) = %q, want it unchanged", s, n, got)
		}
		for _, w := range strings.FieldsFunc(cutMark.ReplaceAllString(got, "…"), unicode.IsSpace) {
			head, _, _ := strings.Cut(w, "…")
			if utf8.RuneCountInString(head) > n && !strings.Contains(s, w) {
				t.Fatalf("ShortenWords(%q, %d) = %q: the word %q is longer than %d", s, n, got, w, n)
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("ShortenWords(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
	})
}
