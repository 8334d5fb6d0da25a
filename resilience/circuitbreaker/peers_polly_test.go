package circuitbreaker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of Polly's own suite (main branch as stored, Polly v8's Polly.Core: the files under
// test/Polly.Core.Tests/CircuitBreaker/, chiefly Controller/CircuitStateControllerTests.cs at
// fd1b310, Controller/AdvancedCircuitBehaviorTests.cs, Health/RollingHealthMetricsTests.cs,
// CircuitBreakerResiliencePipelineBuilderTests.cs, CircuitBreakerResilienceStrategyTests.cs,
// CircuitBreakerManualControlTests.cs, CircuitBreakerOptionsTests.cs and
// BrokenCircuitExceptionTests.cs), on this package's API.
//
// How Polly's options map onto ours: FailureRatio is FailureRateThreshold, MinimumThroughput
// MinimumCalls and SamplingDuration WindowDuration (Polly samples over a time window of 10
// buckets, as our time-based window does); BreakDuration is OpenDuration and BreakDurationGenerator
// OpenDurationFunc (its HalfOpenAttempts is our n - 1); ShouldHandle is IsFailure for errors and
// ExecuteResult's predicate for results; OnOpened, OnClosed and OnHalfOpened are an Observer's
// OnStateChange (Hooks.StateChange); CircuitBreakerManualControl's IsolateAsync and CloseAsync are
// ForceOpen and Reset, and Polly's Isolated state our forced-open one; BrokenCircuitException and
// IsolatedCircuitException are an *OpenError wrapping ErrOpen (or ErrTooManyProbes for a busy
// half-open state). Polly's defaults are a ratio of 0.1 over 30 s from 100 calls, 5 s open, one
// probe. Its FakeTimeProvider is testing/synctest's fake clock. Where the semantics differ on
// purpose, the test asserts ours and says what Polly does.

// errInvalidOp stands for Polly's InvalidOperationException, the exception its tests handle.
var errInvalidOp = errors.New("invalid operation")

// pollyDefaults are Polly's CircuitBreakerStrategyOptions defaults.
func pollyDefaults(obs Observer) Config {
	return Config{Name: "CircuitBreaker", FailureRateThreshold: 0.1, MinimumCalls: 100, WindowDuration: 30 * time.Second,
		OpenDuration: 5 * time.Second, Observer: obs}
}

// stateCounts counts the transitions to each state, from any goroutine (the open-to-half-open
// change comes from a timer).
type stateCounts struct{ opened, halfOpened, closed atomic.Int32 }

func (c *stateCounts) hooks() Hooks {
	return Hooks{StateChange: func(tr Transition) {
		switch tr.To {
		case StateOpen:
			c.opened.Add(1)
		case StateHalfOpen:
			c.halfOpened.Add(1)
		case StateClosed:
			c.closed.Add(1)
		}
	}}
}

func (c *stateCounts) want(t *testing.T, opened, halfOpened, closed int32) {
	t.Helper()
	if o, h, cl := c.opened.Load(), c.halfOpened.Load(), c.closed.Load(); o != opened || h != halfOpened || cl != closed {
		t.Fatalf("opened %d, half-opened %d, closed %d times; want %d, %d, %d", o, h, cl, opened, halfOpened, closed)
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerResiliencePipelineBuilderTests.cs
// AddCircuitBreaker_IntegrationTest and
// AddCircuitBreaker_IntegrationTest_WithBreakDurationGenerator: a ratio of 0.5 from 10 calls over
// 10 s, results of -1 handled. Ten -1s open it; a call is refused; after the break the probe
// returns -1 and opens it again, and a call is refused; after another break a 0 closes it. With a
// generator of 1 s breaks, a BreakDuration of 30 s is not used.
func TestPollyIntegrationOpenHalfOpenClose(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]Config{
		"BreakDuration":          {OpenDuration: time.Second},
		"BreakDurationGenerator": {OpenDuration: 30 * time.Second, OpenDurationFunc: func(int) time.Duration { return time.Second }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				counts := &stateCounts{}
				s.FailureRateThreshold, s.MinimumCalls, s.WindowDuration, s.Observer = 0.5, 10, 10*time.Second, counts.hooks()
				b := mustNew(t, s)
				exec := func(v int) error {
					_, err := ExecuteResult(context.Background(), b, func(context.Context) (int, error) { return v, nil }, func(v int) bool { return v == -1 })
					return err
				}
				for range 10 {
					exec(-1)
				}
				counts.want(t, 1, 0, 0)
				if err := exec(0); !errors.Is(err, ErrOpen) {
					t.Fatalf("a call to the open breaker: %v; want ErrOpen", err)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				if err := exec(-1); err != nil {
					t.Fatalf("the probe: %v; want it admitted", err)
				}
				if err := exec(0); !errors.Is(err, ErrOpen) {
					t.Fatalf("a call after the failed probe: %v; want ErrOpen", err)
				}
				counts.want(t, 2, 1, 0)
				time.Sleep(time.Second)
				synctest.Wait()
				if err := exec(0); err != nil {
					t.Fatalf("the second probe: %v", err)
				}
				counts.want(t, 2, 2, 1)
			})
		})
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// BreakDurationGenerator_EnsureHalfOpenAttempts: five openings in a row (each probe failing), a
// close, then three more: the generator is told the half-open attempts 0, 1, 2, 3, 4, then 0, 1, 2
// (ours, the openings in a row, 1 to 5, then 1 to 3: the same count, from 1).
func TestPollyBreakDurationGeneratorCountsOpeningsInARow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var told []int
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDurationFunc: func(n int) time.Duration {
			told = append(told, n)
			return time.Second
		}})
		cycle := func(openings int) {
			call(b, errBoom)
			for range openings - 1 {
				time.Sleep(time.Second)
				synctest.Wait()
				call(b, errBoom) // the probe fails
			}
			time.Sleep(time.Second)
			synctest.Wait()
			wantState(t, b, StateHalfOpen)
		}
		cycle(5)
		call(b, nil)
		wantState(t, b, StateClosed)
		cycle(3)
		if want := []int{1, 2, 3, 4, 5, 1, 2, 3}; !slices.Equal(told, want) {
			t.Errorf("the generator was told %v; want %v (Polly's HalfOpenAttempts plus one)", told, want)
		}
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/AdvancedCircuitBehaviorTests.cs
// OnActionFailure_WhenClosed_EnsureCorrectBehavior: with a ratio of 0.1 and a minimum of 10 calls,
// a failure breaks the circuit when the window holds at least 10 calls and the failure rate is at
// least 0.1: 10 calls with 1 or 2 failures break it; 9 calls with 1 failure (below the minimum) and
// 11 calls with 1 failure (0.09) do not.
func TestPollyMinimumThroughputAndFailureRatio(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		successes, failures int // successes first, then the failures
		want                State
	}{
		{9, 1, StateOpen},
		{8, 2, StateOpen},
		{8, 1, StateClosed},
		{10, 1, StateClosed},
		{10, 0, StateClosed},
	} {
		b := mustNew(t, Config{FailureRateThreshold: 0.1, MinimumCalls: 10, WindowDuration: 30 * time.Second})
		for range tt.successes {
			call(b, nil)
		}
		for range tt.failures {
			call(b, errBoom)
		}
		if got := b.State(); got != tt.want {
			t.Errorf("%d successes then %d failures: %s; want %s", tt.successes, tt.failures, got, tt.want)
		}
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/Health/RollingHealthMetricsTests.cs Increment_Ok,
// GetHealthInfo_EnsureWindowRespected, GetHealthInfo_EnsureWindowCapacityRespected,
// GetHealthInfo_SamplingDurationRespected and Reset_Ok: a 10 s window in 10 buckets, read through
// Counts (a threshold nothing reaches keeps the breaker closed).
func TestPollyRollingWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		window := func() *Breaker {
			return mustNew(t, Config{FailureRateThreshold: 1, MinimumCalls: 1000, WindowDuration: 10 * time.Second})
		}
		want := func(b *Breaker, calls, failures int) {
			t.Helper()
			if c := b.Counts(); c.BufferedCalls != calls || c.Failures != failures {
				t.Fatalf("Counts() = %+v; want %d calls, %d failures", c, calls, failures)
			}
		}

		b := window() // Increment_Ok
		for _, err := range []error{errBoom, nil, nil, nil, nil} {
			call(b, err)
		}
		if c := b.Counts(); c.FailureRate != 0.2 || c.BufferedCalls != 5 {
			t.Errorf("Counts() = %+v; want 5 calls, a failure rate of 0.2", c)
		}

		b = window() // GetHealthInfo_EnsureWindowRespected: each 2 s a failure (twice) or a success, and a success
		type info struct {
			calls, failures int
			rate            float64
		}
		var got []info
		for i := range 5 {
			if i < 2 {
				call(b, errBoom)
			} else {
				call(b, nil)
			}
			call(b, nil)
			time.Sleep(2 * time.Second)
			c := b.Counts()
			got = append(got, info{c.BufferedCalls, c.Failures, c.FailureRate})
		}
		time.Sleep(2 * time.Second)
		c := b.Counts()
		got = append(got, info{c.BufferedCalls, c.Failures, c.FailureRate})
		for i, w := range map[int]info{0: {2, 1, 0.5}, 1: {4, 2, 0.5}, 3: {8, 2, 0.25}, 4: {8, 1, 0.125}, 5: {6, 0, 0}} {
			if got[i] != w {
				t.Errorf("health %d: %+v; want %+v", i, got[i], w)
			}
		}

		b = window() // GetHealthInfo_EnsureWindowCapacityRespected: one call a second for 10 s
		for range 10 {
			call(b, nil)
			time.Sleep(time.Second)
		}
		want(b, 9, 0)
		time.Sleep(time.Second)
		want(b, 8, 0)

		for _, extra := range []time.Duration{0, time.Millisecond} { // GetHealthInfo_SamplingDurationRespected
			b = window()
			call(b, nil)
			call(b, nil)
			time.Sleep(10*time.Second + extra)
			want(b, 0, 0)
		}

		b = window() // Reset_Ok
		call(b, nil)
		b.Reset()
		want(b, 0, 0)
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionPreExecute_HalfOpen, HalfOpen_EnsureCorrectStateTransitionAfterExecution and
// Flow_Closed_HalfOpen_Open_HalfOpen_Closed: after the break the first call is the one probe and a
// second one is refused, both told apart by the half-open transition having been published; a
// successful probe closes, a failed one opens, and a call 1 ms later is refused; two breaks later a
// probe closes it.
func TestPollyHalfOpenSingleProbe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		counts := &stateCounts{}
		s := pollyDefaults(counts.hooks())
		s.MinimumCalls = 2
		open := func() *Breaker {
			b := mustNew(t, s)
			call(b, errBoom)
			call(b, errBoom)
			wantState(t, b, StateOpen)
			return b
		}
		b := open()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		probe, err := b.Allow()
		if err != nil {
			t.Fatalf("the probe: %v", err)
		}
		var oe *OpenError
		if _, err := b.Allow(); !errors.Is(err, ErrTooManyProbes) || !errors.As(err, &oe) || oe.State != StateHalfOpen {
			t.Fatalf("a second call in the half-open state: %v; want an *OpenError, half-open, wrapping ErrTooManyProbes", err)
		}
		counts.want(t, 1, 1, 0)
		probe.Done(nil)
		wantState(t, b, StateClosed)

		b = open()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		call(b, errBoom)
		wantState(t, b, StateOpen)
		time.Sleep(time.Millisecond)
		if err := call(b, nil); !errors.Is(err, ErrOpen) {
			t.Fatalf("1 ms after the failed probe: %v; want ErrOpen", err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		call(b, nil)
		wantState(t, b, StateClosed)
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// HalfOpen_EnsureBreakDuration: Polly, going half-open, blocks further calls for one more
// BreakDuration, after which, with the probe still out, it admits the next call as another probe,
// half-open still. Ours differs on purpose (package doc): a probe that has not reported within
// HalfOpenMaxWait (by default the open duration) opens the breaker again, and the next probe waits
// out another open duration.
func TestPollyHalfOpenHungProbe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := pollyDefaults(nil)
		s.MinimumCalls = 2
		b := mustNew(t, s)
		call(b, errBoom)
		call(b, errBoom)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if _, err := b.Allow(); err != nil { // the probe that hangs
			t.Fatal(err)
		}
		time.Sleep(5*time.Second - time.Millisecond)
		synctest.Wait()
		if err := call(b, nil); !errors.Is(err, ErrTooManyProbes) {
			t.Fatalf("while the probe hangs: %v; want ErrTooManyProbes", err)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateOpen) // Polly: half-open, and the next call a second probe
		if err := call(b, nil); !errors.Is(err, ErrOpen) {
			t.Fatalf("after the probe's max wait: %v; want ErrOpen", err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		call(b, nil)
		wantState(t, b, StateClosed)
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// IsolateAsync_Ok and BreakAsync_Ok,
// test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerResilienceStrategyTests.cs
// Ctor_ManualControl_EnsureAttached and
// test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerManualControlTests.cs Ctor_Isolated: isolating
// the circuit opens it by hand (told to the observer) and refuses calls with an isolated-circuit
// error and no time to wait (Breaker.RetryAfter 0); closing it lets calls through again. A manual control made isolated
// starts the circuit isolated: ours starts forced open (Config.Initial) and, unlike Polly's,
// publishes no transition for starting.
func TestPollyManualIsolateAndClose(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, Config{Name: "cb", IsFailure: func(err error) bool { return errors.Is(err, errInvalidOp) }, Observer: obs})
	b.ForceOpen()
	wantState(t, b, StateForcedOpen)
	_, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 0, nil })
	var oe *OpenError
	if !errors.As(err, &oe) || oe.State != StateForcedOpen || b.RetryAfter() != 0 {
		t.Fatalf("a call to the isolated circuit: %v; want a forced-open *OpenError and no time to wait", err)
	}
	b.Reset()
	if _, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 0, nil }); err != nil {
		t.Fatalf("after closing it: %v", err)
	}
	if got, want := obs.path(), []State{StateClosed, StateForcedOpen, StateClosed}; !slices.Equal(got, want) {
		t.Errorf("transitions %v; want %v", got, want)
	}
	if r := obs.reasons(); !slices.Equal(r, []string{"forced open", "reset"}) {
		t.Errorf("reasons %q; want the manual moves said", r)
	}

	obs = &recorder{}
	b = mustNew(t, Config{Initial: StateForcedOpen, Observer: obs})
	if err := call(b, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("a breaker made isolated: %v; want ErrOpen", err)
	}
	if got := obs.path(); len(got) != 0 {
		t.Errorf("starting isolated published %v; want nothing (Polly: OnOpened)", got)
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerResilienceStrategyTests.cs
// Execute_HandledResult_OnFailureCalled, Execute_UnhandledResult_OnActionSuccess,
// Execute_HandledException_OnFailureCalled and Execute_UnhandledException_OnActionSuccess, and
// test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerOptionsTests.cs ShouldHandle_EnsureDefaults: a
// handled result or error counts as a failure and an unhandled one as a success, and either way
// reaches the caller as it is. By default a result is not handled, an error is, and an
// OperationCanceledException (context.Canceled) is not: Polly counts that one as a success, ours
// does not count it at all (IsIgnored's default).
func TestPollyShouldHandle(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, pollyDefaults(obs))
	isMinusOne := func(v int) bool { return v == -1 }
	for _, v := range []int{-1, 0} {
		if got, err := ExecuteResult(context.Background(), b, func(context.Context) (int, error) { return v, nil }, isMinusOne); got != v || err != nil {
			t.Fatalf("ExecuteResult = %d, %v; want %d with no error", got, err, v)
		}
	}
	if obs.outcome(OutcomeFailure) != 1 || obs.outcome(OutcomeSuccess) != 1 {
		t.Fatalf("outcomes %v; want the -1 a failure, the 0 a success", obs.calls)
	}

	obs = &recorder{}
	b = mustNew(t, Config{FailureRateThreshold: 0.1, MinimumCalls: 100, IsFailure: func(err error) bool { return errors.Is(err, errInvalidOp) }, Observer: obs})
	errArgument := errors.New("argument")
	for _, want := range []error{errInvalidOp, errArgument} {
		if _, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 0, want }); err != want {
			t.Fatalf("Execute = %v; want %v as it is", err, want)
		}
	}
	if obs.outcome(OutcomeFailure) != 1 || obs.outcome(OutcomeSuccess) != 1 {
		t.Fatalf("outcomes %v; want the handled error a failure, the other a success", obs.calls)
	}

	obs = &recorder{}
	b = mustNew(t, pollyDefaults(obs))
	Execute(context.Background(), b, func(context.Context) (string, error) { return "dummy", nil })
	call(b, context.Canceled)
	call(b, errInvalidOp)
	if c := b.Counts(); c.BufferedCalls != 2 || c.Failures != 1 || obs.outcome(OutcomeIgnored) != 1 {
		t.Errorf("defaults: %+v, outcomes %v; want the result a success, the error a failure, the cancellation not counted", c, obs.calls)
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/AdvancedCircuitBehaviorTests.cs (only
// OnActionFailure can break the circuit) and
// test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionSuccess_EnsureCorrectBehavior (closed stays closed on a success). Polly judges the
// failure rate only when a call fails. Ours judges it after every counted call, a success included
// (as resilience4j does): a failure and nine successes with a ratio of 0.1 from 10 calls open it at
// the tenth call, a success, where Polly waits for the next failure.
func TestPollyRateJudgedAfterEveryCall(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{FailureRateThreshold: 0.1, MinimumCalls: 10, WindowDuration: 30 * time.Second})
	call(b, errBoom)
	for range 8 {
		call(b, nil)
	}
	wantState(t, b, StateClosed)
	call(b, nil)
	wantState(t, b, StateOpen) // Polly: closed until the next failure
}

// From test/Polly.Core.Tests/CircuitBreaker/BrokenCircuitExceptionTests.cs Ctor_RetryAfter_Ok and
// test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionPreExecute_CircuitOpenedByValue: the refusal says when the call may be retried (the
// break's end less now). Polly puts it in the exception; ours is made once per breaker (a
// refusal allocates nothing), so the time is Breaker.RetryAfter's, and the error names the
// breaker and its state.
func TestPollyRefusalSaysWhenToRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{Name: "cb", ConsecutiveFailures: 1, OpenDuration: 5 * time.Second})
		call(b, errBoom)
		time.Sleep(2 * time.Second)
		_, err := b.Allow()
		var oe *OpenError
		if !errors.As(err, &oe) || oe.Name != "cb" || oe.State != StateOpen || b.RetryAfter() != 3*time.Second {
			t.Errorf("rejection %v, RetryAfter %s; want an *OpenError of cb, open, and 3s to wait", err, b.RetryAfter())
		}
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionPreExecute_CircuitOpened_EnsureExceptionStackTraceDoesNotGrow and
// OnActionPreExecute_CircuitOpenedByException: 100 refused calls get the same error, with the same
// message, each time. Polly's BrokenCircuitException wraps the failure that broke the circuit as
// its InnerException; ours is made once for the breaker (a refusal allocates nothing) and wraps
// only ErrOpen.
func TestPollyRejectionErrorDoesNotGrow(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{Name: "cb", ConsecutiveFailures: 1})
	call(b, errInvalidOp)
	_, first := b.Allow()
	for range 100 {
		_, err := b.Allow()
		if err == nil || err.Error() != first.Error() || !errors.Is(err, ErrOpen) {
			t.Fatalf("a refusal: %v; want %q each time", err, first)
		}
		if errors.Is(err, errInvalidOp) {
			t.Fatalf("a refusal wraps the breaking failure %v; ours does not (Polly: InnerException)", err)
		}
	}
	if want := `circuit breaker is open: "cb" is open`; first.Error() != want {
		t.Errorf("message %q; want %q", first, want)
	}
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionFailureAsync_EnsureBreakDurationNotOverflow: a break that would end past the largest time
// ends at it instead; the circuit stays open and says so. Ours: an open duration as long as a
// Duration allows keeps the breaker open, with the whole of it still to wait.
func TestPollyBreakDurationDoesNotOverflow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const forever = time.Duration(1<<63 - 1)
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDurationFunc: func(int) time.Duration { return forever }})
		call(b, errBoom)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		wantState(t, b, StateOpen)
		if got := b.RetryAfter(); got != forever-24*time.Hour {
			t.Errorf("RetryAfter() = %s; want %s", got, forever-24*time.Hour)
		}
	})
}

// From test/Polly.Core.Tests/CircuitBreaker/Controller/CircuitStateControllerTests.cs
// OnActionFailureAsync_EnsureCorrectBehavior (open stays open, isolated stays isolated) and
// OnActionSuccess_EnsureCorrectBehavior (isolated stays isolated): a failure that reports after the
// circuit opened neither opens it again nor extends the break, and a success that reports after it
// was isolated does not close it. Ours ignores a result from an older state (package doc).
func TestPollyResultsAfterTheStateChanged(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, Config{ConsecutiveFailures: 1, Observer: obs})
	first, _ := b.Allow()
	second, _ := b.Allow()
	first.Done(errBoom)
	second.Done(errBoom)
	wantState(t, b, StateOpen)
	if got := obs.path(); len(got) != 2 || obs.outcome(OutcomeIgnored) != 1 {
		t.Errorf("transitions %v, outcomes %v; want one opening and the late failure ignored", got, obs.calls)
	}

	b = mustNew(t, Config{ConsecutiveFailures: 1})
	p, _ := b.Allow()
	b.ForceOpen()
	p.Done(nil)
	wantState(t, b, StateForcedOpen)
}

// From test/Polly.Core.Tests/CircuitBreaker/CircuitBreakerOptionsTests.cs InvalidOptions_Validate
// and Ctor_Defaults: invalid options are refused with every problem at once; Polly's smallest valid
// values are valid. Polly refuses a MinimumThroughput of 0 (or 1) and a SamplingDuration or
// BreakDuration of 0 or under 500 ms; our zero values stand for defaults, so ours refuses the
// negative ones (and takes a minimum of 1).
func TestPollyOptionsValidation(t *testing.T) {
	t.Parallel()
	err := Config{Name: "Dummy", FailureRateThreshold: 0.1, MinimumCalls: -1, WindowDuration: -time.Second, OpenDuration: -299 * time.Millisecond}.Validate()
	for _, want := range []string{"MinimumCalls = -1", "WindowDuration = -1s", "OpenDuration = -299ms"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	for _, s := range []Config{
		{FailureRateThreshold: 0.001, OpenDuration: 500 * time.Millisecond, MinimumCalls: 2, WindowDuration: 500 * time.Millisecond},
		{FailureRateThreshold: 0.1, MinimumCalls: 1, WindowDuration: time.Second},
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v; want it accepted", s, err)
		}
	}
}
