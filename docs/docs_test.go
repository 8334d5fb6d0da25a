// Package docs holds no code: its tests keep README.md and the pages of docs/ honest. Each page
// must render as written (headings, whole tables, closed code fences), its relative links and
// images must point at files and headings that exist, the README must stay short and link every
// page, its scenario must load and match the catalog, every scenario and fragment of one the pages
// show must load, and those of the reference service must run as written (scenarios_test.go),
// every shell command shown must be run here or named with what runs it (commands_test.go), the
// CI files must run make targets that exist (ci_test.go), and a journal must keep every scenario
// as written (journal_test.go).
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/scenarios"
)

// maxReadmeLines bounds the README: a page that says what Shakedown is, how to start, and
// where each task's page is. Everything else belongs on those pages.
const maxReadmeLines = 260

var headingLine = regexp.MustCompile(`^ {0,3}#{1,6}(\s|$)`)

// TestPagesRender: what the source means is what the reader sees. A heading line renders as a
// heading, a table renders as one table with all its rows (a blank line inside a table renders
// the rows after it as text), and every code fence is closed.
func TestPagesRender(t *testing.T) {
	t.Parallel()
	for _, p := range pages(t) {
		for _, f := range p.fences {
			if !f.closed {
				t.Errorf("%s:%d: code fence ```%s is never closed", p.path, f.line, f.lang)
			}
		}
		headings := p.headingLines()
		for i, l := range p.lines {
			if p.prose(i+1) && headingLine.MatchString(l) && !headings[i+1] {
				t.Errorf("%s:%d: %q does not render as a heading", p.path, i+1, l)
			}
		}
		rendered := p.renderedTables()
		for _, st := range p.sourceTables() {
			rows, ok := rendered[st.line]
			switch {
			case len(st.rows) < 2 || !delimiterRow.MatchString(strings.TrimSpace(st.rows[1])):
				t.Errorf("%s:%d: %d table rows without a header and delimiter row render as text (a blank line inside a table?)", p.path, st.line, len(st.rows))
			case !ok:
				t.Errorf("%s:%d: this table does not render as a table", p.path, st.line)
			case rows != len(st.rows)-1:
				t.Errorf("%s:%d: the table renders %d rows; the source has %d", p.path, st.line, rows, len(st.rows)-1)
			}
		}
		if got, want := strings.Count(p.html, "<table>"), len(rendered); got != want {
			t.Errorf("%s: %d tables in the HTML, %d in the tree", p.path, got, want)
		}
	}
}

// TestLinks: every relative link and image points at a file of the repository, and every
// anchor at a heading of its page.
func TestLinks(t *testing.T) {
	t.Parallel()
	all := pages(t)
	byPath := map[string]*page{}
	for _, p := range all {
		byPath[p.path] = p
	}
	for _, p := range all {
		for _, l := range p.links() {
			if external(l.dest) {
				continue
			}
			path, anchor, ok := p.resolve(l.dest)
			if !ok {
				t.Errorf("%s:%d: %s leaves the repository", p.path, l.line, l.dest)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(path))); err != nil {
				t.Errorf("%s:%d: %s: no such file %s", p.path, l.line, l.dest, path)
				continue
			}
			if anchor == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			target := byPath[path]
			if target == nil {
				var err error
				if target, err = readPage(path); err != nil {
					t.Fatal(err)
				}
			}
			if !target.anchors()[anchor] {
				t.Errorf("%s:%d: %s: %s has no heading #%s; it has %v", p.path, l.line, l.dest, path, anchor, sortedKeys(target.anchors()))
			}
		}
	}
}

// TestReadme: the README is short and links every page of docs/.
func TestReadme(t *testing.T) {
	t.Parallel()
	all := pages(t)
	readme := all[0]
	if n := len(readme.lines); n > maxReadmeLines {
		t.Errorf("README.md has %d lines; keep it at most %d and move the rest to a page of docs/", n, maxReadmeLines)
	}
	linked := map[string]bool{}
	for _, l := range readme.links() {
		if path, _, ok := readme.resolve(l.dest); ok && !external(l.dest) {
			linked[path] = true
		}
	}
	for _, p := range all[1:] {
		if !linked[p.path] {
			t.Errorf("README.md does not link %s", p.path)
		}
	}
}

// TestReadmeScenario: the README's scenario is a real one. It loads as a scenario file, and its
// lines are lines of the catalog scenario it names, in the same order, so that it cannot drift
// from the file it was taken from.
func TestReadmeScenario(t *testing.T) {
	t.Parallel()
	readme := pages(t)[0]
	found := 0
	for _, f := range readme.fences {
		if f.lang != "yaml" || !slicesHasPrefix(f.body, "name: ") {
			continue
		}
		found++
		snippet := strings.Join(f.body, "\n") + "\n"
		file := filepath.Join(t.TempDir(), "readme.yaml")
		if err := os.WriteFile(file, []byte(snippet), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Load(file)
		if err != nil {
			t.Errorf("README.md:%d: the scenario does not load:\n%v", f.line, err)
			continue
		}
		catalogFile := filepath.Join(root, "scenarios", "catalog", sc.Name+".yaml")
		b, err := os.ReadFile(catalogFile)
		if err != nil {
			t.Errorf("README.md:%d: scenario %q is not in scenarios/catalog: %v", f.line, sc.Name, err)
			continue
		}
		have := strings.Split(string(b), "\n")
		i := 0
		for k, l := range f.body {
			for i < len(have) && have[i] != l {
				i++
			}
			if i == len(have) {
				t.Errorf("README.md:%d: %q is not a line of scenarios/catalog/%s.yaml after the ones before it", f.line+1+k, l, sc.Name)
				break
			}
			i++
		}
	}
	if found == 0 {
		t.Error("README.md has no scenario (a ```yaml block with a name: line)")
	}
}

func slicesHasPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

var testName = regexp.MustCompile("`((?:Test|Benchmark|Fuzz|Example)[A-Z][A-Za-z0-9_]*)(\\*?)`")

// TestNamedTestsExist: a test or benchmark that a page names in its prose, as the proof of what
// it says, exists (`TestFoo`, or `TestFoo*` for tests whose names begin so).
func TestNamedTestsExist(t *testing.T) {
	t.Parallel()
	funcs := testFuncs(t)
	for _, p := range pages(t) {
		for i, l := range p.lines {
			if !p.prose(i + 1) {
				continue
			}
			for _, m := range testName.FindAllStringSubmatch(l, -1) {
				ok := false
				for name := range funcs {
					if name == m[1] || m[2] == "*" && strings.HasPrefix(name, m[1]) {
						ok = true
						break
					}
				}
				if !ok {
					t.Errorf("%s:%d: no test function %s%s in the repository", p.path, i+1, m[1], m[2])
				}
			}
		}
	}
}

var funcDecl = regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?((?:Test|Benchmark|Fuzz|Example)\w*)\(`)

// testFuncs maps every test, benchmark, fuzz test and example of the repository (every module
// in it) to the folders that declare it, from the repository's root.
func testFuncs(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "out" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range funcDecl.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = append(out[m[1]], filepath.ToSlash(dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
