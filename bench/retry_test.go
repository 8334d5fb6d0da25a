package bench

import (
	"context"
	"testing"
	"time"

	earetrier "github.com/eapache/go-resiliency/retrier"
	eabulk "github.com/eapache/go-resiliency/semaphore"
	"github.com/failsafe-go/failsafe-go"
	fsbulk "github.com/failsafe-go/failsafe-go/bulkhead"
	fscb "github.com/failsafe-go/failsafe-go/circuitbreaker"
	fsrl "github.com/failsafe-go/failsafe-go/ratelimiter"
	fsretry "github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/sony/gobreaker/v2"

	"github.com/shakedown-dev/shakedown/resilience"
	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
)

func ok(context.Context) (int, error) { return 1, nil }

func BenchmarkRetrySuccess(b *testing.B) {
	ctx := context.Background()
	b.Run("lib=shakedown", func(b *testing.B) {
		r, _ := retry.New(retry.Config{Name: "r"})
		parallel(b, func() error { _, err := retry.Do(ctx, r, ok); return err })
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		ex := failsafe.With[int](fsretry.NewWithDefaults[int]())
		parallel(b, func() error { _, err := ex.Get(func() (int, error) { return 1, nil }); return err })
	})
	b.Run("lib=go-resiliency", func(b *testing.B) {
		r := earetrier.New(earetrier.ExponentialBackoff(3, time.Millisecond), nil)
		parallel(b, func() error { return r.RunCtx(ctx, func(context.Context) error { return nil }) })
	})
}

// BenchmarkPipeline: retry + breaker + bulkhead around a call that succeeds.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	b.Run("lib=shakedown", func(b *testing.B) {
		p := &resilience.Pipeline[int]{}
		p.Retry, _ = retry.New(retry.Config{Name: "p"})
		p.Breaker, _ = circuitbreaker.New(circuitbreaker.Config{Name: "p"})
		p.Bulkhead, _ = bulkhead.New(bulkhead.Config{Name: "p", MaxConcurrent: 64})
		parallel(b, func() error { _, err := p.Execute(ctx, ok); return err })
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		ex := failsafe.With[int](fsretry.NewWithDefaults[int](), fscb.NewWithDefaults[int](), fsbulk.New[int](64))
		parallel(b, func() error { _, err := ex.Get(func() (int, error) { return 1, nil }); return err })
	})
	b.Run("lib=gobreaker+go-resiliency", func(b *testing.B) {
		r := earetrier.New(earetrier.ExponentialBackoff(3, time.Millisecond), nil)
		cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Name: "p"})
		sem := eabulk.New(64, time.Second)
		parallel(b, func() error {
			return r.RunCtx(ctx, func(context.Context) error {
				_, err := cb.Execute(func() (int, error) {
					if err := sem.Acquire(); err != nil {
						return 0, err
					}
					defer sem.Release()
					return 1, nil
				})
				return err
			})
		})
	})
}

// BenchmarkPipelineRateLimited: retry + breaker + rate limit + bulkhead around a call that
// succeeds, the limiter far above the calls' rate (every call takes a token).
func BenchmarkPipelineRateLimited(b *testing.B) {
	ctx := context.Background()
	b.Run("lib=shakedown", func(b *testing.B) {
		p := &resilience.Pipeline[int]{}
		p.Retry, _ = retry.New(retry.Config{Name: "p"})
		p.Breaker, _ = circuitbreaker.New(circuitbreaker.Config{Name: "p"})
		p.RateLimit, _ = ratelimit.New(ratelimit.Config{Name: "p", Rate: 1e9, Burst: 1 << 20})
		p.Bulkhead, _ = bulkhead.New(bulkhead.Config{Name: "p", MaxConcurrent: 64})
		parallel(b, func() error { _, err := p.Execute(ctx, ok); return err })
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		ex := failsafe.With[int](fsretry.NewWithDefaults[int](), fscb.NewWithDefaults[int](),
			fsrl.NewBursty[int](1<<20, time.Millisecond), fsbulk.New[int](64))
		parallel(b, func() error { _, err := ex.Get(func() (int, error) { return 1, nil }); return err })
	})
}
