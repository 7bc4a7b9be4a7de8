// Command checkbin checks built binaries before they are shipped: an ELF
// file (Linux) must be static, with no program interpreter and no shared
// library to load, so that it runs in an empty container image; a file
// named mongoconn-OS-ARCH[.exe] must be an executable for that platform.
// `make build` and `make release` run it:
//
//	go run ./internal/checkbin bin/mongoconn dist/mongoconn-*
//
// It exits 1 and names the file when a check fails.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: checkbin FILE...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		desc, err := Check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "checkbin: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: %s\n", path, desc)
	}
	if failed {
		os.Exit(1)
	}
}
