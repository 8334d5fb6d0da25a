// Package catalog is the scenario library shipped with Shakedown: the scenarios a team runs first.
// The YAML files in this folder are the scenarios; this package embeds them, so that a Go test can
// load one by name without knowing where the module is on disk.
//
// Each file says in its description what it proves. Every scenario has a short form (its `short`
// phases), which make test runs on both backends; make chaos runs them all at full length.
package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/scenarios"
)

//go:embed *.yaml
var files embed.FS

// Names lists the catalog's scenarios, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// Load parses the named catalog scenario (a name from Names, such as "llm-down").
func Load(name string) (*scenarios.Scenario, error) {
	file := name + ".yaml"
	b, err := files.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("catalog: no scenario %q; the catalog has %v", name, Names())
	}
	return scenarios.Parse(path.Join("scenarios/catalog", file), b)
}
