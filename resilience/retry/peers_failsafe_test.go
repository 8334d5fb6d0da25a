package retry

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of failsafe-go v0.9.8's own suite (test/retrypolicy_test.go, TestRetryPolicy), on this
// package's API. failsafe-go's defaults are 3 attempts; so are ours. Its ExceededError is our
// *Error with Outcome Exhausted.

// "should retry on failure" and "should return ExceededError": three attempts, then the last
// error, wrapped, with the attempts and two retries told.
func TestFailsafeRetryOnFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{Observer: o})
		fn, calls := failing(100, errTransient)
		_, err := Do(context.Background(), r, fn)
		var re *Error
		if !errors.As(err, &re) || re.Outcome != Exhausted || re.Attempts != 3 || !errors.Is(err, errTransient) || calls.Load() != 3 {
			t.Fatalf("Do = %v after %d calls; want exhausted after 3 attempts, wrapping the last error", err, calls.Load())
		}
		if len(o.delays) != 2 || !slices.Equal(o.outcomes, []Outcome{Exhausted}) {
			t.Errorf("%d retries, outcomes %v; want 2 retries and exhausted", len(o.delays), o.outcomes)
		}
	})
}

// "should not retry on success".
func TestFailsafeNoRetryOnSuccess(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Config{})
	fn, calls := failing(0, errTransient)
	if v, err := Do(context.Background(), r, fn); err != nil || v != 42 || calls.Load() != 1 {
		t.Errorf("Do = %d, %v after %d calls; want 42 at the first attempt", v, err, calls.Load())
	}
}

// "should not retry on non-retriable failure": an error the policy does not handle is returned at
// once.
func TestFailsafeNoRetryOnNonRetriableFailure(t *testing.T) {
	t.Parallel()
	permanent := errors.New("permanent")
	r := mustNew(t, Config{RetryOn: func(err error) bool { return !errors.Is(err, permanent) }})
	fn, calls := failing(100, permanent)
	if _, err := Do(context.Background(), r, fn); !errors.Is(err, permanent) || calls.Load() != 1 {
		t.Errorf("Do = %v after %d calls; want the permanent error after 1", err, calls.Load())
	}
}

// "should fail when max duration exceeded": a retry that would start past MaxElapsed is not made.
func TestFailsafeMaxDurationExceeded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{MaxAttempts: 10, MaxElapsed: 100 * time.Millisecond, Backoff: Constant, BaseDelay: 10 * time.Millisecond})
		var calls int
		_, err := Do(context.Background(), r, func(context.Context) (int, error) {
			if calls++; calls == 2 {
				time.Sleep(120 * time.Millisecond)
			}
			return 0, errTransient
		})
		var re *Error
		if !errors.As(err, &re) || re.Outcome != Exhausted || calls != 2 {
			t.Errorf("Do = %v after %d calls; want exhausted after 2 (the second ran past 100ms)", err, calls)
		}
	})
}

// "unlimited attempts": failsafe-go's -1; ours has no unlimited setting, so a large MaxAttempts:
// five failures, then the sixth attempt succeeds.
func TestFailsafeManyAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{MaxAttempts: 1000, Backoff: Constant, BaseDelay: time.Millisecond})
		fn, calls := failing(5, errTransient)
		if v, err := Do(context.Background(), r, fn); err != nil || v != 42 || calls.Load() != 6 {
			t.Errorf("Do = %d, %v after %d calls; want success at the sixth", v, err, calls.Load())
		}
	})
}

// "with backoff delay": an exponential backoff from 1ms capped at 10ms gives 1, 2, 4, 8, 10, 10ms.
func TestFailsafeBackoffDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{MaxAttempts: 7, Backoff: Exponential, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, Observer: o})
		fn, _ := failing(100, errTransient)
		Do(context.Background(), r, fn)
		want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
		if !slices.Equal(o.delays, want) {
			t.Errorf("delays %v; want %v", o.delays, want)
		}
	})
}

// "should not retry on non-retriable failure" (its policy retries the result 500): two answers of
// 500, then a 0, is a success after three attempts; a result that stays 500 runs out of attempts
// and returns the last result with an error that says why.
func TestFailsafeRetryOnResult(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{MaxAttempts: 10})
		serverError := func(code int) bool { return code == 500 }
		n := 0
		v, err := DoResult(context.Background(), r, func(context.Context) (int, error) {
			if n++; n <= 2 {
				return 500, nil
			}
			return 0, nil
		}, serverError)
		if v != 0 || err != nil || n != 3 {
			t.Errorf("DoResult = %d, %v after %d attempts; want 0 after 3", v, err, n)
		}
		v, err = DoResult(context.Background(), mustNew(t, Config{}), func(context.Context) (int, error) { return 500, nil }, serverError)
		var re *Error
		if v != 500 || !errors.Is(err, ErrRejectedResult) || !errors.As(err, &re) || re.Attempts != 3 || re.Outcome != Exhausted {
			t.Errorf("DoResult = %d, %v; want the last 500 and an exhausted error after 3 attempts matching ErrRejectedResult", v, err)
		}
	})
}

// TestHooks: OnRetry before each retry, OnRetriesExceeded once the attempts ran out, OnDone at the
// end (failsafe-go's OnRetry and OnRetriesExceeded listeners).
func TestHooks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var log []string
		r := mustNew(t, Config{Name: "llm", Observer: Hooks{
			Retry:           func(name string, n int, _ time.Duration, cause error) { log = append(log, "retry "+cause.Error()) },
			RetriesExceeded: func(name string, attempts int) { log = append(log, "exceeded "+name) },
			Done:            func(_ string, o Outcome, attempts int) { log = append(log, "done "+o.String()) },
		}})
		fn, _ := failing(100, errTransient)
		Do(context.Background(), r, fn)
		want := []string{"retry transient", "retry transient", "exceeded llm", "done exhausted"}
		if !slices.Equal(log, want) {
			t.Errorf("hooks said %q; want %q", log, want)
		}
	})
}
