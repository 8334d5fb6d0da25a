package hedge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/retry"
)

// Observer is told what a Hedger does, on the caller's goroutine.
type Observer interface {
	// OnHedge: attempt (2 for the first hedge) starts, the earlier ones not having answered
	// within delay.
	OnHedge(name string, attempt int, delay time.Duration)
	// OnDone: the call ended; won is the attempt whose answer was taken (0: none succeeded).
	OnDone(name string, won, attempts int)
}

// Config configures a Hedger. Every zero value stands for the documented default.
type Config struct {
	// Name identifies the policy in errors and metrics.
	Name string
	// Delay is how long an attempt may take before the next starts; required. With Quantile it
	// is the delay until enough latencies are known.
	Delay time.Duration
	// Quantile, in (0, 1), makes the delay adaptive: the quantile of the latencies of the last
	// 128 successful calls (0.95: hedge the slowest 5%), at least MinDelay. 0: Delay, fixed.
	Quantile float64
	// MinDelay bounds an adaptive delay from below. 0: none.
	MinDelay time.Duration
	// MaxAttempts is how many attempts may be in flight at once, the first included. 0: 2.
	MaxAttempts int
	// Budget, shared with the retryers of the same dependency, bounds hedges to a share of the
	// requests: each call deposits, each hedge withdraws. nil: no budget.
	Budget *retry.Budget
	// Observer is told of hedges and outcomes. nil: nobody.
	Observer Observer
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Delay <= 0 {
		errs = append(errs, fmt.Errorf("hedge %q: Delay = %s; want how long an attempt may take before the next starts, more than 0", c.Name, c.Delay))
	}
	if c.Quantile < 0 || c.Quantile >= 1 {
		errs = append(errs, fmt.Errorf("hedge %q: Quantile = %v; want 0 (a fixed delay) or a quantile in (0, 1) such as 0.95", c.Name, c.Quantile))
	}
	if c.MinDelay < 0 {
		errs = append(errs, fmt.Errorf("hedge %q: MinDelay = %s; want 0 or more", c.Name, c.MinDelay))
	}
	if c.MaxAttempts < 0 || c.MaxAttempts == 1 {
		errs = append(errs, fmt.Errorf("hedge %q: MaxAttempts = %d; want 0 (2) or at least 2: one attempt is no hedge", c.Name, c.MaxAttempts))
	}
	return errors.Join(errs...)
}

// Hedger hedges calls. Create it with New; it is safe for concurrent use.
type Hedger struct {
	c Config

	mu        sync.Mutex
	latencies [128]time.Duration // a ring of the recent successful calls' latencies
	n         int                // latencies recorded, in all
}

// minObserved is how many latencies an adaptive delay needs before it replaces Delay.
const minObserved = 20

// New returns a Hedger, or the problems with c.
func New(c Config) (*Hedger, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 2
	}
	return &Hedger{c: c}, nil
}

// Delay returns how long an attempt may take now before the next starts.
func (h *Hedger) Delay() time.Duration {
	if h.c.Quantile == 0 {
		return h.c.Delay
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n < minObserved {
		return h.c.Delay
	}
	recent := slices.Clone(h.latencies[:min(h.n, len(h.latencies))])
	slices.Sort(recent)
	q := recent[min(int(h.c.Quantile*float64(len(recent))), len(recent)-1)]
	return max(q, h.c.MinDelay)
}

func (h *Hedger) observe(d time.Duration) {
	if h.c.Quantile == 0 {
		return
	}
	h.mu.Lock()
	h.latencies[h.n%len(h.latencies)] = d
	h.n++
	h.mu.Unlock()
}

type result[T any] struct {
	v       T
	err     error
	attempt int
}

// Do calls fn, and again each time the attempts in flight have not succeeded within the delay, up
// to MaxAttempts; the first success is returned and the other attempts are cancelled. When every
// attempt fails it returns the last error. The attempts run at once, each on a goroutine of its
// own: fn must be safe for that. Do returns once every attempt has returned.
func Do[T any](ctx context.Context, h *Hedger, fn func(context.Context) (T, error)) (T, error) {
	c := &h.c
	if c.Budget != nil {
		c.Budget.Deposit()
	}
	ctx, cancel := context.WithCancel(ctx)
	results := make(chan result[T], c.MaxAttempts)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // the losers are told to stop, and awaited
	start := time.Now()
	launch := func(attempt int) {
		wg.Go(func() {
			v, err := fn(ctx)
			results <- result[T]{v, err, attempt}
		})
	}
	launch(1)
	launched, pending := 1, 1
	delay := h.Delay()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var last result[T]
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				h.observe(time.Since(start))
				if c.Observer != nil {
					c.Observer.OnDone(c.Name, r.attempt, launched)
				}
				return r.v, nil
			}
			last = r
		case <-timer.C:
			if launched < c.MaxAttempts && ctx.Err() == nil && (c.Budget == nil || c.Budget.Withdraw()) {
				launched++
				pending++
				if c.Observer != nil {
					c.Observer.OnHedge(c.Name, launched, delay)
				}
				launch(launched)
				timer.Reset(delay)
			}
		}
	}
	if c.Observer != nil {
		c.Observer.OnDone(c.Name, 0, launched)
	}
	return last.v, last.err
}
