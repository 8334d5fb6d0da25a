package bulkhead

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Sentinel errors of a rejected call.
var (
	ErrFull         = errors.New("bulkhead is full")              // every slot and queue place is taken
	ErrQueueTimeout = errors.New("bulkhead queue wait timed out") // waited MaxWait without a slot
)

// Reason says why a call was rejected, as metrics label it.
type Reason string

// The reasons.
const (
	ReasonFull         Reason = "full"
	ReasonQueueTimeout Reason = "queue_timeout"
	ReasonCancelled    Reason = "cancelled"
)

// Observer is told of rejections, on the caller's goroutine. In-flight and queued counts are read
// with InFlight and Queued (gauges need no events).
type Observer interface {
	OnReject(name string, r Reason)
}

// Config configures a Bulkhead. Every zero value stands for the documented default.
type Config struct {
	Name string
	// MaxConcurrent is how many calls may run at once. 0: 10.
	MaxConcurrent int
	// MaxQueue is how many calls may wait for a slot. 0: none wait; a call finds a slot or is
	// rejected with ErrFull.
	MaxQueue int
	// MaxWait bounds a queued call's wait. 0: only the caller's context bounds it. It needs a
	// queue (MaxQueue): with none, no call waits.
	MaxWait time.Duration
	// Observer is told of rejections. nil: nobody.
	Observer Observer
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxConcurrent < 0 {
		errs = append(errs, fmt.Errorf("bulkhead %q: MaxConcurrent = %d; want 0 (10) or more", c.Name, c.MaxConcurrent))
	}
	if c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("bulkhead %q: MaxQueue = %d; want 0 (no queue) or more", c.Name, c.MaxQueue))
	}
	if c.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("bulkhead %q: MaxWait = %s; want 0 (the context bounds it) or more", c.Name, c.MaxWait))
	}
	if c.MaxWait > 0 && c.MaxQueue == 0 {
		errs = append(errs, fmt.Errorf("bulkhead %q: MaxWait = %s with MaxQueue = 0; with no queue no call waits (a full bulkhead rejects at once): give MaxQueue, how many calls may wait up to MaxWait, or drop MaxWait", c.Name, c.MaxWait))
	}
	return errors.Join(errs...)
}

// Bulkhead limits concurrent calls. Create it with New; it is safe for concurrent use.
//
// The fast path is one compare-and-swap on the in-flight count. Waiters queue in a list under a
// mutex; Release hands its slot straight to the first waiter. A waiter registers itself before it
// looks at the count one last time, and Release lowers the count before it looks for waiters, so
// one of the two always sees the other (the atomics are sequentially consistent).
type Bulkhead struct {
	c        Config
	inFlight atomic.Int64
	waiting  atomic.Int64

	mu      sync.Mutex
	waiters []chan struct{}
}

// New returns a Bulkhead, or the problems with c.
func New(c Config) (*Bulkhead, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 10
	}
	return &Bulkhead{c: c}, nil
}

// Name returns the bulkhead's name.
func (b *Bulkhead) Name() string { return b.c.Name }

// InFlight returns how many calls hold a slot.
func (b *Bulkhead) InFlight() int { return int(b.inFlight.Load()) }

// Queued returns how many calls wait for a slot.
func (b *Bulkhead) Queued() int { return int(b.waiting.Load()) }

func (b *Bulkhead) tryTake() bool {
	for {
		n := b.inFlight.Load()
		if n >= int64(b.c.MaxConcurrent) {
			return false
		}
		if b.inFlight.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Acquire takes a slot, waiting in the queue if there is room. Every successful Acquire must be
// followed by exactly one Release.
func (b *Bulkhead) Acquire(ctx context.Context) error {
	if b.tryTake() {
		return nil
	}
	b.mu.Lock()
	if len(b.waiters) >= b.c.MaxQueue {
		b.mu.Unlock()
		return b.reject(ReasonFull, ErrFull)
	}
	w := make(chan struct{})
	b.waiters = append(b.waiters, w)
	b.waiting.Add(1)
	if b.tryTake() { // a slot came free while we queued
		b.remove(w)
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()

	var timeout <-chan time.Time
	if b.c.MaxWait > 0 {
		t := time.NewTimer(b.c.MaxWait)
		defer t.Stop()
		timeout = t.C
	}
	reason, err := ReasonQueueTimeout, ErrQueueTimeout
	select {
	case <-w:
		return nil // Release handed us its slot
	case <-timeout:
	case <-ctx.Done():
		reason, err = ReasonCancelled, ctx.Err()
	}
	b.mu.Lock()
	if !b.remove(w) { // handed a slot just as we gave up: give it on
		b.mu.Unlock()
		b.Release()
	} else {
		b.mu.Unlock()
	}
	return b.reject(reason, err)
}

// remove takes w out of the queue, reporting whether it was there. b.mu must be held.
func (b *Bulkhead) remove(w chan struct{}) bool {
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			b.waiting.Add(-1)
			return true
		}
	}
	return false
}

// Release gives a slot back, to the first waiter if there is one.
func (b *Bulkhead) Release() {
	if b.waiting.Load() > 0 {
		b.mu.Lock()
		if len(b.waiters) > 0 {
			w := b.waiters[0]
			b.waiters = b.waiters[1:]
			b.waiting.Add(-1)
			b.mu.Unlock()
			close(w) // the slot passes to w: inFlight stays as it is
			return
		}
		b.mu.Unlock()
	}
	b.inFlight.Add(-1)
	if b.waiting.Load() > 0 { // a waiter queued after our first look: let it take the slot
		b.mu.Lock()
		for len(b.waiters) > 0 && b.tryTake() {
			w := b.waiters[0]
			b.waiters = b.waiters[1:]
			b.waiting.Add(-1)
			close(w)
		}
		b.mu.Unlock()
	}
}

func (b *Bulkhead) reject(r Reason, err error) error {
	if b.c.Observer != nil {
		b.c.Observer.OnReject(b.c.Name, r)
	}
	if r == ReasonCancelled {
		return err
	}
	return fmt.Errorf("%w: %q (%d running, %d queued)", err, b.c.Name, b.InFlight(), b.Queued())
}

// Execute runs fn in a slot.
func Execute[T any](ctx context.Context, b *Bulkhead, fn func(context.Context) (T, error)) (T, error) {
	if err := b.Acquire(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer b.Release()
	return fn(ctx)
}
