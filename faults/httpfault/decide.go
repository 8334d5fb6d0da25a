package httpfault

import (
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/shakedown-dev/shakedown/faults/inject"
)

// plan is what to do to one request: at most one fault of each kind (the first injected, in the
// order the faults were set).
type plan struct {
	err, latency, firstChunk, stall, drop, malformed, streamErr *Fault
}

func (p *plan) empty() bool { return *p == plan{} }

// streams reports whether the plan acts on the response body.
func (p *plan) streams() bool {
	return p.firstChunk != nil || p.stall != nil || p.drop != nil || p.malformed != nil || p.streamErr != nil
}

// add puts f in its kind's place unless an earlier fault took it.
func (p *plan) add(f *Fault) {
	var slot **Fault
	switch f.Action.Kind {
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
	case KindStreamError:
		slot = &p.streamErr
	default:
		slot = &p.malformed
	}
	if *slot == nil {
		*slot = f
	}
}

// decide draws once for every fault that matches r, in the order the faults were set, and
// returns the plan (see inject.Decider.Decide).
func (in *Injector) decide(r *http.Request) plan {
	var p plan
	if in.decider.Idle() {
		return p
	}
	now := in.now()
	in.decider.Decide(func(f *Fault) bool { return f.Action.matches(r) }, func(f *Fault, d inject.Draw, _ *rand.Rand) Decision {
		if d.Injected {
			fc := *f
			p.add(&fc)
		}
		return Decision{At: now, Fault: f.Name, Kind: f.Action.Kind, Method: r.Method, Path: r.URL.Path, Seq: d.Seq,
			Draw: d.Draw, Probability: d.Probability, Injected: d.Injected}
	})
	return p
}

// errorMessage is an error fault's message.
func errorMessage(f *Fault) string {
	if f.Action.Kind == KindStreamError {
		return fmt.Sprintf("injected fault %s: the stream ended with an error", f.Name)
	}
	return fmt.Sprintf("injected fault %s: %d %s", f.Name, f.Action.status(), http.StatusText(f.Action.status()))
}
