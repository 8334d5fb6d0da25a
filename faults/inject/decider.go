package inject

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shakedown-dev/shakedown/faults/seeded"
)

// Rule is what a Decider needs of a fault to decide it: its name, which keys its stream; its
// probability; and its max (0: no limit).
type Rule struct {
	Name        string
	Probability float64
	Max         int
}

// Ruled is what a Decider can hold: a Fault, or a package's struct that embeds one beside what
// it compiled from it when it was set (a matcher, say).
type Ruled interface {
	Rule() Rule
}

// Draw is one fault's decision on one request.
type Draw struct {
	Seq         uint64  // the fault's draw number, from 0
	Draw        float64 // uniform in [0, 1)
	Probability float64 // the fault's probability at the draw
	Injected    bool    // Draw < Probability, while fewer than the fault's max were injected
}

// State is one fault set, with its stream's counts (kept across Remove and Set).
type State[F any] struct {
	Fault     F      `json:"fault"`
	Decisions uint64 `json:"decisions"` // draws made: requests the fault matched
	Injected  uint64 `json:"injected"`  // of which faulted
}

// Decider holds the faults set on one request path and decides them per request. F is what it
// holds of each fault; D is its package's record of one decision, handed to onDecision. Create
// it with New; it is safe for concurrent use.
type Decider[F Ruled, D any] struct {
	seed       uint64
	onDecision func(D)

	mu      sync.Mutex
	faults  []held[F] // in the order first set
	streams map[string]*seeded.Draws
	active  atomic.Int32 // len(faults): with none, a request takes no lock
}

// held is a fault set, with what deciding it reads on every request.
type held[F any] struct {
	fault  F
	rule   Rule
	stream *seeded.Draws
}

// New returns a Decider with no fault set, whose streams seed seeds. onDecision, if not nil, is
// called with every decision, on the request's goroutine and outside the Decider's lock (it may
// call the Decider).
func New[F Ruled, D any](seed uint64, onDecision func(D)) *Decider[F, D] {
	return &Decider[F, D]{seed: seed, onDecision: onDecision, streams: map[string]*seeded.Draws{}}
}

// Seed returns the seed of the faults' streams.
func (d *Decider[F, D]) Seed() uint64 { return d.seed }

// Set adds each of fs, or replaces the fault of the same name in its place, all under one lock,
// so that no request sees half of them. The caller has validated them.
func (d *Decider[F, D]) Set(fs ...F) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range fs {
		r := f.Rule()
		s := d.streams[r.Name]
		if s == nil {
			s = seeded.NewDraws(d.seed, r.Name)
			d.streams[r.Name] = s
		}
		h := held[F]{fault: f, rule: r, stream: s}
		if i := slices.IndexFunc(d.faults, func(g held[F]) bool { return g.rule.Name == r.Name }); i >= 0 {
			d.faults[i] = h
		} else {
			d.faults = append(d.faults, h)
		}
	}
	d.active.Store(int32(len(d.faults)))
}

// Remove takes the named fault off, reporting whether it was set.
func (d *Decider[F, D]) Remove(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.faults)
	d.faults = slices.DeleteFunc(d.faults, func(h held[F]) bool { return h.rule.Name == name })
	d.active.Store(int32(len(d.faults)))
	return len(d.faults) < n
}

// Clear takes every fault off. Their streams go on: a fault set again later continues its
// sequence of draws.
func (d *Decider[F, D]) Clear() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = nil
	d.active.Store(0)
}

// Faults returns the faults set, in the order they were first set.
func (d *Decider[F, D]) Faults() []F {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]F, len(d.faults))
	for i, h := range d.faults {
		out[i] = h.fault
	}
	return out
}

// States returns the faults set, in order, with their streams' counts.
func (d *Decider[F, D]) States() []State[F] {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]State[F], len(d.faults))
	for i, h := range d.faults {
		decided, injected := h.stream.Counts()
		out[i] = State[F]{Fault: h.fault, Decisions: decided, Injected: injected}
	}
	return out
}

// Counts returns the named fault's decisions and injections so far, set or not; ok is false for
// a fault never set.
func (d *Decider[F, D]) Counts(name string) (decided, injected uint64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.streams[name]
	if s == nil {
		return 0, 0, false
	}
	decided, injected = s.Counts()
	return decided, injected, true
}

// Len returns the number of faults set.
func (d *Decider[F, D]) Len() int { return int(d.active.Load()) }

// Idle reports whether no fault is set, without a lock: a request's fast path.
func (d *Decider[F, D]) Idle() bool { return d.active.Load() == 0 }

// Decide decides one request. Under the lock, in the order the faults were first set, each fault
// for which match reports true takes its stream's next draw; decided turns the draw into the
// package's decision and acts on an injection, with rng the fault's stream for what an injection
// draws next (a delay's jitter follows the draw that injected it). match and decided must not
// call the Decider, and f is theirs only during the call (copy what outlives it). Once the lock
// is left, each decision goes to onDecision. Callers check Idle first, on their fast path.
func (d *Decider[F, D]) Decide(match func(f *F) bool, decided func(f *F, dr Draw, rng *rand.Rand) D) {
	var buf [4]D // most requests match few faults: no allocation
	ds := buf[:0]
	d.mu.Lock()
	for i := range d.faults {
		h := &d.faults[i]
		if !match(&h.fault) {
			continue
		}
		seq, draw, injected := h.stream.Decide(h.rule.Probability, h.rule.Max)
		ds = append(ds, decided(&h.fault, Draw{Seq: seq, Draw: draw, Probability: h.rule.Probability, Injected: injected}, h.stream.Rand()))
	}
	d.mu.Unlock()
	if d.onDecision != nil {
		for i := range ds { // by index: a decision is copied once, into the call
			d.onDecision(ds[i])
		}
	}
}
