package faults

import (
	"context"
	"fmt"
	"sync"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/units"
)

// HTTP sets an HTTP fault (see faults/httpfault) on the target's request path for each window:
// decided per request from the fault's seeded stream.
type HTTP struct {
	Common `yaml:",inline"`
	// Action is the HTTP fault's kind (the fault field: error, latency, first-chunk, stall, drop
	// or malformed) and its fields, as httpfault declares them; its name and probability are
	// Common's.
	httpfault.Action `yaml:",inline"`
}

func (*HTTP) Kind() string { return "http" }
func (*HTTP) Unit() Unit   { return PerRequest }

func (s *HTTP) spec() httpfault.Fault {
	return httpfault.Fault{Name: s.Name, Probability: units.Probability(s.P()), Action: s.Action}
}

func (s *HTTP) Validate() error { return joinErrs(&s.Common, s.spec().Validate()) }

func (s *HTTP) Build(t Targets) (Fault, error) {
	in, err := t.HTTP(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return newHTTPFault(in, s.spec()), nil
}

type httpFault struct {
	toggle
	mu                sync.Mutex
	counted           bool
	decided, injected uint64 // the fault's counts when it was last removed
}

func newHTTPFault(in HTTPInjector, f httpfault.Fault) *httpFault {
	h := &httpFault{}
	h.toggle = toggle{
		on: func(ctx context.Context) error { return in.Set(ctx, f) },
		off: func(ctx context.Context) error {
			decided, injected, ok := in.Counts(ctx, f.Name)
			h.mu.Lock()
			h.counted, h.decided, h.injected = ok, decided, injected
			h.mu.Unlock()
			return in.Remove(ctx, f.Name)
		}}
	return h
}

// Report gives the fault's decision counts (over the run so far), for the removal event: the
// decisions of a mock in a container are counted there, not one by one in the record.
func (h *httpFault) Report() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.counted {
		return ""
	}
	return fmt.Sprintf("%d requests decided, %d injected", h.decided, h.injected)
}
