package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cases of Polly's own suite, on this package's API. Polly v8's rate limiter strategy delegates to
// System.Threading.RateLimiting, whose limiters are tested in .NET, so its own tests
// (test/Polly.RateLimiting.Tests/RateLimiterResilienceStrategyTests.cs at f1e9869) cover only the
// rejection; the token-bucket behaviour comes from Polly's v7 rate-limit suite, still in the
// repository (main branch as stored: test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs at
// 7c848d0 and TokenBucketRateLimiterTestsBase.cs at 025480b), a lock-free token bucket like ours.
//
// How Polly's configuration maps onto ours: RateLimit(numberOfExecutions, perTimeSpan, maxBurst)
// is a Rate of numberOfExecutions / perTimeSpan a second and a Burst of maxBurst (its tests use one
// execution per onePer, so a Rate of 1/onePer); the bucket starts full in both. PermitExecution's
// (permitted, retryAfter) is our Take; RateLimitRejectedException's RetryAfter our Take's wait
// (and Handler's Retry-After header), and OnRejected Observer.OnDecision. Polly's fixed system
// clock is a fake clock (Config.Now); its smallest step, a tick (100 ns), is our nanosecond.

// pollyLimiter is Polly's GetPolicyViaSyntax(1, onePer, maxBurst) on a fake clock.
func pollyLimiter(t *testing.T, onePer time.Duration, burst int) (*Limiter, *fakeClock) {
	t.Helper()
	clk := &fakeClock{}
	return mustNew(t, Config{Rate: 1 / onePer.Seconds(), Burst: burst, Now: clk.now}), clk
}

// shouldPermit is Polly's ShouldPermitNExecutions: n calls permitted, each with no wait.
func shouldPermit(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for i := range n {
		if ok, after := l.Take(); !ok || after != 0 {
			t.Fatalf("call %d of %d: permitted %v, retry after %s; want permitted", i+1, n, ok, after)
		}
	}
}

// shouldRefuse is Polly's ShouldNotPermitAnExecution: refused, told to wait want (any positive
// wait when want is 0).
func shouldRefuse(t *testing.T, l *Limiter, want time.Duration) {
	t.Helper()
	ok, after := l.Take()
	if ok || after <= 0 || (want > 0 && after != want) {
		t.Fatalf("permitted %v, retry after %s; want refused with a wait of %s", ok, after, want)
	}
}

// From test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs (and
// test/Polly.Specs/RateLimit/TokenBucketRateLimiterTestsBase.cs)
// Given_bucket_capacity_one_and_time_not_advanced_ratelimiter_specifies_correct_wait_until_next_execution
// and
// Given_bucket_capacity_N_and_time_not_advanced_ratelimiter_permits_executions_up_to_bucket_capacity:
// with time standing still, a bucket of one permits the first call and tells the next to wait the
// whole interval (1, 2 or 5 s); a bucket of N (1, 2, 50) permits N and tells the next the same.
func TestPollyRateLimitBucketCapacity(t *testing.T) {
	t.Parallel()
	for _, s := range []int{1, 2, 5} {
		onePer := time.Duration(s) * time.Second
		l, _ := pollyLimiter(t, onePer, 1)
		shouldPermit(t, l, 1)
		shouldRefuse(t, l, onePer)
	}
	for _, burst := range []int{1, 2, 50} {
		l, _ := pollyLimiter(t, time.Second, burst)
		shouldPermit(t, l, burst)
		shouldRefuse(t, l, time.Second)
	}
}

// From test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs
// Given_any_bucket_capacity_ratelimiter_permits_another_execution_per_interval: for intervals of 1,
// 2 and 5 s and buckets of 1 and 10, once the bucket is spent: a nanosecond short of the interval a
// call is refused and told to wait that nanosecond; at the interval one call is permitted and the
// next refused; three times the bucket's size over.
func TestPollyRateLimitAnotherPerInterval(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ seconds, burst int }{{1, 1}, {2, 1}, {5, 1}, {1, 10}, {2, 10}, {5, 10}} {
		t.Run(fmt.Sprintf("one_per_%ds_burst_%d", tt.seconds, tt.burst), func(t *testing.T) {
			t.Parallel()
			onePer := time.Duration(tt.seconds) * time.Second
			l, clk := pollyLimiter(t, onePer, tt.burst)
			shouldPermit(t, l, tt.burst)
			shouldRefuse(t, l, 0)
			for range tt.burst * 3 {
				clk.advance(onePer - time.Nanosecond)
				shouldRefuse(t, l, time.Nanosecond)
				clk.advance(time.Nanosecond)
				shouldPermit(t, l, 1)
				shouldRefuse(t, l, 0)
			}
		})
	}
}

// From test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs
// Given_any_bucket_capacity_rate_limiter_permits_full_bucket_burst_after_exact_elapsed_time,
// Given_any_bucket_capacity_rate_limiter_permits_half_full_bucket_burst_after_half_required_refill_time_elapsed
// and
// Given_any_bucket_capacity_rate_limiter_permits_only_full_bucket_burst_even_if_multiple_required_refill_time_elapsed:
// a spent bucket of 10 or 100 refills whole after 10 or 100 intervals, half after half that, and no
// more than whole after 2 or 5 times that.
func TestPollyRateLimitRefill(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		burst   int
		elapsed time.Duration // in intervals of 1 s
		want    int
	}{
		{10, 10, 10}, {100, 100, 100},
		{10, 5, 5}, {100, 50, 50},
		{100, 200, 100}, {100, 500, 100},
	} {
		l, clk := pollyLimiter(t, time.Second, tt.burst)
		shouldPermit(t, l, tt.burst)
		shouldRefuse(t, l, 0)
		clk.advance(tt.elapsed * time.Second)
		shouldPermit(t, l, tt.want)
		shouldRefuse(t, l, 0)
	}
}

// From test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs
// Given_immediate_parallel_contention_ratelimiter_still_only_permits_one: 2, 5 or 100 goroutines
// released at once against a bucket of one, time standing still: exactly one is permitted.
func TestPollyRateLimitParallelContention(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 5, 100} {
		l, _ := pollyLimiter(t, time.Second, 1)
		gate := make(chan struct{})
		var mu sync.Mutex
		permitted, refused := 0, 0
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-gate
				ok := l.Allow()
				mu.Lock()
				defer mu.Unlock()
				if ok {
					permitted++
				} else {
					refused++
				}
			})
		}
		close(gate)
		wg.Wait()
		if permitted != 1 || refused != n-1 {
			t.Errorf("%d callers at once: %d permitted, %d refused; want 1 and %d", n, permitted, refused, n-1)
		}
	}
}

// From test/Polly.RateLimiting.Tests/RateLimiterResilienceStrategyTests.cs Execute_LeaseRejected
// (with events, with a retry-after): a refused call raises one rejection event and carries the
// limiter's retry-after (123 s), and the call is not made. Ours: the Observer is told the refusal
// once with its wait, and Handler answers 429 Too Many Requests with Retry-After: 123 without
// calling the handler behind it.
func TestPollyRateLimitRejection(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	d := &decisions{}
	l := mustNew(t, Config{Rate: 1.0 / 123, Now: clk.now, Observer: d})
	calls := 0
	h := Handler(l, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	codes := []int{}
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		codes = append(codes, rec.Code)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") != "123" {
			t.Errorf("Retry-After = %q; want 123", rec.Header().Get("Retry-After"))
		}
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusTooManyRequests || calls != 1 {
		t.Errorf("codes %v after %d calls; want 200 then 429, one call made", codes, calls)
	}
	if d.allowed != 1 || len(d.refused) != 1 || d.refused[0] != 123*time.Second {
		t.Errorf("decisions: %d allowed, refused %v; want 1 and [2m3s]", d.allowed, d.refused)
	}
}

// From test/Polly.Specs/RateLimit/RateLimitPolicySpecsBase.cs
// Syntax_should_throw_for_perTimeSpan_zero, Syntax_should_throw_for_perTimeSpan_infinite,
// Syntax_should_throw_for_perTimeSpan_too_small, Syntax_should_throw_for_perTimeSpan_negative,
// Syntax_should_throw_for_numberOfExecutions_negative,
// Syntax_should_throw_for_numberOfExecutions_zero, Syntax_should_throw_for_maxBurst_negative and
// Syntax_should_throw_for_maxBurst_zero: each is a Rate that is not a positive number of calls a
// second, at most 1e9 (Polly's "too small" is int.MaxValue executions a second, over our 1e9), or a
// negative burst, and is refused. Polly also refuses a maxBurst of 0; our zero Burst is the default
// of 1.
func TestPollyRateLimitValidation(t *testing.T) {
	t.Parallel()
	rate := func(executions float64, per time.Duration) float64 { return executions / per.Seconds() }
	for name, r := range map[string]float64{
		"perTimeSpan zero":            rate(1, 0),
		"perTimeSpan infinite (-1ms)": rate(1, -time.Millisecond),
		"perTimeSpan too small":       rate(1<<31-1, time.Second),
		"perTimeSpan negative":        rate(1, -100*time.Nanosecond),
		"executions negative":         rate(-1, time.Second),
		"executions zero":             rate(0, time.Second),
	} {
		if err := (Config{Rate: r}).Validate(); err == nil || !strings.Contains(err.Error(), "Rate = ") {
			t.Errorf("%s (Rate %v): Validate() = %v; want the rate refused", name, r, err)
		}
	}
	if err := (Config{Rate: 1, Burst: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "Burst = -1") {
		t.Errorf("a negative burst: %v; want it refused", err)
	}
	l, _ := pollyLimiter(t, time.Second, 0)
	shouldPermit(t, l, 1)
	shouldRefuse(t, l, time.Second) // Burst 0 is 1 (Polly: refused)
}
