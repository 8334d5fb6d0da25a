package circuitbreaker

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu          sync.Mutex
	transitions []Transition
	calls       map[Outcome]int
	onChange    func(Transition) // called outside recorder's lock
}

func (r *recorder) OnStateChange(t Transition) {
	r.mu.Lock()
	r.transitions = append(r.transitions, t)
	f := r.onChange
	r.mu.Unlock()
	if f != nil {
		f(t)
	}
}

func (r *recorder) OnCall(_ string, o Outcome, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[Outcome]int{}
	}
	r.calls[o]++
}

func (r *recorder) path() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for i, t := range r.transitions {
		if i == 0 {
			out = append(out, t.From)
		}
		out = append(out, t.To)
	}
	return out
}

func mustNew(t *testing.T, s Config) *Breaker {
	t.Helper()
	b, err := New(s)
	if err != nil {
		t.Fatalf("New(%+v): %v", s, err)
	}
	return b
}

// call makes one call through b with result err and returns Allow's error.
func call(b *Breaker, err error) error {
	p, aerr := b.Allow()
	if aerr != nil {
		return aerr
	}
	p.Done(err)
	return nil
}

// callFor makes one call that takes d of (fake) time.
func callFor(b *Breaker, d time.Duration, err error) error {
	p, aerr := b.Allow()
	if aerr != nil {
		return aerr
	}
	time.Sleep(d)
	p.Done(err)
	return nil
}

func wantState(t *testing.T, b *Breaker, want State) {
	t.Helper()
	if got := b.State(); got != want {
		t.Fatalf("State() = %s; want %s", got, want)
	}
}
