package bulkhead

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of failsafe-go v0.9.8's own suite (test/bulkhead_test.go, TestBulkHead), on this
// package's API. failsafe-go's waiters are unbounded and wait MaxWaitTime; ours wait in a queue
// of MaxQueue places, so the cases that wait give a queue.

// "should AcquirePermit after wait": a full bulkhead whose slots are released within the wait
// admits the waiting call.
func TestFailsafeAcquireAfterWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{MaxConcurrent: 2, MaxQueue: 1, MaxWait: time.Second})
		ctx := context.Background()
		b.Acquire(ctx)
		b.Acquire(ctx) // full
		go func() {
			time.Sleep(200 * time.Millisecond)
			b.Release()
			b.Release()
		}()
		if v, err := Execute(ctx, b, func(context.Context) (string, error) { return "test", nil }); err != nil || v != "test" {
			t.Errorf("Execute = %q, %v; want test after the wait", v, err)
		}
	})
}

// "when not full" and "when full": a free slot runs the call; a full bulkhead with no queue
// refuses at once with ErrFull, and the call does not run.
func TestFailsafeFullAndNotFull(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{MaxConcurrent: 2})
	ctx := context.Background()
	if _, err := Execute(ctx, b, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatalf("not full: %v", err)
	}
	b.Acquire(ctx)
	b.Acquire(ctx)
	ran := false
	if _, err := Execute(ctx, b, func(context.Context) (int, error) { ran = true; return 1, nil }); !errors.Is(err, ErrFull) || ran {
		t.Errorf("full: %v (ran %v); want ErrFull without running the call", err, ran)
	}
}

// "with permit listeners" (the permit is held while the call runs, and released after, also when
// the call fails).
func TestFailsafePermitHeldDuringTheCall(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{MaxConcurrent: 1})
	failure := errors.New("invalid state")
	_, err := Execute(context.Background(), b, func(context.Context) (int, error) {
		if b.InFlight() != 1 {
			t.Errorf("in flight during the call: %d; want 1", b.InFlight())
		}
		return 0, failure
	})
	if !errors.Is(err, failure) || b.InFlight() != 0 {
		t.Errorf("Execute = %v, %d in flight after; want the call's error and the slot released", err, b.InFlight())
	}
}

// "with maxWaitTime exceeded": a waiter that gets no slot within MaxWait is refused (failsafe-go
// says ErrFull; ours says ErrQueueTimeout, which is what happened).
func TestFailsafeMaxWaitExceeded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{MaxConcurrent: 2, MaxQueue: 1, MaxWait: 20 * time.Millisecond})
		ctx := context.Background()
		b.Acquire(ctx)
		b.Acquire(ctx)
		if _, err := Execute(ctx, b, func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, ErrQueueTimeout) {
			t.Errorf("Execute = %v; want ErrQueueTimeout", err)
		}
		if b.Queued() != 0 {
			t.Errorf("%d still queued; want the waiter gone", b.Queued())
		}
	})
}

// "with short maxWaitTime": a free slot is taken even with a wait of 1ns.
func TestFailsafeShortMaxWait(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{MaxConcurrent: 1, MaxQueue: 1, MaxWait: time.Nanosecond})
	if _, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Errorf("Execute = %v; want the free slot taken", err)
	}
}
