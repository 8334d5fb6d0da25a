package main

import (
	"context"
	"errors"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/jackc/pgx/v5"
)

const (
	retryMaxAttempts = 3
	retryDelay       = 25 * time.Millisecond
	retryMaxDelay    = 100 * time.Millisecond
)

// Retrier runs database calls under the shared retry policy.
type Retrier struct {
	exec failsafe.Executor[any]
}

// retryable reports whether a failed database call is worth another attempt.
// Context cancellation or expiry means the caller has given up, and
// pgx.ErrNoRows is an answer, not a failure.
func retryable(err error) bool {
	return err != nil &&
		!errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, pgx.ErrNoRows)
}

// NewRetrier builds the retry policy used for every database call, reads and
// writes alike. onDone is told, once per call, how many attempts it took and
// how it ended; it may be nil.
func NewRetrier(onDone func(attempts int, err error)) *Retrier {
	policy := retrypolicy.NewBuilder[any]().
		HandleIf(func(_ any, err error) bool { return retryable(err) }).
		WithMaxAttempts(retryMaxAttempts).
		WithBackoff(retryDelay, retryMaxDelay).
		ReturnLastFailure().
		Build()

	exec := failsafe.With[any](policy)
	if onDone != nil {
		exec = exec.OnDone(func(e failsafe.ExecutionDoneEvent[any]) {
			onDone(e.Attempts(), e.Error)
		})
	}
	return &Retrier{exec: exec}
}

// Run calls fn until it succeeds, fails with a non-retryable error, runs out
// of attempts, or ctx is done.
func (r *Retrier) Run(ctx context.Context, fn func() error) error {
	return r.exec.WithContext(ctx).Run(fn)
}
