package retry

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

// Cases of resilience4j's own suite (master branch as stored: internal/SupplierRetryTest.java at
// af15569, internal/EventPublisherTest.java at 04c27e8, RetryConfigBuilderTest.java at c8054e7 and
// IntervalFunctionTest.java, under resilience4j-retry/src/test/java/io/github/resilience4j/retry/),
// on this package's API.
//
// How the peer's configuration maps onto ours: maxAttempts is MaxAttempts (both count the first
// attempt); the default wait of 500 ms between attempts is Backoff Constant with BaseDelay 500ms
// (our own default is a full jitter from 100ms); IntervalFunction.ofExponentialBackoff(d, m) is
// Backoff Exponential, BaseDelay d, Multiplier m; retryOnException and retryExceptions are
// RetryOn, ignoreExceptions AbortOn (which wins over RetryOn, as the peer's ignore list wins over
// its retry list); retryOnResult is DoResult's predicate; the event publisher is an Observer
// (Hooks). The peer's sleep function, which adds up the time slept, is testing/synctest's fake
// clock: the time a call took is the time it slept. Where the peer rethrows the last exception
// once the attempts ran out, ours returns an *Error that wraps it (errors.Is finds it) and says
// the attempts and the outcome; where the semantics differ otherwise, the test says so.

var (
	errHelloWorld = errors.New("hello world exception") // the peer's HelloWorldException
	errRuntime    = errors.New("runtime")
)

// r4jDefaults is RetryConfig.ofDefaults(): 3 attempts, 500 ms apart.
func r4jDefaults(obs Observer) Config {
	return Config{Name: "id", Backoff: Constant, BaseDelay: 500 * time.Millisecond, Observer: obs}
}

// timed runs fn and returns the (fake) time it took.
func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldNotRetry, shouldNotRetryWithResult and shouldOnCompleteCallOnFinish: a call that succeeds,
// or whose result is not one to retry, is made once, with no wait.
func TestResilience4jRetryNotOnSuccess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, r4jDefaults(o))
		fn, calls := failing(0, errHelloWorld)
		var v int
		var err error
		if slept := timed(func() { v, err = Do(context.Background(), r, fn) }); v != 42 || err != nil || calls.Load() != 1 || slept != 0 {
			t.Errorf("Do = %d, %v after %d calls and %s; want 42 at once", v, err, calls.Load(), slept)
		}
		n := 0
		s, err := DoResult(context.Background(), mustNew(t, Config{MaxAttempts: 2}), func(context.Context) (string, error) {
			n++
			return "Hello world", nil
		}, func(s string) bool { return strings.Contains(s, "tryAgain") })
		if s != "Hello world" || err != nil || n != 1 {
			t.Errorf("DoResult = %q, %v after %d calls; want the result at once", s, err, n)
		}
		if !slices.Equal(o.outcomes, []Outcome{SuccessFirst}) {
			t.Errorf("outcomes %v; want success_first", o.outcomes)
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// testDecorateSupplier, testExecuteSupplier, testDecorateCallable, testExecuteCallable,
// shouldReturnSuccessfullyAfterSecondAttempt and testDecorateSupplierAndInvokeTwice: a failure then
// a success is two calls and one wait of 500 ms; the same Retryer used twice so makes four calls,
// waits 1 s in all, and counts two successes after a retry.
func TestResilience4jRetrySucceedsOnSecondAttempt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, r4jDefaults(o))
		n := 0
		fn := func(context.Context) (string, error) {
			if n++; n%2 == 1 {
				return "", errHelloWorld
			}
			return "Hello world", nil
		}
		var results []string
		slept := timed(func() {
			for range 2 {
				v, err := Do(context.Background(), r, fn)
				if err != nil {
					t.Fatalf("Do = %v; want the second attempt's success", err)
				}
				results = append(results, v)
			}
		})
		if n != 4 || slept != time.Second || !slices.Equal(results, []string{"Hello world", "Hello world"}) {
			t.Errorf("%d calls, %s slept, results %q; want 4 calls, 1s, two Hello worlds", n, slept, results)
		}
		if !slices.Equal(o.outcomes, []Outcome{SuccessAfterRetry, SuccessAfterRetry}) || !slices.Equal(o.delays, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}) {
			t.Errorf("outcomes %v, delays %v; want two successes after a retry of 500ms", o.outcomes, o.delays)
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldReturnAfterThreeAttempts and shouldReturnAfterThreeAttemptsAndRecover: a call that always
// fails is made three times, with two waits of 500 ms, and counts as one call failed after retries.
// resilience4j rethrows the HelloWorldException itself; ours returns an *Error (exhausted, 3
// attempts) that wraps it.
func TestResilience4jRetryExhausted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, r4jDefaults(o))
		fn, calls := failing(100, errHelloWorld)
		var err error
		slept := timed(func() { _, err = Do(context.Background(), r, fn) })
		var re *Error
		if calls.Load() != 3 || slept != time.Second || !errors.Is(err, errHelloWorld) || !errors.As(err, &re) || re.Attempts != 3 || re.Outcome != Exhausted {
			t.Errorf("Do = %v after %d calls and %s; want an exhausted *Error of 3 attempts wrapping the exception, after 1s", err, calls.Load(), slept)
		}
		if !slices.Equal(o.outcomes, []Outcome{Exhausted}) {
			t.Errorf("outcomes %v; want one exhausted", o.outcomes)
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldReturnAfterOneAttempt: with maxAttempts(1) a failure is returned as it is after one call,
// with no wait.
func TestResilience4jRetryOneAttempt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := r4jDefaults(nil)
		c.MaxAttempts = 1
		fn, calls := failing(100, errHelloWorld)
		var err error
		if slept := timed(func() { _, err = Do(context.Background(), mustNew(t, c), fn) }); err != errHelloWorld || calls.Load() != 1 || slept != 0 {
			t.Errorf("Do = %v after %d calls and %s; want the exception itself after 1 call", err, calls.Load(), slept)
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldReturnAfterOneAttemptAndIgnoreException,
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/EventPublisherTest.java
// shouldIgnoreError and
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/RetryConfigBuilderTest.java
// shouldUseIgnoreExceptionOverRecordToBuildPredicate and shouldUseBothRecordToBuildPredicate: an
// exception the predicate does not retry is returned at once, with no wait; an exception both
// retried (a RuntimeException) and ignored (a subclass on the ignore list) is not retried.
func TestResilience4jRetryOnExceptionPredicate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		c := r4jDefaults(o)
		c.RetryOn = func(err error) bool { return !errors.Is(err, errHelloWorld) }
		fn, calls := failing(100, errHelloWorld)
		var err error
		if slept := timed(func() { _, err = Do(context.Background(), mustNew(t, c), fn) }); err != errHelloWorld || calls.Load() != 1 || slept != 0 {
			t.Errorf("Do = %v after %d calls and %s; want the exception at once", err, calls.Load(), slept)
		}
		if !slices.Equal(o.outcomes, []Outcome{Aborted}) {
			t.Errorf("outcomes %v; want aborted (the peer's IGNORED_ERROR)", o.outcomes)
		}

		errExtendsRuntime := fmt.Errorf("extends runtime: %w", errRuntime)
		c = r4jDefaults(nil)
		c.RetryOn = func(err error) bool { return errors.Is(err, errRuntime) || err.Error() == "test" }
		c.AbortOn = func(err error) bool { return errors.Is(err, errExtendsRuntime) }
		r := mustNew(t, c)
		for _, tt := range []struct {
			err   error
			calls int32
		}{
			{errRuntime, 3},                             // retried (retryExceptions)
			{errors.New("test"), 3},                     // retried (retryOnException)
			{errExtendsRuntime, 1},                      // ignored, though it is a RuntimeException
			{errors.New("exception"), 1},                // not on the retry list
			{fmt.Errorf("x: %w", errExtendsRuntime), 1}, // a subclass of an ignored one
		} {
			fn, calls := failing(100, tt.err)
			Do(context.Background(), r, fn)
			if calls.Load() != tt.calls {
				t.Errorf("%v: %d calls; want %d", tt.err, calls.Load(), tt.calls)
			}
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldRetryWithResult, testExecuteSupplierWithResult, shouldThrowMaxRetriesExceededIfConfigured,
// shouldNotThrowMaxRetriesExceededIfCompletedExceptionally and
// shouldReturnAfterThreeAttemptsAndRecoverWithResult. A result retryOnResult accepts is retried
// until the attempts run out. resilience4j then returns that result as a success, unless
// failAfterMaxAttempts(true) makes it throw MaxRetriesExceededException ("Retry 'test' has
// exhausted all attempts (3)"); ours always does the latter, on purpose: DoResult returns the last
// result with an *Error matching ErrRejectedResult. When the last attempt failed with an error, it
// is that error that is returned, in both.
func TestResilience4jRetryOnResult(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		isHello := func(s string) bool { return strings.Contains(s, "Hello world") }
		c := r4jDefaults(nil)
		c.MaxAttempts = 2
		n := 0
		var s string
		var err error
		slept := timed(func() {
			s, err = DoResult(context.Background(), mustNew(t, c), func(context.Context) (string, error) { n++; return "Hello world", nil }, isHello)
		})
		var re *Error
		if s != "Hello world" || n != 2 || slept != 500*time.Millisecond || !errors.Is(err, ErrRejectedResult) || !errors.As(err, &re) || re.Attempts != 2 {
			t.Errorf("DoResult = %q, %v after %d calls and %s; want the last result and an error of 2 attempts matching ErrRejectedResult (resilience4j: the result, no error)", s, err, n, slept)
		}

		c = r4jDefaults(nil)
		c.Name = "test"
		s, err = DoResult(context.Background(), mustNew(t, c), func(context.Context) (string, error) { return "retryable response", nil },
			func(s string) bool { return s == "retryable response" })
		if want := `retry "test": exhausted after 3 attempts: the result is one to retry`; err == nil || err.Error() != want || s != "retryable response" {
			t.Errorf("DoResult = %q, %v; want the result and %q", s, err, want)
		}

		n = 0
		s, err = DoResult(context.Background(), mustNew(t, r4jDefaults(nil)), func(context.Context) (string, error) {
			switch n++; n {
			case 2:
				return "Hello world", nil
			default:
				return "", errHelloWorld
			}
		}, isHello)
		if n != 3 || !errors.Is(err, errHelloWorld) || errors.Is(err, ErrRejectedResult) {
			t.Errorf("error, retried result, error: %v after %d calls; want the last error after 3", err, n)
		}
	})
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/SupplierRetryTest.java
// shouldTakeIntoAccountBackoffFunction and
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/IntervalFunctionTest.java
// generatesExponentialIntervals: an exponential backoff from 500 ms times 2 waits 500 ms, then 1 s;
// with a multiplier of 1.5 from 100 ms every delay is longer than the last, 49 retries on (our
// MaxDelay caps them; here it is as large as a Duration).
func TestResilience4jRetryIntervalFunctions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{Backoff: Exponential, BaseDelay: 500 * time.Millisecond, Multiplier: 2, Observer: o})
		fn, calls := failing(100, errHelloWorld)
		if slept := timed(func() { Do(context.Background(), r, fn) }); calls.Load() != 3 || slept != 1500*time.Millisecond ||
			!slices.Equal(o.delays, []time.Duration{500 * time.Millisecond, time.Second}) {
			t.Errorf("%d calls, %s slept, delays %v; want 3, 1.5s, [500ms 1s]", calls.Load(), slept, o.delays)
		}
	})
	b := Backoff{Strategy: Exponential, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Duration(1<<63 - 1), Multiplier: 1.5}
	prev := b.Next(0, 0)
	for n := 1; n < 49; n++ {
		d := b.Next(n, 0)
		if d <= prev {
			t.Fatalf("delay %d = %s, not longer than the one before, %s", n, d, prev)
		}
		prev = d
	}
}

// From
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/internal/EventPublisherTest.java
// shouldReturnAfterThreeAttempts, shouldReturnAfterTwoAttempts and shouldIgnoreError: a call that
// always fails publishes RETRY, RETRY, ERROR; one that fails once, RETRY, SUCCESS; one whose
// exception is not retried, IGNORED_ERROR alone.
func TestResilience4jRetryEvents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var log []string
		hooks := Hooks{
			Retry: func(_ string, n int, d time.Duration, _ error) { log = append(log, fmt.Sprintf("RETRY %d %s", n, d)) },
			Done: func(_ string, o Outcome, attempts int) {
				name := map[Outcome]string{Exhausted: "ERROR", SuccessAfterRetry: "SUCCESS", Aborted: "IGNORED_ERROR"}[o]
				log = append(log, fmt.Sprintf("%s %d", name, attempts))
			},
		}
		c := r4jDefaults(hooks)
		c.AbortOn = func(err error) bool { return errors.Is(err, errRuntime) }
		r := mustNew(t, c)
		for _, tt := range []struct {
			failures int
			err      error
			want     []string
		}{
			{100, errHelloWorld, []string{"RETRY 1 500ms", "RETRY 2 500ms", "ERROR 3"}},
			{1, errHelloWorld, []string{"RETRY 1 500ms", "SUCCESS 2"}},
			{100, errRuntime, []string{"IGNORED_ERROR 1"}},
		} {
			log = nil
			fn, _ := failing(tt.failures, tt.err)
			r.Run(context.Background(), func(ctx context.Context) error { _, err := fn(ctx); return err })
			if !slices.Equal(log, tt.want) {
				t.Errorf("%d failures of %v: events %q; want %q", tt.failures, tt.err, log, tt.want)
			}
		}
	})
}

// From resilience4j-retry/src/test/java/io/github/resilience4j/retry/RetryConfigBuilderTest.java
// zeroMaxAttemptsShouldFail, waitIntervalUnderZeroShouldFail, zeroWaitInterval and
// waitIntervalUnderTenMillisShouldSucceed, and
// resilience4j-retry/src/test/java/io/github/resilience4j/retry/IntervalFunctionTest.java
// shouldRejectOutOfBoundsMultiplier. A negative wait and a multiplier under 1 are refused by both.
// Our zero values stand for defaults: resilience4j refuses maxAttempts(0) where ours makes the
// default 3 attempts, and takes a wait of 0 as no wait where ours waits the default 100 ms base. A
// 5 ms wait is taken as it is.
func TestResilience4jRetryConfigValidation(t *testing.T) {
	t.Parallel()
	err := Config{MaxAttempts: -1, BaseDelay: -time.Millisecond, Multiplier: 0.9999}.Validate()
	for _, want := range []string{"MaxAttempts = -1", "BaseDelay = -1ms", "Multiplier = 0.9999"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		fn, calls := failing(100, errHelloWorld)
		Do(context.Background(), mustNew(t, Config{MaxAttempts: 0, Backoff: Constant, BaseDelay: 0, Observer: o}), fn)
		if calls.Load() != 3 || !slices.Equal(o.delays, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}) {
			t.Errorf("zero values: %d calls, delays %v; want 3 calls 100ms apart (the defaults)", calls.Load(), o.delays)
		}
		o = &obs{}
		fn, _ = failing(1, errHelloWorld)
		Do(context.Background(), mustNew(t, Config{Backoff: Constant, BaseDelay: 5 * time.Millisecond, Observer: o}), fn)
		if !slices.Equal(o.delays, []time.Duration{5 * time.Millisecond}) {
			t.Errorf("delays %v; want [5ms]", o.delays)
		}
	})
}
