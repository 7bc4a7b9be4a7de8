package driverrun

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Versions are the releases of the clients and of their runtimes.
type Versions struct {
	NodeDriver string `json:"nodeDriver"`
	Mongosh    string `json:"mongosh"`
	PyMongo    string `json:"pymongo"`
	NodeJS     string `json:"nodejs"`
	Python     string `json:"python"`
}

// String is one line for the suite's log and the README.
func (v Versions) String() string {
	return fmt.Sprintf("Node.js driver %s (Node.js %s), mongosh %s, PyMongo %s (Python %s)",
		v.NodeDriver, v.NodeJS, v.Mongosh, v.PyMongo, v.Python)
}

// versionText is what a version looks like: "7.9.1", "v20.20.2",
// "3.11.0", "2.12.0-rc.1".
var versionText = regexp.MustCompile(`^v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.-]+)?$`)

// nodeVersionsScript prints the versions of Node.js and the two packages.
const nodeVersionsScript = `process.stdout.write(JSON.stringify({node: process.version, driver: require('mongodb/package.json').version, mongosh: require('mongosh/package.json').version}) + '\n')`

// pyVersionsScript prints the versions of Python and PyMongo.
const pyVersionsScript = `import json, platform, pymongo; print(json.dumps({"python": platform.python_version(), "pymongo": pymongo.version}))`

// Versions asks the installed clients for their versions.
func (s *Setup) Versions(ctx context.Context) (Versions, error) {
	var v Versions
	res, err := s.exec(ctx, Node, s.NodeBin, []string{"-e", nodeVersionsScript}, s.NodeDir)
	if err != nil {
		return v, err
	}
	if v.NodeJS, v.NodeDriver, v.Mongosh, err = ParseNodeVersions(res.stdout); err != nil {
		return v, res.fail(Node, "cannot read the versions", err)
	}
	res, err = s.exec(ctx, PyMongo, s.PythonBin, []string{"-c", pyVersionsScript}, s.Home)
	if err != nil {
		return v, err
	}
	if v.Python, v.PyMongo, err = ParsePyVersions(res.stdout); err != nil {
		return v, res.fail(PyMongo, "cannot read the versions", err)
	}
	return v, nil
}

// ParseNodeVersions reads the line of nodeVersionsScript.
func ParseNodeVersions(out []byte) (node, driver, mongosh string, err error) {
	var l struct{ Node, Driver, Mongosh string }
	if err := parseVersionLine(out, &l); err != nil {
		return "", "", "", err
	}
	for _, s := range []string{l.Node, l.Driver, l.Mongosh} {
		if !versionText.MatchString(s) {
			return "", "", "", &ParseError{What: "node versions", Reason: fmt.Sprintf("%q is not a version", s)}
		}
	}
	return strings.TrimPrefix(l.Node, "v"), l.Driver, l.Mongosh, nil
}

// ParsePyVersions reads the line of pyVersionsScript.
func ParsePyVersions(out []byte) (python, pymongo string, err error) {
	var l struct{ Python, PyMongo string }
	if err := parseVersionLine(out, &l); err != nil {
		return "", "", err
	}
	for _, s := range []string{l.Python, l.PyMongo} {
		if !versionText.MatchString(s) {
			return "", "", &ParseError{What: "python versions", Reason: fmt.Sprintf("%q is not a version", s)}
		}
	}
	return l.Python, l.PyMongo, nil
}

func parseVersionLine(out []byte, v any) error {
	if len(out) > maxClientOutput {
		return &ParseError{What: "versions", Reason: "too long"}
	}
	if err := json.Unmarshal(lastLine(out), v); err != nil {
		return &ParseError{What: "versions", Reason: "not JSON", Err: err}
	}
	return nil
}
