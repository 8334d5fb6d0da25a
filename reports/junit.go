package reports

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/shakedown-dev/shakedown/assertions"
)

// JUnit renders one test suite per run and one test case per verdict, so that CI systems show
// chaos results beside the other tests. A verdict that failed or had too little data is a
// failure (never a pass); a run that did not complete is an error.
type JUnit struct{}

func (JUnit) File() string { return "junit.xml" }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitSkipped is a verdict not judged: the run ended before it could be (assertions.NotRun).
type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (JUnit) Render(w io.Writer, j *Journal) error {
	r := j.Record
	s := junitSuite{Name: "shakedown." + r.Scenario.Name, Time: fmt.Sprintf("%.3f", r.Duration.Seconds()),
		Timestamp:  r.Started.UTC().Format("2006-01-02T15:04:05Z"),
		Properties: []junitProperty{{"seed", fmt.Sprint(r.Seed)}, {"replay", r.Command}, {"backend", r.Env.Backend}, {"status", string(r.Status)}}}
	for _, v := range j.Verdicts {
		c := junitCase{Name: v.Name, Classname: s.Name, Time: "0", SystemOut: v.Explanation}
		switch {
		case v.Status == assertions.NotRun:
			c.Skipped = &junitSkipped{Message: v.Explanation}
			s.Skipped++
		case !v.Passed():
			c.Failure = &junitFailure{Message: v.Explanation, Type: string(v.Status), Text: fmt.Sprintf("expected %s\nmeasured %s\nsamples %d", v.Expected, v.Measured, v.Samples)}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	if st := j.Status(); st == "aborted" || st == "failed" {
		s.Cases = append(s.Cases, junitCase{Name: "run completed", Classname: s.Name, Time: s.Time,
			Error: &junitFailure{Message: fmt.Sprintf("the run %s: %s", st, r.Error), Type: st}})
		s.Errors++
	}
	s.Tests = len(s.Cases)
	out := junitSuites{Name: "shakedown", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
