package hedge

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/resilience/retry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustNew(t *testing.T, c Config) *Hedger {
	t.Helper()
	h, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type obs struct {
	mu     sync.Mutex
	hedges []int
	won    []int
}

func (o *obs) OnHedge(_ string, attempt int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hedges = append(o.hedges, attempt)
}

func (o *obs) OnDone(_ string, won, _ int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.won = append(o.won, won)
}

// slowFirst answers the first attempt after slow and the others after fast, and counts the
// attempts that were cancelled.
func slowFirst(slow, fast time.Duration, cancelled *atomic.Int32) func(context.Context) (int, error) {
	var n atomic.Int32
	return func(ctx context.Context) (int, error) {
		i := int(n.Add(1))
		d := fast
		if i == 1 {
			d = slow
		}
		select {
		case <-time.After(d):
			return i, nil
		case <-ctx.Done():
			cancelled.Add(1)
			return 0, ctx.Err()
		}
	}
}

// TestHedgeWinsOverASlowAttempt: the first attempt hangs for 10 s; after the 100 ms delay a hedge
// starts, answers in 20 ms and wins; the first attempt is cancelled, and Do returns only once it
// has returned.
func TestHedgeWinsOverASlowAttempt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		h := mustNew(t, Config{Name: "replica", Delay: 100 * time.Millisecond, Observer: o})
		var cancelled atomic.Int32
		start := time.Now()
		v, err := Do(context.Background(), h, slowFirst(10*time.Second, 20*time.Millisecond, &cancelled))
		if v != 2 || err != nil || time.Since(start) != 120*time.Millisecond {
			t.Fatalf("Do = %d, %v after %s; want the hedge's answer after 120ms", v, err, time.Since(start))
		}
		if cancelled.Load() != 1 || len(o.hedges) != 1 || o.won[0] != 2 {
			t.Errorf("cancelled %d, hedges %v, won %v; want the first attempt cancelled, one hedge, attempt 2 won", cancelled.Load(), o.hedges, o.won)
		}
	})
}

// TestNoHedgeForAFastAnswer: an answer within the delay sends no hedge.
func TestNoHedgeForAFastAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		h := mustNew(t, Config{Delay: 100 * time.Millisecond, Observer: o})
		var cancelled atomic.Int32
		if v, err := Do(context.Background(), h, slowFirst(50*time.Millisecond, 0, &cancelled)); v != 1 || err != nil || len(o.hedges) != 0 {
			t.Errorf("Do = %d, %v with hedges %v; want the first answer and no hedge", v, err, o.hedges)
		}
	})
}

// TestAtMostMaxAttempts: with every attempt slow, at most MaxAttempts are in flight; when all
// fail, the last error is returned.
func TestAtMostMaxAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		var inFlight, most atomic.Int32
		h := mustNew(t, Config{Delay: 10 * time.Millisecond, MaxAttempts: 3})
		_, err := Do(context.Background(), h, func(context.Context) (int, error) {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Second)
			inFlight.Add(-1)
			return 0, boom
		})
		if !errors.Is(err, boom) || most.Load() != 3 {
			t.Errorf("Do = %v with %d at most in flight; want boom with 3", err, most.Load())
		}
	})
}

// TestBudgetBoundsHedges: a budget with nothing banked and no floor refuses the hedge, so the call
// waits for its first attempt.
func TestBudgetBoundsHedges(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b, err := retry.NewBudget(0.1, 0.000001, nil)
		if err != nil {
			t.Fatal(err)
		}
		for b.Withdraw() { // spend what it starts with
		}
		o := &obs{}
		h := mustNew(t, Config{Delay: 10 * time.Millisecond, Budget: b, Observer: o})
		var cancelled atomic.Int32
		if v, _ := Do(context.Background(), h, slowFirst(time.Second, 0, &cancelled)); v != 1 || len(o.hedges) != 0 {
			t.Errorf("Do = %d with hedges %v; want no hedge the budget refused, the first attempt's answer", v, o.hedges)
		}
	})
}

// TestAdaptiveDelay: with Quantile, the delay becomes the recent latencies' quantile once enough
// are known, and never less than MinDelay.
func TestAdaptiveDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := mustNew(t, Config{Delay: time.Second, Quantile: 0.9, MinDelay: 5 * time.Millisecond})
		for i := range 100 {
			d := time.Duration(i+1) * time.Millisecond // 1ms .. 100ms
			Do(context.Background(), h, func(context.Context) (int, error) { time.Sleep(d); return 0, nil })
			if i == minObserved-2 && h.Delay() != time.Second {
				t.Fatalf("delay %s before %d latencies; want the configured 1s", h.Delay(), minObserved)
			}
		}
		if got := h.Delay(); got != 91*time.Millisecond {
			t.Errorf("delay %s; want the 90th percentile of 1..100ms, 91ms", got)
		}
	})
	if _, err := New(Config{Delay: 0, Quantile: 1, MaxAttempts: 1}); err == nil {
		t.Error("a config with no delay, a quantile of 1 and one attempt was accepted")
	}
}
