package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLimited is returned by Wait when the next token is not due before the context's deadline.
var ErrLimited = errors.New("rate limit: the next token is not due before the deadline")

// Observer is told of each decision, on the caller's goroutine.
type Observer interface {
	// OnDecision: a call was allowed, or refused with the wait until the next token.
	OnDecision(name string, allowed bool, retryAfter time.Duration)
}

// Config configures a Limiter. Every zero value stands for the documented default.
type Config struct {
	// Name identifies the limiter in errors and metrics.
	Name string
	// Rate is how many calls a second it allows in the long run; more than 0, at most 1e9.
	Rate float64
	// Burst is how many calls it lets through back to back after a quiet spell. 0: 1 (smooth).
	Burst int
	// Coarse, when more than 0, reads the time from a word a ticker goroutine updates every
	// Coarse (a millisecond, say) instead of the monotonic clock: Allow costs a few nanoseconds and
	// tokens are granted at that resolution. Close stops the goroutine. 0: the monotonic clock.
	Coarse time.Duration
	// Now is the clock, as a duration since any fixed point; tests use a fake one. nil: the
	// monotonic clock (or the coarse one).
	Now func() time.Duration
	// Observer is told of decisions. nil: nobody.
	Observer Observer
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if !(c.Rate > 0 && c.Rate <= 1e9) {
		errs = append(errs, fmt.Errorf("ratelimit %q: Rate = %v; want calls a second, more than 0 and at most 1e9", c.Name, c.Rate))
	}
	if c.Burst < 0 {
		errs = append(errs, fmt.Errorf("ratelimit %q: Burst = %d; want 0 (1: smooth) or more", c.Name, c.Burst))
	}
	if c.Coarse < 0 {
		errs = append(errs, fmt.Errorf("ratelimit %q: Coarse = %s; want 0 (the monotonic clock) or a tick", c.Name, c.Coarse))
	}
	if c.Coarse > 0 && c.Now != nil {
		errs = append(errs, fmt.Errorf("ratelimit %q: Coarse and Now are both set; want one clock", c.Name))
	}
	return errors.Join(errs...)
}

// Limiter is a token bucket. Create it with New; it is safe for concurrent use.
type Limiter struct {
	name     string
	interval int64 // ns between tokens
	tol      int64 // how far ahead of now the arrival time may be: (Burst-1) intervals
	obs      Observer
	now      func() time.Duration
	coarse   *coarseClock

	// limiting is set by a refusal and cleared by the next call that finds a token: it keeps
	// refusals from writing.
	limiting atomic.Bool

	// tat is the theoretical arrival time of the next call, in the clock's ns: the one word every
	// call writes, on a cache line of its own so that the words every call reads stay shared.
	_   [64]byte
	tat atomic.Int64
	_   [56]byte
}

// New returns a Limiter, or the problems with c. The bucket starts full.
func New(c Config) (*Limiter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	burst := max(c.Burst, 1)
	interval := int64(math.Round(1e9 / c.Rate))
	l := &Limiter{name: c.Name, interval: interval, obs: c.Observer}
	if t := float64(burst-1) * float64(interval); t < math.MaxInt64/2 {
		l.tol = int64(t)
	} else {
		l.tol = math.MaxInt64 / 2
	}
	l.now, l.coarse = clockOf(c)
	l.tat.Store(int64(l.now())) // full: an arrival time not after now leaves every token banked
	return l, nil
}

// Name returns the limiter's name.
func (l *Limiter) Name() string { return l.name }

// Allow takes a token if one is there.
func (l *Limiter) Allow() bool {
	ok, _ := l.Take()
	return ok
}

// lag is how far behind now the arrival time may fall before a call lifts it (GCRA keeps it at
// now at least; letting it lag a little spares most calls a compare-and-swap). The price: a
// burst may exceed Burst by Rate × lag (under one token below 100,000 calls a second), and by
// the calls that race a lift after a quiet spell (at most one per concurrent caller).
const lag = int64(10 * time.Microsecond)

// Take takes a token if one is there; else it says how long until the next is due. While the
// limiter is not refusing, a call is one atomic add; while it is, a refusal only reads.
func (l *Limiter) Take() (ok bool, retryAfter time.Duration) {
	now := int64(l.now())
	if l.limiting.Load() {
		if tat := l.tat.Load(); tat-now > l.tol {
			retryAfter = time.Duration(tat - now - l.tol) // refused, reading only
			if l.obs != nil {
				l.obs.OnDecision(l.name, false, retryAfter)
			}
			return false, retryAfter
		}
		l.limiting.Store(false)
	}
	if old := l.tat.Add(l.interval) - l.interval; old-now > l.tol {
		l.tat.Add(-l.interval) // no token: give back the one taken ahead
		l.limiting.Store(true)
		retryAfter = time.Duration(old - now - l.tol)
	} else {
		ok = true
		if old < now-lag { // after a quiet spell: lift the arrival time to now, as GCRA has it
			l.tat.CompareAndSwap(old+l.interval, now+l.interval)
		}
	}
	if l.obs != nil {
		l.obs.OnDecision(l.name, ok, retryAfter)
	}
	return ok, retryAfter
}

// Wait takes the next token and sleeps until it is due. When that is past ctx's deadline it
// returns ErrLimited at once and takes nothing (a token due at the deadline itself is the
// caller's); when ctx ends while it sleeps, it gives the token
// back and returns ctx's error.
func (l *Limiter) Wait(ctx context.Context) error {
	now := int64(l.now())
	var wait int64
	for {
		tat := l.tat.Load()
		start := max(tat, now)
		wait = max(start-now-l.tol, 0)
		if dl, ok := ctx.Deadline(); ok && time.Duration(wait) > time.Until(dl) {
			if l.obs != nil {
				l.obs.OnDecision(l.name, false, time.Duration(wait))
			}
			return fmt.Errorf("ratelimit %q: %w (in %s)", l.name, ErrLimited, time.Duration(wait))
		}
		if l.tat.CompareAndSwap(tat, start+l.interval) {
			break
		}
	}
	if l.obs != nil {
		l.obs.OnDecision(l.name, true, 0)
	}
	if wait == 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(wait))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		if int64(l.now()) >= now+wait { // due with the deadline, at the same instant: the caller's
			return nil
		}
		l.tat.Add(-l.interval) // give the token back
		return ctx.Err()
	}
}

// Close stops the coarse clock's goroutine, if the limiter has one. The limiter must not be used
// after.
func (l *Limiter) Close() {
	if l.coarse != nil {
		l.coarse.stop()
	}
}

// clockOf returns c's clock: Now, the coarse clock (which must be stopped), or the monotonic one.
func clockOf(c Config) (func() time.Duration, *coarseClock) {
	switch {
	case c.Coarse > 0:
		cc := newCoarseClock(c.Coarse)
		return cc.now, cc
	case c.Now != nil:
		return c.Now, nil
	}
	epoch := time.Now()
	return func() time.Duration { return time.Since(epoch) }, nil
}

// coarseClock is a time word a ticker updates.
type coarseClock struct {
	epoch time.Time
	word  atomic.Int64
	done  chan struct{}
	once  sync.Once
}

func newCoarseClock(tick time.Duration) *coarseClock {
	c := &coarseClock{epoch: time.Now(), done: make(chan struct{})}
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				c.word.Store(int64(time.Since(c.epoch)))
			}
		}
	}()
	return c
}

func (c *coarseClock) now() time.Duration { return time.Duration(c.word.Load()) }
func (c *coarseClock) stop()              { c.once.Do(func() { close(c.done) }) }
