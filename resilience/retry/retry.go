package retry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outcome is how a retried call ended.
type Outcome int

// The outcomes, as metrics label them.
const (
	SuccessFirst      Outcome = iota // the first attempt succeeded
	SuccessAfterRetry                // a retry succeeded
	Exhausted                        // attempts or time ran out
	Aborted                          // an error that must not be retried (AbortOn, RetryOn, a breaker's rejection, a long Retry-After)
	BudgetExhausted                  // the retry budget had nothing left
	Cancelled                        // the caller's context ended
)

var outcomeNames = [...]string{"success_first", "success_after_retry", "exhausted", "aborted", "budget_exhausted", "cancelled"}

// String returns the outcome's metric label.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// Observer is told what a Retryer does, on the caller's goroutine.
type Observer interface {
	// OnRetry: retry attempt (1 for the first retry) will be made after delay, because of cause;
	// told before the delay, so a retry cancelled during its delay was told too.
	OnRetry(name string, attempt int, delay time.Duration, cause error)
	// OnDone: the call ended after attempts attempts.
	OnDone(name string, o Outcome, attempts int)
}

// Error is returned when retries were made and the call still failed. It unwraps to the last
// attempt's error and, when the caller's context ended, to the context's error too.
type Error struct {
	Name     string
	Outcome  Outcome
	Attempts int
	Err      error // the last attempt's error
	ctxErr   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("retry %q: %s after %d attempts: %v", e.Name, e.Outcome, e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error and, if any, the context's.
func (e *Error) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.Err, e.ctxErr}
	}
	return []error{e.Err}
}

// Retryer retries calls. Create it with New; it is safe for concurrent use.
type Retryer struct{ c Config }

// New returns a Retryer, or the problems with c.
func New(c Config) (*Retryer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Retryer{c: c.withDefaults()}, nil
}

// Name returns the policy's name.
func (r *Retryer) Name() string { return r.c.Name }

// Do calls fn until it succeeds or the policy says stop, and returns its last result.
func Do[T any](ctx context.Context, r *Retryer, fn func(context.Context) (T, error)) (T, error) {
	c := &r.c
	if c.MaxElapsed == 0 { // the fast path: no clock, no Attempts until an attempt fails
		if c.Budget != nil {
			c.Budget.Deposit()
		}
		v, err := fn(ctx)
		if err == nil {
			if c.Observer != nil {
				c.Observer.OnDone(c.Name, SuccessFirst, 1)
			}
			return v, nil
		}
		return retryFrom(ctx, Attempts{r: r, n: 1}, fn, v, err)
	}
	a := r.Start()
	v, err := fn(ctx)
	return retryFrom(ctx, a, fn, v, err)
}

// ErrRejectedResult is the error DoResult gives an attempt whose result is one to retry (an
// HTTP answer of 503, say); RetryOn and AbortOn see it like any attempt's error.
var ErrRejectedResult = errors.New("the result is one to retry")

// DoResult is Do for calls whose result, not only their error, says whether to retry (as
// failsafe-go's HandleResult and resilience4j's retryOnResult): an attempt that returns a result
// retryOn rejects is retried like one that failed. When the retries run out it returns the last
// result with an *Error that matches ErrRejectedResult.
func DoResult[T any](ctx context.Context, r *Retryer, fn func(context.Context) (T, error), retryOn func(T) bool) (T, error) {
	return Do(ctx, r, func(ctx context.Context) (T, error) {
		v, err := fn(ctx)
		if err == nil && retryOn(v) {
			return v, ErrRejectedResult
		}
		return v, err
	})
}

// retryFrom goes on from a first attempt's result.
func retryFrom[T any](ctx context.Context, a Attempts, fn func(context.Context) (T, error), v T, err error) (T, error) {
	for err != nil {
		if err = a.Next(ctx, err); err != nil {
			return v, err
		}
		v, err = fn(ctx)
	}
	a.Succeeded()
	return v, nil
}

// Run is Do for calls with no result.
func (r *Retryer) Run(ctx context.Context, fn func(context.Context) error) error {
	_, err := Do(ctx, r, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// Attempts walks one call's attempts without a closure, for callers that compose policies by hand
// (see the resilience package's pipeline):
//
//	a := r.Start()
//	for {
//		err := attempt()
//		if err == nil { a.Succeeded(); break }
//		if err = a.Next(ctx, err); err != nil { return err }
//	}
type Attempts struct {
	r     *Retryer
	n     int           // attempts made
	prev  time.Duration // the last delay, for decorrelated jitter
	start time.Time     // set only with MaxElapsed: the clock stays off the success path
}

// Start begins a call: it counts the request in the budget.
func (r *Retryer) Start() Attempts {
	if r.c.Budget != nil {
		r.c.Budget.Deposit()
	}
	a := Attempts{r: r, n: 1}
	if r.c.MaxElapsed > 0 {
		a.start = r.c.Now()
	}
	return a
}

// Succeeded reports that the last attempt succeeded.
func (a *Attempts) Succeeded() {
	if obs := a.r.c.Observer; obs != nil {
		o := SuccessFirst
		if a.n > 1 {
			o = SuccessAfterRetry
		}
		obs.OnDone(a.r.c.Name, o, a.n)
	}
}

// Next reports that the last attempt failed with err. It waits the backoff and returns nil when
// another attempt should be made, or returns the error to give the caller: err itself when no
// retry was made, else an *Error.
func (a *Attempts) Next(ctx context.Context, err error) error {
	c := &a.r.c
	o, delay := a.decide(ctx, err)
	if o < 0 && c.Observer != nil {
		c.Observer.OnRetry(c.Name, a.n, delay, err) // before the delay: a hook may log it, or cancel
		if ctx.Err() != nil {
			o = Cancelled
		}
	}
	if o < 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
			a.n++
			return nil
		case <-ctx.Done():
			t.Stop()
			o = Cancelled
		}
	}
	if c.Observer != nil {
		c.Observer.OnDone(c.Name, o, a.n)
	}
	if a.n == 1 && o != Cancelled {
		return err
	}
	e := &Error{Name: c.Name, Outcome: o, Attempts: a.n, Err: err}
	if o == Cancelled {
		e.ctxErr = ctx.Err()
	}
	return e
}

// decide returns -1 and the delay when a retry should be made, else the outcome that ends the call.
func (a *Attempts) decide(ctx context.Context, err error) (Outcome, time.Duration) {
	c := &a.r.c
	var open interface{ BreakerOpen() bool }
	switch {
	case ctx.Err() != nil:
		return Cancelled, 0
	case c.AbortOn != nil && c.AbortOn(err):
		return Aborted, 0
	case !c.RetryBreakerOpen && errors.As(err, &open) && open.BreakerOpen():
		return Aborted, 0
	case c.RetryOn != nil && !c.RetryOn(err):
		return Aborted, 0
	case a.n >= c.MaxAttempts:
		return Exhausted, 0
	}
	b := Backoff{Strategy: c.Backoff, BaseDelay: c.BaseDelay, MaxDelay: c.MaxDelay, Multiplier: c.Multiplier, prev: a.prev}
	delay := b.Next(a.n-1, c.Rand())
	var hint interface{ RetryAfter() time.Duration }
	if errors.As(err, &hint) {
		h := hint.RetryAfter()
		if h > c.MaxDelay {
			return Aborted, 0 // the server asks for longer than this policy waits
		}
		delay = max(delay, h)
	}
	if c.MaxElapsed > 0 && c.Now().Add(delay).Sub(a.start) > c.MaxElapsed {
		return Exhausted, 0
	}
	if c.Budget != nil && !c.Budget.Withdraw() {
		return BudgetExhausted, 0
	}
	a.prev = delay
	return -1, delay
}

// Hooks is an Observer made of functions, for a team that wires a retryer's events to its logs,
// on the caller's goroutine; a nil one is skipped.
type Hooks struct {
	// Retry is told of each retry before its delay: the retry's number (1 for the first), the
	// delay, and the error that caused it.
	Retry func(name string, retry int, delay time.Duration, cause error)
	// RetriesExceeded is told of a call whose attempts or time ran out.
	RetriesExceeded func(name string, attempts int)
	// Done is told of every call's end.
	Done func(name string, o Outcome, attempts int)
}

// OnRetry implements Observer.
func (h Hooks) OnRetry(name string, retry int, delay time.Duration, cause error) {
	if h.Retry != nil {
		h.Retry(name, retry, delay, cause)
	}
}

// OnDone implements Observer.
func (h Hooks) OnDone(name string, o Outcome, attempts int) {
	if o == Exhausted && h.RetriesExceeded != nil {
		h.RetriesExceeded(name, attempts)
	}
	if h.Done != nil {
		h.Done(name, o, attempts)
	}
}
