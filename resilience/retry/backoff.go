package retry

import (
	"fmt"
	"math"
	"time"
)

// Strategy is a way to compute the delay before a retry.
type Strategy int

// The strategies. n counts retries from 0; exp(n) = min(MaxDelay, BaseDelay·Multiplier^n).
const (
	FullJitter         Strategy = iota // rand(0, exp(n)); the default
	EqualJitter                        // exp(n)/2 + rand(0, exp(n)/2)
	DecorrelatedJitter                 // min(MaxDelay, rand(BaseDelay, 3·previous delay))
	Exponential                        // exp(n)
	Constant                           // BaseDelay
)

var strategyNames = [...]string{"full-jitter", "equal-jitter", "decorrelated-jitter", "exponential", "constant"}

// String returns the strategy's name as scenario files write it.
func (s Strategy) String() string {
	if s < 0 || int(s) >= len(strategyNames) {
		return fmt.Sprintf("Strategy(%d)", int(s))
	}
	return strategyNames[s]
}

// ParseStrategy reads a strategy's name.
func ParseStrategy(name string) (Strategy, error) {
	for i, n := range strategyNames {
		if n == name {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("retry: unknown backoff %q; want one of %v", name, strategyNames)
}

// Backoff computes delays. It is a plain value: the decorrelated strategy keeps its previous
// delay in the value, so each call sequence (each Do) has its own copy.
type Backoff struct {
	Strategy   Strategy
	BaseDelay  time.Duration
	MaxDelay   time.Duration
	Multiplier float64
	prev       time.Duration
}

// exp returns min(MaxDelay, BaseDelay·Multiplier^n) without overflow for any n.
func (b *Backoff) exp(n int) float64 {
	capF := float64(b.MaxDelay)
	v := float64(b.BaseDelay) * math.Pow(b.Multiplier, float64(max(n, 0)))
	if math.IsNaN(v) || v > capF {
		return capF
	}
	return max(v, 0)
}

// Next returns the delay before retry n (0 for the first retry), with rnd a uniform draw in [0, 1).
func (b *Backoff) Next(n int, rnd float64) time.Duration {
	rnd = min(max(rnd, 0), 1)
	var d float64
	switch b.Strategy {
	case Constant:
		d = float64(b.BaseDelay)
	case Exponential:
		d = b.exp(n)
	case EqualJitter:
		e := b.exp(n)
		d = e/2 + rnd*e/2
	case DecorrelatedJitter:
		prev := float64(b.prev)
		if prev < float64(b.BaseDelay) {
			prev = float64(b.BaseDelay)
		}
		lo, hi := float64(b.BaseDelay), min(prev*3, float64(b.MaxDelay))
		d = lo + rnd*max(hi-lo, 0)
	default: // FullJitter
		d = rnd * b.exp(n)
	}
	// Compare in float64 but return MaxDelay itself: float64(MaxDelay) may round above it, and a
	// float64 past the int64 range does not convert to a Duration.
	out := b.MaxDelay
	if d < float64(b.MaxDelay) {
		out = min(time.Duration(max(d, 0)), b.MaxDelay)
	}
	b.prev = out
	return out
}
