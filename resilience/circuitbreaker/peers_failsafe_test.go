package circuitbreaker

import (
	"testing"
	"testing/synctest"
	"time"
)

// Cases of failsafe-go v0.9.8's own suite (circuitbreaker/closedstate_test.go and
// halfopenstate_test.go, openstate_test.go), on this package's API. failsafe-go's
// FailureThreshold(n) counts n failures in the last n executions: our FailureRateThreshold 1 over
// WindowSize n; its ratio (f, n) is FailureRateThreshold f/n over WindowSize n. Their half-open state judges its probes by the same
// thresholds; ours reopens on the first failed probe (the package doc says so), and the tests of
// that state assert ours.

// halfOpen returns b half-open: tripped by one failure and its open duration waited out.
func halfOpen(t *testing.T, s Config) *Breaker {
	t.Helper()
	b := mustNew(t, s)
	for b.State() != StateOpen {
		call(b, errBoom)
	}
	time.Sleep(b.s.OpenDuration)
	synctest.Wait()
	wantState(t, b, StateHalfOpen)
	return b
}

// From closedstate_test.go TestClosedStateFailureWithDefaultConfig: failsafe-go's default opens on
// a single failure (ours: ConsecutiveFailures 1).
func TestFailsafeClosedStateFailureWithDefaultConfig(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 1})
	call(b, errBoom)
	wantState(t, b, StateOpen)
}

// From closedstate_test.go TestClosedStateFailureWithFailureThreshold: 3 failures of the last 3
// executions open it; a success between failures resets the count.
func TestFailsafeClosedStateFailureWithFailureThreshold(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{FailureRateThreshold: 1, WindowSize: 3})
	call(b, errBoom)
	call(b, nil)
	call(b, errBoom)
	call(b, errBoom)
	wantState(t, b, StateClosed)
	call(b, errBoom)
	wantState(t, b, StateOpen)
}

// From closedstate_test.go TestClosedStateFailureWithFailureRatio: 2 failures of 3 executions.
func TestFailsafeClosedStateFailureWithFailureRatio(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{FailureRateThreshold: 2.0 / 3, WindowSize: 3})
	call(b, errBoom)
	call(b, nil)
	wantState(t, b, StateClosed)
	call(b, errBoom)
	wantState(t, b, StateOpen)
}

// From closedstate_test.go TestClosedStateSuccessWithFailureRatio and
// TestClosedStateSuccessWithFailureThreshold: alternating successes and failures stay below 3 of
// 4 and below 2 in a row.
func TestFailsafeClosedStateSuccessWithFailureRatioAndThreshold(t *testing.T) {
	t.Parallel()
	for _, s := range []Config{{FailureRateThreshold: 0.75, WindowSize: 4}, {ConsecutiveFailures: 2}} {
		b := mustNew(t, s)
		for range 20 {
			call(b, nil)
			call(b, errBoom)
			wantState(t, b, StateClosed)
		}
	}
}

// From halfopenstate_test.go TestHalfOpenStateFailureWithDefaultConfig and
// TestHalfOpenFailureWithSuccessThreshold: a failed probe opens it, also after a successful one
// when 3 successes are needed.
func TestFailsafeHalfOpenFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		call(b, errBoom)
		wantState(t, b, StateOpen)

		b = halfOpen(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenSuccesses: 3})
		call(b, nil)
		call(b, errBoom)
		wantState(t, b, StateOpen)
	})
}

// From halfopenstate_test.go TestHalfOpenFailureWithFailureThreshold: failsafe-go stays half-open
// until 3 probes failed. Ours differs on purpose: the first failed probe reopens it.
func TestFailsafeHalfOpenFailureWithFailureThreshold(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, Config{FailureRateThreshold: 1, WindowSize: 3, OpenDuration: time.Second})
		call(b, errBoom)
		wantState(t, b, StateOpen) // failsafe-go: still half-open
	})
}

// From halfopenstate_test.go TestHalfOpenSuccessWithDefaultConfig and
// TestHalfOpenSuccessWithSuccessThreshold: one success closes it by default; with a threshold of
// 3, the third.
func TestFailsafeHalfOpenSuccess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		call(b, nil)
		wantState(t, b, StateClosed)

		b = halfOpen(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenSuccesses: 3})
		for range 2 {
			call(b, nil)
			wantState(t, b, StateHalfOpen)
		}
		call(b, nil)
		wantState(t, b, StateClosed)
	})
}

// From openstate_test.go TestTryAcquirePermit and TestRemainingDelay: an open breaker refuses, and
// says how long until it lets probes through; half-open, nothing remains.
func TestFailsafeOpenStateRemainingDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		call(b, errBoom)
		if _, err := b.Allow(); err == nil {
			t.Fatal("an open breaker admitted a call")
		}
		if got := b.RetryAfter(); got != time.Second {
			t.Errorf("RetryAfter() = %s; want 1s", got)
		}
		time.Sleep(900 * time.Millisecond)
		if got := b.RetryAfter(); got != 100*time.Millisecond {
			t.Errorf("RetryAfter() = %s; want 100ms", got)
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if got := b.RetryAfter(); got != 0 {
			t.Errorf("half-open RetryAfter() = %s; want 0", got)
		}
	})
}
