//go:build !unix

package cmd

// openFileLimit says the open-file limit is unknown: this system has no
// RLIMIT_NOFILE.
func openFileLimit() (uint64, bool) { return 0, false }
