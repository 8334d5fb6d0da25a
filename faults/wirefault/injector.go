package wirefault

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakedown-dev/shakedown/faults/inject"
)

// Decision is one per-request decision of one fault: the record of a draw.
type Decision struct {
	At          time.Time
	Fault       string
	Kind        Kind
	Request     string // the statement, or the command and its key, cut to 100 bytes
	Seq         uint64 // the fault's draw number, from 0
	Draw        float64
	Probability float64
	Injected    bool // Draw < Probability, while fewer than Max were injected
}

// Config configures an Injector.
type Config struct {
	// Protocol is what the connections speak.
	Protocol Protocol
	// Seed seeds every fault's stream of draws.
	Seed uint64
	// OnDecision, if set, is called with every decision, on the connection's goroutine and
	// outside the injector's lock.
	OnDecision func(Decision)
	// Now stamps decisions. nil: time.Now.
	Now func() time.Time
}

// set is a fault as the decider holds it: with its compiled match.
type set struct {
	Fault
	match matcher
}

// Injector decides the faults of one service's connections. Create it with New and put its Toxic
// on the service's proxy; it is safe for concurrent use.
type Injector struct {
	key        string
	proto      Protocol
	now        func() time.Time
	onDecision func(Decision)
	decider    *inject.Decider[set, Decision]
}

// New returns an Injector, registered for its toxic until Close.
func New(cfg Config) (*Injector, error) {
	if cfg.Protocol != Postgres && cfg.Protocol != Redis {
		return nil, fmt.Errorf("wirefault: protocol %q; want postgres or redis", cfg.Protocol)
	}
	in := &Injector{proto: cfg.Protocol, now: cfg.Now, onDecision: cfg.OnDecision, decider: inject.New[set](cfg.Seed, cfg.OnDecision)}
	if in.now == nil {
		in.now = time.Now
	}
	register(in)
	return in, nil
}

// Protocol returns the protocol the injector frames.
func (in *Injector) Protocol() Protocol { return in.proto }

// Seed returns the seed of the faults' streams.
func (in *Injector) Seed() uint64 { return in.decider.Seed() }

// Report hands decisions made for this injector's faults elsewhere (by a fault proxy, read back
// from its log: faults/faultproxy) to Config.OnDecision, as the injector's own go.
func (in *Injector) Report(ds ...Decision) {
	if in.onDecision == nil {
		return
	}
	for _, d := range ds {
		in.onDecision(d)
	}
}

// Close unregisters the injector: a toxic that still refers to it passes everything.
func (in *Injector) Close() { unregister(in) }

// Set adds f, or replaces the fault of the same name, after validating it.
func (in *Injector) Set(f Fault) error {
	if err := Validate(f, in.proto); err != nil {
		return err
	}
	in.decider.Set(set{Fault: f, match: compile(in.proto, f.Action)})
	return nil
}

// Remove takes the named fault off, reporting whether it was set. Every connection is on the
// plain path for the requests that follow.
func (in *Injector) Remove(name string) bool { return in.decider.Remove(name) }

// Counts returns the named fault's decisions and injections so far; ok is false for a fault
// never set.
func (in *Injector) Counts(name string) (decided, injected uint64, ok bool) {
	return in.decider.Counts(name)
}

// action is what to do to one request: an optional delay, then forward it as it is, replace it,
// or cut the connection.
type action struct {
	delay   time.Duration
	replace []byte // the request the server gets instead; nil: the request as it came
	drop    bool
}

// decide draws once for every fault that matches r, in the order the faults were set (see
// inject.Decider.Decide). The first injected latency fault sets the delay, the first injected
// error or drop fault the rest.
func (in *Injector) decide(r *Request) action {
	var a action
	if in.decider.Idle() {
		return a
	}
	now := in.now()
	var chosen *Fault
	delayed := false
	in.decider.Decide(func(f *set) bool { return f.match.matches(r) }, func(f *set, d inject.Draw, rng *rand.Rand) Decision {
		if d.Injected {
			switch {
			case f.Action.Kind == KindLatency && !delayed:
				delayed, a.delay = true, f.Action.delay(rng)
			case f.Action.Kind != KindLatency && chosen == nil:
				c := f.Fault // a copy: once the lock is left, Set and Remove may move the faults
				chosen = &c
			}
		}
		return Decision{At: now, Fault: f.Name, Kind: f.Action.Kind, Request: cut(r.Text, 100), Seq: d.Seq, Draw: d.Draw,
			Probability: d.Probability, Injected: d.Injected}
	})
	if chosen != nil {
		if chosen.Action.Kind == KindDrop {
			a.drop = true
		} else {
			a.replace = in.errorRequest(chosen)
		}
	}
	return a
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// errorRequest is the request that has the server answer f's error.
func (in *Injector) errorRequest(f *Fault) []byte {
	if in.proto == Redis {
		return redisError(f)
	}
	return pgError(f)
}

// The registry lets a toxic, which Toxiproxy makes from JSON attributes, find its injector or
// stage.
var (
	registry   sync.Map // key -> source
	registered atomic.Uint64
)

func register(in *Injector) {
	in.key = fmt.Sprintf("%s-%d", in.proto, registered.Add(1))
	registry.Store(in.key, in)
}

func unregister(in *Injector) { registry.Delete(in.key) }

func lookup(key string) (source, error) {
	v, ok := registry.Load(key)
	if !ok {
		return nil, errors.New("wirefault: no injector or stage " + key)
	}
	return v.(source), nil
}
