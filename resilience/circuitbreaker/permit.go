package circuitbreaker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Permit is the right to make one call, returned by Allow. It is a small value: keep it on the
// stack and report the call's result with Done once (a half-open probe's second report is a
// no-op).
type Permit struct {
	b     *Breaker
	gen   uint64
	state State
	// start is when the call started, as a duration since the breaker's epoch, or notTimed; a
	// half-open probe's is its ticket (its start is kept with the breaker's probes). Four words:
	// the permit is returned in registers.
	start time.Duration
}

// notTimed is the start of a call the breaker does not time.
const notTimed = time.Duration(-1 << 63)

// Done reports the call's result: nil is a success; an error counts as the Config'
// IsIgnored and IsFailure say. A result from an older generation of the breaker is ignored.
func (p Permit) Done(err error) { p.done(p.b.classify(err)) }

// Ignore reports that the call's result must not count, and gives back its probe if it had one.
func (p Permit) Ignore() { p.done(OutcomeIgnored) }

func (b *Breaker) classify(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeSuccess
	case b.s.IsIgnored(err):
		return OutcomeIgnored
	case b.s.IsFailure == nil || b.s.IsFailure(err):
		return OutcomeFailure
	default:
		return OutcomeSuccess
	}
}

func (p Permit) done(o Outcome) {
	b := p.b
	if b == nil {
		return // the zero Permit of a rejection
	}
	var d time.Duration
	var now time.Time
	switch p.state {
	case StateClosed:
		if p.start != notTimed {
			now = b.s.Clock.Now()
			d = now.Sub(b.epoch) - p.start
		}
		o = b.closedResult(p.gen, o, b.s.SlowCallDuration > 0 && d >= b.s.SlowCallDuration, now)
	case StateHalfOpen:
		o, d = b.probeResult(p.gen, uint64(p.start), o)
	case StateDisabled:
		if p.start != notTimed {
			d = b.since() - p.start
		}
		o = OutcomeIgnored // a disabled breaker counts nothing
	}
	if b.s.Observer != nil {
		b.s.Observer.OnCall(b.s.Name, o, d)
	}
}

// closedResult counts a result of the closed state and trips the breaker if a condition holds.
// The success path with no window writes nothing unless a failure streak must be reset.
func (b *Breaker) closedResult(gen uint64, o Outcome, slow bool, now time.Time) Outcome {
	if _, g := unpack(b.word.Load()); g != gen {
		return OutcomeIgnored // the breaker moved on since this call was admitted
	}
	if o == OutcomeIgnored {
		return o
	}
	failed := o == OutcomeFailure
	if b.s.ConsecutiveFailures > 0 {
		if !failed {
			if b.consecutive.Load() != 0 {
				b.consecutive.Store(0)
			}
		} else if n := b.consecutive.Add(1); n >= int64(b.s.ConsecutiveFailures) {
			b.trip(gen, fmt.Sprintf("%d consecutive failures", n))
			return o
		}
	}
	if b.win == nil {
		return o
	}
	if now.IsZero() {
		now = b.s.Clock.Now()
	}
	b.mu.Lock()
	if _, g := unpack(b.word.Load()); g != gen {
		b.mu.Unlock()
		return OutcomeIgnored
	}
	calls, failures, slows := b.win.add(now, failed, slow)
	var reason string
	if calls >= b.s.MinimumCalls {
		if r := float64(failures) / float64(calls); b.s.FailureRateThreshold > 0 && r >= b.s.FailureRateThreshold {
			reason = fmt.Sprintf("failure rate %.0f%% of %d calls reached %.0f%%", r*100, calls, b.s.FailureRateThreshold*100)
		} else if r := float64(slows) / float64(calls); b.s.SlowCallRateThreshold > 0 && r >= b.s.SlowCallRateThreshold {
			reason = fmt.Sprintf("slow-call rate %.0f%% of %d calls reached %.0f%%", r*100, calls, b.s.SlowCallRateThreshold*100)
		}
	}
	if reason != "" {
		b.transition(StateOpen, reason)
	}
	b.mu.Unlock()
	if reason != "" {
		b.events.deliver()
	}
	return o
}

// trip opens the breaker if it is still closed in generation gen.
func (b *Breaker) trip(gen uint64, reason string) {
	b.mu.Lock()
	if st, g := unpack(b.word.Load()); g != gen || st != StateClosed {
		b.mu.Unlock()
		return
	}
	b.transition(StateOpen, reason)
	b.mu.Unlock()
	b.events.deliver()
}

// probeResult counts a half-open probe's result: a failure (or a slow call, when slow calls
// count) opens the breaker again with a longer open duration; enough successes close it; an
// ignored probe gives its place back. A probe reported already counts nothing. It returns the
// outcome and the probe's duration, when the breaker times calls.
func (b *Breaker) probeResult(gen, probe uint64, o Outcome) (Outcome, time.Duration) {
	b.mu.Lock()
	w := b.word.Load()
	if st, g := unpack(w); g != gen || st != StateHalfOpen {
		b.mu.Unlock()
		return OutcomeIgnored, 0
	}
	started, out := b.probes[probe]
	if !out {
		b.mu.Unlock()
		return OutcomeIgnored, 0
	}
	delete(b.probes, probe)
	var d time.Duration
	if b.measure {
		d = b.since() - started
	}
	slow := b.s.SlowCallDuration > 0 && d >= b.s.SlowCallDuration
	var to State = -1
	var reason string
	switch {
	case o == OutcomeIgnored:
		b.releaseProbe()
	case o == OutcomeFailure || (slow && b.s.SlowCallRateThreshold > 0):
		// In floating point until capped: a large backoff would overflow a Duration.
		if next := float64(b.openFor) * b.s.OpenBackoff; next < float64(b.s.MaxOpenDuration) {
			b.openFor = time.Duration(next)
		} else {
			b.openFor = b.s.MaxOpenDuration
		}
		to, reason = StateOpen, "a half-open probe failed"
		if o == OutcomeSuccess {
			reason = "a half-open probe was slow"
		}
	default:
		b.probeOK++
		b.releaseProbe()
		if b.probeOK >= b.s.HalfOpenSuccesses {
			to, reason = StateClosed, fmt.Sprintf("%d half-open probes succeeded", b.probeOK)
		}
	}
	if to >= 0 {
		b.transition(to, reason)
	}
	b.mu.Unlock()
	if to >= 0 {
		b.events.deliver()
	}
	return o, d
}

// releaseProbe gives back one probe place. b.mu must be held: probes are admitted under it too.
func (b *Breaker) releaseProbe() { b.word.Store(b.word.Load() - probeOne) }

// errPanicked is the result recorded for a call that panicked.
var errPanicked = errors.New("circuitbreaker: the call panicked")

// Execute runs fn if the breaker allows it and reports its result. A panic in fn counts as a
// failure and is re-panicked; an error returned once ctx is done (the caller gave up) is ignored.
func Execute[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error)) (T, error) {
	return execute(ctx, b, fn, nil)
}

// ExecuteResult is Execute for calls whose result, not only their error, can be a failure (an
// HTTP answer of 503, say, as failsafe-go's HandleResult and resilience4j's recordResult): a
// result isFailure calls a failure counts as one, and is returned to the caller as it is, with no
// error.
func ExecuteResult[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error), isFailure func(T) bool) (T, error) {
	return execute(ctx, b, fn, isFailure)
}

func execute[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error), isFailure func(T) bool) (T, error) {
	p, err := b.Allow()
	if err != nil {
		var zero T
		return zero, err
	}
	reported := false
	defer func() {
		if !reported {
			p.Done(errPanicked)
		}
	}()
	v, err := fn(ctx)
	reported = true
	switch {
	case err != nil && ctx.Err() != nil:
		p.Ignore()
	case err == nil && isFailure != nil && isFailure(v):
		p.done(OutcomeFailure)
	default:
		p.Done(err)
	}
	return v, err
}
