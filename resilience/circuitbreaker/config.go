package circuitbreaker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Settings is Config's former name.
//
// Deprecated: use Config, as every other policy of the resilience core names its configuration.
type Settings = Config

// Config configures a Breaker. Every zero value stands for the documented default.
//
// The breaker trips when any configured condition holds. With none configured it trips on 5
// consecutive failures.
type Config struct {
	// Name identifies the breaker in errors, transitions and metrics.
	Name string

	// ConsecutiveFailures trips the breaker after that many failures in a row. 0: off, unless no
	// other condition is set, then 5.
	ConsecutiveFailures int

	// FailureRateThreshold trips the breaker when the share of failures in the sliding window
	// reaches it, once the window holds MinimumCalls calls. In (0, 1]; 0: off.
	FailureRateThreshold float64
	// SlowCallRateThreshold trips the breaker when the share of calls slower than SlowCallDuration
	// in the sliding window reaches it. In (0, 1]; 0: off. Needs SlowCallDuration.
	SlowCallRateThreshold float64
	// SlowCallDuration is the duration from which a call counts as slow (even when it succeeds).
	SlowCallDuration time.Duration

	// WindowSize is the number of most recent calls a count-based window holds. 0: 100.
	WindowSize int
	// WindowDuration makes the window time-based: it holds the calls of the last WindowDuration,
	// in 10 buckets. 0: the window is count-based.
	WindowDuration time.Duration
	// MinimumCalls is how many calls the window must hold before a rate can trip the breaker.
	// 0: WindowSize for a count-based window, 10 for a time-based one.
	MinimumCalls int

	// OpenDuration is how long the breaker stays open before it lets probes through. 0: 30s.
	OpenDuration time.Duration
	// OpenBackoff multiplies the open duration each time a half-open probe fails, up to
	// MaxOpenDuration; it is reset when the breaker closes. 0 or 1: a fixed open duration.
	OpenBackoff float64
	// MaxOpenDuration caps a backing-off open duration. 0: 10 times OpenDuration.
	MaxOpenDuration time.Duration

	// OpenDurationFunc, if set, gives the open duration of the breaker's n-th opening in a row
	// (1 for the first since it was last closed), instead of OpenDuration, OpenBackoff and
	// MaxOpenDuration. A result of 0 or less is OpenDuration.
	OpenDurationFunc func(n int) time.Duration

	// Initial is the state the breaker starts in: closed (the zero value), open (it is known to
	// be down: the first probe goes after OpenDuration), forced-open or disabled.
	Initial State

	// HalfOpenProbes is how many calls the half-open breaker lets through at once. 0: 1.
	HalfOpenProbes int
	// HalfOpenSuccesses is how many successful probes close the breaker. 0: HalfOpenProbes.
	HalfOpenSuccesses int
	// HalfOpenMaxWait bounds how long a half-open probe may take to report: a probe that has not
	// reported by then (one that never will) opens the breaker again. A half-open breaker with no
	// probe out waits for the next call, however long. 0: OpenDuration.
	HalfOpenMaxWait time.Duration

	// IsFailure says whether a non-nil error counts as a failure. nil: every error not ignored.
	IsFailure func(error) bool
	// IsIgnored says whether an error is not counted at all. nil: context.Canceled is ignored.
	// Execute also ignores any error once the caller's own context is done.
	IsIgnored func(error) bool

	// CountRejections counts the calls the breaker does not permit, for Counts().NotPermitted.
	// Off by default: it puts an atomic add on one shared word in the rejection path (a
	// rejection then costs about what a contended add does, where it otherwise only reads; an
	// Observer's OutcomeRejected counts them too, as resilience/prom does).
	CountRejections bool

	// Clock is the source of time. nil: the real clock.
	Clock Clock
	// Observer is told of transitions and calls. nil: nobody.
	Observer Observer
}

// Validate reports every problem with s at once, naming the field and the value.
func (s Config) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("circuitbreaker %q: %s = %v; want %s", s.Name, field, v, want))
	}
	if s.ConsecutiveFailures < 0 {
		bad("ConsecutiveFailures", s.ConsecutiveFailures, "0 (off) or more")
	}
	if s.FailureRateThreshold < 0 || s.FailureRateThreshold > 1 || s.FailureRateThreshold != s.FailureRateThreshold {
		bad("FailureRateThreshold", s.FailureRateThreshold, "0 (off) or a share in (0, 1]")
	}
	if s.SlowCallRateThreshold < 0 || s.SlowCallRateThreshold > 1 || s.SlowCallRateThreshold != s.SlowCallRateThreshold {
		bad("SlowCallRateThreshold", s.SlowCallRateThreshold, "0 (off) or a share in (0, 1]")
	}
	if s.SlowCallRateThreshold > 0 && s.SlowCallDuration <= 0 {
		bad("SlowCallDuration", s.SlowCallDuration, "more than 0 when SlowCallRateThreshold is set")
	}
	if s.SlowCallDuration < 0 {
		bad("SlowCallDuration", s.SlowCallDuration, "0 or more")
	}
	if s.WindowSize < 0 {
		bad("WindowSize", s.WindowSize, "0 (100) or more")
	}
	if s.WindowDuration < 0 {
		bad("WindowDuration", s.WindowDuration, "0 (count-based window) or more")
	}
	if s.MinimumCalls < 0 {
		bad("MinimumCalls", s.MinimumCalls, "0 (default) or more")
	}
	if s.WindowDuration == 0 && s.WindowSize > 0 && s.MinimumCalls > s.WindowSize {
		bad("MinimumCalls", s.MinimumCalls, fmt.Sprintf("at most WindowSize (%d): a count-based window never holds more", s.WindowSize))
	}
	if s.OpenDuration < 0 {
		bad("OpenDuration", s.OpenDuration, "0 (30s) or more")
	}
	if s.OpenBackoff < 0 || (s.OpenBackoff > 0 && s.OpenBackoff < 1) {
		bad("OpenBackoff", s.OpenBackoff, "0 (fixed) or a multiplier of at least 1")
	}
	if s.MaxOpenDuration < 0 {
		bad("MaxOpenDuration", s.MaxOpenDuration, "0 (10 x OpenDuration) or more")
	}
	if s.HalfOpenProbes < 0 || s.HalfOpenProbes > maxProbes {
		bad("HalfOpenProbes", s.HalfOpenProbes, fmt.Sprintf("0 (1) to %d", maxProbes))
	}
	if s.HalfOpenSuccesses < 0 {
		bad("HalfOpenSuccesses", s.HalfOpenSuccesses, "0 (HalfOpenProbes) or more")
	}
	if s.Initial == StateHalfOpen || s.Initial < 0 || int(s.Initial) >= len(stateNames) {
		bad("Initial", s.Initial, "closed, open, forced-open or disabled")
	}
	if s.HalfOpenMaxWait < 0 {
		bad("HalfOpenMaxWait", s.HalfOpenMaxWait, "0 (OpenDuration) or more")
	}
	return errors.Join(errs...)
}

// withDefaults returns s with every zero value replaced by its default.
func (s Config) withDefaults() Config {
	if s.ConsecutiveFailures == 0 && s.FailureRateThreshold == 0 && s.SlowCallRateThreshold == 0 {
		s.ConsecutiveFailures = 5
	}
	if s.WindowSize == 0 {
		s.WindowSize = 100
	}
	if s.MinimumCalls == 0 {
		if s.WindowDuration > 0 {
			s.MinimumCalls = 10
		} else {
			s.MinimumCalls = s.WindowSize
		}
	}
	if s.OpenDuration == 0 {
		s.OpenDuration = 30 * time.Second
	}
	if s.OpenBackoff < 1 {
		s.OpenBackoff = 1
	}
	if s.MaxOpenDuration == 0 {
		s.MaxOpenDuration = 10 * s.OpenDuration
	}
	s.MaxOpenDuration = max(s.MaxOpenDuration, s.OpenDuration)
	if s.HalfOpenProbes == 0 {
		s.HalfOpenProbes = 1
	}
	if s.HalfOpenSuccesses == 0 {
		s.HalfOpenSuccesses = s.HalfOpenProbes
	}
	if s.HalfOpenMaxWait == 0 {
		s.HalfOpenMaxWait = s.OpenDuration
	}
	if s.IsIgnored == nil {
		s.IsIgnored = func(err error) bool { return errors.Is(err, context.Canceled) }
	}
	if s.Clock == nil {
		s.Clock = realClock{}
	}
	return s
}
