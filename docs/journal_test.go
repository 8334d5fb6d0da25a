package docs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
)

// literalSecrets are the secrets written as they are (not as ${NAME}) in the scenarios below, by
// file, and what the journal's copy shows instead: the only differences it may have.
var literalSecrets = map[string]map[string]string{
	"examples/shop/scenarios/postgres-outage.yaml": {"password: shop-pw": "password: ***"},
	"examples/shop/scenarios/redis-outage.yaml":    {"password: shop-pw": "password: ***"},
	"examples/shop/scenarios/slow-database.yaml":   {"password: shop-pw": "password: ***"},
}

// TestJournalKeepsScenariosAsWritten: "records and reports keep the file as written, with
// ${NAME} and {{name}}, never the value". Every scenario of the catalog, the examples and
// scenarios/testdata/good.yaml, and every YAML block of the pages, goes into a record, through
// the journal on disk (NewJournal, WriteAll, ReadJournalFile) and back: its text comes back byte
// for byte, references included, but for the literal secrets listed in literalSecrets, each
// redacted where it stood.
func TestJournalKeepsScenariosAsWritten(t *testing.T) {
	t.Parallel()
	sources := map[string]string{}
	for _, glob := range []string{"scenarios/catalog/*.yaml", "examples/shop/scenarios/*.yaml", "scenarios/testdata/good.yaml"} {
		files, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v files (%v)", glob, len(files), err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, f)
			sources[filepath.ToSlash(rel)] = string(b)
		}
	}
	for _, p := range pages(t) {
		for _, f := range p.fences {
			if f.lang == "yaml" {
				sources[p.path+":"+strconv.Itoa(f.line)] = strings.Join(f.body, "\n") + "\n"
			}
		}
	}
	for name := range literalSecrets {
		if _, ok := sources[name]; !ok {
			t.Errorf("literalSecrets names %s, which is not among the scenarios read", name)
		}
	}
	dir := t.TempDir()
	for name, src := range sources {
		want := src
		for secret, shown := range literalSecrets[name] {
			if !strings.Contains(want, secret) {
				t.Errorf("%s: no %q in it; literalSecrets is out of date", name, secret)
			}
			want = strings.ReplaceAll(want, secret, shown)
		}
		rec := &record.Record{Version: record.SchemaVersion, Scenario: record.ScenarioInfo{Name: name, File: name, Source: src}}
		out := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(name))
		if _, err := reports.WriteAll(out, reports.NewJournal(rec, nil)); err != nil {
			t.Fatal(err)
		}
		j, err := reports.ReadJournalFile(filepath.Join(out, reports.JSON{}.File()))
		if err != nil {
			t.Fatal(err)
		}
		if got := j.Record.Scenario.Source; got != want {
			t.Errorf("%s: the journal's copy differs from the file (but for its literal secrets):\n%s", name, lineDiff(want, got))
		}
	}
}

// lineDiff shows the lines of got that differ from want's, with their numbers.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("  line " + strconv.Itoa(i+1) + ":\n    want " + wl + "\n    got  " + gl + "\n")
		}
	}
	return b.String()
}
