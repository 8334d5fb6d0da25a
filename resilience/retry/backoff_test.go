package retry

import (
	"context"
	"testing"
	"time"
)

func TestBackoffStrategies(t *testing.T) {
	t.Parallel()
	const base, cp = 100 * time.Millisecond, 2 * time.Second
	tests := []struct {
		s    Strategy
		n    int
		rnd  float64
		want time.Duration
	}{
		{Constant, 5, 0.9, base},
		{Exponential, 0, 0.5, base},
		{Exponential, 3, 0.5, 800 * time.Millisecond},
		{Exponential, 10, 0.5, cp},
		{Exponential, 100000, 0.5, cp},
		{FullJitter, 3, 0.5, 400 * time.Millisecond},
		{FullJitter, 3, 0, 0},
		{EqualJitter, 3, 0, 400 * time.Millisecond},
		{EqualJitter, 3, 0.5, 600 * time.Millisecond},
	}
	for _, tt := range tests {
		b := Backoff{Strategy: tt.s, BaseDelay: base, MaxDelay: cp, Multiplier: 2}
		if got := b.Next(tt.n, tt.rnd); got != tt.want {
			t.Errorf("%s.Next(%d, %v) = %v; want %v", tt.s, tt.n, tt.rnd, got, tt.want)
		}
	}
}

// FuzzBackoffBounds: every delay is within [0, MaxDelay] for any attempt number, base, cap,
// multiplier and draw, and decorrelated jitter stays within [BaseDelay, MaxDelay].
func FuzzBackoffBounds(f *testing.F) {
	f.Add(uint8(0), int64(time.Millisecond), int64(time.Second), 2.0, 5, 0.5)
	f.Add(uint8(2), int64(1), int64(1<<62), 1e300, 1<<30, 0.999)
	f.Fuzz(func(t *testing.T, s uint8, base, cp int64, mult float64, n int, rnd float64) {
		c := Config{Backoff: Strategy(s % 5), BaseDelay: time.Duration(base), MaxDelay: time.Duration(cp), Multiplier: mult}
		if c.Validate() != nil || base < 0 || cp <= 0 || base > cp || rnd != rnd {
			return
		}
		c = c.withDefaults()
		b := Backoff{Strategy: c.Backoff, BaseDelay: c.BaseDelay, MaxDelay: c.MaxDelay, Multiplier: c.Multiplier}
		for i := range 4 {
			d := b.Next(n+i, rnd)
			if d < 0 || d > c.MaxDelay {
				t.Fatalf("%+v.Next(%d, %v) = %v; outside [0, %v]", b, n+i, rnd, d, c.MaxDelay)
			}
			if c.Backoff == DecorrelatedJitter && d < c.BaseDelay {
				t.Fatalf("decorrelated %+v.Next(%d, %v) = %v; below BaseDelay", b, n+i, rnd, d)
			}
		}
	})
}

func BenchmarkSuccessFirstTry(b *testing.B) {
	r, _ := New(Config{Name: "bench"})
	fn := func(context.Context) (int, error) { return 1, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Do(ctx, r, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallFloor is the anchor: calling the same function value with no policy at all.
func BenchmarkCallFloor(b *testing.B) {
	fn := func(context.Context) (int, error) { return 1, nil }
	call := func(ctx context.Context, f func(context.Context) (int, error)) (int, error) { return f(ctx) }
	ctx := context.Background()
	for b.Loop() {
		if _, err := call(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}
