// Command mangen writes mongoconn's manual pages, one per command
// (mongoconn.1, mongoconn-ping.1, ...), from the same cobra commands the
// binary runs, with cobra's doc package. `make man` runs it:
//
//	go run ./cmd/mangen -dir dist/man -version v1.2.0 -date 2026-01-02T03:04:05Z
//
// It lives apart from the cmd package so that the binary does not link
// the Markdown-to-roff converter.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mongoconn/mongoconn/cmd"
	"github.com/spf13/cobra/doc"
)

func main() {
	dir := flag.String("dir", "dist/man", "directory the pages are written to (created if missing)")
	version := flag.String("version", "", "version named in the pages' footer")
	date := flag.String("date", "", "date of the pages (RFC 3339; default: SOURCE_DATE_EPOCH, else today)")
	flag.Parse()
	if err := run(*dir, *version, *date); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

func run(dir, version, date string) error {
	var when *time.Time
	if date != "" {
		t, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return fmt.Errorf("-date %q: %w", date, err)
		}
		when = &t
	}
	return Generate(dir, version, when)
}

// Generate writes one page per command into dir. date nil means
// SOURCE_DATE_EPOCH, else the current time (cobra's rule).
func Generate(dir, version string, date *time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ios, _, _, _ := cmd.Test()
	root := cmd.NewCmdRoot(cmd.NewFactory(ios, func(string) string { return "" }))
	root.DisableAutoGenTag = true
	source := "mongoconn"
	if version != "" {
		source += " " + version
	}
	return doc.GenManTree(root, &doc.GenManHeader{
		Section: "1",
		Date:    date,
		Source:  source,
		Manual:  "mongoconn manual",
	}, dir)
}
