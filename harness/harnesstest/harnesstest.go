// Package harnesstest holds the go test API: run a scenario in a test and judge its verdicts.
//
//	func TestLLMDown(t *testing.T) {
//		res := harnesstest.RunFile(t, "scenarios/catalog/llm-down.yaml", harness.RunOptions{Short: true})
//		harnesstest.RequirePass(t, res.Verdicts)
//	}
package harnesstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// StartEnv starts an environment for the test and closes it when the test ends. It fails the test
// if the environment cannot start within a minute, and skips it under -short.
func StartEnv(t testing.TB, spec harness.EnvSpec) *harness.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := harness.StartEnv(ctx, spec)
	if err != nil {
		t.Fatalf("harness.StartEnv: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("closing the environment: %v", err)
		}
	})
	return e
}

// Result is a run's record and verdicts.
type Result struct {
	Record   *record.Record
	Verdicts []assertions.Verdict
}

// Run runs a scenario for the test and judges it. The run is bounded by the test's deadline (and
// ends with the test); an environment that cannot start fails the test, or skips it when its
// backend cannot run here (no Docker engine, say). Judge the verdicts with
// harnesstest.RequirePass or AssertPass.
func Run(t testing.TB, sc *scenarios.Scenario, opt harness.RunOptions) *Result {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	if opt.StateDir == "" {
		opt.StateDir = t.TempDir()
	}
	ctx := t.Context()
	rec, err := harness.Run(ctx, sc, opt)
	if errors.Is(err, harness.ErrBackendUnavailable) {
		t.Skipf("%s: %v", sc.Name, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	return &Result{Record: rec, Verdicts: assertions.Evaluate(rec, sc.Assertions)}
}

// RunFile loads a scenario file and runs it as Run does; a file that does not load fails the test.
func RunFile(t testing.TB, path string, opt harness.RunOptions) *Result {
	t.Helper()
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return Run(t, sc, opt)
}
