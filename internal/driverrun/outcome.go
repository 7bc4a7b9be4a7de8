package driverrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ParseError says why a client's output could not be read.
type ParseError struct {
	// What names the output ("ping.js line", "mongosh output", ...).
	What   string
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	s := e.What + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// scriptLine is the JSON line ping.js and ping.py print.
type scriptLine struct {
	Driver  string  `json:"driver"`
	Version string  `json:"version"`
	OK      *bool   `json:"ok"`
	Name    string  `json:"name"`
	Message *string `json:"message"`
	// Inspect is util.inspect of the error (ping.js only).
	Inspect string `json:"inspect"`
}

// lastLine returns the last non-empty line of out: the scripts print their
// line last, whatever a library printed before it.
func lastLine(out []byte) []byte {
	out = bytes.TrimRight(out, " \t\r\n")
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return bytes.TrimSpace(out)
}

func parseScriptLine(what, driver string, out []byte) (scriptLine, error) {
	var l scriptLine
	if len(out) > maxClientOutput {
		return l, &ParseError{What: what, Reason: fmt.Sprintf("longer than %d bytes", maxClientOutput)}
	}
	line := lastLine(out)
	if len(line) == 0 {
		return l, &ParseError{What: what, Reason: "no output"}
	}
	if err := json.Unmarshal(line, &l); err != nil {
		return l, &ParseError{What: what, Reason: "not JSON", Err: err}
	}
	switch {
	case l.Driver != driver:
		return l, &ParseError{What: what, Reason: fmt.Sprintf("driver is %q, want %q", l.Driver, driver)}
	case l.OK == nil:
		return l, &ParseError{What: what, Reason: "no ok field"}
	case !*l.OK && (l.Message == nil || l.Name == ""):
		return l, &ParseError{What: what, Reason: "a failure without name or message"}
	}
	return l, nil
}

// ParseNodeLine reads the line ping.js prints. The text of a failure is
// what console.error prints for the error, stack frames removed.
func ParseNodeLine(out []byte) (Outcome, error) {
	l, err := parseScriptLine("ping.js line", "node", out)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{Client: Node, OK: *l.OK}
	if !o.OK {
		o.Name = l.Name
		o.Text = strings.TrimSpace(StripStackFrames(l.Inspect))
		if o.Text == "" {
			o.Text = l.Name + ": " + *l.Message
		}
	}
	return o, nil
}

// ParsePyMongoLine reads the line ping.py prints. The text of a failure is
// the last line of the traceback Python would print: "module.Class:
// message".
func ParsePyMongoLine(out []byte) (Outcome, error) {
	l, err := parseScriptLine("ping.py line", "pymongo", out)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{Client: PyMongo, OK: *l.OK}
	if !o.OK {
		o.Name = l.Name
		o.Text = l.Name
		if *l.Message != "" {
			o.Text += ": " + *l.Message
		}
	}
	return o, nil
}

// errNoPingReply is returned for a mongosh run that exited 0 without
// printing the ping's reply.
var errNoPingReply = errors.New("exit status 0 without { ok: 1 }")

// ParseMongoshOutput reads what `mongosh --quiet --eval 'db.runCommand({ping:
// 1})'` printed and its exit code: 0 with the reply { ok: 1 } on stdout
// when the ping succeeded, else non-zero with the error on stderr ("Name:
// message").
func ParseMongoshOutput(stdout, stderr []byte, exitCode int) (Outcome, error) {
	const what = "mongosh output"
	if len(stdout) > maxClientOutput || len(stderr) > maxClientOutput {
		return Outcome{}, &ParseError{What: what, Reason: fmt.Sprintf("longer than %d bytes", maxClientOutput)}
	}
	o := Outcome{Client: Mongosh}
	if exitCode == 0 {
		if !pingReplied(stdout) {
			return Outcome{}, &ParseError{What: what, Reason: "no ping reply", Err: errNoPingReply}
		}
		o.OK = true
		return o, nil
	}
	text := strings.TrimSpace(StripStackFrames(strings.ToValidUTF8(string(stderr), "\uFFFD")))
	if text == "" {
		text = strings.TrimSpace(strings.ToValidUTF8(string(stdout), "\uFFFD"))
	}
	if text == "" {
		return Outcome{}, &ParseError{What: what, Reason: fmt.Sprintf("exit status %d and nothing printed", exitCode)}
	}
	if len(text) > maxMongoshText {
		text = strings.ToValidUTF8(text[:maxMongoshText], "")
	}
	o.Text = text
	o.Name = oneLineName(text)
	return o, nil
}

// pingReplied reports whether mongosh printed the reply of a successful
// ping: "{ ok: 1 }", perhaps with more fields.
func pingReplied(stdout []byte) bool {
	s := string(stdout)
	i := strings.Index(s, "ok: 1")
	if i < 0 {
		return false
	}
	after := s[i+len("ok: 1"):]
	return after == "" || !strings.ContainsAny(after[:1], "0123456789.")
}
