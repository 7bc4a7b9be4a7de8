package render

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
)

// junitDoc is what a CI system reads of a JUnit document.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name       string `xml:"name,attr"`
			Classname  string `xml:"classname,attr"`
			Time       string `xml:"time,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			SystemOut *string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	warned := warningsOnly()
	withPassword := refusedPort()
	withPassword.Target = "mongodb://alice:hunter22@127.0.0.1:1/"
	interrupted := healthyStandalone()
	interrupted.Interrupted = true
	interrupted.Verdict = "interrupted before the end: the report holds what was learned so far"
	cases := []JUnitCase{
		{Report: healthyStandalone()},
		{Report: withPassword},
		{Report: warned},
		{Target: "mongodb://bob:s3cret@db:1/", Error: "could not run: mongodb://bob:s3cret@db:1/"},
		{Report: interrupted},
	}
	var b bytes.Buffer
	if err := JUnit(&b, "diagnose", cases); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"hunter22", "s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("password %q in the JUnit report", secret)
		}
	}
	if !strings.HasPrefix(out, xml.Header) {
		t.Errorf("no XML declaration: %.60q", out)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 2 || len(doc.Suites) != 1 {
		t.Fatalf("testsuites tests=%d failures=%d errors=%d suites=%d, want 5 1 2 1", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "mongoconn diagnose" || s.Tests != 5 || s.Failures != 1 || s.Errors != 2 || len(s.Cases) != 5 {
		t.Fatalf("testsuite %q tests=%d failures=%d errors=%d cases=%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases))
	}
	ok, failed, warn, broken, stopped := s.Cases[0], s.Cases[1], s.Cases[2], s.Cases[3], s.Cases[4]
	if ok.Name != "mongodb://127.0.0.1:27017" || ok.Classname != "mongoconn.diagnose" || ok.Time != "0.006" || ok.Failure != nil || ok.Error != nil || ok.SystemOut == nil {
		t.Errorf("passing case = %+v", ok)
	}
	if failed.Name != "mongodb://alice:****@127.0.0.1:1/" || failed.Failure == nil {
		t.Fatalf("failing case = %+v", failed)
	}
	if failed.Failure.Message != withPassword.Verdict || failed.Failure.Type != catalogue.IDTCPRefused {
		t.Errorf("failure message %q type %q, want the verdict and the first error id", failed.Failure.Message, failed.Failure.Type)
	}
	if !strings.HasPrefix(failed.Failure.Body, "FAIL "+withPassword.Verdict) || !strings.Contains(failed.Failure.Body, "cause:") {
		t.Errorf("failure body is not the text report:\n%s", failed.Failure.Body)
	}
	if len(failed.Properties) != 1 || failed.Properties[0].Name != "finding" || failed.Properties[0].Value != catalogue.IDTCPRefused {
		t.Errorf("failing case properties = %+v", failed.Properties)
	}
	var ids []string
	for _, p := range warn.Properties {
		ids = append(ids, p.Value)
	}
	var want []string
	for _, f := range warned.Findings {
		want = append(want, f.ID)
	}
	if warn.Failure != nil || strings.Join(ids, " ") != strings.Join(want, " ") || len(want) == 0 {
		t.Errorf("warnings-only case: failure %v, finding properties %q, want none and %q", warn.Failure, ids, want)
	}
	if broken.Error == nil || broken.Name != "mongodb://bob:****@db:1/" || !strings.Contains(broken.Error.Message, "could not run") {
		t.Errorf("case that could not run = %+v", broken)
	}
	if stopped.Error == nil || stopped.Failure != nil || !strings.HasPrefix(stopped.Error.Message, "interrupted") {
		t.Errorf("interrupted case = %+v", stopped)
	}
}

// TestJUnitHostileText: text from the network cannot break the document.
func TestJUnitHostileText(t *testing.T) {
	r := refusedPort()
	r.Verdict = "a \x1b[2J]]></failure><x y=\"&"
	r.Findings[0].Evidence = []string{"\x00\x07 </testcase>"}
	r.Target = "mongodb://h/?appName=<b>&x=\"'"
	var b bytes.Buffer
	if err := JUnit(&b, "ping", []JUnitCase{{Report: r}}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	n := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b.String())
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testcase" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d test cases, want 1", n)
	}
}

func TestJUnitEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, "ping", nil); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil || doc.Tests != 0 || len(doc.Suites) != 1 {
		t.Errorf("empty run: %v %+v", err, doc)
	}
}
