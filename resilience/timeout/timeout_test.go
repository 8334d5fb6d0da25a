package timeout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// slow waits d or until its context ends.
func slow(d time.Duration) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		select {
		case <-time.After(d):
			return "done", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		to, err := New(Config{Name: "llm", Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := Do(context.Background(), to, slow(500*time.Millisecond)); v != "done" || err != nil {
			t.Errorf("fast call = %q, %v; want done, nil", v, err)
		}
		start := time.Now()
		_, err = Do(context.Background(), to, slow(time.Hour))
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("slow call = %v after %v; want an *Error after exactly 1s", err, time.Since(start))
		}
		// The caller's own deadline, shorter than the policy's, is the caller's error.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err = Do(ctx, to, slow(time.Hour))
		if errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("caller's deadline: %v; want the plain context error, not an *Error", err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Name: "x"}); err == nil || err.Error() != `timeout "x": Timeout = 0s; want more than 0` {
		t.Errorf("New with no Timeout = %v", err)
	}
}

// TestDoAbandonReturnsAtTheDeadline: a call that ignores its context is abandoned at the deadline
// (Do would wait the 10 s out); it keeps running and finishes by itself, its result dropped. A call
// that honours its context, or answers in time, is as with Do.
func TestDoAbandonReturnsAtTheDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		to, err := New(Config{Name: "cgo", Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var finished atomic.Bool
		start := time.Now()
		_, err = DoAbandon(context.Background(), to, func(context.Context) (int, error) {
			time.Sleep(10 * time.Second) // ignores its context
			finished.Store(true)
			return 1, nil
		})
		if !errors.Is(err, ErrTimeout) || time.Since(start) != time.Second || finished.Load() {
			t.Fatalf("DoAbandon = %v after %s (finished %v); want ErrTimeout at 1s, the call still running", err, time.Since(start), finished.Load())
		}
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if !finished.Load() {
			t.Error("the abandoned call never finished")
		}
		if v, err := DoAbandon(context.Background(), to, func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
			t.Errorf("a call in time: %d, %v", v, err)
		}
	})
}
