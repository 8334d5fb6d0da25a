package timeout

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTimeout matches every *Error.
var ErrTimeout = errors.New("timed out")

// Error is the error of a call the policy cut off.
type Error struct {
	Name  string
	After time.Duration
	Err   error // what the call returned when its context was cancelled
}

func (e *Error) Error() string {
	return fmt.Sprintf("timeout %q: call cut off after %s: %v", e.Name, e.After, e.Err)
}

// Is matches ErrTimeout and context.DeadlineExceeded.
func (e *Error) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// Unwrap returns what the call returned.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports true, for callers that test net.Error-style.
func (e *Error) Timeout() bool { return true }

// Observer is told of calls cut off, on the caller's goroutine.
type Observer interface {
	OnTimeout(name string, after time.Duration)
}

// Config configures a Timeout.
type Config struct {
	Name string
	// Timeout is the longest a call may take; more than 0.
	Timeout  time.Duration
	Observer Observer
}

// Validate reports a missing or negative Timeout.
func (c Config) Validate() error {
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout %q: Timeout = %s; want more than 0", c.Name, c.Timeout)
	}
	return nil
}

// Timeout bounds calls. Create it with New; it is safe for concurrent use.
type Timeout struct {
	c     Config
	cause error
}

// New returns a Timeout, or the problem with c.
func New(c Config) (*Timeout, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Timeout{c: c, cause: fmt.Errorf("timeout %q: %w after %s", c.Name, ErrTimeout, c.Timeout)}, nil
}

// Name returns the policy's name.
func (t *Timeout) Name() string { return t.c.Name }

// Duration returns the configured timeout.
func (t *Timeout) Duration() time.Duration { return t.c.Timeout }

// Do runs fn with a context cancelled after the timeout. If fn fails because of that cancellation,
// Do returns an *Error wrapping fn's error.
func Do[T any](ctx context.Context, t *Timeout, fn func(context.Context) (T, error)) (T, error) {
	tctx, cancel := context.WithTimeoutCause(ctx, t.c.Timeout, t.cause)
	defer cancel()
	v, err := fn(tctx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(tctx), t.cause) {
		t.timedOut()
		return v, &Error{Name: t.c.Name, After: t.c.Timeout, Err: err}
	}
	return v, err
}

// DoAbandon is Do for a call that may ignore its context (a library with no context, a cgo
// call): fn runs on a goroutine of its own, and DoAbandon returns at the deadline, or when ctx
// ends, whether fn has returned or not. The caller gets its answer in time, but an abandoned fn
// keeps running until it returns by itself, holding what it holds, and its result is dropped:
// under a dependency that hangs, abandoned calls pile up. Prefer Do wherever fn honours its
// context.
func DoAbandon[T any](ctx context.Context, t *Timeout, fn func(context.Context) (T, error)) (T, error) {
	tctx, cancel := context.WithTimeoutCause(ctx, t.c.Timeout, t.cause)
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned fn's send never blocks
	go func() {
		defer cancel()
		v, err := fn(tctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() == nil && errors.Is(context.Cause(tctx), t.cause) {
			t.timedOut()
			return r.v, &Error{Name: t.c.Name, After: t.c.Timeout, Err: r.err}
		}
		return r.v, r.err
	case <-tctx.Done():
		var zero T
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		t.timedOut()
		return zero, &Error{Name: t.c.Name, After: t.c.Timeout, Err: fmt.Errorf("abandoned: %w", context.Cause(tctx))}
	}
}

func (t *Timeout) timedOut() {
	if t.c.Observer != nil {
		t.c.Observer.OnTimeout(t.c.Name, t.c.Timeout)
	}
}
