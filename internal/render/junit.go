package render

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// FormatJUnit is JUnit XML: one test suite for the command, one test case
// per target, for CI systems that show test results.
const FormatJUnit Format = "junit"

// JUnitCase is one target of a JUnit report.
type JUnitCase struct {
	// Report is the target's report; nil when the check could not run.
	Report *report.Report
	// Target names the target when Report is nil.
	Target string
	// Error says why the check could not run (Report nil).
	Error string
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Failure    *junitProblem   `xml:"failure,omitempty"`
	Error      *junitProblem   `xml:"error,omitempty"`
	SystemOut  *junitSystemOut `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

type junitSystemOut struct {
	Body string `xml:",cdata"`
}

// JUnit writes the reports of one command as a JUnit XML document: a test
// suite named "mongoconn COMMAND" with one test case per target, named by
// the target (passwords masked). A target whose report has an error
// finding is a failure whose message is the verdict and whose body is the
// text report; one whose check could not run, or was interrupted, is an
// error. Every finding's id is a property named "finding" of its case, so
// that warnings of a passing target are listed too.
func JUnit(w io.Writer, command string, cases []JUnitCase) error {
	suite := junitSuite{Name: "mongoconn " + command}
	var total float64
	for _, c := range cases {
		jc := junitCase{Classname: "mongoconn." + command}
		if c.Report == nil {
			jc.Name = clean(redact.Redact(c.Target))
			jc.Time = seconds(0)
			jc.Error = &junitProblem{Message: clean(redact.Redact(c.Error)), Type: "mongoconn.error"}
			suite.Errors++
			suite.Cases = append(suite.Cases, jc)
			continue
		}
		r := c.Report
		jc.Name = clean(redact.Redact(r.Target))
		if jc.Name == "" {
			jc.Name = clean(redact.Redact(c.Target))
		}
		jc.Time = seconds(r.DurationMs)
		total += max(r.DurationMs, 0)
		var props []junitProp
		for _, f := range r.Findings {
			props = append(props, junitProp{Name: "finding", Value: clean(f.ID)})
		}
		if len(props) > 0 {
			jc.Properties = &junitProps{Props: props}
		}
		var text strings.Builder
		if err := Text(&text, r, TextOptions{}); err != nil {
			return err
		}
		verdict := clean(r.Verdict)
		switch {
		case r.Interrupted:
			jc.Error = &junitProblem{Message: cmp.Or(verdict, "interrupted before the end"), Type: "mongoconn.interrupted", Body: text.String()}
			suite.Errors++
		case !ok(r):
			if verdict == "" {
				verdict = clean(firstErrorTitle(r.Findings))
			}
			jc.Failure = &junitProblem{Message: verdict, Type: firstErrorID(r.Findings), Body: text.String()}
			suite.Failures++
		default:
			jc.SystemOut = &junitSystemOut{Body: text.String()}
		}
		suite.Cases = append(suite.Cases, jc)
	}
	suite.Tests = len(suite.Cases)
	suite.Time = seconds(total)
	doc := junitSuites{
		Name:     "mongoconn",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Errors:   suite.Errors,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// seconds formats milliseconds as the seconds JUnit's time attributes
// hold.
func seconds(ms float64) string {
	if !(ms > 0) {
		ms = 0
	}
	return strconv.FormatFloat(ms/1000, 'f', 3, 64)
}

func firstErrorID(fs []report.Finding) string {
	for _, f := range fs {
		if f.Severity == report.SeverityError {
			return clean(f.ID)
		}
	}
	return ""
}
