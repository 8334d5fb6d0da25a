package bench

import (
	"testing"
	"time"

	fsrl "github.com/failsafe-go/failsafe-go/ratelimiter"
	"golang.org/x/time/rate"

	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
)

// BenchmarkRateLimitAllow: a limiter whose rate is far above the calls' (every call allowed:
// each takes a token, the write path) and one far below (nearly every call refused, the path a
// shedding service takes), for each library.
func BenchmarkRateLimitAllow(b *testing.B) {
	for _, regime := range []struct {
		name  string
		rate  float64
		burst int
	}{{"allowed", 1e9, 1 << 20}, {"refused", 1, 1}} {
		b.Run("regime="+regime.name, func(b *testing.B) {
			b.Run("lib=shakedown", func(b *testing.B) {
				l, _ := ratelimit.New(ratelimit.Config{Rate: regime.rate, Burst: regime.burst})
				parallel(b, func() error { l.Allow(); return nil })
			})
			b.Run("lib=shakedown-coarse", func(b *testing.B) {
				l, _ := ratelimit.New(ratelimit.Config{Rate: regime.rate, Burst: regime.burst, Coarse: time.Millisecond})
				defer l.Close()
				parallel(b, func() error { l.Allow(); return nil })
			})
			b.Run("lib=x-time-rate", func(b *testing.B) {
				l := rate.NewLimiter(rate.Limit(regime.rate), regime.burst)
				parallel(b, func() error { l.Allow(); return nil })
			})
			b.Run("lib=failsafe", func(b *testing.B) {
				l := fsrl.NewBursty[any](uint(regime.burst), time.Duration(float64(regime.burst)*1e9/regime.rate))
				parallel(b, func() error { l.TryAcquirePermit(); return nil })
			})
		})
	}
}
