package timeout

import (
	"context"
	"errors"
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
