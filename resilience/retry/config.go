package retry

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Config configures a Retryer. Every zero value stands for the documented default.
type Config struct {
	// Name identifies the policy in errors and metrics.
	Name string
	// MaxAttempts is the number of attempts, the first included. 0: 3. 1 turns retries off.
	MaxAttempts int
	// MaxElapsed bounds the time from the first attempt to the start of the last one; a retry
	// whose delay would end past it is not made. 0: no bound.
	MaxElapsed time.Duration
	// Backoff is the delay strategy. The zero value is FullJitter.
	Backoff Strategy
	// BaseDelay is the first delay (and the constant one). 0: 100ms.
	BaseDelay time.Duration
	// MaxDelay caps every delay. 0: 10s.
	MaxDelay time.Duration
	// Multiplier is the exponential growth per retry. 0: 2.
	Multiplier float64
	// RetryOn says whether an error may be retried. nil: every error.
	RetryOn func(error) bool
	// AbortOn says whether an error ends the retries at once; it wins over RetryOn. nil: none.
	AbortOn func(error) bool
	// RetryBreakerOpen retries a circuit breaker's rejection too. false: it is returned at once.
	RetryBreakerOpen bool
	// Budget, shared by many Retryers, limits retries to a share of requests. nil: no budget.
	Budget *Budget
	// Rand draws the jitter, uniform in [0, 1); it must be safe for concurrent use. nil: the
	// global math/rand/v2 source. Use NewLockedRand for a seeded, reproducible source.
	Rand func() float64
	// Now is the clock for MaxElapsed. nil: time.Now.
	Now func() time.Time
	// Observer is told of retries and outcomes. nil: nobody.
	Observer Observer
}

// Validate reports every problem with c at once, naming the field and the value.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("retry %q: %s = %v; want %s", c.Name, field, v, want))
	}
	if c.MaxAttempts < 0 {
		bad("MaxAttempts", c.MaxAttempts, "0 (3) or more")
	}
	if c.MaxElapsed < 0 {
		bad("MaxElapsed", c.MaxElapsed, "0 (no bound) or more")
	}
	if c.Backoff < 0 || int(c.Backoff) >= len(strategyNames) {
		bad("Backoff", c.Backoff, fmt.Sprintf("one of %v", strategyNames))
	}
	if c.BaseDelay < 0 {
		bad("BaseDelay", c.BaseDelay, "0 (100ms) or more")
	}
	if c.MaxDelay < 0 {
		bad("MaxDelay", c.MaxDelay, "0 (10s) or more")
	}
	if c.BaseDelay > 0 && c.MaxDelay > 0 && c.BaseDelay > c.MaxDelay {
		bad("BaseDelay", c.BaseDelay, fmt.Sprintf("at most MaxDelay (%s)", c.MaxDelay))
	}
	if c.Multiplier != 0 && !(c.Multiplier >= 1) {
		bad("Multiplier", c.Multiplier, "0 (2) or at least 1")
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.BaseDelay == 0 {
		c.BaseDelay = 100 * time.Millisecond
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = max(10*time.Second, c.BaseDelay)
	}
	if c.Multiplier == 0 {
		c.Multiplier = 2
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// NewLockedRand returns a seeded source of uniform draws in [0, 1), safe for concurrent use. The
// same seed gives the same sequence of draws.
func NewLockedRand(seed uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}
