package render

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"unknown flag: --ti\x1bmeout": `unknown flag: --ti\x1bmeout`,
		"write owned\a=<value>":       `write owned\x07=<value>`,
		"csi \u009b31m":               `csi \u009b31m`,
		"two\nlines":                  "two lines",
		"bad \xff":                    "bad \uFFFD",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{"{\"a\":\"x\u009b31my\"}", `{"a":"x\u009b31my"}`},
		{"{\"a\":\"\u0080\u009f\u00a0\"}", "{\"a\":\"\\u0080\\u009f\u00a0\"}"},
		{"{\"a\":\"\u202egnp.exe\"}", `{"a":"\u202egnp.exe"}`},
		{"{\"a\":\"été ✓\"}", "{\"a\":\"été ✓\"}"},
	} {
		if got := string(EscapeJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("EscapeJSON(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscapeJSON encodes any string as JSON, escapes it, and checks that
// the result decodes to the same value and holds no raw control or
// bidirectional character.
func FuzzEscapeJSON(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[31m\u009b31m\u202e\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := json.Marshal(map[string]string{s: s})
		if err != nil {
			t.Fatal(err)
		}
		out := EscapeJSON(enc)
		var a, b map[string]string
		if err := json.Unmarshal(enc, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("EscapeJSON(%s) = %s: %v", enc, out, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("EscapeJSON(%s) = %s decodes to %q, want %q", enc, out, b, a)
		}
		if at := rawTerminalRune(out); at >= 0 {
			t.Fatalf("EscapeJSON(%s) = %s: raw control character at byte %d", enc, out, at)
		}
	})
}

// rawTerminalRune returns the offset of the first control or
// bidirectional character in b other than a newline, -1 when none.
func rawTerminalRune(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if (unicode.IsControl(r) && r != '\n') || unicode.Is(unicode.Bidi_Control, r) {
			return i
		}
		i += size
	}
	return -1
}
