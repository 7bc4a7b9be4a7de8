package driverrun

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCorpusRoundTrip(t *testing.T) {
	e := CorpusEntry{
		IDs:     []string{"tcp.refused", "select.timeout"},
		Secrets: []string{"not-her-password"},
		Text:    "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017 {\n  code: undefined\n}\n\n",
	}
	b, err := e.Format()
	if err != nil {
		t.Fatal(err)
	}
	want := "# ids: tcp.refused select.timeout\n# secret: not-her-password\n---\n" +
		"MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017 {\n  code: undefined\n}\n"
	if string(b) != want {
		t.Errorf("Format =\n%s\nwant\n%s", b, want)
	}
	back, err := ParseCorpus(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.IDs, e.IDs) || !slices.Equal(back.Secrets, e.Secrets) || back.Text != strings.TrimRight(e.Text, "\n") {
		t.Errorf("read back %+v", back)
	}

	none, err := CorpusEntry{Text: "MongoNetworkError: connection 1 to 127.0.0.1:27017 closed"}.Format()
	if err != nil || !strings.HasPrefix(string(none), "# ids:\n---\n") {
		t.Errorf("no ids: %q, %v", none, err)
	}
	for _, bad := range []CorpusEntry{
		{Text: " \n"},
		{IDs: []string{"two words"}, Text: "x"},
		{IDs: []string{""}, Text: "x"},
		{Secrets: []string{"a\nb"}, Text: "x"},
		{Secrets: []string{" padded"}, Text: "x"},
	} {
		if _, err := bad.Format(); err == nil {
			t.Errorf("Format(%+v) accepted", bad)
		}
	}
}

// TestParseCorpusReadsTheCommittedFiles reads every file of
// testdata/explain, those written by the suite and the others, as the
// explain corpus test reads them.
func TestParseCorpusReadsTheCommittedFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "explain", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCorpus(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestRewriteApply(t *testing.T) {
	rw := Rewrite{Ports: map[int]int{41235: 27017, 5: 27018}, Dirs: map[string]string{"/tmp/TestDrivers123/001": "/etc/mongoconn"}}
	tests := []struct{ in, want string }{
		{"connect ECONNREFUSED 127.0.0.1:41235", "connect ECONNREFUSED 127.0.0.1:27017"},
		{"<ServerDescription ('127.0.0.1', 41235) server_type: Unknown", "<ServerDescription ('127.0.0.1', 27017) server_type: Unknown"},
		{"port: 41235\n", "port: 27017\n"},
		{"127.0.0.1:41235,127.0.0.1:41235", "127.0.0.1:27017,127.0.0.1:27017"},
		{"41235,41235", "27017,27017"},
		{"after 412350 ms", "after 412350 ms"},
		{"id: 41235abc", "id: 41235abc"},
		{"Timeout: 3.5s", "Timeout: 3.5s"},
		{"wire version 5", "wire version 27018"},
		{"v1.41235", "v1.41235"},
		{"file /tmp/TestDrivers123/001/ca.pem", "file /etc/mongoconn/ca.pem"},
	}
	for _, tt := range tests {
		if got := rw.Apply(tt.in); got != tt.want {
			t.Errorf("Apply(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (Rewrite{}).Apply("127.0.0.1:41235"); got != "127.0.0.1:41235" {
		t.Errorf("an empty rewrite changed the text: %q", got)
	}
}

func FuzzCorpusRoundTrip(f *testing.F) {
	f.Add("tcp.refused select.timeout", "pw", "MongoNetworkError: x\n---\ny")
	f.Add("", "", "---\n")
	f.Fuzz(func(t *testing.T, ids, secret, text string) {
		e := CorpusEntry{IDs: strings.Fields(ids), Text: text}
		if secret != "" {
			e.Secrets = []string{secret}
		}
		b, err := e.Format()
		if err != nil {
			return
		}
		back, err := ParseCorpus(b)
		if err != nil {
			t.Fatalf("cannot read back %q: %v", b, err)
		}
		if !slices.Equal(back.IDs, e.IDs) || back.Text != strings.TrimRight(text, " \t\r\n") {
			t.Fatalf("read back %+v from %+v", back, e)
		}
		if len(e.Secrets) == 1 && (len(back.Secrets) != 1 || back.Secrets[0] != secret) {
			t.Fatalf("secret %q read back as %v", secret, back.Secrets)
		}
	})
}

func FuzzRewriteApply(f *testing.F) {
	f.Add("connect ECONNREFUSED 127.0.0.1:41235", 41235, 27017)
	f.Add("('127.0.0.1', 5)", 5, 6)
	f.Fuzz(func(t *testing.T, text string, from, to int) {
		rw := Rewrite{Ports: map[int]int{from: to}}
		got := rw.Apply(text)
		if from == to && got != text {
			t.Fatalf("mapping %d to itself changed %q to %q", from, text, got)
		}
		if len(rw.Ports) == 1 && !strings.ContainsAny(text, "0123456789") && got != text {
			t.Fatalf("a text without digits changed: %q -> %q", text, got)
		}
	})
}
