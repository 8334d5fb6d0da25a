package circuitbreaker

import (
	"errors"
	"fmt"
	"time"
)

// State is the state of a Breaker.
type State int32

// The states. The zero State is closed.
const (
	StateClosed     State = iota // calls pass; failures are counted
	StateOpen                    // calls are rejected until the open duration has passed
	StateHalfOpen                // a limited number of probe calls pass
	StateForcedOpen              // an operator holds the breaker open; calls are rejected
	StateDisabled                // an operator turned the breaker off; calls pass and are not counted
)

var stateNames = [...]string{"closed", "open", "half-open", "forced-open", "disabled"}

// String returns "closed", "open", "half-open", "forced-open" or "disabled".
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int32(s))
	}
	return stateNames[s]
}

// Outcome is how a call counted.
type Outcome int

// The outcomes.
const (
	OutcomeSuccess  Outcome = iota // counted as a success
	OutcomeFailure                 // counted as a failure
	OutcomeIgnored                 // not counted: the caller's cancellation, a result from an older state, or an IsIgnored error
	OutcomeRejected                // refused by an open, forced-open or saturated half-open breaker
)

var outcomeNames = [...]string{"success", "failure", "ignored", "rejected"}

// String returns "success", "failure", "ignored" or "rejected".
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// Sentinel errors. Rejections wrap one of them in an *OpenError.
var (
	// ErrOpen: the breaker is open or forced open.
	ErrOpen = errors.New("circuit breaker is open")
	// ErrTooManyProbes: the breaker is half-open and its probe calls are all taken.
	ErrTooManyProbes = errors.New("circuit breaker is half-open and its probes are taken")
)

// OpenError is the error of a rejected call. A breaker makes its errors once, so that a
// rejection allocates nothing: the time until probes is Breaker.RetryAfter's, read when needed.
type OpenError struct {
	Name  string
	State State
	err   error
}

func (e *OpenError) Error() string { return fmt.Sprintf("%s: %q is %s", e.err, e.Name, e.State) }

// Unwrap returns ErrOpen or ErrTooManyProbes.
func (e *OpenError) Unwrap() error { return e.err }

// BreakerOpen marks the error as a breaker's rejection. Policies that must not retry such errors
// (resilience/retry) test for this method, without importing this package.
func (e *OpenError) BreakerOpen() bool { return true }

// Transition is a change of state.
type Transition struct {
	Name   string
	From   State
	To     State
	At     time.Time
	Reason string // e.g. "5 consecutive failures", "open duration passed"
}

// Observer is told what a Breaker does. Calls come outside every lock of the breaker; transitions
// come in the order they happened, one at a time. OnCall is called on the caller's goroutine after
// each result and rejection; d is the call's duration when the breaker measured it (a slow-call
// threshold, a time-based window or an Observer make it measure), else 0.
type Observer interface {
	OnStateChange(Transition)
	OnCall(name string, o Outcome, d time.Duration)
}

// Clock is the source of time. The default is the real clock; tests use testing/synctest or a fake.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d; Stop cancels it.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer returned by Clock.AfterFunc.
type Timer interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
