package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/report"
)

// screen is a terminal of fixed width that understands what Live writes:
// text, \r, \n, and the escape sequences for erasing rows, moving up and
// colours. A row longer than the width wraps, as on a real terminal.
type screen struct {
	width    int
	rows     []string
	row, col int
	mu       sync.Mutex
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := []rune(string(p))
	for i := 0; i < len(r); i++ {
		for len(s.rows) <= s.row {
			s.rows = append(s.rows, "")
		}
		switch c := r[i]; {
		case c == '\n':
			s.row, s.col = s.row+1, 0
		case c == '\r':
			s.col = 0
		case c == 0x1b && i+1 < len(r) && r[i+1] == '[':
			j := i + 2
			for j < len(r) && (r[j] >= '0' && r[j] <= '9' || r[j] == ';') {
				j++
			}
			n, _ := strconv.Atoi(string(r[i+2 : j]))
			switch r[j] {
			case 'K':
				s.rows[s.row] = ""
			case 'A':
				s.row = max(s.row-n, 0)
			case 'J':
				line := []rune(s.rows[s.row])
				s.rows[s.row] = string(line[:min(s.col, len(line))])
				s.rows = s.rows[:s.row+1]
			case 'm':
			default:
				return 0, fmt.Errorf("unknown escape %q", string(r[i:j+1]))
			}
			i = j
		default:
			if s.col >= s.width {
				s.row, s.col = s.row+1, 0
				for len(s.rows) <= s.row {
					s.rows = append(s.rows, "")
				}
			}
			line := []rune(s.rows[s.row])
			for len(line) <= s.col {
				line = append(line, ' ')
			}
			line[s.col] = c
			s.rows[s.row] = string(line)
			s.col++
		}
	}
	return len(p), nil
}

// text is what the screen shows, trailing blanks removed.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rows {
		out = append(out, strings.TrimRight(r, " "))
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

func TestLive(t *testing.T) {
	scr := &screen{width: 60}
	fmt.Fprint(scr, "$ mongoconn diagnose\n")
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := NewLive(scr, 60, TextOptions{})
	l.Now = func() time.Time { return clock }

	l.Check(report.Check{Stage: report.StageURI, Status: report.StatusPass, Summary: "connection string parsed"})
	done := l.Waiting(report.StageTCP, "10.0.0.1:27017", "the TCP handshake")
	clock = clock.Add(3200 * time.Millisecond)
	other := l.Waiting(report.StageTCP, "10.0.0.2:27017", "the TCP handshake")
	clock = clock.Add(time.Second)
	l.Check(report.Check{Stage: report.StageDNS, Address: "db", Status: report.StatusPass, Summary: "resolves to 10.0.0.1 and 10.0.0.2, and a very long tail that cannot fit"})
	got := scr.text()
	lines := strings.Split(got, "\n")
	if len(lines) != 4 {
		t.Fatalf("screen:\n%s\nwant the prompt, two checks and a status row", got)
	}
	if !strings.HasPrefix(lines[1], "  uri") || !strings.HasPrefix(lines[2], "  dns") || !strings.HasSuffix(lines[2], "…") {
		t.Errorf("check rows:\n%s", got)
	}
	if want := "  … tcp 10.0.0.2:27017: waiting for the TCP handshake (1.0 s; 1 more probe(s) waiting)"; lines[3] != cut(want, 59) {
		t.Errorf("status row %q, want %q", lines[3], cut(want, 59))
	}
	for _, line := range lines {
		if len([]rune(line)) >= 60 {
			t.Errorf("row %q reaches the last column", line)
		}
	}

	other()
	if lines := strings.Split(scr.text(), "\n"); !strings.Contains(lines[len(lines)-1], "10.0.0.1:27017: waiting for the TCP handshake (4.2") {
		t.Errorf("after one wait ended, status row %q", lines[len(lines)-1])
	}
	// A line written through the display stays; the transient rows go.
	fmt.Fprint(l, "mongoconn: attempt 1: tcp stage failed; retrying\n")
	done()
	l.Check(report.Check{Stage: report.StageTCP, Address: "10.0.0.1:27017", Status: report.StatusFail, DurationMs: 4200, Summary: "timed out"})
	l.Close()
	want := "$ mongoconn diagnose\nmongoconn: attempt 1: tcp stage failed; retrying"
	if got := scr.text(); got != want {
		t.Errorf("after Close the screen shows\n%s\nwant\n%s", got, want)
	}
	// Closed: nothing more appears; a wait's end after Close is harmless.
	l.Check(report.Check{Stage: report.StagePing, Status: report.StatusPass})
	end := l.Waiting(report.StagePing, "", "x")
	end()
	l.Close()
	if got := scr.text(); got != want {
		t.Errorf("a closed display wrote:\n%s", got)
	}
}

func TestLiveTicks(t *testing.T) {
	var mu sync.Mutex
	var b bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return b.Write(p) })
	l := NewLive(w, 80, TextOptions{})
	done := l.Waiting(report.StageHello, "127.0.0.1:1", "a reply to hello")
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := strings.Count(b.String(), "waiting for a reply to hello")
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	done()
	l.Close()
	mu.Lock()
	defer mu.Unlock()
	if strings.Count(b.String(), "waiting for a reply to hello") < 2 {
		t.Errorf("the status row was never redrawn: %q", b.String())
	}
}

func TestLiveQuiet(t *testing.T) {
	var b bytes.Buffer
	l := NewLive(&b, 80, TextOptions{Quiet: true})
	l.Check(report.Check{Stage: report.StageURI, Status: report.StatusPass})
	l.Waiting(report.StageTCP, "a:1", "x")()
	l.Close()
	if b.Len() != 0 {
		t.Errorf("a quiet display wrote %q", b.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
