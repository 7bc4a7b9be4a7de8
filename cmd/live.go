package cmd

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/render"
)

// defaultTerminalWidth is assumed when the terminal does not say its
// width: the width of the classic terminal.
const defaultTerminalWidth = 80

// terminalWidth is the width of w in columns when w is a terminal.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return defaultTerminalWidth
}

// watch shows, on a terminal, the checks of e as they finish and what it
// waits for, on stderr, while run runs. Lines the command writes to
// stderr meanwhile (the attempts of ping --wait) stay; the rest is erased
// when run returns, before the report is printed, so that the checks
// appear once. Without a terminal it only calls run.
func (f *Factory) watch(e *diagnose.Engine, run func() error) error {
	if !f.showProgress() {
		return run()
	}
	errOut := f.IO.ErrOut
	live := render.NewLive(errOut, terminalWidth(errOut), f.textOptions())
	e.Progress = live.Check
	e.Waiting = live.Waiting
	f.IO.ErrOut = live
	defer func() {
		f.IO.ErrOut = errOut
		live.Close()
		e.Progress, e.Waiting = nil, nil
	}()
	return run()
}
