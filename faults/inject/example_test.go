package inject_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/shakedown-dev/shakedown/faults/inject"
)

// method is the action of a package of request faults that match requests by their method.
type method struct {
	Method string `json:"method"`
	Max    int    `json:"max,omitempty"`
}

func (a method) Limit() int { return a.Max }

// A package of request faults keeps only what is its own: which requests a fault matches, and
// what an injection does. The same seed and fault name draw the same decisions wherever the
// fault is decided. Here the second POST's draw is under the probability, but the fault's max
// of 1 was reached; the GET takes no draw.
func ExampleDecider() {
	d := inject.New[inject.Fault[method]](8, func(s string) { fmt.Println(s) })
	d.Set(inject.Fault[method]{Name: "writes-fail", Probability: 0.5, Action: method{Method: "POST", Max: 1}})
	for _, req := range []string{"GET /a", "POST /a", "POST /b", "POST /c"} {
		d.Decide(func(f *inject.Fault[method]) bool { return strings.HasPrefix(req, f.Action.Method+" ") },
			func(f *inject.Fault[method], dr inject.Draw, _ *rand.Rand) string {
				return fmt.Sprintf("%s: %s draw %d = %.2f, injected %v", req, f.Name, dr.Seq, dr.Draw, dr.Injected)
			})
	}
	// Output:
	// POST /a: writes-fail draw 0 = 0.18, injected true
	// POST /b: writes-fail draw 1 = 0.13, injected false
	// POST /c: writes-fail draw 2 = 0.68, injected false
}
