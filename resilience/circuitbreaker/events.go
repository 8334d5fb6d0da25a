package circuitbreaker

import (
	"sync"
	"time"
)

// eventQueue hands transitions to the Observer one at a time, in order, outside the breaker's
// lock. Whoever finds the queue idle drains it; an observer that calls back into the breaker and
// causes another transition only queues it, and the drain loop delivers it next.
type eventQueue struct {
	obs        Observer
	mu         sync.Mutex
	queue      []Transition
	delivering bool
}

// push queues t. It is called with the breaker's lock held.
func (q *eventQueue) push(t Transition) {
	if q.obs == nil {
		return
	}
	q.mu.Lock()
	q.queue = append(q.queue, t)
	q.mu.Unlock()
}

// drop forgets the queued transitions.
func (q *eventQueue) drop() {
	q.mu.Lock()
	q.queue = nil
	q.mu.Unlock()
}

// deliver drains the queue unless another goroutine already does. It is called without the
// breaker's lock.
func (q *eventQueue) deliver() {
	if q.obs == nil {
		return
	}
	q.mu.Lock()
	if q.delivering {
		q.mu.Unlock()
		return
	}
	q.delivering = true
	locked := true
	defer func() {
		// An observer that panicked must not stop every later delivery.
		if !locked {
			q.mu.Lock()
		}
		q.delivering = false
		q.mu.Unlock()
	}()
	for len(q.queue) > 0 {
		t := q.queue[0]
		q.queue = q.queue[1:]
		q.mu.Unlock()
		locked = false
		q.obs.OnStateChange(t)
		q.mu.Lock()
		locked = true
	}
}

// Hooks is an Observer made of functions, for a team that wires a breaker's events to its logs:
// each is called outside every lock of the breaker (a hook may call back into it), and a nil one
// is skipped.
type Hooks struct {
	// StateChange is told of each transition, in order.
	StateChange func(Transition)
	// NotPermitted is told of each rejected call.
	NotPermitted func(name string)
	// Result is told of each admitted call's outcome and duration (0 when not measured).
	Result func(name string, o Outcome, d time.Duration)
}

// OnStateChange implements Observer.
func (h Hooks) OnStateChange(t Transition) {
	if h.StateChange != nil {
		h.StateChange(t)
	}
}

// OnCall implements Observer.
func (h Hooks) OnCall(name string, o Outcome, d time.Duration) {
	switch {
	case o == OutcomeRejected && h.NotPermitted != nil:
		h.NotPermitted(name)
	case o != OutcomeRejected && h.Result != nil:
		h.Result(name, o, d)
	}
}
