// Package harnesstest holds the go test API: run a scenario in a test and judge its verdicts
// with testify-style helpers.
//
//	func TestLLMDown(t *testing.T) {
//		res := harnesstest.RunFile(t, "scenarios/catalog/llm-down.yaml", harness.RunOptions{Short: true})
//		harnesstest.RequirePass(t, res.Verdicts)
//	}
package harnesstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/internal/builtins"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// Backends are the backends a suite of scenarios runs on: local, and docker where the images
// are named (no registry is reachable here; make test sets SHAKEDOWN_*_IMAGE to the images of make
// images). The test binary's TestMain must call env.SetProcessDefaults for docker, as the
// shakedown command's main does.
func Backends(t testing.TB) []string {
	t.Helper()
	out := []string{service.BackendLocal}
	if os.Getenv(service.ImageVar(service.Postgres)) != "" && os.Getenv(service.ImageVar(service.Redis)) != "" {
		out = append(out, service.BackendDocker)
	} else {
		t.Logf("docker backend skipped: SHAKEDOWN_*_IMAGE not set (no registry here; make test sets them)")
	}
	return out
}

// StartEnv starts an environment for the test and closes it when the test ends. It fails the test
// if the environment cannot start within a minute, and skips it under -short.
func StartEnv(t testing.TB, spec env.Spec) *env.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := env.Start(ctx, spec)
	if err != nil {
		t.Fatalf("env.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("closing the environment: %v", err)
		}
	})
	return e
}

// gate is shared by the runs of this test binary: in parallel tests, one run's start-up or
// teardown never lands on another's measured phases, nor what it left running on the machine
// (harness.Gate, harness.MachineSettled).
var gate = harness.Gate{Settle: harness.MachineSettled}

// Run runs a scenario for the test and returns its result: the record and, for a run that
// completed, the verdicts (harness.Run judges them; judge them here with RequirePass or
// AssertPass). The run ends with the test (its context); an environment that cannot start, or a
// run that does not complete, fails the test, or skips it when its backend cannot run here (no
// Docker engine, say). The reference service is handed in as the builtin agentd unless
// opt.Builtins names its own agentd; the record's replay line names the test and the seed. Unless
// opt.Gate is set, the run shares one gate with the test binary's other runs. Each
// of obs is told of the run as it goes (phases, progress, faults, a command SUT's output);
// without obs, a command SUT's output goes to the test's output (t.Output: shown with -v or when
// the test fails).
func Run(t testing.TB, sc *scenarios.Scenario, opt harness.RunOptions, obs ...harness.Observer) *harness.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	if opt.StateDir == "" {
		opt.StateDir = t.TempDir()
	}
	if opt.Gate == nil {
		opt.Gate = &gate
	}
	all := builtins.Reference()
	maps.Copy(all, opt.Builtins)
	opt.Builtins = all
	if opt.Replay == nil {
		opt.Replay = func(seed uint64) string {
			return fmt.Sprintf("go test -run '^%s$' with harness.RunOptions{Seed: %d}", t.Name(), seed)
		}
	}
	p, err := harness.NewPlan(sc, opt)
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	var o harness.Observer = harness.Observers(obs)
	if len(obs) == 0 {
		out := t.Output()
		o = harness.ObserverFuncs{SUTOutput: func(b []byte) { out.Write(b) }}
	}
	res, err := harness.Run(t.Context(), p, o)
	if errors.Is(err, env.ErrBackendUnavailable) {
		t.Skipf("%s: %v", sc.Name, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	return res
}

// RunFile loads a scenario file and runs it as Run does; a file that does not load fails the test.
func RunFile(t testing.TB, path string, opt harness.RunOptions, obs ...harness.Observer) *harness.Result {
	t.Helper()
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return Run(t, sc, opt, obs...)
}
