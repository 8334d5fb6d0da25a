package httpfault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shakedown-dev/shakedown/faults/inject"
)

// Decision is one per-request decision of one fault: the record of a draw.
type Decision struct {
	At          time.Time `json:"at"`
	Fault       string    `json:"fault"`
	Kind        Kind      `json:"kind"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Seq         uint64    `json:"seq"`         // the fault's draw number, from 0
	Draw        float64   `json:"draw"`        // uniform in [0, 1)
	Probability float64   `json:"probability"` // the fault's probability at the draw
	Injected    bool      `json:"injected"`    // Draw < Probability
}

// Config configures an Injector. The zero value is an injector with no fault and seed 0.
type Config struct {
	// Seed seeds every fault's stream of draws.
	Seed uint64
	// Faults are set at start.
	Faults []Fault
	// OnDecision, if set, is called with every decision, on the request's goroutine and outside
	// the injector's lock (it may call the injector).
	OnDecision func(Decision)
	// Now stamps decisions. nil: time.Now.
	Now func() time.Time
	// ErrorBody is an error fault's answer to r, in the shape the service answers errors in
	// there. nil: Ollama's (and most JSON APIs') {"error": "..."}.
	ErrorBody func(r *http.Request, msg string) []byte
	// StreamError is the line a stream-error fault ends r's answer with: last is the last
	// non-blank line the client received (a server-sent event's "data: ..." line, an NDJSON
	// object), msg the fault's message. nil: {"error": msg}, as an NDJSON stream ends.
	StreamError func(r *http.Request, last []byte, msg string) []byte
}

// Injector decides and applies faults. Create it with New; it is safe for concurrent use.
type Injector struct {
	now       func() time.Time
	errorBody func(r *http.Request, msg string) []byte
	streamErr func(r *http.Request, last []byte, msg string) []byte
	metrics   *metrics
	decider   *inject.Decider[Fault, Decision]
}

// New returns an Injector with cfg's faults set, or every problem with them.
func New(cfg Config) (*Injector, error) {
	in := &Injector{now: cfg.Now, errorBody: cfg.ErrorBody, streamErr: cfg.StreamError}
	if in.now == nil {
		in.now = time.Now
	}
	if in.streamErr == nil {
		in.streamErr = func(_ *http.Request, _ []byte, msg string) []byte { return ErrorJSON(msg) }
	}
	if in.errorBody == nil {
		in.errorBody = func(_ *http.Request, msg string) []byte { return ErrorJSON(msg) }
	}
	in.metrics = newMetrics(in)
	in.decider = inject.New[Fault](cfg.Seed, func(d Decision) {
		in.metrics.count(d)
		if cfg.OnDecision != nil {
			cfg.OnDecision(d)
		}
	})
	if err := in.SetAll(cfg.Faults); err != nil {
		return nil, err
	}
	return in, nil
}

// ErrorJSON is the default answer of an error fault: {"error": msg}, Ollama's shape and most
// JSON APIs'.
func ErrorJSON(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return append(b, '\n')
}

// Set adds f, or replaces the fault of the same name, after validating it.
func (in *Injector) Set(f Fault) error { return in.SetAll([]Fault{f}) }

// SetAll adds or replaces each of fs, all or none: it validates every fault (and that no name
// comes twice) before it applies any, and applies them under one lock, so that no request sees
// half of them.
func (in *Injector) SetAll(fs []Fault) error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range fs {
		if err := Validate(f); err != nil {
			errs = append(errs, err)
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("http fault %q: name = %q comes twice; want unique names", f.Name, f.Name))
		}
		seen[f.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	in.decider.Set(fs...)
	for _, f := range fs {
		in.metrics.touch(f)
	}
	return nil
}

// Remove takes the named fault off, reporting whether it was set.
func (in *Injector) Remove(name string) bool { return in.decider.Remove(name) }

// Clear takes every fault off. The faults' streams go on: a fault set again later continues its
// sequence of draws.
func (in *Injector) Clear() { in.decider.Clear() }

// Faults returns the faults set, in the order they were first set.
func (in *Injector) Faults() []Fault { return in.decider.Faults() }

// Snapshot is the injector's state at one moment, as the admin endpoint serves it.
type Snapshot struct {
	Seed   uint64       `json:"seed"`
	Faults []FaultState `json:"faults"`
}

// FaultState is one fault that is set, with its stream's counts (kept across Remove and Set).
type FaultState = inject.State[Fault]

// Counts returns the named fault's decisions and injections; ok is false when it is not set.
func (s Snapshot) Counts(name string) (decided, injected uint64, ok bool) {
	for _, st := range s.Faults {
		if st.Fault.Name == name {
			return st.Decisions, st.Injected, true
		}
	}
	return 0, 0, false
}

// Snapshot returns the faults set, in order, with their decision counts.
func (in *Injector) Snapshot() Snapshot {
	return Snapshot{Seed: in.decider.Seed(), Faults: in.decider.States()}
}
