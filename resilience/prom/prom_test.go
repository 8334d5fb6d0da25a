package prom

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shakedown-dev/shakedown/resilience"
	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/fallback"
	"github.com/shakedown-dev/shakedown/resilience/hedge"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/resilience/timeout"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestMetricsContract drives a pipeline into an open breaker and checks every documented metric
// name and label the harness relies on.
func TestMetricsContract(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := must(New(reg))
	b := must(circuitbreaker.New(circuitbreaker.Config{Name: "ollama", ConsecutiveFailures: 2, Observer: m.Breaker()}))
	bh := must(bulkhead.New(bulkhead.Config{Name: "ollama", MaxConcurrent: 1, Observer: m.Bulkhead()}))
	m.WatchBreaker(b)
	m.WatchBulkhead(bh)
	p := &resilience.Pipeline[string]{
		Fallback: must(fallback.New(fallback.Config[string]{Name: "ollama", Fallback: fallback.Value("cached"), Observer: m.Fallback()})),
		Retry:    must(retry.New(retry.Config{Name: "ollama", MaxAttempts: 3, BaseDelay: time.Microsecond, Observer: m.Retry()})),
		Breaker:  b,
		Bulkhead: bh,
		Timeout:  must(timeout.New(timeout.Config{Name: "ollama", Timeout: time.Millisecond, Observer: m.Timeout()})),
	}
	if _, err := p.Execute(context.Background(), func(context.Context) (string, error) { return "ok", nil }); err != nil {
		t.Fatal(err)
	}
	res, _ := p.Execute(context.Background(), func(ctx context.Context) (string, error) { <-ctx.Done(); return "", errors.New("slow") })
	if !res.Degraded {
		t.Fatalf("second call not degraded: %+v", res)
	}
	bh.Acquire(context.Background())
	bh.Acquire(context.Background()) // rejected: full
	rl := must(ratelimit.New(ratelimit.Config{Name: "public", Rate: 1, Observer: m.RateLimiter()}))
	rl.Allow()
	rl.Allow() // refused: the burst of 1 is spent
	hg := must(hedge.New(hedge.Config{Name: "search", Delay: 10 * time.Millisecond, Observer: m.Hedge()}))
	synctest.Test(t, func(*testing.T) { // fake time: the first attempt surely runs before the hedge
		var attempts atomic.Int32
		hedge.Do(context.Background(), hg, func(ctx context.Context) (int, error) {
			if attempts.Add(1) == 1 {
				<-ctx.Done() // the first attempt hangs; the hedge wins
				return 0, ctx.Err()
			}
			return 1, nil
		})
	})

	want := `
# HELP resilience_circuit_breaker_state Circuit breaker state: 0 closed (or disabled), 1 open (or forced open), 2 half-open.
# TYPE resilience_circuit_breaker_state gauge
resilience_circuit_breaker_state{name="ollama"} 1
# HELP resilience_circuit_breaker_calls_total Calls through a circuit breaker, by outcome (success, failure, ignored, rejected).
# TYPE resilience_circuit_breaker_calls_total counter
resilience_circuit_breaker_calls_total{name="ollama",outcome="failure"} 2
resilience_circuit_breaker_calls_total{name="ollama",outcome="rejected"} 1
resilience_circuit_breaker_calls_total{name="ollama",outcome="success"} 1
# HELP resilience_circuit_breaker_transitions_total Circuit breaker state changes.
# TYPE resilience_circuit_breaker_transitions_total counter
resilience_circuit_breaker_transitions_total{from="closed",name="ollama",to="open"} 1
# HELP resilience_retry_calls_total Calls through a retry policy, by how they ended.
# TYPE resilience_retry_calls_total counter
resilience_retry_calls_total{name="ollama",outcome="aborted"} 1
resilience_retry_calls_total{name="ollama",outcome="success_first"} 1
# HELP resilience_retry_attempts_total Retries made (attempts after the first).
# TYPE resilience_retry_attempts_total counter
resilience_retry_attempts_total{name="ollama"} 2
# HELP resilience_bulkhead_in_flight Calls holding a bulkhead slot.
# TYPE resilience_bulkhead_in_flight gauge
resilience_bulkhead_in_flight{name="ollama"} 1
# HELP resilience_bulkhead_queued Calls waiting for a bulkhead slot.
# TYPE resilience_bulkhead_queued gauge
resilience_bulkhead_queued{name="ollama"} 0
# HELP resilience_bulkhead_rejected_total Calls a bulkhead refused, by reason (full, queue_timeout, cancelled).
# TYPE resilience_bulkhead_rejected_total counter
resilience_bulkhead_rejected_total{name="ollama",reason="full"} 1
# HELP resilience_timeouts_total Calls cut off by a timeout policy.
# TYPE resilience_timeouts_total counter
resilience_timeouts_total{name="ollama"} 2
# HELP resilience_fallbacks_total Degraded answers served by a fallback.
# TYPE resilience_fallbacks_total counter
resilience_fallbacks_total{name="ollama"} 1
# HELP resilience_rate_limiter_calls_total Calls a rate limiter decided, by outcome (allowed, refused).
# TYPE resilience_rate_limiter_calls_total counter
resilience_rate_limiter_calls_total{name="public",outcome="allowed"} 1
resilience_rate_limiter_calls_total{name="public",outcome="refused"} 1
# HELP resilience_hedges_total Hedged attempts sent (attempts after the first).
# TYPE resilience_hedges_total counter
resilience_hedges_total{name="search"} 1
# HELP resilience_hedge_calls_total Calls through a hedging policy, by whose answer was taken (first, hedge, failed).
# TYPE resilience_hedge_calls_total counter
resilience_hedge_calls_total{name="search",outcome="hedge"} 1
`
	names := []string{"resilience_circuit_breaker_state", "resilience_circuit_breaker_calls_total", "resilience_circuit_breaker_transitions_total",
		"resilience_retry_calls_total", "resilience_retry_attempts_total", "resilience_bulkhead_in_flight", "resilience_bulkhead_queued",
		"resilience_bulkhead_rejected_total", "resilience_timeouts_total", "resilience_fallbacks_total", "resilience_rate_limiter_calls_total", "resilience_hedges_total", "resilience_hedge_calls_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration, "resilience_call_duration_seconds"); n != 2 {
		t.Errorf("duration histograms = %d; want 2 (success, failure)", n)
	}
}
