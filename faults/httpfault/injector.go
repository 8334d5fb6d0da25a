package httpfault

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Decision is one per-request decision of one fault.
type Decision struct {
	At          time.Time
	Fault       string
	Kind        Kind
	Method      string
	Path        string
	Seq         uint64  // the fault's draw number, from 0
	Draw        float64 // uniform in [0, 1)
	Probability float64
	Injected    bool
}

// Config configures an Injector.
type Config struct {
	// Seed seeds every fault's stream of draws.
	Seed uint64
	// Faults are set at start.
	Faults []Fault
	// OnDecision, if set, is called with every decision, outside the injector's lock.
	OnDecision func(Decision)
}

// stream is one fault's source of draws. It outlives the fault: a fault removed and set again
// goes on where its stream was.
type stream struct {
	rng *rand.Rand
	seq uint64
}

// Injector decides and applies faults. Create it with New; it is safe for concurrent use.
type Injector struct {
	seed       uint64
	onDecision func(Decision)
	metrics    *metrics

	mu      sync.Mutex
	faults  []Fault // in the order they were first set
	streams map[string]*stream
	active  atomic.Int32 // len(faults): the no-fault path takes no lock
}

// New returns an Injector with cfg's faults set, or every problem with them.
func New(cfg Config) (*Injector, error) {
	in := &Injector{seed: cfg.Seed, onDecision: cfg.OnDecision, metrics: newMetrics(), streams: map[string]*stream{}}
	var errs []error
	for _, f := range cfg.Faults {
		if err := in.Set(f); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return in, nil
}

// Set adds f, or replaces the fault of the same name.
func (in *Injector) Set(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if i := slices.IndexFunc(in.faults, func(g Fault) bool { return g.Name == f.Name }); i >= 0 {
		in.faults[i] = f
	} else {
		in.faults = append(in.faults, f)
	}
	if in.streams[f.Name] == nil {
		h := fnv.New64a()
		h.Write([]byte(f.Name))
		in.streams[f.Name] = &stream{rng: rand.New(rand.NewPCG(in.seed, h.Sum64()))}
	}
	in.active.Store(int32(len(in.faults)))
	return nil
}

// Remove takes the named fault off, reporting whether it was set.
func (in *Injector) Remove(name string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := len(in.faults)
	in.faults = slices.DeleteFunc(in.faults, func(f Fault) bool { return f.Name == name })
	in.active.Store(int32(len(in.faults)))
	return len(in.faults) < n
}

// Clear takes every fault off.
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = nil
	in.active.Store(0)
}

// Faults returns the faults set, in order.
func (in *Injector) Faults() []Fault {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.faults)
}

// plan is what to do to one request: at most one fault of each kind (the first injected).
type plan struct {
	err, latency, firstChunk, stall, drop, malformed *Fault
}

func (p *plan) empty() bool { return *p == plan{} }

// add puts f in its kind's place unless an earlier fault took it.
func (p *plan) add(f *Fault) {
	var slot **Fault
	switch f.Kind {
	case KindError:
		slot = &p.err
	case KindLatency:
		slot = &p.latency
	case KindFirstChunk:
		slot = &p.firstChunk
	case KindStall:
		slot = &p.stall
	case KindDrop:
		slot = &p.drop
	default:
		slot = &p.malformed
	}
	if *slot == nil {
		*slot = f
	}
}

// decide draws for every fault that matches r and returns the plan.
func (in *Injector) decide(r *http.Request) plan {
	var p plan
	if in.active.Load() == 0 {
		return p
	}
	now := time.Now()
	var ds []Decision
	in.mu.Lock()
	for i := range in.faults {
		f := in.faults[i]
		if !f.matches(r) {
			continue
		}
		s := in.streams[f.Name]
		draw := s.rng.Float64()
		d := Decision{At: now, Fault: f.Name, Kind: f.Kind, Method: r.Method, Path: r.URL.Path, Seq: s.seq, Draw: draw, Probability: f.Probability.F(), Injected: draw < f.Probability.F()}
		s.seq++
		ds = append(ds, d)
		if !d.Injected {
			continue
		}
		p.add(&f)
	}
	in.mu.Unlock()
	for _, d := range ds {
		in.metrics.count(d)
		if in.onDecision != nil {
			in.onDecision(d)
		}
	}
	return p
}

// errorBody is Ollama's (and most JSON APIs') error shape.
func errorBody(f *Fault) string {
	return fmt.Sprintf(`{"error":"injected fault %s: %d %s"}`+"\n", f.Name, f.status(), http.StatusText(f.status()))
}
