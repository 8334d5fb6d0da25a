// Package reports renders a run's record and verdicts: a self-contained HTML page, a JSON journal
// (from which any report can be rendered again later) and JUnit XML for CI systems, plus an index
// page over a folder of runs. Secrets (passwords in URLs and DSNs, tokens, JWTs, authorization
// headers, secret fields and flags; never a ${NAME} or {{name}} reference) are redacted when the
// journal is made, so no renderer can show them.
package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/record"
)

// JournalVersion is the version of the journal's JSON form.
const JournalVersion = 1

// Journal is what every report is rendered from: a run's record and its verdicts.
type Journal struct {
	Version  int                  `json:"version"`
	Record   *record.Record       `json:"record"`
	Verdicts []assertions.Verdict `json:"verdicts"`
}

// NewJournal makes the journal of a run, with every secret in the record and the verdicts
// redacted by its form (internal/redact; the run itself has redacted the values it knew). rec is
// not changed.
func NewJournal(rec *record.Record, verdicts []assertions.Verdict) *Journal {
	vs := make([]assertions.Verdict, len(verdicts))
	for i, v := range verdicts {
		v.Explanation, v.Measured, v.Expected = redact.Text(v.Explanation), redact.Text(v.Measured), redact.Text(v.Expected)
		vs[i] = v
	}
	return &Journal{Version: JournalVersion, Record: redact.New().Record(rec), Verdicts: vs}
}

// Status is the run's overall outcome: "pass" when it completed and every verdict passed,
// "aborted" or "failed" when the run did not complete, else "fail".
func (j *Journal) Status() string {
	switch j.Record.Status {
	case record.StatusAborted:
		return "aborted"
	case record.StatusFailed:
		return "failed"
	}
	for _, v := range j.Verdicts {
		if !v.Passed() {
			return "fail"
		}
	}
	return "pass"
}

// WriteJSON writes the journal as indented JSON.
func (j *Journal) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(j)
}

// ReadJournal reads a journal, refusing another version.
func ReadJournal(r io.Reader) (*Journal, error) {
	var j Journal
	if err := json.NewDecoder(r).Decode(&j); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if j.Version != JournalVersion {
		return nil, fmt.Errorf("journal: version %d; this shakedown reads version %d", j.Version, JournalVersion)
	}
	if j.Record == nil {
		return nil, fmt.Errorf("journal: no record in it (shakedown run writes a journal.json beside each report)")
	}
	if j.Record.Version != record.SchemaVersion {
		return nil, fmt.Errorf("journal: its record has schema version %d; this shakedown reads version %d", j.Record.Version, record.SchemaVersion)
	}
	return &j, nil
}

// ReadJournalFile reads the journal at path.
func ReadJournalFile(path string) (*Journal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	j, err := ReadJournal(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

// Renderer renders a journal into one file.
type Renderer interface {
	// File is the file's name in a run's folder, e.g. report.html.
	File() string
	Render(w io.Writer, j *Journal) error
}

// Renderers are the journal (journal.json), the HTML page (report.html) and JUnit XML (junit.xml).
func Renderers() []Renderer { return []Renderer{JSON{}, HTML{}, JUnit{}} }

// JSON renders the journal itself.
type JSON struct{}

func (JSON) File() string                         { return "journal.json" }
func (JSON) Render(w io.Writer, j *Journal) error { return j.WriteJSON(w) }

// WriteAll renders the journal with every renderer into dir and returns the files' paths.
func WriteAll(dir string, j *Journal) ([]string, error) { return Write(dir, j, Renderers()...) }

// Write renders the journal with the given renderers into dir and returns the files' paths.
func Write(dir string, j *Journal, rs ...Renderer) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, r := range rs {
		p := filepath.Join(dir, r.File())
		f, err := os.Create(p)
		if err != nil {
			return paths, err
		}
		err = r.Render(f, j)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, fmt.Errorf("%s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
