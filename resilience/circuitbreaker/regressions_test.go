package circuitbreaker

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The regressions of issue 13, each named after the behaviour it pins.

// TestSparseTrafficIsAdmittedAfterRecovery: one failure, then 70 s without a call: the breaker
// went half-open after its 30 s and waits there for traffic; the next call is a probe (it used to
// be rejected: the max wait, meant for a probe that never reports, sent the breaker back to open
// with no probe out, and it cycled open, half-open, open for as long as nobody called).
func TestSparseTrafficIsAdmittedAfterRecovery(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: 30 * time.Second, Observer: obs})
		call(b, errBoom)
		time.Sleep(70 * time.Second)
		synctest.Wait()
		if err := call(b, nil); err != nil {
			t.Fatalf("the first call after 70 s of silence: %v; want it admitted as a probe", err)
		}
		wantState(t, b, StateClosed)
		if got, want := obs.path(), []State{StateClosed, StateOpen, StateHalfOpen, StateClosed}; !slices.Equal(got, want) {
			t.Errorf("transitions %v; want %v", got, want)
		}
	})
}

// TestProbeThatNeverReportsReopens: the max wait still covers a probe that never reports back:
// 30 s after it was admitted (not after the breaker went half-open), the breaker opens again.
func TestProbeThatNeverReportsReopens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: 30 * time.Second})
		call(b, errBoom)
		time.Sleep(50 * time.Second) // half-open for 20 s with no traffic
		synctest.Wait()
		if _, err := b.Allow(); err != nil { // a probe that never reports
			t.Fatal(err)
		}
		time.Sleep(29 * time.Second)
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		time.Sleep(time.Second)
		synctest.Wait()
		wantState(t, b, StateOpen)
	})
}

// TestPermitReportedTwiceIsANoOp: a probe's permit reported twice, or through a copy, counts
// once. Ignore twice used to underflow the probe count into the generation bits (65535 probes in
// flight) and wedge the breaker half-open, rejecting every call, for good.
func TestPermitReportedTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second})
		openThenWait(t, b)
		gen := b.Counts().Generation
		p, err := b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		p.Ignore()
		p.Ignore()
		if c := b.Counts(); c.ProbesInFlight != 0 || c.Generation != gen || c.State != StateHalfOpen {
			t.Fatalf("after Ignore twice: %+v; want half-open, generation %d, no probe in flight", c, gen)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if err := call(b, nil); err != nil {
			t.Fatalf("an hour later: %v; want a probe admitted", err)
		}
		wantState(t, b, StateClosed)

		// Two probes must succeed to close: one probe's two reports are one success.
		b = mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, HalfOpenProbes: 2})
		openThenWait(t, b)
		p, _ = b.Allow()
		copied := p
		p.Done(nil)
		copied.Done(nil)
		if c := b.Counts(); c.State != StateHalfOpen || c.ProbeSuccesses != 1 {
			t.Fatalf("one probe reported twice: %+v; want half-open with 1 success", c)
		}
		if err := call(b, nil); err != nil {
			t.Fatal(err)
		}
		wantState(t, b, StateClosed)
	})
}

// TestDisabledBreakerCountsNothing: a disabled breaker's calls reach its observer as ignored, not
// as failures (resilience_circuit_breaker_calls_total{outcome="failure"} counted them).
func TestDisabledBreakerCountsNothing(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, Config{ConsecutiveFailures: 1, Observer: obs})
	b.Disable()
	for range 3 {
		if err := call(b, errBoom); err != nil {
			t.Fatal(err)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.calls[OutcomeFailure] != 0 || obs.calls[OutcomeIgnored] != 3 {
		t.Errorf("a disabled breaker's outcomes %v; want 3 ignored, no failure", obs.calls)
	}
}

// TestSameStateTransitionIsNotPublished: ForceOpen twice is one transition and one generation,
// as resilience4j publishes nothing for a move to the same state (the second used to bump the
// generation and discard the results of calls in flight); Reset of a closed breaker clears its
// counters without a transition.
func TestSameStateTransitionIsNotPublished(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	b := mustNew(t, Config{ConsecutiveFailures: 2, Observer: obs})
	gen := b.Counts().Generation
	b.ForceOpen()
	b.ForceOpen()
	if got, want := obs.path(), []State{StateClosed, StateForcedOpen}; !slices.Equal(got, want) {
		t.Errorf("ForceOpen twice: transitions %v; want %v", got, want)
	}
	if g := b.Counts().Generation; g != gen+1 {
		t.Errorf("generation %d after ForceOpen twice; want %d", g, gen+1)
	}

	obs = &recorder{}
	b = mustNew(t, Config{ConsecutiveFailures: 2, Observer: obs})
	call(b, errBoom)
	p, _ := b.Allow() // in flight across the Reset
	b.Reset()
	if c := b.Counts(); c.ConsecutiveFailures != 0 || c.Generation != gen || len(obs.path()) != 0 {
		t.Errorf("Reset of a closed breaker: %+v, transitions %v; want its counters cleared, no transition", c, obs.path())
	}
	p.Done(errBoom)
	call(b, errBoom)
	wantState(t, b, StateOpen) // the call in flight still counted
}

// TestOpenBackoffDoesNotOverflow: a huge backoff caps at MaxOpenDuration (the float-to-Duration
// conversion used to go negative, and the breaker went straight back to half-open after a failed
// probe).
func TestOpenBackoffDoesNotOverflow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const maxOpen = time.Duration(1<<63 - 1)
		b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, OpenBackoff: 1e12, MaxOpenDuration: maxOpen})
		openThenWait(t, b)
		call(b, errBoom) // the probe fails
		synctest.Wait()
		wantState(t, b, StateOpen)
		if c := b.Counts(); c.OpenDuration != maxOpen {
			t.Errorf("open duration %s; want the cap %s", c.OpenDuration, maxOpen)
		}
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		wantState(t, b, StateOpen)
	})
}

// epochClock is a fake clock that starts at the Unix epoch (UnixNano 0).
type epochClock struct{ base time.Time }

func (c epochClock) Now() time.Time { return time.Unix(0, 0).Add(time.Since(c.base)) }
func (epochClock) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(d, f)
}

// TestCallTimedFromTheEpoch: a call started at UnixNano 0 of a fake clock is timed like any other
// (0 used to mean "not timed", so it was never slow). Calls are timed as durations since the
// breaker was made, which the real clock measures monotonically.
func TestCallTimedFromTheEpoch(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{Clock: epochClock{base: time.Now()}, SlowCallDuration: time.Second, SlowCallRateThreshold: 1, WindowSize: 1})
		if err := callFor(b, 2*time.Second, nil); err != nil {
			t.Fatal(err)
		}
		wantState(t, b, StateOpen)
	})
}

// TestExecuteResultCountsFailedResults: a result the predicate calls a failure (a 503 answer)
// counts as one, and the caller still gets the result, with no error.
func TestExecuteResultCountsFailedResults(t *testing.T) {
	t.Parallel()
	b := mustNew(t, Config{ConsecutiveFailures: 2})
	unavailable := func(code int) bool { return code == 503 }
	for range 2 {
		code, err := ExecuteResult(context.Background(), b, func(context.Context) (int, error) { return 503, nil }, unavailable)
		if code != 503 || err != nil {
			t.Fatalf("ExecuteResult = %d, %v; want the 503 with no error", code, err)
		}
	}
	wantState(t, b, StateOpen)
	b = mustNew(t, Config{ConsecutiveFailures: 2})
	for range 5 {
		ExecuteResult(context.Background(), b, func(context.Context) (int, error) { return 200, nil }, unavailable)
	}
	wantState(t, b, StateClosed)
}

// TestHooks: the hooks a team wires to its logs are told of a rejection, a result and each
// transition, and run outside the breaker's locks: a hook that reads the breaker does not block.
func TestHooks(t *testing.T) {
	t.Parallel()
	var b *Breaker
	var log []string
	b = mustNew(t, Config{Name: "db", ConsecutiveFailures: 1, Observer: Hooks{
		StateChange: func(tr Transition) {
			log = append(log, tr.From.String()+"->"+tr.To.String()+" "+b.State().String()+" "+tr.Reason)
		},
		NotPermitted: func(name string) { log = append(log, "not permitted "+name+" "+b.State().String()) },
		Result: func(name string, o Outcome, _ time.Duration) {
			log = append(log, o.String()+" "+b.Counts().State.String())
		},
	}})
	call(b, errBoom)
	call(b, nil)
	want := []string{"closed->open open 1 consecutive failures", "failure open", "not permitted db open"}
	if !slices.Equal(log, want) {
		t.Errorf("hooks said %q; want %q", log, want)
	}
}

// TestBreakerOptions: an initial state (open: the first probe after the open duration, and no
// transition published for starting), an open duration by function of the openings in a row, and
// the sliding window's snapshot in Counts.
func TestBreakerOptions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &recorder{}
		b := mustNew(t, Config{Initial: StateOpen, ConsecutiveFailures: 1, OpenDuration: time.Second, Observer: obs,
			OpenDurationFunc: func(n int) time.Duration { return time.Duration(n) * 10 * time.Second }})
		wantState(t, b, StateOpen)
		if len(obs.path()) != 0 {
			t.Errorf("starting open published %v", obs.path())
		}
		time.Sleep(10 * time.Second) // the first opening: 10s by the function
		synctest.Wait()
		wantState(t, b, StateHalfOpen)
		call(b, errBoom) // the second opening in a row: 20s
		if c := b.Counts(); c.OpenDuration != 20*time.Second {
			t.Errorf("open duration %s after the second opening; want 20s", c.OpenDuration)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		call(b, nil)
		wantState(t, b, StateClosed)
		call(b, errBoom) // the first opening since it closed: 10s again
		if c := b.Counts(); c.OpenDuration != 10*time.Second {
			t.Errorf("open duration %s after closing and opening again; want 10s", c.OpenDuration)
		}
	})
	b := mustNew(t, Config{FailureRateThreshold: 0.9, WindowSize: 10, SlowCallDuration: time.Hour})
	for _, err := range []error{nil, errBoom, nil, errBoom} {
		call(b, err)
	}
	if c := b.Counts(); c.BufferedCalls != 4 || c.Failures != 2 || c.FailureRate != 0.5 || c.SlowCallRate != 0 {
		t.Errorf("Counts() = %+v; want 4 buffered, 2 failures, a failure rate of 0.5", c)
	}
	if _, err := New(Config{Initial: StateHalfOpen}); err == nil || !strings.Contains(err.Error(), "Initial") {
		t.Errorf("New with a half-open initial state = %v; want it refused", err)
	}
}

// TestCountsNotPermitted: with CountRejections, Counts().NotPermitted counts every rejected
// call (open, and half-open with its probe taken); without it, none.
func TestCountsNotPermitted(t *testing.T) {
	t.Parallel()
	for _, count := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			b := mustNew(t, Config{ConsecutiveFailures: 1, OpenDuration: time.Second, CountRejections: count})
			call(b, errBoom)
			for range 5 {
				if _, err := b.Allow(); err == nil {
					t.Fatal("an open breaker permitted a call")
				}
			}
			time.Sleep(time.Second)
			synctest.Wait()
			probe, err := b.Allow()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Allow(); err == nil {
				t.Fatal("a second probe was permitted")
			}
			probe.Done(nil)
			want := uint64(0)
			if count {
				want = 6
			}
			if got := b.Counts().NotPermitted; got != want {
				t.Errorf("CountRejections %v: NotPermitted = %d; want %d", count, got, want)
			}
		})
	}
}
