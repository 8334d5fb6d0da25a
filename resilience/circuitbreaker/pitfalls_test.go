package circuitbreaker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestLateResultFromOlderStateChangesNothing: a failure admitted while closed that reports after
// the breaker opened and closed again must not count in the new closed state.
func TestLateResultFromOlderStateChangesNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 2, OpenDuration: time.Second})
		late, err := b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		call(b, errBoom)
		call(b, errBoom)
		wantState(t, b, StateOpen)
		time.Sleep(time.Second)
		synctest.Wait()
		call(b, nil) // probe closes it
		wantState(t, b, StateClosed)
		call(b, errBoom) // one failure in the new generation
		late.Done(errBoom)
		if c := b.Counts(); c.ConsecutiveFailures != 1 || c.State != StateClosed {
			t.Errorf("after a late failure: %+v; want 1 consecutive failure, closed", c)
		}
	})
}

// TestRepeatedCallerCancellationsKeepBreakerClosed: callers giving up say nothing about the
// dependency.
func TestRepeatedCallerCancellationsKeepBreakerClosed(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 3})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 100 {
		Execute(ctx, b, func(ctx context.Context) (struct{}, error) { return struct{}{}, ctx.Err() })
		call(b, context.Canceled) // the two-step API ignores context.Canceled too
	}
	wantState(t, b, StateClosed)
	if c := b.Counts(); c.ConsecutiveFailures != 0 {
		t.Errorf("ConsecutiveFailures = %d; want 0", c.ConsecutiveFailures)
	}
	// A deadline the caller did not set is a failure: the dependency was too slow.
	for range 3 {
		call(b, context.DeadlineExceeded)
	}
	wantState(t, b, StateOpen)
}

// TestListenerCallingBackDoesNotDeadlock pins gobreaker's OnStateChange deadlock: the observer
// reads the breaker, and even resets it, from inside the callback.
func TestListenerCallingBackDoesNotDeadlock(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	var b *Breaker
	var seen []State
	r.onChange = func(tr Transition) {
		seen = append(seen, b.State())
		_ = b.Counts()
		_ = b.RetryAfter()
		if tr.To == StateOpen {
			b.Reset() // queued, delivered after this callback returns
		}
	}
	b = mustNew(t, Config{ConsecutiveFailures: 1, Observer: r})
	done := make(chan struct{})
	go func() {
		call(b, errBoom)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a call whose observer reads the breaker did not return: deadlock")
	}
	if got, want := r.path(), []State{StateClosed, StateOpen, StateClosed}; !slices.Equal(got, want) {
		t.Errorf("transitions %v; want %v", got, want)
	}
	if len(seen) != 2 {
		t.Errorf("observer called %d times; want 2", len(seen))
	}
}

// TestListenersSeeTransitionsInOrder drives transitions from many goroutines and checks that the
// observer saw a connected path, one callback at a time.
func TestListenersSeeTransitionsInOrder(t *testing.T) {
	t.Parallel()
	var inside sync.Mutex
	r := &recorder{}
	r.onChange = func(Transition) {
		if !inside.TryLock() {
			t.Error("two OnStateChange calls at once")
			return
		}
		time.Sleep(time.Microsecond)
		inside.Unlock()
	}
	b := mustNew(t, Config{ConsecutiveFailures: 1, Observer: r})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				switch (i + j) % 3 {
				case 0:
					b.Reset()
				case 1:
					call(b, errBoom)
				default:
					b.ForceOpen()
				}
			}
		})
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.transitions); i++ {
		if r.transitions[i].From != r.transitions[i-1].To {
			t.Fatalf("transition %d is %s -> %s but the one before ended in %s", i, r.transitions[i].From, r.transitions[i].To, r.transitions[i-1].To)
		}
	}
}

func TestForcedOpenAndDisabled(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	b := mustNew(t, Config{ConsecutiveFailures: 1, Observer: r})
	b.ForceOpen()
	err := call(b, nil)
	var oe *OpenError
	if !errors.Is(err, ErrOpen) || !errors.As(err, &oe) || oe.State != StateForcedOpen {
		t.Fatalf("call while forced open = %v; want an *OpenError wrapping ErrOpen in forced-open", err)
	}
	b.Disable()
	for range 10 {
		if err := call(b, errBoom); err != nil {
			t.Fatalf("call while disabled = %v; want it to pass", err)
		}
	}
	wantState(t, b, StateDisabled)
	b.Reset()
	wantState(t, b, StateClosed)
	if r.calls[OutcomeRejected] != 1 {
		t.Errorf("rejections observed = %d; want 1", r.calls[OutcomeRejected])
	}
}

func TestOpenErrorMarksBreakerRejection(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{Name: "ollama", ConsecutiveFailures: 1})
	call(b, errBoom)
	err := call(b, nil)
	var marked interface{ BreakerOpen() bool }
	if !errors.As(err, &marked) || !marked.BreakerOpen() {
		t.Errorf("rejection %v does not carry BreakerOpen()", err)
	}
	if want := `circuit breaker is open: "ollama" is open`; err.Error() != want {
		t.Errorf("Error() = %q; want %q", err.Error(), want)
	}
}
