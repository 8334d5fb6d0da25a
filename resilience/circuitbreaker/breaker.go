package circuitbreaker

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The state word packs, from the low bits up: the state (3 bits), the probes in flight in the
// half-open state (16 bits) and the generation (45 bits), which changes with every transition.
const (
	stateBits  = 3
	stateMask  = 1<<stateBits - 1
	probeShift = stateBits
	probeOne   = 1 << probeShift
	probeMask  = (1<<16 - 1) << probeShift
	genShift   = probeShift + 16
	maxProbes  = 1<<16 - 1 // the probe count's 16 bits
)

func unpack(w uint64) (State, uint64) { return State(w & stateMask), w >> genShift }

// Breaker is a circuit breaker. Create it with New; it is safe for concurrent use.
type Breaker struct {
	s       Settings
	measure bool // time every call: slow-call detection, a time window or an Observer need it

	word        atomic.Uint64
	consecutive atomic.Int64

	mu       sync.Mutex // guards what follows, and every transition
	win      window     // nil without a rate condition
	probeOK  int
	openFor  time.Duration
	openedAt time.Time
	timer    Timer

	// Rejection errors are made once: a rejected call allocates nothing.
	errOpen, errForced, errProbes *OpenError

	events eventQueue
}

// New returns a closed breaker, or the problems with s.
func New(s Settings) (*Breaker, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	b := &Breaker{
		s:       s,
		measure: s.SlowCallDuration > 0 || s.WindowDuration > 0 || s.Observer != nil,
		openFor: s.OpenDuration,
	}
	if s.FailureRateThreshold > 0 || s.SlowCallRateThreshold > 0 {
		if s.WindowDuration > 0 {
			b.win = newTimeWindow(s.WindowDuration)
		} else {
			b.win = newCountWindow(s.WindowSize)
		}
	}
	b.errOpen = &OpenError{Name: s.Name, State: StateOpen, err: ErrOpen}
	b.errForced = &OpenError{Name: s.Name, State: StateForcedOpen, err: ErrOpen}
	b.errProbes = &OpenError{Name: s.Name, State: StateHalfOpen, err: ErrTooManyProbes}
	b.events.obs = s.Observer
	return b, nil
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.s.Name }

// State returns the current state. An open breaker whose open duration has passed reports
// half-open, with or without traffic.
func (b *Breaker) State() State {
	st, _ := unpack(b.word.Load())
	return st
}

// Allow asks to make one call. On success the caller must report the call's result with
// Permit.Done exactly once; a permit that is never reported is covered by HalfOpenMaxWait in the
// half-open state and costs nothing in the others. A rejection's error wraps ErrOpen or
// ErrTooManyProbes.
func (b *Breaker) Allow() (Permit, error) {
	for {
		w := b.word.Load()
		st, gen := unpack(w)
		switch st {
		case StateClosed, StateDisabled:
			return Permit{b: b, gen: gen, state: st, start: b.start()}, nil
		case StateHalfOpen:
			if int((w&probeMask)>>probeShift) >= b.s.HalfOpenProbes {
				b.reject(st)
				return Permit{}, b.errProbes
			}
			if !b.word.CompareAndSwap(w, w+probeOne) {
				continue // another caller or a transition got there first
			}
			return Permit{b: b, gen: gen, state: st, start: b.start()}, nil
		case StateForcedOpen:
			b.reject(st)
			return Permit{}, b.errForced
		default:
			b.reject(st)
			return Permit{}, b.errOpen
		}
	}
}

func (b *Breaker) start() int64 {
	if !b.measure {
		return 0
	}
	return b.s.Clock.Now().UnixNano()
}

func (b *Breaker) reject(State) {
	if b.s.Observer != nil {
		b.s.Observer.OnCall(b.s.Name, OutcomeRejected, 0)
	}
}

// RetryAfter returns how long until an open breaker lets probes through, or 0 when it is not open.
func (b *Breaker) RetryAfter() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.State() != StateOpen {
		return 0
	}
	return max(b.openFor-b.s.Clock.Now().Sub(b.openedAt), 0)
}

// Counts is a snapshot of a breaker's counters.
type Counts struct {
	State               State
	Generation          uint64
	ConsecutiveFailures int64
	ProbesInFlight      int
	ProbeSuccesses      int
	OpenDuration        time.Duration // the current one: it grows with OpenBackoff
}

// Counts returns a snapshot of the breaker's counters.
func (b *Breaker) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	st, gen := unpack(w)
	return Counts{
		State: st, Generation: gen, ConsecutiveFailures: b.consecutive.Load(),
		ProbesInFlight: int((w & probeMask) >> probeShift), ProbeSuccesses: b.probeOK, OpenDuration: b.openFor,
	}
}

// ForceOpen holds the breaker open until Reset or Disable: every call is rejected.
func (b *Breaker) ForceOpen() { b.set(StateForcedOpen, "forced open") }

// Disable turns the breaker off until Reset or ForceOpen: every call passes and none is counted.
func (b *Breaker) Disable() { b.set(StateDisabled, "disabled") }

// Reset closes the breaker and clears its counters and its open-duration backoff.
func (b *Breaker) Reset() { b.set(StateClosed, "reset") }

func (b *Breaker) set(to State, reason string) {
	b.mu.Lock()
	b.transition(to, reason)
	b.mu.Unlock()
	b.events.deliver()
}

// transition moves to state to, in a new generation. b.mu must be held; the caller delivers the
// queued event after unlocking.
func (b *Breaker) transition(to State, reason string) {
	from, gen := unpack(b.word.Load())
	now := b.s.Clock.Now()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	next := gen + 1
	switch to {
	case StateClosed:
		b.consecutive.Store(0)
		if b.win != nil {
			b.win.reset()
		}
		b.openFor = b.s.OpenDuration
	case StateOpen:
		b.openedAt = now
		b.timer = b.s.Clock.AfterFunc(b.openFor, func() { b.expire(next, StateOpen) })
	case StateHalfOpen:
		b.probeOK = 0
		b.timer = b.s.Clock.AfterFunc(b.s.HalfOpenMaxWait, func() { b.expire(next, StateHalfOpen) })
	}
	b.word.Store(next<<genShift | uint64(to))
	b.events.push(Transition{Name: b.s.Name, From: from, To: to, At: now, Reason: reason})
}

// expire ends an open state (to half-open) or a half-open state that waited too long (to open),
// if the breaker is still in the generation the timer was set for.
func (b *Breaker) expire(gen uint64, st State) {
	b.mu.Lock()
	cur, g := unpack(b.word.Load())
	if g != gen || cur != st {
		b.mu.Unlock()
		return
	}
	if st == StateOpen {
		b.transition(StateHalfOpen, fmt.Sprintf("open for %s", b.openFor))
	} else {
		b.transition(StateOpen, fmt.Sprintf("probes did not decide within %s", b.s.HalfOpenMaxWait))
	}
	b.mu.Unlock()
	b.events.deliver()
}
