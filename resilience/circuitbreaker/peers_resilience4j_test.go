package circuitbreaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of resilience4j's own suite (master branch as stored: internal/CircuitBreakerStateMachineTest
// at d4e3cb1, CircuitBreakerTest at 7d8f129, CircuitBreakerConfigTest, CircuitBreakerMetricsTest,
// CircuitBreakerEventPublisherTest, CircuitBreakerAutoTransitionStateMachineTest,
// CircuitBreakerExceptionHandlingTest and CircuitBreakerResultHandlingTest, all under
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/), on this
// package's API.
//
// How the peer's configuration maps onto ours: failureRateThreshold(50) is FailureRateThreshold
// 0.5 and slowCallRateThreshold(50) SlowCallRateThreshold 0.5; slowCallDurationThreshold is
// SlowCallDuration; slidingWindow(size, min, COUNT_BASED) is WindowSize and MinimumCalls, and
// slidingWindow(seconds, min, TIME_BASED) is WindowDuration and MinimumCalls;
// waitDurationInOpenState is OpenDuration and an exponential waitIntervalFunctionInOpenState
// OpenBackoff; permittedNumberOfCallsInHalfOpenState(n) is HalfOpenProbes n (and, by default,
// HalfOpenSuccesses n); maxWaitDurationInHalfOpenState is HalfOpenMaxWait; recordException and
// recordExceptions are IsFailure, ignoreExceptions IsIgnored, recordResult ExecuteResult's
// predicate; transitionToForcedOpenState, transitionToDisabledState and reset are ForceOpen,
// Disable and Reset; the event publisher is an Observer (Hooks); getMetrics is Counts, with the
// not-permitted calls counted by the Observer. The peer's MockClock is testing/synctest's fake
// clock, and its onError(duration) a call that sleeps that long in it. Our API has no manual
// transition to open or half-open: the tests trip the breaker by failures and wait out its open
// duration. Where the semantics differ on purpose (see the package doc), the test asserts ours and
// says what resilience4j does.

// errNumberFormat stands for the peer's NumberFormatException, the exception its state machine
// test ignores.
var errNumberFormat = errors.New("number format")

// outcome returns how many calls r was told ended with o.
func (r *recorder) outcome(o Outcome) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[o]
}

// reasons returns the reasons of the transitions r was told of.
func (r *recorder) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, t := range r.transitions {
		out = append(out, t.Reason)
	}
	return out
}

// r4jSettings is the setUp of CircuitBreakerStateMachineTest: failure and slow-call rates of 50%
// over a 20 s time-based window once it holds 5 calls, 4 s for a slow call, 5 s open, 4 calls in
// the half-open state, which may wait 1 s, and NumberFormatException ignored.
func r4jSettings(obs Observer) Config {
	return Config{
		Name:                  "testName",
		FailureRateThreshold:  0.5,
		SlowCallRateThreshold: 0.5,
		SlowCallDuration:      4 * time.Second,
		WindowDuration:        20 * time.Second,
		MinimumCalls:          5,
		OpenDuration:          5 * time.Second,
		HalfOpenProbes:        4,
		HalfOpenMaxWait:       time.Second,
		IsIgnored:             func(err error) bool { return errors.Is(err, errNumberFormat) },
		Observer:              obs,
	}
}

// tripR4j opens b by five failed calls: the peer's transitionToOpenState.
func tripR4j(t *testing.T, b *Breaker) {
	t.Helper()
	for range 5 {
		if err := call(b, errBoom); err != nil {
			t.Fatalf("a call while tripping the breaker was rejected: %v", err)
		}
	}
	wantState(t, b, StateOpen)
}

// halfOpenR4j opens b and waits out its open duration: the peer's transitionToOpenState and
// transitionToHalfOpenState.
func halfOpenR4j(t *testing.T, b *Breaker) *Breaker {
	t.Helper()
	tripR4j(t, b)
	time.Sleep(b.s.OpenDuration)
	synctest.Wait()
	wantState(t, b, StateHalfOpen)
	return b
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldThrowCallNotPermittedExceptionWhenStateIsOpen and
// shouldThrowCallNotPermittedExceptionWhenStateIsForcedOpen, and
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerTest.java
// shouldReturnFailureWithCircuitBreakerOpenExceptionWithFutures: an open or forced-open breaker
// refuses the call without running it, with an error that says which, and counts one call not
// permitted.
func TestResilience4jRejectsWhenOpenOrForcedOpen(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		tripR4j(t, b)
		ran := false
		_, err := Execute(context.Background(), b, func(context.Context) (string, error) { ran = true; return "Hello World", nil })
		var oe *OpenError
		if !errors.Is(err, ErrOpen) || !errors.As(err, &oe) || oe.State != StateOpen || oe.Name != "testName" || ran {
			t.Fatalf("Execute on an open breaker = %v (ran %v); want an *OpenError of testName, open, wrapping ErrOpen, and the call not run", err, ran)
		}
		if n := obs.outcome(OutcomeRejected); n != 1 {
			t.Errorf("%d calls not permitted; want 1", n)
		}
		if c := b.Counts(); c.BufferedCalls != 5 || c.Failures != 5 {
			t.Errorf("Counts() = %+v; want the 5 failures that opened it, the rejection not buffered", c)
		}

		obs = &recorder{}
		b = mustNew(t, r4jSettings(obs))
		b.ForceOpen()
		_, err = b.Allow()
		if !errors.Is(err, ErrOpen) || !errors.As(err, &oe) || oe.State != StateForcedOpen {
			t.Fatalf("Allow on a forced-open breaker = %v; want an *OpenError, forced-open, wrapping ErrOpen", err)
		}
		if n := obs.outcome(OutcomeRejected); n != 1 {
			t.Errorf("%d calls not permitted; want 1", n)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldOnlyPermitFourCallsInHalfOpenState, shouldIncreaseCounterOnReleasePermission and
// shouldThrowCallNotPermittedExceptionWhenNotFurtherTestCallsArePermitted: the half-open state
// admits 4 probes and refuses the 5th and 6th; a probe given back (releasePermission: our Ignore)
// frees a place; the next half-open state has 4 places again.
func TestResilience4jHalfOpenPermitsFourProbes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := halfOpenR4j(t, mustNew(t, r4jSettings(obs)))
		probes := make([]Permit, 4)
		for i := range probes {
			p, err := b.Allow()
			if err != nil {
				t.Fatalf("probe %d: %v; want it admitted", i+1, err)
			}
			probes[i] = p
		}
		for i := range 2 {
			if _, err := b.Allow(); !errors.Is(err, ErrTooManyProbes) {
				t.Fatalf("call %d with 4 probes out: %v; want ErrTooManyProbes", 5+i, err)
			}
		}
		if n := obs.outcome(OutcomeRejected); n != 2 {
			t.Errorf("%d calls not permitted; want 2", n)
		}
		probes[0].Ignore()
		p, err := b.Allow()
		if err != nil {
			t.Fatalf("after a probe was given back: %v; want a probe admitted", err)
		}
		if c := b.Counts(); c.ProbesInFlight != 4 {
			t.Errorf("%d probes in flight; want 4", c.ProbesInFlight)
		}

		// A new half-open state (here after a failed probe and the open duration) has 4 places
		// again; the probes of the old one report into nothing.
		p.Done(errBoom)
		wantState(t, b, StateOpen)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		for i := range 4 {
			if _, err := b.Allow(); err != nil {
				t.Fatalf("probe %d of the new half-open state: %v", i+1, err)
			}
		}
		if _, err := b.Allow(); !errors.Is(err, ErrTooManyProbes) {
			t.Fatalf("5th probe of the new half-open state: %v; want ErrTooManyProbes", err)
		}
		probes[1].Done(nil)
		probes[2].Done(nil)
		if c := b.Counts(); c.State != StateHalfOpen || c.ProbeSuccesses != 0 || c.ProbesInFlight != 4 {
			t.Errorf("after late reports from the old half-open state: %+v; want them ignored", c)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldOpenAfterFailureRateThresholdExceeded: 3 failures and 2 successes in the time-based window:
// at the 5th call (the minimum) the failure rate is 60%, over 50%, and the breaker opens, once; the
// next call is not permitted. resilience4j reports a failure rate of -1 while the window holds
// fewer calls than the minimum; our Counts reports the share (here 100%), which no condition judges
// until MinimumCalls.
func TestResilience4jOpensAfterFailureRateThresholdExceeded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		for i := 1; i <= 3; i++ {
			call(b, errBoom)
			wantState(t, b, StateClosed)
			if c := b.Counts(); c.BufferedCalls != i || c.Failures != i || c.FailureRate != 1 {
				t.Fatalf("after %d failures: %+v; want %d buffered, %d failed (rate 1: resilience4j says -1)", i, c, i, i)
			}
		}
		call(b, nil)
		wantState(t, b, StateClosed)
		if c := b.Counts(); c.BufferedCalls != 4 || c.Failures != 3 {
			t.Fatalf("after 4 calls: %+v; want 4 buffered, 3 failed", c)
		}
		call(b, nil)
		wantState(t, b, StateOpen)
		if c := b.Counts(); c.BufferedCalls != 5 || c.Failures != 3 || c.FailureRate != 0.6 {
			t.Errorf("once open: %+v; want 5 buffered, 3 failed, a failure rate of 0.6", c)
		}
		if got := obs.reasons(); len(got) != 1 || !strings.Contains(got[0], "failure rate 60% of 5 calls reached 50%") {
			t.Errorf("transition reasons %q; want one, the failure rate exceeded", got)
		}
		if err := call(b, nil); !errors.Is(err, ErrOpen) || obs.outcome(OutcomeRejected) != 1 {
			t.Errorf("the next call: %v, %d not permitted; want ErrOpen, 1", err, obs.outcome(OutcomeRejected))
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldOpenAfterFailureRateThresholdExceeded2: one call a second into the 20 s window: 3 successes
// and 2 failures are 40%, closed; a third failure a second later makes 3 of 6, 50%, and opens it.
// And calls older than the window no longer count: 4 failures, 21 s of quiet, and one more failure
// leave one call buffered, below the minimum.
func TestResilience4jTimeWindowFailureRate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, r4jSettings(nil))
		for _, err := range []error{nil, nil, nil, errBoom, errBoom} {
			call(b, err)
			time.Sleep(time.Second)
		}
		wantState(t, b, StateClosed)
		call(b, errBoom)
		wantState(t, b, StateOpen)

		b = mustNew(t, r4jSettings(nil))
		for range 4 {
			call(b, errBoom)
		}
		time.Sleep(21 * time.Second)
		call(b, errBoom)
		wantState(t, b, StateClosed)
		if c := b.Counts(); c.BufferedCalls != 1 || c.Failures != 1 {
			t.Errorf("Counts() = %+v; want only the last failure in the window", c)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldOpenAfterSlowCallRateThresholdExceeded and
// shouldOpenAfterSlowCallRateThresholdExceededUsingMockClock: calls of 5 s, 5 s, 100 ms, 100 ms and
// 5 s (the first and third failing): 3 of 5 are slower than 4 s, 60%, and the breaker opens on the
// slow-call rate though the failure rate is 40%.
func TestResilience4jOpensAfterSlowCallRateThresholdExceeded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		calls := []struct {
			d   time.Duration
			err error
		}{{5 * time.Second, errBoom}, {5 * time.Second, nil}, {100 * time.Millisecond, errBoom}, {100 * time.Millisecond, nil}}
		slows := []int{1, 2, 2, 2}
		for i, c := range calls {
			callFor(b, c.d, c.err)
			wantState(t, b, StateClosed)
			if got := b.Counts(); got.BufferedCalls != i+1 || got.SlowCalls != slows[i] {
				t.Fatalf("after call %d: %+v; want %d buffered, %d slow", i+1, got, i+1, slows[i])
			}
		}
		callFor(b, 5*time.Second, nil)
		wantState(t, b, StateOpen)
		if c := b.Counts(); c.BufferedCalls != 5 || c.SlowCalls != 3 || c.SlowCallRate != 0.6 || c.FailureRate != 0.4 {
			t.Errorf("once open: %+v; want 5 buffered, 3 slow (0.6), a failure rate of 0.4", c)
		}
		if got := obs.reasons(); len(got) != 1 || !strings.Contains(got[0], "slow-call rate 60% of 5 calls reached 50%") {
			t.Errorf("transition reasons %q; want the slow-call rate exceeded", got)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldTransitionToHalfOpenAfterWaitDuration and
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerAutoTransitionStateMachineTest.java
// testAutoTransition: 3 s after opening the breaker is still open and refuses (two calls not
// permitted in all); after its 5 s it is half-open with or without traffic (our open-to-half-open
// change is always made by a timer, as the peer's automaticTransitionFromOpenToHalfOpenEnabled),
// and the next call is a probe.
func TestResilience4jTransitionsToHalfOpenAfterWaitDuration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		tripR4j(t, b)
		if _, err := b.Allow(); err == nil {
			t.Fatal("an open breaker admitted a call")
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		wantState(t, b, StateOpen)
		if _, err := b.Allow(); err == nil {
			t.Fatal("an open breaker admitted a call 3 s after opening")
		}
		if n, after := obs.outcome(OutcomeRejected), b.RetryAfter(); n != 2 || after != 2*time.Second {
			t.Errorf("%d calls not permitted, RetryAfter %s; want 2, 2s", n, after)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantState(t, b, StateHalfOpen) // without any call
		time.Sleep(time.Second)
		if _, err := b.Allow(); err != nil {
			t.Fatalf("6 s after opening: %v; want a probe admitted", err)
		}
		if c := b.Counts(); c.ProbesInFlight != 1 || c.ProbeSuccesses != 0 {
			t.Errorf("Counts() = %+v; want one probe in flight, none succeeded", c)
		}
		if got, want := obs.path(), []State{StateClosed, StateOpen, StateHalfOpen}; !slices.Equal(got, want) {
			t.Errorf("transitions %v; want %v", got, want)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldTransitionToHalfOpenAfterWaitInterval: an exponential wait interval of 5 s times 1.5: the
// first opening lasts 5 s (open at 3 s, half-open at 6 s), the next in a row 7.5 s (open at 6 s,
// half-open at 11 s). The peer opens the breaker a second time by hand; ours opens again when the
// probe fails.
func TestResilience4jWaitIntervalBacksOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{FailureRateThreshold: 0.5, WindowSize: 5, HalfOpenProbes: 4, OpenDuration: 5 * time.Second,
			OpenBackoff: 1.5, MaxOpenDuration: time.Minute, IsFailure: func(err error) bool { return !errors.Is(err, errNumberFormat) }})
		tripR4j(t, b)
		for _, step := range []struct {
			open, wait time.Duration
		}{{5 * time.Second, 3 * time.Second}, {7500 * time.Millisecond, 6 * time.Second}} {
			if got := b.Counts().OpenDuration; got != step.open {
				t.Fatalf("open duration %s; want %s", got, step.open)
			}
			time.Sleep(step.wait)
			synctest.Wait()
			wantState(t, b, StateOpen)
			if _, err := b.Allow(); err == nil {
				t.Fatalf("admitted %s into an opening of %s", step.wait, step.open)
			}
			time.Sleep(step.open - step.wait)
			synctest.Wait()
			wantState(t, b, StateHalfOpen)
			call(b, errBoom) // the probe fails: open again, for longer
		}
		if got := b.Counts().OpenDuration; got != 11250*time.Millisecond {
			t.Errorf("third open duration %s; want 11.25s", got)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldTransitionBackToOpenStateWhenFailureRateIsAboveThreshold,
// shouldTransitionBackToClosedStateWhenFailureIsBelowThreshold,
// shouldReleasePermissionWhenExceptionIgnored and
// shouldTransitionBackToOpenStateWhenSlowCallRateIsAboveThreshold. resilience4j judges the
// half-open state by the rates of its 4 probes: fail, fail, succeed, fail opens (75%); fail and
// three successes close (25%); three successes, an ignored error and a failure close (25%); three
// slow probes and a fast one open (slow-call rate 75%). Ours differs on purpose (package doc): the
// first failed probe, or the first slow one when slow calls count, opens the breaker again at once,
// and the peer's later probes are refused.
func TestResilience4jHalfOpenReopensOnFirstFailedProbe(t *testing.T) {
	t.Parallel()
	type probe struct {
		d   time.Duration
		err error
	}
	fail, ok, ignored := probe{0, errBoom}, probe{0, nil}, probe{0, errNumberFormat}
	tests := []struct {
		name     string
		probes   []probe // until and with the one that reopens ours
		peer     State   // where resilience4j ends after its 4 probes
		wantWhy  string
		peerRest int // probes the peer would still admit
	}{
		{"fail fail ok fail", []probe{fail}, StateOpen, "a half-open probe failed", 3},
		{"fail ok ok ok", []probe{fail}, StateClosed, "a half-open probe failed", 3},
		{"ok ok ok ignored fail", []probe{ok, ok, ok, ignored, fail}, StateClosed, "a half-open probe failed", 0},
		{"slow slow slow fast", []probe{{5 * time.Second, nil}}, StateOpen, "a half-open probe was slow", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				obs := &recorder{}
				s := r4jSettings(obs)
				s.HalfOpenMaxWait = time.Minute // the slow probe takes 5 s
				b := halfOpenR4j(t, mustNew(t, s))
				for i, p := range tt.probes {
					wantState(t, b, StateHalfOpen)
					if err := callFor(b, p.d, p.err); err != nil {
						t.Fatalf("probe %d: %v", i+1, err)
					}
				}
				wantState(t, b, StateOpen) // resilience4j: tt.peer only after 4 probes
				if r := obs.reasons(); r[len(r)-1] != tt.wantWhy {
					t.Errorf("reopened because %q; want %q", r[len(r)-1], tt.wantWhy)
				}
				for range tt.peerRest {
					if err := call(b, nil); !errors.Is(err, ErrOpen) {
						t.Fatalf("a probe resilience4j would admit: %v; want ErrOpen", err)
					}
				}
			})
		})
	}
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldIgnoreExceptionsAndThenTransitionToClosed (and the end of
// shouldTransitionBackToClosedStateWhenFailureIsBelowThreshold): four probes that end in an ignored
// error count nothing and give their places back; then four successful probes close the breaker,
// whose window starts empty; the next success is its first buffered call.
func TestResilience4jIgnoredProbesThenClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := halfOpenR4j(t, mustNew(t, r4jSettings(nil)))
		for i := range 4 {
			if err := call(b, errNumberFormat); err != nil {
				t.Fatalf("ignored probe %d: %v", i+1, err)
			}
			if c := b.Counts(); c.State != StateHalfOpen || c.ProbeSuccesses != 0 || c.ProbesInFlight != 0 {
				t.Fatalf("after ignored probe %d: %+v; want half-open, nothing counted, no probe out", i+1, c)
			}
		}
		for i := 1; i <= 3; i++ {
			call(b, nil)
			if c := b.Counts(); c.State != StateHalfOpen || c.ProbeSuccesses != i {
				t.Fatalf("after %d successful probes: %+v; want half-open with %d successes", i, c, i)
			}
		}
		call(b, nil)
		wantState(t, b, StateClosed)
		if c := b.Counts(); c.BufferedCalls != 0 || c.Failures != 0 {
			t.Errorf("just closed: %+v; want an empty window", c)
		}
		call(b, nil)
		if c := b.Counts(); c.BufferedCalls != 1 || c.Failures != 0 {
			t.Errorf("after a success: %+v; want 1 buffered, no failure", c)
		}
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// circuitBreakerTransitionsToOpenAfterWaitDurationInHalfOpenState: resilience4j's half-open state
// opens again once maxWaitDurationInHalfOpenState (1 s) has passed, whether or not a probe is out.
// Ours differs on purpose (package doc; issue 13): a half-open breaker with no probe out waits for
// traffic however long, and HalfOpenMaxWait reopens it only when a probe admitted that long ago has
// not reported.
func TestResilience4jHalfOpenMaxWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := halfOpenR4j(t, mustNew(t, r4jSettings(nil)))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)       // resilience4j: open
		if _, err := b.Allow(); err != nil { // a probe that never reports
			t.Fatal(err)
		}
		time.Sleep(time.Second - time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		time.Sleep(time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateOpen)
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldDisableCircuitBreaker and shouldForceOpenCircuitBreaker,
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerAutoTransitionStateMachineTest.java
// shouldCancelAutoTransition and
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerEventPublisherTest.java
// shouldNotProduceEventsInDisabledState. A disabled breaker admits every call and counts none; a
// forced-open one refuses every call and stays so past the open duration, also when it was open
// with its move to half-open already scheduled. resilience4j publishes no call event while
// disabled; ours tells its Observer each call was ignored, on purpose (package doc), so that a
// calls counter still sees the traffic.
func TestResilience4jOperatorStates(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		b.Disable()
		wantState(t, b, StateDisabled)
		for i, err := range []error{nil, errBoom, errBoom, errBoom, errBoom, errBoom} {
			if aerr := call(b, err); aerr != nil {
				t.Fatalf("call %d to a disabled breaker: %v", i+1, aerr)
			}
		}
		wantState(t, b, StateDisabled)
		if c := b.Counts(); c.BufferedCalls != 0 || c.Failures != 0 {
			t.Errorf("a disabled breaker's Counts() = %+v; want nothing counted", c)
		}
		if obs.outcome(OutcomeIgnored) != 6 || obs.outcome(OutcomeFailure) != 0 || obs.outcome(OutcomeSuccess) != 0 {
			t.Errorf("a disabled breaker told %v; want 6 ignored (resilience4j: no event)", obs.calls)
		}
		if got := obs.path(); len(got) != 2 {
			t.Errorf("transitions %v; want the one to disabled", got)
		}

		obs = &recorder{}
		b = mustNew(t, r4jSettings(obs))
		b.ForceOpen()
		if _, err := b.Allow(); err == nil {
			t.Fatal("a forced-open breaker admitted a call")
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if _, err := b.Allow(); err == nil {
			t.Fatal("a forced-open breaker admitted a call after the open duration")
		}
		wantState(t, b, StateForcedOpen)
		if n := obs.outcome(OutcomeRejected); n != 2 {
			t.Errorf("%d calls not permitted; want 2", n)
		}

		b = mustNew(t, r4jSettings(nil))
		tripR4j(t, b) // its move to half-open is scheduled
		b.ForceOpen()
		time.Sleep(time.Minute)
		synctest.Wait()
		wantState(t, b, StateForcedOpen)
	})
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerStateMachineTest.java
// shouldResetMetrics, shouldResetClosedState, shouldResetToClosedState and
// circuitBreakerDoesNotPublishStateTransitionEventsForInternalTransitions, and
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerEventPublisherTest.java
// shouldConsumeOnResetEvent. Reset clears the counts and closes an open breaker; a move to the
// state the breaker is in publishes nothing. resilience4j also publishes a reset event for a reset
// of a closed breaker; ours publishes nothing then (no state changed: Reset's doc).
func TestResilience4jResetAndSameStateTransitions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, r4jSettings(obs))
		call(b, nil)
		call(b, errBoom)
		if c := b.Counts(); c.BufferedCalls != 2 || c.Failures != 1 {
			t.Fatalf("Counts() = %+v; want 2 buffered, 1 failed", c)
		}
		b.Reset()
		wantState(t, b, StateClosed)
		if c := b.Counts(); c.BufferedCalls != 0 || c.Failures != 0 {
			t.Errorf("after Reset: %+v; want nothing counted", c)
		}
		if got := obs.path(); len(got) != 0 {
			t.Errorf("Reset of a closed breaker published %v; want nothing (resilience4j: a reset event)", got)
		}

		tripR4j(t, b)
		b.Reset()
		wantState(t, b, StateClosed)
		b.ForceOpen()
		b.ForceOpen()
		b.Disable()
		b.Disable()
		b.Reset()
		b.Reset()
		want := []State{StateClosed, StateOpen, StateClosed, StateForcedOpen, StateDisabled, StateClosed}
		if got := obs.path(); !slices.Equal(got, want) {
			t.Errorf("transitions %v; want %v, each move to the same state unpublished", got, want)
		}
		if r := obs.reasons(); r[1] != "reset" {
			t.Errorf("reasons %q; want the reset from open said", r)
		}
	})
}

var (
	errBusiness = errors.New("business")
	errIO       = errors.New("i/o")
)

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerExceptionHandlingTest.java
// (every case) and
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerResultHandlingTest.java
// shouldRecordSpecificStringResultAsAFailureAndAnyOtherAsSuccess and
// shouldRecordSpecificComplexResultAsAFailureAndAnyOtherAsSuccess: an error IsFailure rejects
// counts as a success; an ignored one is not buffered at all; a result the predicate calls a
// failure counts as one, and the caller still gets it.
func TestResilience4jRecordedAndIgnoredErrorsAndResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		s                     Config
		errs                  []error
		wantBuffered, wantBad int
	}{
		{"recordException(not BusinessException)", Config{IsFailure: func(err error) bool { return !errors.Is(err, errBusiness) }},
			[]error{errBoom, errBusiness}, 2, 1},
		{"recordExceptions(IOException), a wrapped one included", Config{IsFailure: func(err error) bool { return errors.Is(err, errIO) }},
			[]error{fmt.Errorf("read: %w", errIO), errBusiness}, 2, 1},
		{"recordException(message is record)", Config{IsFailure: func(err error) bool { return err.Error() == "record" }},
			[]error{errors.New("record"), errors.New("bla")}, 2, 1},
		{"ignoreExceptions(NumberFormatException)", Config{IsIgnored: func(err error) bool { return errors.Is(err, errNumberFormat) }},
			[]error{errBoom, errNumberFormat}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.s.FailureRateThreshold, tt.s.WindowSize = 0.5, 5
			b := mustNew(t, tt.s)
			for _, err := range tt.errs {
				call(b, err)
			}
			if c := b.Counts(); c.BufferedCalls != tt.wantBuffered || c.Failures != tt.wantBad {
				t.Errorf("Counts() = %+v; want %d buffered, %d failed", c, tt.wantBuffered, tt.wantBad)
			}
		})
	}

	b := mustNew(t, Config{FailureRateThreshold: 0.5, WindowSize: 5})
	isFailure := func(s string) bool { return s == "failure" }
	for _, want := range []string{"success", "failure"} {
		got, err := ExecuteResult(context.Background(), b, func(context.Context) (string, error) { return want, nil }, isFailure)
		if got != want || err != nil {
			t.Fatalf("ExecuteResult = %q, %v; want %q with no error", got, err, want)
		}
	}
	if c := b.Counts(); c.BufferedCalls != 2 || c.Failures != 1 {
		t.Errorf("after a success and a failed result: %+v; want 2 buffered, 1 failed", c)
	}
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerMetricsTest.java
// testCircuitBreakerMetrics: a count-based window of 10 that judges from 10 calls. 2 successes and
// 2 failures: 4 buffered (resilience4j: a failure rate of -1 below the minimum; ours the share,
// 0.5). 12 calls recorded: the window holds the last 10, 6 failed, 60%, over the default 50% (with
// a threshold of 50% ours opens right at the 10th, since the rate is judged after every call). Then
// 3 more successes: 30%.
func TestResilience4jMetricsSnapshot(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{FailureRateThreshold: 1, WindowSize: 10, MinimumCalls: 10}) // never trips on this traffic
	for _, err := range []error{nil, nil, errBoom, errBoom} {
		call(b, err)
	}
	if c := b.Counts(); c.BufferedCalls != 4 || c.Failures != 2 || c.FailureRate != 0.5 {
		t.Fatalf("after 4 calls: %+v; want 4 buffered, 2 failed, a share of 0.5", c)
	}
	for _, err := range []error{errBoom, errBoom, errBoom, errBoom, nil, nil, nil, nil} {
		call(b, err)
	}
	if c := b.Counts(); c.BufferedCalls != 10 || c.Failures != 6 || c.FailureRate != 0.6 {
		t.Fatalf("after 12 calls: %+v; want the last 10 held, 6 failed, 0.6", c)
	}
	for range 3 {
		call(b, nil)
	}
	if c := b.Counts(); c.Failures != 3 || c.FailureRate != 0.3 {
		t.Errorf("after 3 more successes: %+v; want 3 failed, 0.3", c)
	}

	b = mustNew(t, Config{FailureRateThreshold: 0.5, WindowSize: 10, MinimumCalls: 10})
	for i, err := range []error{nil, nil, errBoom, errBoom, errBoom, errBoom, errBoom, errBoom, nil} {
		call(b, err)
		if b.State() != StateClosed {
			t.Fatalf("opened at call %d; want not before the 10th", i+1)
		}
	}
	call(b, nil)
	wantState(t, b, StateOpen)
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerEventPublisherTest.java
// shouldConsumeOnSuccessEvent, shouldConsumeOnErrorEvent, shouldConsumeIgnoredErrorEvent,
// shouldConsumeOnStateTransitionEvent and shouldConsumeCallNotPermittedEvent: each outcome is
// published once, a window of 1 opens on the first error with one transition, and a call refused by
// it is one not-permitted event.
func TestResilience4jEvents(t *testing.T) {
	t.Parallel()
	var log []string
	b := mustNew(t, Config{Name: "test", FailureRateThreshold: 0.5, WindowSize: 1,
		IsIgnored: func(err error) bool { return errors.Is(err, errIO) },
		Observer: Hooks{
			StateChange:  func(tr Transition) { log = append(log, "STATE_TRANSITION "+tr.From.String()+" "+tr.To.String()) },
			NotPermitted: func(name string) { log = append(log, "NOT_PERMITTED "+name) },
			Result:       func(_ string, o Outcome, _ time.Duration) { log = append(log, o.String()) },
		}})
	call(b, nil)
	call(b, errIO)
	call(b, errBoom)
	b.Allow()
	want := []string{"success", "ignored", "STATE_TRANSITION closed open", "failure", "NOT_PERMITTED test"}
	if !slices.Equal(log, want) {
		t.Errorf("events %q; want %q", log, want)
	}
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerTest.java
// shouldDecorateFutureWithSupplierAndCallCancel,
// shouldDecorateFutureSupplierAndInterruptedByCallingThread, shouldDecorateFutureSupplierTimeout
// and shouldNotMeasureErrorsAsFailures, with the peer's defaults (50% of a window of 100). A
// cancelled call (CancellationException: context.Canceled) and a call whose caller gave up (the
// calling thread interrupted: the caller's context done) are not recorded; a timeout of the
// dependency is a failure. A StackOverflowError (a Java Error, not an Exception) is not recorded by
// resilience4j; the nearest thing in Go, a panic, counts as a failure in ours (Execute's doc, as
// gobreaker does) and reaches the caller.
func TestResilience4jCancellationTimeoutsAndPanics(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{FailureRateThreshold: 0.5, WindowSize: 100})
	call(b, context.Canceled)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Execute(ctx, b, func(context.Context) (int, error) { return 0, errors.New("interrupted") }); err == nil {
		t.Fatal("Execute hid the call's error")
	}
	if c := b.Counts(); c.BufferedCalls != 0 || c.State != StateClosed {
		t.Fatalf("after a cancelled call and a caller that gave up: %+v; want nothing recorded", c)
	}
	call(b, fmt.Errorf("get: %w", context.DeadlineExceeded))
	if c := b.Counts(); c.BufferedCalls != 1 || c.Failures != 1 {
		t.Fatalf("after the dependency's timeout: %+v; want 1 failure", c)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		Execute(context.Background(), b, func(context.Context) (int, error) { panic("stack overflow") })
	}()
	if c := b.Counts(); c.BufferedCalls != 2 || c.Failures != 2 {
		t.Errorf("after a panic: %+v; want it counted as a failure (resilience4j: not recorded)", c)
	}
}

// From
// resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/CircuitBreakerConfigTest.java
// failureRateThresholdAboveHundredShouldFail, slowCallRateThresholdAboveHundredShouldFail,
// zeroSlowCallDurationThresholdShouldFail, shouldReduceMinimumNumberOfCallsToSlidingWindowSize,
// shouldAllowHighMinimumNumberOfCallsWhenSlidingWindowIsTimeBased, zeroSlidingWindowSizeShouldFail,
// zeroWaitIntervalShouldFail and zeroPermittedNumberOfCallsInHalfOpenStateShouldFail. Our zero
// values stand for defaults (a rate of 0 is off, a window of 0 is 100 calls, an open duration of 0
// is 30 s, 0 probes is 1), so where resilience4j refuses a 0 ours refuses a negative value; and
// where resilience4j silently lowers a count-based window's minimum to its size, ours refuses it
// (the minimum would never be reached as written).
func TestResilience4jConfigValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    Config
		want string
	}{
		{Config{FailureRateThreshold: 1.01}, "FailureRateThreshold = 1.01"},
		{Config{SlowCallRateThreshold: 1.01, SlowCallDuration: time.Second}, "SlowCallRateThreshold = 1.01"},
		{Config{SlowCallRateThreshold: 0.5}, "SlowCallDuration = 0s; want more than 0 when SlowCallRateThreshold is set"},
		{Config{FailureRateThreshold: 0.5, WindowSize: 5, MinimumCalls: 6}, "MinimumCalls = 6; want at most WindowSize (5)"},
		{Config{WindowSize: -1}, "WindowSize = -1"},
		{Config{OpenDuration: -time.Millisecond}, "OpenDuration = -1ms"},
		{Config{HalfOpenProbes: -1}, "HalfOpenProbes = -1"},
	} {
		if err := tt.s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v; want it to say %q", tt.s, err, tt.want)
		}
	}
	for _, s := range []Config{
		{FailureRateThreshold: 0.5, WindowDuration: 10 * time.Second, MinimumCalls: 100},
		{FailureRateThreshold: 0.00001},
		{FailureRateThreshold: 1, SlowCallRateThreshold: 1, SlowCallDuration: time.Nanosecond},
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v; want it accepted", s, err)
		}
	}
}
