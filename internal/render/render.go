// Package render turns a report.Report into what a person or a program
// reads: aligned, optionally coloured text (DESIGN.md §5) or JSON
// (DESIGN.md §3). Renderers write only to the io.Writer they are given,
// never to os.Stdout, and keep no state between calls; Live, a terminal's
// view of one command while it runs, is the one renderer that does.
package render

import (
	"errors"
	"fmt"
	"io"

	"github.com/mongoconn/mongoconn/report"
)

// ErrNilReport is returned when a renderer is given no report.
var ErrNilReport = errors.New("render: nil report")

// Format names an output format of -o/--output.
type Format string

// The output formats.
const (
	// FormatText is the human-readable report of DESIGN.md §5.
	FormatText Format = "text"
	// FormatJSON is the indented JSON report of DESIGN.md §3.
	FormatJSON Format = "json"
	// FormatJSONLines is one compact JSON report per line.
	FormatJSONLines Format = "jsonl"
)

// FormatError says that an output format is not one this package knows.
type FormatError struct {
	Value string // the format asked for
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("unknown output format %q (want %s, %s or %s)", e.Value, FormatText, FormatJSON, FormatJUnit)
}

// ParseFormat checks the value of -o/--output.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatText, FormatJSON, FormatJSONLines, FormatJUnit:
		return f, nil
	}
	return "", &FormatError{Value: s}
}

// Render writes r to w in format f; o applies to FormatText only.
func Render(w io.Writer, r *report.Report, f Format, o TextOptions) error {
	switch f {
	case FormatText:
		return Text(w, r, o)
	case FormatJSON:
		return JSON(w, r)
	case FormatJSONLines:
		return JSONLines(w, r)
	case FormatJUnit:
		return JUnit(w, r.Command, []JUnitCase{{Report: r}})
	}
	return &FormatError{Value: string(f)}
}

// ok is the report's outcome as DESIGN.md §3 defines it: true exactly when
// no finding has severity error. Renderers derive it rather than trust a
// report whose Finish was never called.
func ok(r *report.Report) bool { return !r.HasErrors() }
