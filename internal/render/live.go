package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mongoconn/mongoconn/report"
)

// liveTick is how often the status row of a Live display is redrawn
// while a probe waits: often enough that the elapsed time visibly moves,
// rarely enough to cost nothing.
const liveTick = 500 * time.Millisecond

// liveMinWidth is the narrowest terminal a Live display assumes: narrower
// ones still get whole rows, cut short.
const liveMinWidth = 40

// Live is a terminal's view of one command while it runs: each check as
// it finishes, and a status row saying what the command waits for (which
// probe, on which address, for how long). Everything it shows is
// transient: Close erases it, so that the report printed afterwards holds
// the only copy of the checks. Lines written through Write (a retry's
// log line) stay. Rows are cut to the terminal's width, so that the
// number of rows to erase is known.
//
// A Live keeps state for one command; its methods may be called from any
// goroutine.
type Live struct {
	w     io.Writer
	o     TextOptions
	width int

	// Now is the clock of the elapsed times; tests set it.
	Now func() time.Time

	mu     sync.Mutex
	rows   int  // check rows on screen since the last erase
	status bool // the status row is on screen (the cursor ends it)
	waits  []*liveWait
	stop   chan struct{}
	closed bool
}

type liveWait struct {
	stage   report.Stage
	address string
	what    string
	since   time.Time
}

// NewLive returns a display writing to w, a terminal width columns wide.
func NewLive(w io.Writer, width int, o TextOptions) *Live {
	return &Live{w: w, o: o, width: max(width, liveMinWidth), Now: time.Now}
}

// Check shows a check that has just finished.
func (l *Live) Check(c report.Check) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.o.Quiet {
		return
	}
	l.clearStatus()
	_, _ = io.WriteString(l.w, l.checkRow(c))
	l.rows++
	l.drawStatus()
}

// Waiting shows that a probe waits on the network (stage and address say
// which, what says for what: "the TLS handshake") until the returned
// function is called.
func (l *Live) Waiting(stage report.Stage, address, what string) (done func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.o.Quiet {
		return func() {}
	}
	w := &liveWait{stage: stage, address: address, what: what, since: l.Now()}
	l.waits = append(l.waits, w)
	if l.stop == nil {
		l.stop = make(chan struct{})
		go l.tick(l.stop)
	}
	l.clearStatus()
	l.drawStatus()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, x := range l.waits {
			if x == w {
				l.waits = append(l.waits[:i], l.waits[i+1:]...)
				break
			}
		}
		if !l.closed {
			l.clearStatus()
			l.drawStatus()
		}
	}
}

// Write prints p as lasting output: the checks and status on screen are
// erased first, and p stays when Live closes.
func (l *Live) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.w.Write(p)
	}
	l.erase()
	n, err := l.w.Write(p)
	l.drawStatus()
	return n, err
}

// Close erases what the display showed and stops its clock. Later calls
// show nothing.
func (l *Live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	if l.stop != nil {
		close(l.stop)
	}
	l.erase()
}

func (l *Live) tick(stop chan struct{}) {
	t := time.NewTicker(liveTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			l.mu.Lock()
			if !l.closed && len(l.waits) > 0 {
				l.clearStatus()
				l.drawStatus()
			}
			l.mu.Unlock()
		}
	}
}

// Terminal control: carriage return, erase the row, move up n rows,
// erase to the end of the screen.
const (
	ansiClearRow   = "\r\x1b[2K"
	ansiUpClearEnd = "\x1b[%dA\r\x1b[J"
)

// clearStatus erases the status row. The caller holds l.mu.
func (l *Live) clearStatus() {
	if l.status {
		_, _ = io.WriteString(l.w, ansiClearRow)
		l.status = false
	}
}

// erase removes the status row and every check row. The caller holds
// l.mu.
func (l *Live) erase() {
	l.clearStatus()
	if l.rows > 0 {
		_, _ = fmt.Fprintf(l.w, ansiUpClearEnd, l.rows)
		l.rows = 0
	}
}

// drawStatus writes the status row of the latest wait still pending,
// without a line break. The caller holds l.mu.
func (l *Live) drawStatus() {
	if len(l.waits) == 0 {
		return
	}
	w := l.waits[len(l.waits)-1]
	var b strings.Builder
	b.WriteString("  … ")
	b.WriteString(clean(string(w.stage)))
	if w.address != "" {
		b.WriteString(" " + clean(w.address))
	}
	b.WriteString(": waiting for " + clean(w.what))
	b.WriteString(" (" + elapsed(l.Now().Sub(w.since)))
	if n := len(l.waits) - 1; n > 0 {
		fmt.Fprintf(&b, "; %d more probe(s) waiting", n)
	}
	b.WriteString(")")
	text := cut(b.String(), l.width-1)
	_, _ = io.WriteString(l.w, paint(newPalette(l.o.Color).dim, text))
	l.status = true
}

// checkRow is the progress row of c, cut to the terminal's width: the
// summary is shortened, and if the row is still too wide (a long host
// name), the row itself, without colour.
func (l *Live) checkRow(c report.Check) string {
	room := l.width - 1
	plain := strings.TrimSuffix(progressLine(c, TextOptions{}), "\n")
	if width(plain) <= room {
		return progressLine(c, l.o)
	}
	summary := clean(c.Summary)
	if keep := width(summary) - (width(plain) - room); keep >= 8 {
		c.Summary = cut(summary, keep)
		return progressLine(c, l.o)
	}
	return cut(plain, room) + "\n"
}

// progressLine is what Progress writes for c.
func progressLine(c report.Check, o TextOptions) string {
	var b strings.Builder
	Progress(&b, c, TextOptions{Color: o.Color})
	return b.String()
}

// cut shortens s to at most n characters, ending with "…" when it cut.
func cut(s string, n int) string {
	if width(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// elapsed formats a wait's duration for the status row: 0.4 s, 12 s.
func elapsed(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}
