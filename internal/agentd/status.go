package agentd

import (
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
)

// status follows the breakers: a dependency is degraded from the moment its breaker opens until
// it closes again.
type status struct {
	mu    sync.Mutex
	state map[string]depState
}

type depState struct {
	State         string     `json:"state"` // the breaker's state
	DegradedSince *time.Time `json:"degraded_since,omitempty"`
}

func newStatus() *status { return &status{state: map[string]depState{}} }

func (s *status) OnStateChange(t circuitbreaker.Transition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.state[t.Name]
	d.State = t.To.String()
	switch t.To {
	case circuitbreaker.StateClosed, circuitbreaker.StateDisabled:
		d.DegradedSince = nil
	default:
		if d.DegradedSince == nil {
			at := t.At
			d.DegradedSince = &at
		}
	}
	s.state[t.Name] = d
}

func (s *status) OnCall(string, circuitbreaker.Outcome, time.Duration) {}

// snapshot returns each named dependency's state ("closed" when its breaker never moved).
func (s *status) snapshot(names []string) map[string]depState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]depState{}
	for _, n := range names {
		d, ok := s.state[n]
		if !ok {
			d.State = circuitbreaker.StateClosed.String()
		}
		out[n] = d
	}
	return out
}

// breakerObservers tells several observers, in order.
type breakerObservers []circuitbreaker.Observer

func (o breakerObservers) OnStateChange(t circuitbreaker.Transition) {
	for _, x := range o {
		x.OnStateChange(t)
	}
}

func (o breakerObservers) OnCall(name string, out circuitbreaker.Outcome, d time.Duration) {
	for _, x := range o {
		x.OnCall(name, out, d)
	}
}
