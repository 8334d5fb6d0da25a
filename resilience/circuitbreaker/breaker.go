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
	s       Config
	measure bool // time every call: slow-call detection, a time window or an Observer need it

	word        atomic.Uint64
	consecutive atomic.Int64
	// rejected counts rejections (with CountRejections), on a cache line of its own: the
	// rejection path's writes must not slow every call's read of word.
	_        [64]byte
	rejected atomic.Uint64
	_        [56]byte

	// epoch is when the breaker was made: calls are timed as durations since it, so that the
	// real clock's monotonic reading measures them (a wall-clock step changes nothing).
	epoch time.Time

	mu       sync.Mutex // guards what follows, every transition and every probe's admission
	win      window     // nil without a rate condition
	probeOK  int
	openFor  time.Duration
	openedAt time.Time
	timer    Timer
	// probes are the half-open probes admitted and not yet reported, by ticket, with the time
	// each was admitted; probeSeq numbers them.
	probes   map[uint64]time.Duration
	probeSeq uint64
	opens    int // openings in a row since the breaker was last closed, for OpenDurationFunc

	// Rejection errors are made once: a rejected call allocates nothing.
	errOpen, errForced, errProbes *OpenError

	events eventQueue
}

// New returns a closed breaker, or the problems with s.
func New(s Config) (*Breaker, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	b := &Breaker{
		s:       s,
		measure: s.SlowCallDuration > 0 || s.WindowDuration > 0 || s.Observer != nil,
		openFor: s.OpenDuration,
		epoch:   s.Clock.Now(),
		probes:  map[uint64]time.Duration{},
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
	if s.Initial != StateClosed {
		b.mu.Lock()
		b.transition(s.Initial, "the initial state")
		b.events.drop() // starting is no transition
		b.mu.Unlock()
	}
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
// Permit.Done once; a permit that is never reported is covered by HalfOpenMaxWait in the
// half-open state and costs nothing in the others. A half-open probe's permit reported again
// (twice, or through a copy) is a no-op; in the closed state a second report counts again, as a
// second call would. A rejection's error wraps ErrOpen or ErrTooManyProbes.
func (b *Breaker) Allow() (Permit, error) {
	for {
		w := b.word.Load()
		st, gen := unpack(w)
		switch st {
		case StateClosed, StateDisabled:
			return Permit{b: b, gen: gen, state: st, start: b.start()}, nil
		case StateHalfOpen:
			if p, err, again := b.admitProbe(); !again {
				return p, err
			}
			// the state moved on before the probe could be admitted: look again
		case StateForcedOpen:
			b.reject(st)
			return Permit{}, b.errForced
		default:
			b.reject(st)
			return Permit{}, b.errOpen
		}
	}
}

// admitProbe admits a half-open probe if a place is free, under b.mu (half-open is rare, and a
// probe must be known by its ticket to be reported once), and arms the max-wait timer; again is
// set when the breaker is no longer half-open.
func (b *Breaker) admitProbe() (p Permit, err error, again bool) {
	b.mu.Lock()
	w := b.word.Load()
	st, gen := unpack(w)
	if st != StateHalfOpen {
		b.mu.Unlock()
		return Permit{}, nil, true
	}
	if int((w&probeMask)>>probeShift) >= b.s.HalfOpenProbes {
		b.mu.Unlock()
		b.reject(st)
		return Permit{}, b.errProbes, false
	}
	b.word.Store(w + probeOne)
	b.probeSeq++
	now := b.since()
	b.probes[b.probeSeq] = now
	if b.timer == nil {
		b.timer = b.s.Clock.AfterFunc(b.s.HalfOpenMaxWait, func() { b.expire(gen, StateHalfOpen) })
	}
	p = Permit{b: b, gen: gen, state: st, start: time.Duration(b.probeSeq)}
	b.mu.Unlock()
	return p, nil, false
}

// since returns the time since the breaker's epoch.
func (b *Breaker) since() time.Duration { return b.s.Clock.Now().Sub(b.epoch) }

// start returns when a call starts, or notTimed when the breaker does not time calls.
func (b *Breaker) start() time.Duration {
	if !b.measure {
		return notTimed
	}
	return b.since()
}

func (b *Breaker) reject(State) {
	if b.s.CountRejections {
		b.rejected.Add(1)
	}
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
	// BufferedCalls, Failures and SlowCalls are what the sliding window holds (0 without a rate
	// condition); FailureRate and SlowCallRate their shares (0 with no call buffered).
	BufferedCalls, Failures, SlowCalls int
	FailureRate, SlowCallRate          float64
	// NotPermitted is how many calls the breaker rejected since it was made (open, forced open,
	// or half-open with its probes taken); counted only with Config.CountRejections.
	NotPermitted uint64
}

// Counts returns a snapshot of the breaker's counters.
func (b *Breaker) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	st, gen := unpack(w)
	c := Counts{
		State: st, Generation: gen, ConsecutiveFailures: b.consecutive.Load(),
		ProbesInFlight: int((w & probeMask) >> probeShift), ProbeSuccesses: b.probeOK, OpenDuration: b.openFor,
		NotPermitted: b.rejected.Load(),
	}
	if b.win != nil {
		c.BufferedCalls, c.Failures, c.SlowCalls = b.win.totals(b.s.Clock.Now())
		if c.BufferedCalls > 0 {
			c.FailureRate = float64(c.Failures) / float64(c.BufferedCalls)
			c.SlowCallRate = float64(c.SlowCalls) / float64(c.BufferedCalls)
		}
	}
	return c
}

// ForceOpen holds the breaker open until Reset or Disable: every call is rejected.
func (b *Breaker) ForceOpen() { b.set(StateForcedOpen, "forced open") }

// Disable turns the breaker off until Reset or ForceOpen: every call passes and none is counted.
func (b *Breaker) Disable() { b.set(StateDisabled, "disabled") }

// Reset closes the breaker and clears its counters and its open-duration backoff. A closed
// breaker stays in its generation (calls in flight still count) and publishes no transition.
func (b *Breaker) Reset() { b.set(StateClosed, "reset") }

// set moves the breaker to to at an operator's request. A breaker already in to is left as it is
// (calls in flight still count, and no transition is published, as resilience4j does), except
// that Reset still clears a closed breaker's counters.
func (b *Breaker) set(to State, reason string) {
	b.mu.Lock()
	if b.State() == to && to == StateClosed {
		b.clearCounts()
	}
	b.transition(to, reason)
	b.mu.Unlock()
	b.events.deliver()
}

func (b *Breaker) clearCounts() {
	b.opens = 0
	b.consecutive.Store(0)
	if b.win != nil {
		b.win.reset()
	}
	b.openFor = b.s.OpenDuration
}

// transition moves to state to, in a new generation. b.mu must be held; the caller delivers the
// queued event after unlocking. A move to the state the breaker is in does nothing.
func (b *Breaker) transition(to State, reason string) {
	from, gen := unpack(b.word.Load())
	if from == to {
		return
	}
	now := b.s.Clock.Now()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	next := gen + 1
	clear(b.probes)
	switch to {
	case StateClosed:
		b.clearCounts()
	case StateOpen:
		if b.opens++; b.s.OpenDurationFunc != nil {
			if b.openFor = b.s.OpenDurationFunc(b.opens); b.openFor <= 0 {
				b.openFor = b.s.OpenDuration
			}
		}
		b.openedAt = now
		b.timer = b.s.Clock.AfterFunc(b.openFor, func() { b.expire(next, StateOpen) })
	case StateHalfOpen:
		b.probeOK = 0 // the max-wait timer starts with the first probe (admitProbe)
	}
	b.word.Store(next<<genShift | uint64(to))
	b.events.push(Transition{Name: b.s.Name, From: from, To: to, At: now, Reason: reason})
}

// expire ends an open state (to half-open), or a half-open state whose oldest probe has not
// reported within HalfOpenMaxWait (to open), if the breaker is still in the generation the timer
// was set for. A half-open breaker with no probe out waits for traffic: the absence of calls is
// no reason to reject the next one.
func (b *Breaker) expire(gen uint64, st State) {
	b.mu.Lock()
	cur, g := unpack(b.word.Load())
	if g != gen || cur != st {
		b.mu.Unlock()
		return
	}
	b.timer = nil
	if st == StateOpen {
		b.transition(StateHalfOpen, fmt.Sprintf("open for %s", b.openFor))
	} else if len(b.probes) > 0 {
		oldest := time.Duration(1<<63 - 1)
		for _, at := range b.probes {
			oldest = min(oldest, at)
		}
		if waited := b.since() - oldest; waited >= b.s.HalfOpenMaxWait {
			b.transition(StateOpen, fmt.Sprintf("a probe did not report within %s", b.s.HalfOpenMaxWait))
		} else {
			b.timer = b.s.Clock.AfterFunc(b.s.HalfOpenMaxWait-waited, func() { b.expire(gen, StateHalfOpen) })
		}
	}
	b.mu.Unlock()
	b.events.deliver()
}
