package bulkhead

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustNew(t testing.TB, c Config) *Bulkhead {
	t.Helper()
	b, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return b
}

// TestInFlightNeverExceedsLimit: 1,000 goroutines through a bulkhead of 7.
func TestInFlightNeverExceedsLimit(t *testing.T) {
	t.Parallel()
	const limit = 7
	b := mustNew(t, Config{MaxConcurrent: limit, MaxQueue: 1000})
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			_, err := Execute(context.Background(), b, func(context.Context) (int, error) {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(10 * time.Microsecond)
				running.Add(-1)
				return 0, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak in flight = %d; want between 2 and %d", p, limit)
	}
	if b.InFlight() != 0 || b.Queued() != 0 {
		t.Errorf("after all: InFlight %d, Queued %d; want 0, 0", b.InFlight(), b.Queued())
	}
}

// TestTimedOutWaiterGivesPlaceBack: a waiter that gives up holds neither a queue place nor a slot.
func TestTimedOutWaiterGivesPlaceBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{Name: "llm", MaxConcurrent: 1, MaxQueue: 1, MaxWait: time.Second})
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := b.Acquire(context.Background()) // waits 1s of fake time
		if !errors.Is(err, ErrQueueTimeout) || !strings.Contains(err.Error(), `"llm" (1 running, 0 queued)`) {
			t.Fatalf("second Acquire = %v; want ErrQueueTimeout naming the bulkhead", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Millisecond); cancel() }()
		if err := b.Acquire(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Acquire = %v; want context.Canceled", err)
		}
		if b.Queued() != 0 {
			t.Fatalf("Queued() = %d after the waiters left; want 0", b.Queued())
		}
		b.Release()
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatalf("Acquire after Release = %v", err)
		}
	})
}

func TestFullRejectsAtOnce(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{MaxConcurrent: 1})
	b.Acquire(context.Background())
	if err := b.Acquire(context.Background()); !errors.Is(err, ErrFull) {
		t.Errorf("Acquire with no queue = %v; want ErrFull", err)
	}
	if err := (Config{Name: "x", MaxConcurrent: -1, MaxQueue: -2}).Validate(); err == nil || !strings.Contains(err.Error(), "MaxConcurrent = -1") || !strings.Contains(err.Error(), "MaxQueue = -2") {
		t.Errorf("Validate() = %v; want both problems", err)
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	bh := mustNew(b, Config{MaxConcurrent: 64})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bh.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			bh.Release()
		}
	})
}

// TestHandOffUnderGivingUp: waiters that time out while slots are handed on never leak a slot
// or a queue place, and never push the count past the limit.
func TestHandOffUnderGivingUp(t *testing.T) {
	t.Parallel()
	const limit = 3
	b := mustNew(t, Config{MaxConcurrent: limit, MaxQueue: 50, MaxWait: 50 * time.Microsecond})
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*20*time.Microsecond)
			defer cancel()
			if err := b.Acquire(ctx); err != nil {
				return
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Duration(i%3) * 10 * time.Microsecond)
			running.Add(-1)
			b.Release()
		})
	}
	wg.Wait()
	if peak.Load() > limit || b.InFlight() != 0 || b.Queued() != 0 {
		t.Errorf("peak %d (limit %d), then InFlight %d, Queued %d; want ≤ limit, 0, 0", peak.Load(), limit, b.InFlight(), b.Queued())
	}
}

// TestMaxWaitWithoutQueueRefused: MaxWait with no queue used to be accepted and mean nothing (a
// full bulkhead rejected at once, where resilience4j and failsafe-go wait MaxWait); it is refused,
// saying why and what to give.
func TestMaxWaitWithoutQueueRefused(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Name: "db", MaxConcurrent: 2, MaxWait: time.Second})
	if err == nil || !strings.Contains(err.Error(), "MaxWait = 1s with MaxQueue = 0") || !strings.Contains(err.Error(), "give MaxQueue") {
		t.Errorf("New = %v; want MaxWait without MaxQueue refused with what to give", err)
	}
	if _, err := New(Config{Name: "db", MaxConcurrent: 2, MaxQueue: 4, MaxWait: time.Second}); err != nil {
		t.Errorf("New with a queue: %v", err)
	}
}
