package driverrun

import (
	"regexp"
	"strings"
)

// stackFrame matches one frame of a JavaScript stack trace as Node.js
// prints it ("    at Topology.selectServer (/app/.../topology.js:350:38)",
// "    at async Db.command (...)"), and the line Node.js prints in place of
// frames a cause shares with its parent.
var stackFrame = regexp.MustCompile(`^\s+(?:at \S.*|\.\.\. \d+ lines? matching cause stack trace \.\.\.)$`)

// StripStackFrames removes the stack frames from a Node.js error as
// util.inspect (and so console.error) prints it, keeping the name, the
// message and every property, causes included: the text becomes what the
// same error prints without a stack. A frame that ended with the " {" that
// opens the error's properties hands it to the line before it, so the
// result stays balanced.
func StripStackFrames(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !stackFrame.MatchString(l) {
			out = append(out, l)
			continue
		}
		if strings.HasSuffix(l, " {") && len(out) > 0 && !strings.HasSuffix(out[len(out)-1], " {") &&
			!stackFrame.MatchString(out[len(out)-1]+" {") {
			out[len(out)-1] += " {"
		}
	}
	return strings.Join(out, "\n")
}

// errorName matches the error class at the start of a "Name: message"
// line: a dotted name whose end is Error, Exception, Failure or Timeout
// and what may follow it.
var errorName = regexp.MustCompile(`^((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception|Failure|Timeout)\w*):`)

// oneLineName returns the error class at the start of the first line of
// s, "" when it does not start with one.
func oneLineName(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	if m := errorName.FindStringSubmatch(first); m != nil {
		return m[1]
	}
	return ""
}
