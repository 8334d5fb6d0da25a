package docs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// gitlabKeywords are the top-level keys of a .gitlab-ci.yml that are not jobs.
var gitlabKeywords = map[string]bool{"default": true, "include": true, "stages": true, "variables": true, "workflow": true, "image": true, "services": true, "cache": true, "before_script": true, "after_script": true}

// TestCIFiles: the CI recipes of docs/ci/ are YAML, every command they run is `make TARGET` with a
// target the Makefile has, they build the images (no registry is assumed) and run the tests, and
// docs/ci.md shows each file as it is.
func TestCIFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(root, "docs", "ci", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("docs/ci has %d CI files; want the GitHub Actions workflow and the GitLab CI file", len(files))
	}
	targets := makeTargets(t)
	page, err := readPage("docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := "docs/ci/" + filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: not YAML: %v", name, err)
			continue
		}
		cmds := ciCommands(doc)
		if len(cmds) == 0 {
			t.Errorf("%s: runs no command (want steps with run:, or jobs with script:)", name)
		}
		var ran []string
		for _, c := range cmds {
			w := strings.Fields(c)
			if len(w) < 2 || w[0] != "make" || !targets[w[1]] {
				t.Errorf("%s: %q is not `make TARGET` with a target of the Makefile", name, c)
				continue
			}
			ran = append(ran, w[1])
		}
		for _, want := range []string{"images", "test"} {
			if !slices.Contains(ran, want) {
				t.Errorf("%s: never runs make %s", name, want)
			}
		}
		quoted := false
		for _, fc := range page.fences {
			quoted = quoted || fc.lang == "yaml" && strings.Join(fc.body, "\n")+"\n" == string(b)
		}
		if !quoted {
			t.Errorf("docs/ci.md does not show %s as it is (a ```yaml block with the file's exact text)", name)
		}
	}
}

// ciCommands are the command lines a GitHub Actions workflow (jobs.*.steps[].run) or a GitLab
// CI file (each job's before_script, script and after_script) runs.
func ciCommands(doc map[string]any) []string {
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			for _, l := range strings.Split(v, "\n") {
				if c := stripComment(l); c != "" {
					out = append(out, c)
				}
			}
		case []any:
			for _, s := range v {
				if s, ok := s.(string); ok {
					if c := stripComment(s); c != "" {
						out = append(out, c)
					}
				}
			}
		}
	}
	if jobs, ok := doc["jobs"].(map[string]any); ok {
		for _, j := range jobs {
			steps, _ := j.(map[string]any)["steps"].([]any)
			for _, s := range steps {
				if s, ok := s.(map[string]any); ok {
					add(s["run"])
				}
			}
		}
		return out
	}
	for k, j := range doc {
		job, ok := j.(map[string]any)
		if !ok || gitlabKeywords[k] || strings.HasPrefix(k, ".") {
			continue
		}
		add(job["before_script"])
		add(job["script"])
		add(job["after_script"])
	}
	add(doc["before_script"])
	add(doc["after_script"])
	return out
}
