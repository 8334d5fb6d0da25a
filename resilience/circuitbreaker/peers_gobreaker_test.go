package circuitbreaker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of sony/gobreaker v2.4.0's own suite (gobreaker_test.go), on this package's API. Where
// the semantics differ on purpose, the test asserts ours and says so (see the package doc).

var errExcluded = errors.New("excluded")

// From gobreaker_test.go TestDefaultCircuitBreaker: gobreaker's default trips after more than 5
// consecutive failures (our ConsecutiveFailures: 6) and waits 60 s; a success ends the streak; a
// half-open failure opens again, a half-open success closes.
func TestGobreakerDefaultCircuitBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 6, OpenDuration: 60 * time.Second})
		for range 5 {
			call(b, errBoom)
		}
		wantState(t, b, StateClosed)
		call(b, nil)
		if c := b.Counts(); c.ConsecutiveFailures != 0 {
			t.Fatalf("after a success: %d consecutive failures; want 0", c.ConsecutiveFailures)
		}
		call(b, errBoom)
		for range 5 {
			call(b, errBoom) // 6 consecutive failures
		}
		wantState(t, b, StateOpen)
		if err := call(b, nil); !errors.Is(err, ErrOpen) {
			t.Fatalf("an open breaker's call: %v; want ErrOpen", err)
		}
		time.Sleep(60*time.Second - time.Millisecond)
		synctest.Wait()
		wantState(t, b, StateOpen)
		time.Sleep(time.Second)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		call(b, errBoom)
		wantState(t, b, StateOpen)
		time.Sleep(60*time.Second + time.Nanosecond)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		call(b, nil)
		wantState(t, b, StateClosed)
	})
}

// From gobreaker_test.go TestCustomCircuitBreaker (its half-open part): excluded calls are neutral
// in half-open, the first real failure reopens, successes close once enough succeeded. Ours
// differs on purpose: HalfOpenProbes is a limit on probes in flight, not on the half-open state's
// requests (gobreaker's MaxRequests), so with two probes done and one in flight a fourth call is
// admitted, where gobreaker rejects it.
func TestGobreakerCustomCircuitBreakerHalfOpen(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, Config{Name: "cb", ConsecutiveFailures: 1, OpenDuration: 90 * time.Second, HalfOpenProbes: 3,
			IsIgnored: func(err error) bool { return errors.Is(err, errExcluded) }, Observer: obs})
		call(b, errBoom)
		time.Sleep(90*time.Second + time.Nanosecond)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		for range 4 {
			if err := call(b, errExcluded); err != nil {
				t.Fatalf("an excluded probe: %v; want it admitted (an ignored probe gives its place back)", err)
			}
		}
		wantState(t, b, StateHalfOpen)
		call(b, errBoom)
		wantState(t, b, StateOpen)
		time.Sleep(90*time.Second + time.Nanosecond)
		synctest.Wait()
		call(b, nil)
		call(b, nil)
		wantState(t, b, StateHalfOpen)
		if c := b.Counts(); c.ProbeSuccesses != 2 {
			t.Fatalf("%d probe successes; want 2", c.ProbeSuccesses)
		}
		slow, _ := b.Allow() // the third probe, in flight
		if err := call(b, nil); err != nil {
			t.Fatalf("a fourth call with one probe in flight: %v; want it admitted (ours: a limit on probes in flight)", err)
		}
		wantState(t, b, StateClosed) // three probes succeeded
		slow.Done(nil)               // from the half-open generation: ignored
		wantState(t, b, StateClosed)
		if got := obs.path(); got[len(got)-1] != StateClosed || len(got) != 6 {
			t.Errorf("transitions %v; want closed, open, half-open, open, half-open, closed", got)
		}
	})
}

// From gobreaker_test.go TestPanicInRequest: a call that panics panics on, and counts as a failure.
func TestGobreakerPanicInRequest(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 6})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		Execute(context.Background(), b, func(context.Context) (bool, error) { panic("oops") })
	}()
	if c := b.Counts(); c.ConsecutiveFailures != 1 {
		t.Errorf("after a panic: %d consecutive failures; want 1", c.ConsecutiveFailures)
	}
}

// From gobreaker_test.go TestGeneration: a result that comes back after the breaker changed state
// has no effect. (gobreaker's generation also changes when its closed-state interval clears the
// counts; ours changes with every transition.)
func TestGobreakerGeneration(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 2})
	late, _ := b.Allow()
	b.ForceOpen()
	b.Reset()
	late.Done(errBoom)
	call(b, errBoom)
	wantState(t, b, StateClosed) // the late failure did not count toward the two
	if c := b.Counts(); c.ConsecutiveFailures != 1 {
		t.Errorf("%d consecutive failures; want 1", c.ConsecutiveFailures)
	}
}

// From gobreaker_test.go TestCustomIsSuccessful: errors a predicate calls successes do not trip;
// with the predicate back to "every error fails", six failures trip.
func TestGobreakerCustomIsSuccessful(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 6, IsFailure: func(error) bool { return false }})
	for range 5 {
		call(b, errBoom)
	}
	wantState(t, b, StateClosed)
	b = mustNew(t, Config{ConsecutiveFailures: 6, IsFailure: func(err error) bool { return err != nil }})
	for range 6 {
		call(b, errBoom)
	}
	wantState(t, b, StateOpen)
}

// From gobreaker_test.go TestCircuitBreakerInParallel: 10 goroutines of 10,000 calls, successes
// and excluded errors, leave a closed breaker with nothing counted against it.
func TestGobreakerInParallel(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, Config{ConsecutiveFailures: 1, IsIgnored: func(err error) bool { return errors.Is(err, errExcluded) }, Observer: obs})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for i := range 10_000 {
				var err error
				if i%2 == 1 {
					err = errExcluded
				}
				if aerr := call(b, err); aerr != nil {
					t.Errorf("call: %v", aerr)
					return
				}
			}
		})
	}
	wg.Wait()
	wantState(t, b, StateClosed)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.calls[OutcomeSuccess] != 50_000 || obs.calls[OutcomeIgnored] != 50_000 {
		t.Errorf("outcomes %v; want 50,000 successes and 50,000 ignored", obs.calls)
	}
}
