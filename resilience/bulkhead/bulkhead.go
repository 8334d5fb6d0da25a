package bulkhead

import (
	"context"
	"errors"
	"fmt"
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
	// MaxWait bounds a queued call's wait. 0: only the caller's context bounds it.
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
	return errors.Join(errs...)
}

// Bulkhead limits concurrent calls. Create it with New; it is safe for concurrent use.
type Bulkhead struct {
	c      Config
	slots  chan struct{}
	queued atomic.Int64
}

// New returns a Bulkhead, or the problems with c.
func New(c Config) (*Bulkhead, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 10
	}
	return &Bulkhead{c: c, slots: make(chan struct{}, c.MaxConcurrent)}, nil
}

// Name returns the bulkhead's name.
func (b *Bulkhead) Name() string { return b.c.Name }

// InFlight returns how many calls hold a slot.
func (b *Bulkhead) InFlight() int { return len(b.slots) }

// Queued returns how many calls wait for a slot.
func (b *Bulkhead) Queued() int { return int(b.queued.Load()) }

// Acquire takes a slot, waiting in the queue if there is room. Every successful Acquire must be
// followed by exactly one Release.
func (b *Bulkhead) Acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	if b.queued.Add(1) > int64(b.c.MaxQueue) {
		b.queued.Add(-1)
		return b.reject(ReasonFull, ErrFull)
	}
	defer b.queued.Add(-1)
	var timeout <-chan time.Time
	if b.c.MaxWait > 0 {
		t := time.NewTimer(b.c.MaxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-timeout:
		return b.reject(ReasonQueueTimeout, ErrQueueTimeout)
	case <-ctx.Done():
		return b.reject(ReasonCancelled, ctx.Err())
	}
}

// Release gives a slot back.
func (b *Bulkhead) Release() { <-b.slots }

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
