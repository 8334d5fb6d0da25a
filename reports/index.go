package reports

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Run is one run in an index: its journal and the path of its report, relative to the index.
type Run struct {
	Journal *Journal
	Report  string
}

// ScanRuns finds every journal.json under dir (a folder of runs, such as nightly's) and returns
// the runs, oldest first. A journal that cannot be read is an error naming its file.
func ScanRuns(dir string) ([]Run, error) {
	var runs []Run
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != (JSON{}).File() {
			return err
		}
		j, err := ReadJournalFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Join(filepath.Dir(p), (HTML{}).File()))
		runs = append(runs, Run{Journal: j, Report: filepath.ToSlash(rel)})
		return nil
	})
	slices.SortStableFunc(runs, func(a, b Run) int { return a.Journal.Record.Started.Compare(b.Journal.Record.Started) })
	return runs, err
}

type indexScenario struct {
	Name     string
	Verdicts []string // the names, in the newest run's order (then older ones')
	Runs     []indexRun
	Changes  []string // what changed between the two newest runs
}

type indexRun struct {
	Run
	Status string
	Cells  []string // the status of each of Verdicts, "" when the run had no such verdict
}

// Index renders the index page of runs: for each scenario, its runs newest first with each
// verdict's status, and what changed since the previous run.
func Index(w io.Writer, runs []Run) error {
	by := map[string][]Run{}
	var names []string
	for _, r := range runs {
		n := r.Journal.Record.Scenario.Name
		if _, ok := by[n]; !ok {
			names = append(names, n)
		}
		by[n] = append(by[n], r)
	}
	slices.Sort(names)
	var out []indexScenario
	for _, n := range names {
		rs := slices.Clone(by[n])
		slices.Reverse(rs) // newest first
		s := indexScenario{Name: n}
		for _, r := range rs {
			for _, v := range r.Journal.Verdicts {
				if !slices.Contains(s.Verdicts, v.Name) {
					s.Verdicts = append(s.Verdicts, v.Name)
				}
			}
		}
		for _, r := range rs {
			ir := indexRun{Run: r, Status: r.Journal.Status()}
			for _, name := range s.Verdicts {
				st := ""
				for _, v := range r.Journal.Verdicts {
					if v.Name == name {
						st = string(v.Status)
					}
				}
				ir.Cells = append(ir.Cells, st)
			}
			s.Runs = append(s.Runs, ir)
		}
		if len(s.Runs) >= 2 {
			s.Changes = changes(s.Verdicts, s.Runs[1], s.Runs[0])
		}
		out = append(out, s)
	}
	return indexPage.Execute(w, struct {
		Scenarios []indexScenario
		Total     int
	}{out, len(runs)})
}

// changes lists the verdicts whose status differs between prev and cur.
func changes(names []string, prev, cur indexRun) []string {
	var out []string
	if prev.Status != cur.Status {
		out = append(out, fmt.Sprintf("the run: %s → %s", prev.Status, cur.Status))
	}
	for i, n := range names {
		a, b := prev.Cells[i], cur.Cells[i]
		switch {
		case a == b:
		case a == "":
			out = append(out, fmt.Sprintf("%s: new, %s", n, b))
		case b == "":
			out = append(out, fmt.Sprintf("%s: gone (was %s)", n, a))
		default:
			out = append(out, fmt.Sprintf("%s: %s → %s", n, a, b))
		}
	}
	return out
}

// WriteIndex writes dir/index.html over the runs found under dir.
func WriteIndex(dir string) (string, int, error) {
	runs, err := ScanRuns(dir)
	if err != nil {
		return "", 0, err
	}
	p := filepath.Join(dir, "index.html")
	f, err := os.Create(p)
	if err != nil {
		return "", 0, err
	}
	err = Index(f, runs)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return p, len(runs), err
}

var indexPage = template.Must(template.New("index").Funcs(funcs).Funcs(template.FuncMap{
	"short": func(s string) string { return strings.ToUpper(s[:min(1, len(s))]) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>shakedown runs</title>
<style>{{css}}</style>
</head>
<body>
<h1>Shakedown runs</h1>
<p>{{.Total}} runs of {{len .Scenarios}} scenarios, newest first.</p>
{{range .Scenarios}}
<h2 id="{{.Name}}">{{.Name}}</h2>
{{with .Changes}}<p>Since the previous run:</p><ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{else}}{{if gt (len .Runs) 1}}<p>Nothing changed since the previous run.</p>{{end}}{{end}}
<table>
<tr><th>run</th><th>status</th><th>seed</th>{{range .Verdicts}}<th>{{.}}</th>{{end}}</tr>
{{range .Runs}}<tr><td><a href="{{.Report}}">{{utc .Journal.Record.Started}}</a></td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td>{{.Journal.Record.Seed}}</td>{{range .Cells}}<td>{{if .}}<span class="badge {{.}}" title="{{.}}">{{short .}}</span>{{end}}</td>{{end}}</tr>
{{end}}</table>
{{end}}
</body>
</html>
`))
