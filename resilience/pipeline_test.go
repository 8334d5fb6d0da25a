package resilience

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/fallback"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/resilience/timeout"
)

var errDown = errors.New("connection refused")

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOpenBreakerEndsRetriesAndFallbackAnswers: the documented order at work.
func TestOpenBreakerEndsRetriesAndFallbackAnswers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &Pipeline[string]{
			Fallback: must(fallback.New(fallback.Config[string]{Name: "llm", Fallback: fallback.Value("static answer")})),
			Retry:    must(retry.New(retry.Config{Name: "llm", MaxAttempts: 5, BaseDelay: time.Millisecond})),
			Breaker:  must(circuitbreaker.New(circuitbreaker.Config{Name: "llm", ConsecutiveFailures: 3})),
		}
		var calls atomic.Int32
		res, err := p.Execute(context.Background(), func(context.Context) (string, error) {
			calls.Add(1)
			return "", errDown
		})
		// 3 attempts trip the breaker; the 4th is rejected and not retried; the fallback answers.
		if err != nil || !res.Degraded || res.Value != "static answer" || calls.Load() != 3 {
			t.Errorf("Execute = %+v, %v after %d calls; want the degraded fallback after 3 calls", res, err, calls.Load())
		}
		if !errors.Is(res.Cause, circuitbreaker.ErrOpen) {
			t.Errorf("Cause = %v; want the breaker's rejection", res.Cause)
		}
	})
}

func TestBulkheadRejectionDoesNotTripBreaker(t *testing.T) {
	t.Parallel()
	b := must(circuitbreaker.New(circuitbreaker.Config{Name: "db", ConsecutiveFailures: 1}))
	bh := must(bulkhead.New(bulkhead.Config{Name: "db", MaxConcurrent: 1}))
	p := &Pipeline[int]{Breaker: b, Bulkhead: bh}
	bh.Acquire(context.Background()) // the only slot is taken
	for range 5 {
		if _, err := p.Execute(context.Background(), func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, bulkhead.ErrFull) {
			t.Fatalf("Execute = %v; want ErrFull", err)
		}
	}
	if b.State() != circuitbreaker.StateClosed {
		t.Errorf("breaker %s after bulkhead rejections; want closed", b.State())
	}
}

func TestTimeoutCountsAsBreakerFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := must(circuitbreaker.New(circuitbreaker.Config{Name: "llm", ConsecutiveFailures: 2}))
		p := &Pipeline[int]{Breaker: b, Timeout: must(timeout.New(timeout.Config{Name: "llm", Timeout: time.Second}))}
		slow := func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() }
		for range 2 {
			if _, err := p.Execute(context.Background(), slow); !errors.Is(err, timeout.ErrTimeout) {
				t.Fatalf("Execute = %v; want a timeout", err)
			}
		}
		if b.State() != circuitbreaker.StateOpen {
			t.Errorf("breaker %s after 2 timeouts; want open", b.State())
		}
	})
}

func TestPanicCountsAsFailureAndPropagates(t *testing.T) {
	t.Parallel()
	b := must(circuitbreaker.New(circuitbreaker.Config{Name: "x", ConsecutiveFailures: 1}))
	p := &Pipeline[int]{Breaker: b, Bulkhead: must(bulkhead.New(bulkhead.Config{MaxConcurrent: 1}))}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		p.Execute(context.Background(), func(context.Context) (int, error) { panic("bug") })
	}()
	if b.State() != circuitbreaker.StateOpen || p.Bulkhead.InFlight() != 0 {
		t.Errorf("after a panic: breaker %s, %d in flight; want open, 0", b.State(), p.Bulkhead.InFlight())
	}
}

// TestCallerCancellationIsIgnored: a caller that gives up does not open the breaker.
func TestCallerCancellationIsIgnored(t *testing.T) {
	t.Parallel()
	b := must(circuitbreaker.New(circuitbreaker.Config{Name: "x", ConsecutiveFailures: 1}))
	p := &Pipeline[int]{Breaker: b}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Execute(ctx, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
	if b.State() != circuitbreaker.StateClosed {
		t.Errorf("breaker %s; want closed", b.State())
	}
}

// TestRateLimitRefusalDoesNotTripBreaker: a limiter's refusal is a local overload, like a full
// bulkhead; the breaker ignores it, and the call never reaches the dependency.
func TestRateLimitRefusalDoesNotTripBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := must(circuitbreaker.New(circuitbreaker.Config{Name: "llm", ConsecutiveFailures: 1}))
		p := &Pipeline[int]{Breaker: b, RateLimit: must(ratelimit.New(ratelimit.Config{Name: "llm", Rate: 1}))}
		var calls atomic.Int32
		fn := func(context.Context) (int, error) { calls.Add(1); return 1, nil }
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := p.Execute(ctx, fn); err != nil {
			t.Fatalf("first Execute = %v; want the one token", err)
		}
		for range 5 { // the next token is due in 1 s, past the deadline: refused at once
			if _, err := p.Execute(ctx, fn); !errors.Is(err, ratelimit.ErrLimited) {
				t.Fatalf("Execute = %v; want ErrLimited", err)
			}
		}
		if calls.Load() != 1 || b.State() != circuitbreaker.StateClosed {
			t.Errorf("after 5 refusals: %d calls, breaker %s; want 1 call and closed", calls.Load(), b.State())
		}
	})
}

// TestEveryRetrySpendsAToken: the limit is on calls to the dependency, so each attempt waits for
// a token of its own: 3 attempts at 10 a second take 200 ms after the first.
func TestEveryRetrySpendsAToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &Pipeline[int]{
			Retry:     must(retry.New(retry.Config{Name: "db", MaxAttempts: 3, BaseDelay: time.Nanosecond, MaxDelay: time.Nanosecond})),
			RateLimit: must(ratelimit.New(ratelimit.Config{Name: "db", Rate: 10})),
		}
		var calls atomic.Int32
		start := time.Now()
		_, err := p.Execute(context.Background(), func(context.Context) (int, error) {
			if calls.Add(1) < 3 {
				return 0, errDown
			}
			return 1, nil
		})
		if elapsed := time.Since(start); err != nil || calls.Load() != 3 || elapsed < 200*time.Millisecond || elapsed > 201*time.Millisecond {
			t.Errorf("Execute = %v after %d calls in %s; want success on the 3rd call after 200 ms", err, calls.Load(), elapsed)
		}
	})
}
