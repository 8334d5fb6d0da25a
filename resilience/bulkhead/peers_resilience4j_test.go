package bulkhead

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of resilience4j's own suite (master branch as stored:
// internal/SemaphoreBulkheadTest.java at cf7a9f8, BulkheadEventPublisherTest.java and
// BulkheadConfigTest.java, under resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/),
// on this package's API.
//
// How the peer's configuration maps onto ours: maxConcurrentCalls is MaxConcurrent and
// maxWaitDuration MaxWait; tryAcquirePermission and acquirePermission are Acquire, onComplete
// Release; a thread interrupted while it waits is a waiter whose context is cancelled; the event
// publisher's CALL_REJECTED is Observer.OnReject (ours tells no CALL_PERMITTED or CALL_FINISHED:
// InFlight and Queued are read instead). resilience4j's waiters are unbounded in number, each
// waiting up to maxWaitDuration; ours wait in a queue of MaxQueue places, and MaxWait needs one, so
// the cases that wait give a queue. The peer's real-time waits are testing/synctest's fake clock.
// Its changeConfig (resizing a live bulkhead) has no counterpart here and is not ported.

// rejections counts an Observer's rejections by reason.
type rejections struct {
	mu      sync.Mutex
	reasons []Reason
}

func (r *rejections) OnReject(_ string, reason Reason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

func (r *rejections) got() []Reason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Reason(nil), r.reasons...)
}

// From
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/internal/SemaphoreBulkheadTest.java
// testBulkhead and
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/BulkheadEventPublisherTest.java
// shouldConsumeOnCallPermittedEvent and shouldConsumeOnCallRejectedEvent: of 2 slots, two calls
// take both; a third is rejected, once, and its call is not run; each release frees one slot; a
// call after them is permitted and runs.
func TestResilience4jBulkheadPermitsAndRejects(t *testing.T) {
	t.Parallel()
	obs := &rejections{}
	b := mustNew(t, Config{Name: "test", MaxConcurrent: 2, Observer: obs})
	ctx := context.Background()
	for i := range 2 {
		if err := b.Acquire(ctx); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if b.InFlight() != 2 {
		t.Fatalf("InFlight() = %d; want 2 (no call available)", b.InFlight())
	}
	ran := false
	if _, err := Execute(ctx, b, func(context.Context) (string, error) { ran = true; return "Hello world", nil }); !errors.Is(err, ErrFull) || ran {
		t.Fatalf("a third call: %v (ran %v); want ErrFull, not run", err, ran)
	}
	if got := obs.got(); len(got) != 1 || got[0] != ReasonFull {
		t.Errorf("rejections %v; want one, full", got)
	}
	b.Release()
	if b.InFlight() != 1 {
		t.Errorf("after one release: InFlight() = %d; want 1", b.InFlight())
	}
	b.Release()
	if b.InFlight() != 0 {
		t.Errorf("after two releases: InFlight() = %d; want 0", b.InFlight())
	}
	if v, err := Execute(ctx, b, func(context.Context) (string, error) { return "Hello world", nil }); err != nil || v != "Hello world" {
		t.Errorf("a call after the releases: %q, %v; want it run", v, err)
	}
}

// From
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/internal/SemaphoreBulkheadTest.java
// testTryEnterWithTimeout and testEntryTimeout: with its one slot taken, a call waits its
// maxWaitDuration, 50 ms (and 10 ms), and is refused then, no sooner; it leaves nothing behind.
// (resilience4j: a false from tryAcquirePermission; ours: ErrQueueTimeout.)
func TestResilience4jBulkheadWaitTimesOut(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, wait := range []time.Duration{50 * time.Millisecond, 10 * time.Millisecond} {
			obs := &rejections{}
			b := mustNew(t, Config{MaxConcurrent: 1, MaxQueue: 1, MaxWait: wait, Observer: obs})
			if err := b.Acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err := b.Acquire(context.Background())
			if waited := time.Since(start); !errors.Is(err, ErrQueueTimeout) || waited != wait {
				t.Errorf("a call to the full bulkhead: %v after %s; want ErrQueueTimeout after %s", err, waited, wait)
			}
			if b.InFlight() != 1 || b.Queued() != 0 {
				t.Errorf("after the timeout: InFlight %d, Queued %d; want 1, 0", b.InFlight(), b.Queued())
			}
			if got := obs.got(); len(got) != 1 || got[0] != ReasonQueueTimeout {
				t.Errorf("rejections %v; want one, queue_timeout", got)
			}
		}
	})
}

// From
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/internal/SemaphoreBulkheadTest.java
// testTryEnterWithInterruptDuringTimeout and testAcquireWithInterruptDuringTimeout: a call waiting
// up to 2 s for the one slot is interrupted after 1 s: it stops waiting at once, before its wait is
// over, with an error that says so (resilience4j: AcquirePermissionCancelledException; ours: the
// context's error), and holds nothing.
func TestResilience4jBulkheadInterruptedWhileWaiting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &rejections{}
		b := mustNew(t, Config{MaxConcurrent: 1, MaxQueue: 1, MaxWait: 2 * time.Second, Observer: obs})
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		start := time.Now()
		var err error
		var waited time.Duration
		go func() {
			defer close(done)
			err = b.Acquire(ctx)
			waited = time.Since(start)
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		if b.Queued() != 1 {
			t.Fatalf("Queued() = %d while it waits; want 1", b.Queued())
		}
		cancel()
		<-done
		if !errors.Is(err, context.Canceled) || waited != time.Second {
			t.Errorf("the interrupted call: %v after %s; want context.Canceled after 1s", err, waited)
		}
		if b.InFlight() != 1 || b.Queued() != 0 {
			t.Errorf("after the interruption: InFlight %d, Queued %d; want 1, 0", b.InFlight(), b.Queued())
		}
		if got := obs.got(); len(got) != 1 || got[0] != ReasonCancelled {
			t.Errorf("rejections %v; want one, cancelled", got)
		}
	})
}

// From
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/internal/SemaphoreBulkheadTest.java
// testZeroMaxConcurrentCalls and
// resilience4j-bulkhead/src/test/java/io/github/resilience4j/bulkhead/BulkheadConfigTest.java
// testBuildCustom, testBuildWithZeroMaxCurrentCalls, testBuildWithIllegalMaxConcurrent and
// testBuildWithIllegalMaxWait. A negative maximum or wait is refused by both. resilience4j takes a
// maxConcurrentCalls of 0 as "permit nothing"; ours, whose zero values stand for defaults, as 10
// (the 11th concurrent call is refused). resilience4j also takes a maxWaitDuration alone; ours
// refuses a MaxWait without a queue (no call would wait).
func TestResilience4jBulkheadConfig(t *testing.T) {
	t.Parallel()
	err := Config{Name: "test", MaxConcurrent: -1, MaxWait: -time.Millisecond}.Validate()
	for _, want := range []string{"MaxConcurrent = -1", "MaxWait = -1ms"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	if err := (Config{MaxConcurrent: 66, MaxWait: 555 * time.Millisecond}).Validate(); err == nil || !strings.Contains(err.Error(), "MaxQueue = 0") {
		t.Errorf("a MaxWait without a queue: %v; want it refused", err)
	}
	if err := (Config{MaxConcurrent: 66, MaxQueue: 1, MaxWait: 555 * time.Millisecond}).Validate(); err != nil {
		t.Errorf("Validate() = %v; want a custom config accepted", err)
	}
	b := mustNew(t, Config{MaxConcurrent: 0})
	for i := range 10 {
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatalf("call %d with MaxConcurrent 0: %v; want the default 10 slots (resilience4j: none)", i+1, err)
		}
	}
	if err := b.Acquire(context.Background()); !errors.Is(err, ErrFull) {
		t.Errorf("the 11th call: %v; want ErrFull", err)
	}
}
