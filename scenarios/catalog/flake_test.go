package catalog_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// flakeRuns is how many times TestCatalogFlake runs each scenario: SHAKEDOWN_FLAKE (make flake
// N=...). 0 skips it.
func flakeRuns(t *testing.T) int {
	v := os.Getenv("SHAKEDOWN_FLAKE")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("SHAKEDOWN_FLAKE=%q; want a number of runs, 1 or more", v)
	}
	return n
}

// tally is one verdict's outcomes over the runs of one scenario on one backend.
type tally struct {
	passed, runs int
	statuses     map[assertions.Status]int
	lo, hi       float64 // the measured values' spread
}

// TestCatalogFlake runs every catalog scenario's short form SHAKEDOWN_FLAKE times on each backend
// (make flake N=5), with its own seed as make test runs it (what varies is the machine), and prints, per scenario, backend and verdict, how many runs passed and the
// spread of the measured values; it fails for each verdict that did not pass every time. A
// verdict that flakes is a bug to fix at its cause, not to retry.
func TestCatalogFlake(t *testing.T) {
	n := flakeRuns(t)
	if n == 0 {
		t.Skip("SHAKEDOWN_FLAKE not set: make flake N=5 runs it")
	}
	var mu sync.Mutex
	tallies := map[string]*tally{} // "scenario/backend\tverdict"
	t.Run("runs", func(t *testing.T) {
		eachShortForm(t, func(t *testing.T, name, backend string, sc *scenarios.Scenario) {
			for i := range n {
				start := time.Now()
				res := run(t, sc, harness.RunOptions{Backend: backend, Short: true}) // the scenario's seed, as make test runs it
				mu.Lock()
				for _, v := range res.Verdicts {
					if !v.Passed() { // when, to line up with what else the machine did then
						t.Logf("run %d of %d (%s to %s): %s: %s: %s", i+1, n, start.Format("15:04:05"), time.Now().Format("15:04:05"), v.Name, v.Status, v.Explanation)
					}
					key := name + "/" + backend + "\t" + v.Name
					tl := tallies[key]
					if tl == nil {
						tl = &tally{statuses: map[assertions.Status]int{}, lo: v.Value, hi: v.Value}
						tallies[key] = tl
					}
					tl.runs++
					tl.statuses[v.Status]++
					if v.Passed() {
						tl.passed++
					}
					tl.lo, tl.hi = min(tl.lo, v.Value), max(tl.hi, v.Value)
				}
				mu.Unlock()
			}
		})
	})
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "scenario/backend\tverdict\tpassed\tmeasured (min..max)\tother outcomes\n")
	for _, key := range slices.Sorted(maps.Keys(tallies)) {
		tl := tallies[key]
		var other []string
		for _, st := range slices.Sorted(maps.Keys(tl.statuses)) {
			if st != assertions.Pass {
				other = append(other, fmt.Sprintf("%d %s", tl.statuses[st], st))
			}
		}
		fmt.Fprintf(w, "%s\t%d of %d\t%.4g..%.4g\t%s\n", key, tl.passed, tl.runs, tl.lo, tl.hi, strings.Join(other, ", "))
		if tl.passed != tl.runs {
			t.Errorf("%s: passed %d of %d runs (%s)", strings.ReplaceAll(key, "\t", ": "), tl.passed, tl.runs, strings.Join(other, ", "))
		}
	}
	w.Flush()
}
