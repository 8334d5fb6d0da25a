package circuitbreaker

import "sync"

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
