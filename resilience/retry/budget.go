package retry

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Budget limits retries to a share of requests, like Finagle's and Linkerd's retry budgets: every
// request deposits Ratio of a retry, every retry withdraws one, and a floor of MinPerSecond retries
// a second is always allowed so that a quiet service can still retry. Over any stretch of time,
// retries ≤ Ratio × requests + MinPerSecond × seconds + the tokens banked at its start (at most
// Ratio × 1000 + MinPerSecond). Share one Budget between all the Retryers that call a dependency.
type Budget struct {
	milliPerRequest int64
	maxBalance      int64
	balance         atomic.Int64 // milli-retries

	mu        sync.Mutex
	floorRate float64 // retries per second
	floor     float64 // floor retries available
	floorAt   time.Time
	now       func() time.Time
}

// NewBudget returns a budget that allows ratio retries per request (0.2: one retry per five
// requests) plus minPerSecond retries a second. now is the clock; nil means time.Now.
func NewBudget(ratio, minPerSecond float64, now func() time.Time) (*Budget, error) {
	var errs []error
	if !(ratio >= 0 && ratio <= 10) {
		errs = append(errs, fmt.Errorf("retry budget: ratio = %v; want a share of requests from 0 to 10", ratio))
	}
	if !(minPerSecond >= 0) {
		errs = append(errs, fmt.Errorf("retry budget: minPerSecond = %v; want 0 or more", minPerSecond))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	b := &Budget{
		milliPerRequest: int64(ratio * 1000),
		maxBalance:      int64(ratio * 1000 * 1000),
		floorRate:       minPerSecond,
		floor:           minPerSecond,
		now:             now,
	}
	b.floorAt = now()
	return b, nil
}

// Deposit counts one request. Retryers sharing the budget call it; another policy that spends it
// (resilience/hedge) does too.
func (b *Budget) Deposit() {
	if b.milliPerRequest == 0 {
		return
	}
	if n := b.balance.Add(b.milliPerRequest); n > b.maxBalance {
		b.balance.Add(-b.milliPerRequest) // bank at most maxBalance
	}
}

// Withdraw takes one retry (or hedge) from the budget, reporting whether there was one.
func (b *Budget) Withdraw() bool {
	for {
		n := b.balance.Load()
		if n < 1000 {
			break
		}
		if b.balance.CompareAndSwap(n, n-1000) {
			return true
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.floor = min(b.floor+now.Sub(b.floorAt).Seconds()*b.floorRate, max(b.floorRate, 1))
	b.floorAt = now
	if b.floor >= 1 {
		b.floor--
		return true
	}
	return false
}
