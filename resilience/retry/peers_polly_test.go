package retry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of Polly's own suite (main branch as stored, Polly v8's Polly.Core:
// test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs at 65b9e92, RetryHelperTests.cs at
// 7301ef3 and RetryStrategyOptionsTests.cs at ead36a4), on this package's API.
//
// How Polly's options map onto ours: MaxRetryAttempts counts the retries, our MaxAttempts the
// attempts, the first included (MaxRetryAttempts n is MaxAttempts n+1); Delay is BaseDelay and
// MaxDelay MaxDelay; BackoffType Constant and Exponential are our Constant and Exponential (with
// Multiplier 2), and UseJitter our jitter strategies (Polly has a Linear type; we have none, so
// its linear cases use Exponential); ShouldHandle is RetryOn for errors and DoResult's predicate
// for results; OnRetry is Observer.OnRetry (Hooks.Retry), whose attempt number counts retries from
// 1 where Polly's AttemptNumber counts the failed attempts from 0; Randomizer is Rand, and
// RetryHelper.GetRetryDelay our Backoff.Next. The FakeTimeProvider is testing/synctest's fake
// clock. Where the semantics differ, the test asserts ours and says what Polly does.

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs Retry_RetryCount_Respected and
// RetryException_RetryCount_Respected: 12 retries of a handled result call OnRetry 12 times; 3
// retries of a handled exception call it 3 times, told the exception, and the exception reaches the
// caller (Polly: as it is; ours: wrapped in an *Error that errors.Is finds it in).
func TestPollyRetryCountRespected(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		retries := 0
		var causes []error
		hooks := Hooks{Retry: func(_ string, _ int, _ time.Duration, cause error) { retries++; causes = append(causes, cause) }}
		r := mustNew(t, Config{MaxAttempts: 13, Backoff: Constant, BaseDelay: time.Millisecond, Observer: hooks})
		DoResult(context.Background(), r, func(context.Context) (int, error) { return 0, nil }, func(v int) bool { return v == 0 })
		if retries != 12 {
			t.Errorf("OnRetry called %d times; want 12", retries)
		}

		retries, causes = 0, nil
		r = mustNew(t, Config{MaxAttempts: 4, Backoff: Constant, BaseDelay: time.Millisecond, Observer: hooks,
			RetryOn: func(err error) bool { return errors.Is(err, errInvalidOperation) }})
		_, err := Do(context.Background(), r, func(context.Context) (int, error) { return 0, errInvalidOperation })
		if retries != 3 || !errors.Is(err, errInvalidOperation) {
			t.Errorf("OnRetry called %d times, Do = %v; want 3 and the exception", retries, err)
		}
		for _, c := range causes {
			if c != errInvalidOperation {
				t.Errorf("OnRetry told %v; want the exception", c)
			}
		}
	})
}

var errInvalidOperation = errors.New("invalid operation") // Polly's InvalidOperationException

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs
// ExecuteAsync_CancellationRequested_EnsureNotRetried: with the token already cancelled, Polly does
// not run the callback at all and returns an OperationCanceledException. Ours makes the first
// attempt with the done context (fn is given ctx and is expected to honour it, as a Go function is)
// and makes no retry: a function that ignores ctx returns its result; one that honours it returns
// the context's error after one call.
func TestPollyRetryCancelledBeforeTheCall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := &obs{}
	r := mustNew(t, Config{Observer: o})
	executed := 0
	v, err := Do(ctx, r, func(context.Context) (string, error) { executed++; return "dummy", nil })
	if v != "dummy" || err != nil || executed != 1 {
		t.Errorf("Do = %q, %v after %d calls; want the result of one call (Polly: not called, OperationCanceledException)", v, err, executed)
	}
	executed = 0
	_, err = Do(ctx, r, func(ctx context.Context) (string, error) { executed++; return "", ctx.Err() })
	var re *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Outcome != Cancelled || executed != 1 {
		t.Errorf("Do = %v after %d calls; want a cancelled *Error after one", err, executed)
	}
}

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs
// ExecuteAsync_CancellationRequestedAfterCallback_EnsureNotRetried: OnRetry, called before the
// delay, cancels the token; the callback ran once, no retry is made, and the result is an
// OperationCanceledException. Our Hooks.Retry is documented as "told of each retry before its
// delay", so the same hook must see the retry before the sleep and its cancellation must end the
// call without a second attempt.
func TestPollyRetryCancelledInOnRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		hookAt := time.Duration(-1)
		r := mustNew(t, Config{Backoff: Constant, BaseDelay: time.Second, Observer: Hooks{Retry: func(string, int, time.Duration, error) {
			hookAt = time.Since(start)
			cancel()
		}}})
		executed := 0
		_, err := Do(ctx, r, func(context.Context) (string, error) { executed++; return "dummy", errTransient })
		if executed != 1 || hookAt != 0 || time.Since(start) != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("Do = %v after %d calls, hook at %s, returned at %s; want context.Canceled after 1 call, the hook and the return at 0s",
				err, executed, hookAt, time.Since(start))
		}
	})
}

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs OnRetry_EnsureCorrectArguments
// and OnRetry_EnsureTelemetry: three retries of a handled result are told, in order, with their
// numbers and delays, and the handled outcome; the delays are the ones waited. Polly's linear
// delays from 2 s are 2, 4, 6 s and its attempt numbers 0, 1, 2; ours, exponential from 2 s, 2, 4,
// 8 s, numbered 1, 2, 3, and the handled result is told as ErrRejectedResult.
func TestPollyRetryOnRetryArguments(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var attempts []int
		var delays []time.Duration
		r := mustNew(t, Config{MaxAttempts: 4, Backoff: Exponential, BaseDelay: 2 * time.Second, Observer: Hooks{
			Retry: func(_ string, n int, d time.Duration, cause error) {
				attempts = append(attempts, n)
				delays = append(delays, d)
				if !errors.Is(cause, ErrRejectedResult) {
					t.Errorf("OnRetry told %v; want ErrRejectedResult", cause)
				}
			}}})
		start := time.Now()
		DoResult(context.Background(), r, func(context.Context) (int, error) { return 0, nil }, func(int) bool { return true })
		if !slices.Equal(attempts, []int{1, 2, 3}) || !slices.Equal(delays, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}) {
			t.Errorf("OnRetry told attempts %v, delays %v; want [1 2 3], [2s 4s 8s]", attempts, delays)
		}
		if waited := time.Since(start); waited != 14*time.Second {
			t.Errorf("waited %s; want 14s, the delays told", waited)
		}
	})
}

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs MaxDelay_EnsureRespected and
// test/Polly.Core.Tests/Retry/RetryHelperTests.cs MaxDelay_Ok and
// MaxDelay_DelayLessThanMaxDelay_Respected: MaxDelay caps every delay. Polly takes a Delay of 2 s
// with a MaxDelay of 123 ms and waits 123 ms each time; ours refuses a BaseDelay over MaxDelay.
// From a base of 10 s capped at 1 s, the third delay is 1 s for the constant and exponential
// strategies; ours applies the jitter within the capped delay (full jitter: a draw of 0.5 is 500
// ms, equal jitter 750 ms), where Polly jitters, then caps. A delay under the cap is kept.
func TestPollyRetryMaxDelay(t *testing.T) {
	t.Parallel()
	if err := (Config{BaseDelay: 2 * time.Second, MaxDelay: 123 * time.Millisecond}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "BaseDelay = 2s; want at most MaxDelay (123ms)") {
		t.Errorf("Validate() = %v; want BaseDelay over MaxDelay refused", err)
	}
	for s, want := range map[Strategy]time.Duration{
		Constant: time.Second, Exponential: time.Second, DecorrelatedJitter: time.Second,
		FullJitter: 500 * time.Millisecond, EqualJitter: 750 * time.Millisecond,
	} {
		b := Backoff{Strategy: s, BaseDelay: 10 * time.Second, MaxDelay: time.Second, Multiplier: 2}
		if got := b.Next(2, 0.5); got != want {
			t.Errorf("%s: delay %s; want %s", s, got, want)
		}
	}
	b := Backoff{Strategy: Constant, BaseDelay: time.Second, MaxDelay: 2 * time.Second}
	if got := b.Next(2, 0.5); got != time.Second {
		t.Errorf("a delay under the cap: %s; want 1s", got)
	}
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{MaxAttempts: 4, Backoff: Exponential, BaseDelay: 100 * time.Millisecond, MaxDelay: 123 * time.Millisecond, Observer: o})
		fn, _ := failing(100, errTransient)
		Do(context.Background(), r, fn)
		if want := []time.Duration{100 * time.Millisecond, 123 * time.Millisecond, 123 * time.Millisecond}; !slices.Equal(o.delays, want) {
			t.Errorf("delays %v; want %v", o.delays, want)
		}
	})
}

// From test/Polly.Core.Tests/Retry/RetryHelperTests.cs Constant_Ok, Exponential_Ok,
// GetRetryDelay_Overflow_ReturnsMaxTimeSpan, GetRetryDelay_OverflowWithMaxDelay_ReturnsMaxDelay,
// GetRetryDelay_Exponential_Does_Not_Exceed_MaxDelay,
// GetRetryDelay_Exponential_Is_Positive_When_No_Maximum_Delay and
// ExponentialWithJitter_EnsureRandomness: constant and exponential delays from 0 and from 1 s; the
// 1000th exponential delay from a day is the cap (2 days, or the largest Duration); jittered delays
// from 2 s stay within a 30 s cap for attempts up to 1025 and, for the decorrelated strategy (the
// formula of Polly's exponential jitter), above 0 (our full and equal jitter may be 0 at a draw of
// 0); two random sources give two different sequences.
func TestPollyRetryBackoffFormulas(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s     Strategy
		base  time.Duration
		wants []time.Duration
	}{
		{Constant, 0, []time.Duration{0, 0, 0}},
		{Constant, time.Second, []time.Duration{time.Second, time.Second, time.Second}},
		{Exponential, 0, []time.Duration{0, 0, 0}},
		{Exponential, time.Second, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		b := Backoff{Strategy: tt.s, BaseDelay: tt.base, MaxDelay: time.Hour, Multiplier: 2}
		for n, want := range tt.wants {
			if got := b.Next(n, 0.5); got != want {
				t.Errorf("%s from %s, attempt %d: %s; want %s", tt.s, tt.base, n, got, want)
			}
		}
	}
	day := 24 * time.Hour
	for _, maxDelay := range []time.Duration{2 * day, time.Duration(1<<63 - 1)} {
		b := Backoff{Strategy: Exponential, BaseDelay: day, MaxDelay: maxDelay, Multiplier: 2}
		if got := b.Next(1000, 0); got != maxDelay {
			t.Errorf("attempt 1000 from a day, capped at %s: %s; want the cap", maxDelay, got)
		}
	}
	rnd := NewLockedRand(0)
	for _, s := range []Strategy{FullJitter, EqualJitter, DecorrelatedJitter} {
		b := Backoff{Strategy: s, BaseDelay: 2 * time.Second, MaxDelay: 30 * time.Second, Multiplier: 2}
		for _, n := range []int{1, 2, 3, 4, 10, 100, 1000, 1024, 1025} {
			for range 2 {
				d := b.Next(n, rnd())
				if d < 0 || d > 30*time.Second || (s == DecorrelatedJitter && d <= 0) {
					t.Errorf("%s attempt %d: %s; want within (0, 30s]", s, n, d)
				}
			}
		}
	}
	seq := func(seed uint64) []time.Duration {
		rnd := NewLockedRand(seed)
		b := Backoff{Strategy: DecorrelatedJitter, BaseDelay: 7800 * time.Millisecond, MaxDelay: time.Hour, Multiplier: 2}
		var out []time.Duration
		for n := range 100 {
			out = append(out, b.Next(n, rnd()))
		}
		return out
	}
	if slices.Equal(seq(1), seq(2)) {
		t.Error("two random sources gave the same 100 delays")
	}
}

// From test/Polly.Core.Tests/Retry/RetryStrategyOptionsTests.cs Ctor_Ok and
// ShouldHandle_EnsureDefaults. Polly's defaults are 3 retries (4 attempts) 2 s apart; ours are 3
// attempts with a full jitter from 100 ms. By default neither retries a result or a success, and
// both retry an error; Polly does not handle an OperationCanceledException, where ours (RetryOn
// nil: every error) retries a context.Canceled that the function returns while the caller's own
// context is still live (a caller's cancellation is never retried).
func TestPollyRetryDefaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{Observer: o})
		fn, calls := failing(100, errInvalidOperation)
		Do(context.Background(), r, fn)
		if calls.Load() != 3 || len(o.delays) != 2 || o.delays[0] > 100*time.Millisecond || o.delays[1] > 200*time.Millisecond {
			t.Errorf("%d calls, delays %v; want 3 calls, within 100ms then 200ms", calls.Load(), o.delays)
		}
		fn, calls = failing(0, errInvalidOperation)
		Do(context.Background(), r, fn)
		if calls.Load() != 1 {
			t.Errorf("a success: %d calls; want 1", calls.Load())
		}
		fn, calls = failing(100, context.Canceled)
		Do(context.Background(), r, fn)
		if calls.Load() != 3 {
			t.Errorf("an inner cancellation: %d calls; want 3 (Polly: 1, not handled)", calls.Load())
		}
	})
}

// From test/Polly.Core.Tests/Retry/RetryStrategyOptionsTests.cs InvalidOptions: a negative
// MaxRetryAttempts, Delay and MaxDelay are refused, every problem in one error.
func TestPollyRetryOptionsValidation(t *testing.T) {
	t.Parallel()
	err := Config{Name: "Invalid Options", MaxAttempts: -3, BaseDelay: -time.Hour, MaxDelay: -10 * time.Second}.Validate()
	for _, want := range []string{`retry "Invalid Options": MaxAttempts = -3`, "BaseDelay = -1h0m0s", "MaxDelay = -10s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	if _, err := New(Config{MaxAttempts: -3}); err == nil {
		t.Error("New accepted invalid options")
	}
}

// From test/Polly.Core.Tests/Retry/RetryResilienceStrategyTests.cs
// ExecuteAsync_MultipleRetries_EnsureDiscardedResultsDisposed,
// Execute_HandledFinalAttempt_EnsureAttemptReported and
// Execute_NotHandledFinalAttempt_EnsureAttemptReported: with 5 retries of a result that is always
// handled, 6 results are made and the last one reaches the caller; a result handled the first time
// and not the second is returned after one retry. Polly returns the final handled result as its
// outcome, with no exception; ours returns it with an *Error (exhausted, 6 attempts) matching
// ErrRejectedResult (DoResult's doc).
func TestPollyRetryFinalResultReturned(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{MaxAttempts: 6, Backoff: Constant, BaseDelay: time.Millisecond})
		made := 0
		v, err := DoResult(context.Background(), r, func(context.Context) (int, error) { made++; return made, nil }, func(int) bool { return true })
		var re *Error
		if made != 6 || v != 6 || !errors.Is(err, ErrRejectedResult) || !errors.As(err, &re) || re.Attempts != 6 || re.Outcome != Exhausted {
			t.Errorf("DoResult = %d, %v after %d results; want the 6th result and an exhausted *Error of 6 attempts", v, err, made)
		}
		o := &obs{}
		r = mustNew(t, Config{MaxAttempts: 2, Backoff: Constant, BaseDelay: time.Millisecond, Observer: o})
		made = 0
		v, err = DoResult(context.Background(), r, func(context.Context) (int, error) { made++; return made, nil }, func(v int) bool { return v == 1 })
		if v != 2 || err != nil || !slices.Equal(o.outcomes, []Outcome{SuccessAfterRetry}) {
			t.Errorf("DoResult = %d, %v, outcomes %v; want 2 after one retry", v, err, o.outcomes)
		}
	})
}
