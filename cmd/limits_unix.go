//go:build unix

package cmd

import "syscall"

// openFileLimit returns the soft open-file limit (RLIMIT_NOFILE), which
// the Go runtime raises to the hard limit at start; false when it cannot
// be read or is practically unlimited.
func openFileLimit() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	cur := uint64(rl.Cur) // int64 on some systems
	if cur == 0 || cur >= 1<<62 {
		return 0, false
	}
	return cur, true
}
