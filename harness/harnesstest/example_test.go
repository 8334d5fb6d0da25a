package harnesstest_test

import (
	"testing"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios/catalog"
)

// A chaos test in a few lines: a catalog scenario's short form against the reference service,
// failing the test with each verdict's explanation when one does not pass.
func ExampleRun() {
	var t *testing.T // the test's own t
	sc, err := catalog.Load("llm-down")
	if err != nil {
		t.Fatal(err)
	}
	res := harnesstest.Run(t, sc, harness.RunOptions{Short: true})
	harnesstest.RequirePass(t, res.Verdicts)
}

// A scenario file of your own, with one verdict checked by name.
func ExampleRunFile() {
	var t *testing.T // the test's own t
	res := harnesstest.RunFile(t, "testdata/my-service-redis-outage.yaml", harness.RunOptions{Seed: 42})
	harnesstest.AssertPass(t, res.Verdicts, "cache breaker opens and closes")
}
