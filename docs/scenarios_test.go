package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// fragmentBase is the scenario a docs fragment (a setup, load, sut, metrics, faults or
// assertions block alone) is put into to be checked: each key the fragment gives replaces this
// one's.
const fragmentBase = `name: docs-fragment
environment: {services: [postgres, redis, ollama], backend: local}
sut: {builtin: agentd}
load: {rate: 10/s, targets: [{url: /health/ready}]}
phases: {warmup: 1s, fault: 2s, recovery: 1s}
`

// notScenarios are the YAML blocks of the docs that are not scenario files, by what marks them:
// a staging description (checked by its own loader), Chaos Mesh objects, CI files (ci_test.go).
var notScenarios = []string{"apiVersion", "kind", "jobs", "stages", "on", "image", "variables"}

// envRef is a ${NAME} reference, which the loader expands from the environment.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestDocScenarios: every scenario the docs show is a real one. A whole scenario loads as it is;
// a fragment (a block of setup, load, faults, assertions ...) loads inside a small scenario; a
// staging description loads as one. A whole scenario that runs the reference service is run
// (not under -short), and every answer of its load must be one its targets expect: an example
// that the service answers 404 is wrong.
func TestDocScenarios(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, p := range pages(t) {
		for _, f := range p.fences {
			if f.lang != "yaml" {
				continue
			}
			where := p.path + ":" + strconv.Itoa(f.line)
			text := strings.Join(f.body, "\n") + "\n"
			for _, m := range envRef.FindAllStringSubmatch(text, -1) {
				text = strings.ReplaceAll(text, m[0], "docs-"+strings.ToLower(m[1]))
			}
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
				t.Errorf("%s: the YAML does not parse: %v", where, err)
				continue
			}
			keys := topKeys(&doc)
			switch {
			case slices.ContainsFunc(notScenarios, func(k string) bool { return slices.Contains(keys, k) }):
				continue
			case slices.Contains(keys, "allow_targets") || slices.Contains(keys, "push") && !slices.Contains(keys, "name"):
				checkStaging(t, where, text)
			case slices.Contains(keys, "name") && slices.Contains(keys, "sut"):
				sc := parse(t, where, p.path, text)
				if sc != nil && sc.SUT.Builtin == "agentd" && !testing.Short() {
					runDocScenario(t, where, sc)
				}
			default:
				parse(t, where, p.path, fragment(t, where, &doc, text))
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("%d YAML blocks checked; the docs show more scenarios than that: is each fence's language yaml?", checked)
	}
}

// parse loads text as a scenario file in the folder of the page it is from (its relative paths,
// sql: migrations say, resolve there), reporting where a problem is.
func parse(t *testing.T, where, page, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse(filepath.Join(root, filepath.Dir(page), "docs-example.yaml"), []byte(text))
	if err != nil {
		t.Errorf("%s: the scenario does not load:\n%v\n%s", where, err, text)
		return nil
	}
	return sc
}

// fragment puts a docs fragment into fragmentBase: a mapping's keys replace the base's, a list is
// a list of assertions (or of faults, when its items have a target).
func fragment(t *testing.T, where string, doc *yaml.Node, text string) string {
	t.Helper()
	base := map[string]any{}
	if err := yaml.Unmarshal([]byte(fragmentBase), &base); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			base[k] = val
		}
	case []any:
		key := "assertions"
		if len(x) > 0 {
			if m, ok := x[0].(map[string]any); ok && m["target"] != nil && m["type"] != nil && m["fault"] == nil {
				key = "faults"
			}
		}
		base[key] = x
	default:
		t.Errorf("%s: a YAML block that is neither a mapping nor a list", where)
	}
	b, err := yaml.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// topKeys lists a document's top-level keys (none for a list).
func topKeys(doc *yaml.Node) []string {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i < len(doc.Content[0].Content); i += 2 {
		out = append(out, doc.Content[0].Content[i].Value)
	}
	return out
}

func checkStaging(t *testing.T, where, text string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "staging.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scenarios.LoadStaging(file); err != nil {
		t.Errorf("%s: the staging description does not load:\n%v", where, err)
	}
}

// runDocScenario runs a docs scenario on the reference service (its short form if it has one):
// it must complete, and every answer must be one its targets expect.
func runDocScenario(t *testing.T, where string, sc *scenarios.Scenario) {
	t.Run(where, func(t *testing.T) {
		res := harnesstest.Run(t, sc, harness.RunOptions{Short: true})
		all, _ := res.Record.PhaseCounts(record.PhaseAll)
		if all.Requests == 0 || all.Failed4xx > 0 {
			t.Errorf("%s: %d requests, %d answered 4xx (statuses %v): the example's load is not what the reference service serves", where, all.Requests, all.Failed4xx, res.Record.Statuses)
		}
	})
}
