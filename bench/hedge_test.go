package bench

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/hedgepolicy"

	"github.com/shakedown-dev/shakedown/resilience/hedge"
)

// BenchmarkHedgeFastAnswer: a call that answers at once, so no hedge is sent: the price of
// hedging a call that did not need it (each library runs the attempt on a goroutine of its own
// and arms a timer).
func BenchmarkHedgeFastAnswer(b *testing.B) {
	ctx := context.Background()
	b.Run("lib=shakedown", func(b *testing.B) {
		h, _ := hedge.New(hedge.Config{Name: "h", Delay: time.Second})
		parallel(b, func() error { _, err := hedge.Do(ctx, h, ok); return err })
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		ex := failsafe.With[int](hedgepolicy.NewWithDelay[int](time.Second)).WithContext(ctx)
		parallel(b, func() error { _, err := ex.Get(func() (int, error) { return 1, nil }); return err })
	})
}
