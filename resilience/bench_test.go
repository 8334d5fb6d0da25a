package resilience

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/retry"
)

func BenchmarkAtomicFloor(b *testing.B) {
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
		}
	})
}

// BenchmarkPipeline: retry + breaker + bulkhead around a call that succeeds.
func BenchmarkPipeline(b *testing.B) {
	p := &Pipeline[int]{
		Retry:    must(retry.New(retry.Config{Name: "bench"})),
		Breaker:  must(circuitbreaker.New(circuitbreaker.Config{Name: "bench"})),
		Bulkhead: must(bulkhead.New(bulkhead.Config{Name: "bench", MaxConcurrent: 64})),
	}
	fn := func(context.Context) (int, error) { return 1, nil }
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Execute(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}
