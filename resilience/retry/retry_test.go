package retry

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

var errTransient = errors.New("transient")

type obs struct {
	mu       sync.Mutex
	delays   []time.Duration
	outcomes []Outcome
}

func (o *obs) OnRetry(_ string, _ int, d time.Duration, _ error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delays = append(o.delays, d)
}

func (o *obs) OnDone(_ string, out Outcome, _ int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, out)
}

func mustNew(t *testing.T, c Config) *Retryer {
	t.Helper()
	r, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return r
}

// failing returns a call that fails n times, then succeeds, and counts its calls.
func failing(n int, err error) (func(context.Context) (int, error), *atomic.Int32) {
	var calls atomic.Int32
	return func(context.Context) (int, error) {
		if int(calls.Add(1)) <= n {
			return 0, err
		}
		return 42, nil
	}, &calls
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	open := breakerOpenErr{}
	tests := []struct {
		name      string
		c         Config
		failures  int
		err       error
		wantCalls int32
		want      Outcome
	}{
		{"first try", Config{}, 0, errTransient, 1, SuccessFirst},
		{"recovered", Config{}, 2, errTransient, 3, SuccessAfterRetry},
		{"exhausted", Config{MaxAttempts: 4}, 10, errTransient, 4, Exhausted},
		{"abort on", Config{AbortOn: func(err error) bool { return err == errTransient }}, 10, errTransient, 1, Aborted},
		{"retry on says no", Config{RetryOn: func(error) bool { return false }}, 10, errTransient, 1, Aborted},
		{"breaker open is not retried", Config{}, 10, open, 1, Aborted},
		{"breaker open retried on request", Config{RetryBreakerOpen: true}, 1, open, 2, SuccessAfterRetry},
		{"long Retry-After ends retries", Config{MaxDelay: time.Second}, 10, retryAfterErr(time.Minute), 1, Aborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				o := &obs{}
				tt.c.Observer = o
				tt.c.BaseDelay = time.Millisecond
				fn, calls := failing(tt.failures, tt.err)
				_, err := Do(context.Background(), mustNew(t, tt.c), fn)
				if calls.Load() != tt.wantCalls || len(o.outcomes) != 1 || o.outcomes[0] != tt.want {
					t.Errorf("calls %d, outcomes %v, err %v; want %d calls and %v", calls.Load(), o.outcomes, err, tt.wantCalls, tt.want)
				}
				if tt.want >= Exhausted && !errors.Is(err, tt.err) {
					t.Errorf("error %v does not wrap the last attempt's %v", err, tt.err)
				}
			})
		})
	}
}

type breakerOpenErr struct{}

func (breakerOpenErr) Error() string     { return "breaker open" }
func (breakerOpenErr) BreakerOpen() bool { return true }

type retryAfterErr time.Duration

func (e retryAfterErr) Error() string             { return "429 too many requests" }
func (e retryAfterErr) RetryAfter() time.Duration { return time.Duration(e) }

// TestCancelDuringBackoffReturnsAtOnce: with the fake clock, the call returns at the very
// instant the context is cancelled, though its backoff had 10s to go.
func TestCancelDuringBackoffReturnsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{Backoff: Constant, BaseDelay: 10 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		var returned time.Time
		done := make(chan struct{})
		go func() {
			fn, _ := failing(10, errTransient)
			_, err = Do(ctx, r, fn)
			returned = time.Now()
			close(done)
		}()
		time.Sleep(time.Second)
		synctest.Wait() // Do is asleep in its backoff
		cancelled := time.Now()
		cancel()
		<-done
		if d := returned.Sub(cancelled); d != 0 {
			t.Errorf("Do returned %v after the cancel; want at once", d)
		}
		var re *Error
		if !errors.As(err, &re) || re.Outcome != Cancelled || !errors.Is(err, context.Canceled) || !errors.Is(err, errTransient) {
			t.Errorf("err = %v; want a cancelled *Error wrapping context.Canceled and the last error", err)
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := &obs{}
		r := mustNew(t, Config{Backoff: Constant, BaseDelay: time.Millisecond, Observer: o})
		fn, _ := failing(1, retryAfterErr(3*time.Second))
		start := time.Now()
		if _, err := Do(context.Background(), r, fn); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 3*time.Second || o.delays[0] != 3*time.Second {
			t.Errorf("waited %v (delay %v); want the hinted 3s", got, o.delays)
		}
	})
}

func TestMaxElapsed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{MaxAttempts: 100, Backoff: Constant, BaseDelay: time.Second, MaxElapsed: 3500 * time.Millisecond})
		fn, calls := failing(100, errTransient)
		_, err := Do(context.Background(), r, fn)
		var re *Error
		if calls.Load() != 4 || !errors.As(err, &re) || re.Outcome != Exhausted {
			t.Errorf("calls %d, err %v; want 4 calls (0s, 1s, 2s, 3s) then exhausted", calls.Load(), err)
		}
	})
}

// TestBudgetBoundsAttempts: a storm of always-failing requests makes at most
// (1 + ratio) × requests + floor attempts.
func TestBudgetBoundsAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const ratio, floor, requests = 0.2, 5.0, 1000
		budget, err := NewBudget(ratio, floor, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := mustNew(t, Config{MaxAttempts: 5, Backoff: Constant, BaseDelay: time.Millisecond, Budget: budget})
		var attempts atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for range requests {
			wg.Go(func() {
				r.Run(context.Background(), func(context.Context) error { attempts.Add(1); return errTransient })
			})
		}
		wg.Wait()
		// The floor starts full (floor retries) and refills at floor per second of (fake) time.
		limit := int64((1+ratio)*requests + floor + floor*time.Since(start).Seconds())
		if got := attempts.Load(); got > limit || got < requests {
			t.Errorf("attempts = %d for %d requests; want between %d and %d", got, requests, requests, limit)
		}
	})
}

func TestSeededJitterIsReproducible(t *testing.T) {
	t.Parallel()
	delays := func(seed uint64) []time.Duration {
		var out []time.Duration
		synctest.Test(t, func(t *testing.T) {
			o := &obs{}
			r := mustNew(t, Config{MaxAttempts: 6, Rand: NewLockedRand(seed), Observer: o})
			fn, _ := failing(10, errTransient)
			Do(context.Background(), r, fn)
			out = o.delays
		})
		return out
	}
	a, b, c := delays(7), delays(7), delays(8)
	if len(a) != 5 || strings.Join(durs(a), ",") != strings.Join(durs(b), ",") {
		t.Errorf("seed 7 gave %v then %v; want 5 equal delays", a, b)
	}
	if strings.Join(durs(a), ",") == strings.Join(durs(c), ",") {
		t.Errorf("seeds 7 and 8 gave the same delays %v", a)
	}
}

func durs(ds []time.Duration) []string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return s
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	err := Config{Name: "llm", MaxAttempts: -1, BaseDelay: 2 * time.Second, MaxDelay: time.Second, Multiplier: 0.5}.Validate()
	for _, want := range []string{`"llm": MaxAttempts = -1`, "BaseDelay = 2s; want at most MaxDelay (1s)", "Multiplier = 0.5"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to contain %q", err, want)
		}
	}
	if _, err := NewBudget(-1, -1, nil); err == nil || !strings.Contains(err.Error(), "ratio = -1") || !strings.Contains(err.Error(), "minPerSecond = -1") {
		t.Errorf("NewBudget(-1, -1) = %v; want both problems", err)
	}
}
