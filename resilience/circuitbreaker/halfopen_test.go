package circuitbreaker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// openThenWait trips b (1 consecutive failure) and waits out its open duration.
func openThenWait(t *testing.T, b *Breaker) {
	t.Helper()
	call(b, errBoom)
	wantState(t, b, StateOpen)
	time.Sleep(b.s.OpenDuration)
	synctest.Wait()
	wantState(t, b, StateHalfOpen)
}

func TestStateReportsHalfOpenAfterOpenDurationWithoutTraffic(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: 5 * time.Second})
		call(b, errBoom)
		time.Sleep(4999 * time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateOpen)
		if got := b.RetryAfter(); got != time.Millisecond {
			t.Errorf("RetryAfter() = %v; want 1ms", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
	})
}

// TestHalfOpenAdmitsAtMostNProbes: 50 concurrent callers, 3 probes.
func TestHalfOpenAdmitsAtMostNProbes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenProbes: 3, HalfOpenSuccesses: 10})
		openThenWait(t, b)
		var admitted, rejected atomic.Int32
		var permits sync.WaitGroup
		release := make(chan struct{})
		for range 50 {
			permits.Go(func() {
				p, err := b.Allow()
				if err != nil {
					if !errors.Is(err, ErrTooManyProbes) {
						t.Errorf("Allow() = %v; want ErrTooManyProbes", err)
					}
					rejected.Add(1)
					return
				}
				admitted.Add(1)
				<-release
				p.Ignore()
			})
		}
		synctest.Wait()
		if admitted.Load() != 3 || rejected.Load() != 47 {
			t.Errorf("admitted %d, rejected %d of 50 callers; want 3 and 47", admitted.Load(), rejected.Load())
		}
		close(release)
		permits.Wait()
		if c := b.Counts(); c.ProbesInFlight != 0 {
			t.Errorf("ProbesInFlight = %d after every probe was ignored; want 0", c.ProbesInFlight)
		}
	})
}

func TestHalfOpenClosesAfterSuccessesAndReopensOnFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenProbes: 2, Observer: r})
		openThenWait(t, b)
		call(b, nil)
		wantState(t, b, StateHalfOpen)
		call(b, nil)
		wantState(t, b, StateClosed)
		openThenWait(t, b)
		call(b, errBoom)
		wantState(t, b, StateOpen)
		want := []State{StateClosed, StateOpen, StateHalfOpen, StateClosed, StateOpen, StateHalfOpen, StateOpen}
		if got := r.path(); !slices.Equal(got, want) {
			t.Errorf("transitions %v; want %v", got, want)
		}
	})
}

// TestPanickingProbeDoesNotStickHalfOpen: Execute records the panic as a failure.
func TestPanickingProbeDoesNotStickHalfOpen(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		openThenWait(t, b)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Execute swallowed the panic")
				}
			}()
			Execute(context.Background(), b, func(context.Context) (int, error) { panic("probe") })
		}()
		wantState(t, b, StateOpen)
		time.Sleep(time.Second)
		synctest.Wait()
		if _, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatalf("probe after the panic: %v", err)
		}
		wantState(t, b, StateClosed)
	})
}

// TestCancelledProbeGivesItsPlaceBack: a caller that gives up is not a failure, and its probe
// place goes to the next caller.
func TestCancelledProbeGivesItsPlaceBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		openThenWait(t, b)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Execute(ctx, b, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute = %v; want context.Canceled", err)
		}
		wantState(t, b, StateHalfOpen)
		if err := call(b, nil); err != nil {
			t.Fatalf("next probe rejected: %v", err)
		}
		wantState(t, b, StateClosed)
	})
}

// TestAbandonedProbeReopensAfterMaxWait: a probe that never reports back.
func TestAbandonedProbeReopensAfterMaxWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenMaxWait: 3 * time.Second})
		openThenWait(t, b)
		if _, err := b.Allow(); err != nil { // abandoned
			t.Fatal(err)
		}
		if err := call(b, nil); !errors.Is(err, ErrTooManyProbes) {
			t.Fatalf("second probe: %v; want ErrTooManyProbes", err)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		wantState(t, b, StateOpen)
		time.Sleep(time.Second)
		synctest.Wait()
		if err := call(b, nil); err != nil {
			t.Fatalf("probe after max wait: %v", err)
		}
		wantState(t, b, StateClosed)
	})
}

func TestOpenDurationBacksOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, OpenBackoff: 2, MaxOpenDuration: 3 * time.Second})
		openThenWait(t, b) // open 1s
		for _, want := range []time.Duration{2 * time.Second, 3 * time.Second, 3 * time.Second} {
			call(b, errBoom) // the probe fails: open again, longer
			if got := b.Counts().OpenDuration; got != want {
				t.Fatalf("OpenDuration = %v; want %v", got, want)
			}
			time.Sleep(want - time.Millisecond)
			synctest.Wait()
			wantState(t, b, StateOpen)
			time.Sleep(time.Millisecond)
			synctest.Wait()
			wantState(t, b, StateHalfOpen)
		}
		call(b, nil)
		if got := b.Counts().OpenDuration; got != time.Second {
			t.Errorf("OpenDuration after closing = %v; want the base 1s", got)
		}
	})
}
