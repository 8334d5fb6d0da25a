// Package harnesstest holds go test helpers for the harness.
package harnesstest

import (
	"context"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/harness"
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
