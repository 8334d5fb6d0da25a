package httpfault

import (
	"fmt"
	"net/http"
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
// returns the plan. The draws happen under the injector's lock in request-arrival order; the
// decisions are counted and handed to OnDecision after the lock is left.
func (in *Injector) decide(r *http.Request) plan {
	var p plan
	if in.active.Load() == 0 {
		return p
	}
	now := in.now()
	var buf [4]Decision // most requests match few faults: no allocation
	ds := buf[:0]
	in.mu.Lock()
	for i := range in.faults {
		f := &in.faults[i] // read under the lock only; a copy goes into the plan
		if !f.matches(r) {
			continue
		}
		seq, draw, injected := in.streams[f.Name].Decide(f.Probability.F(), f.Max)
		d := Decision{At: now, Fault: f.Name, Kind: f.Kind, Method: r.Method, Path: r.URL.Path, Seq: seq,
			Draw: draw, Probability: f.Probability.F(), Injected: injected}
		ds = append(ds, d)
		if d.Injected {
			fc := *f
			p.add(&fc)
		}
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

// errorMessage is an error fault's message.
func errorMessage(f *Fault) string {
	if f.Kind == KindStreamError {
		return fmt.Sprintf("injected fault %s: the stream ended with an error", f.Name)
	}
	return fmt.Sprintf("injected fault %s: %d %s", f.Name, f.status(), http.StatusText(f.status()))
}
