package render

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ascii 127.0.0.1:27017", "plain ascii 127.0.0.1:27017"},
		{"été ✓ 東京", "été ✓ 東京"},
		{"a\tb\nc\r\nd", "a b c  d"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"bell\x07nul\x00del\x7f", `bell\x07nul\x00del\x7f`},
		{"c1\u009bx", `c1\u009bx`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"isolate \u2066x\u2069", `isolate \u2066x\u2069`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff\xfe utf8", "bad \uFFFD utf8"},
	}
	for _, tc := range tests {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want []string
	}{
		{"", 10, nil},
		{"   ", 10, nil},
		{"one", 10, []string{"one"}},
		{"one two three", 7, []string{"one two", "three"}},
		{"one two three", 8, []string{"one two", "three"}},
		{"one  two\n three", 80, []string{"one two three"}},
		{"see mongodb://a.example.net:27017,b.example.net:27017/?replicaSet=rs0 now", 20,
			[]string{"see", "mongodb://a.example.net:27017,b.example.net:27017/?replicaSet=rs0", "now"}},
		{"a b", 0, []string{"a", "b"}},
		{"été été", 7, []string{"été été"}},
		{"run `ssh -N -D 1080 ops@bastion` then connect", 12, []string{"run", "`ssh -N -D 1080 ops@bastion`", "then connect"}},
		{"run `ssh -N` and `nc -z h 1`", 80, []string{"run `ssh -N` and `nc -z h 1`"}},
		{"an unpaired ` quote splits", 10, []string{"an", "unpaired `", "quote", "splits"}},
	}
	for _, tc := range tests {
		got := wrap(tc.in, tc.max)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestMillis(t *testing.T) {
	tests := []struct {
		ms   float64
		want string
	}{
		{0, "0.0 ms"},
		{0.04, "0.0 ms"},
		{0.3, "0.3 ms"},
		{412.26, "412.3 ms"},
		{999.9, "999.9 ms"},
		{1000, "1.00 s"},
		{1234.5, "1.23 s"},
		{59999, "60.00 s"},
		{75000, "75 s"},
		{-1, "–"},
		{math.NaN(), "–"},
		{math.Inf(1), "–"},
	}
	for _, tc := range tests {
		if got := millis(tc.ms); got != tc.want {
			t.Errorf("millis(%v) = %q, want %q", tc.ms, got, tc.want)
		}
	}
}

// FuzzClean: whatever the network sends, a cleaned string is valid UTF-8
// with no control characters and keeps every printable character.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "rs0", "\x1b[2J", "a\nb", "\xff", "\u202e", "東京\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("clean(%q) = %q is not valid UTF-8", s, c)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
				t.Fatalf("clean(%q) = %q keeps %U", s, c, r)
			}
		}
		if printableASCII(s) && c != s {
			t.Fatalf("clean changed printable %q to %q", s, c)
		}
	})
}
