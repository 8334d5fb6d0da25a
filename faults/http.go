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

func (s *HTTP) Validate() error { return joinErrs(&s.Common, httpfault.Validate(s.spec())) }

func (s *HTTP) Build(t Targets) (Fault, error) {
	in, err := t.HTTP(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return newHTTPFault(in, s.spec()), nil
}

var (
	_ Reporter = (*httpFault)(nil)
	_ Counter  = (*httpFault)(nil)
)

type httpFault struct {
	toggle
	counts
}

func newHTTPFault(in HTTPInjector, f httpfault.Fault) *httpFault {
	h := &httpFault{}
	h.toggle = toggle{
		on: func(ctx context.Context) error { return in.Set(ctx, f) },
		off: func(ctx context.Context) error {
			h.counts.set(in.Counts(ctx, f.Name))
			return in.Remove(ctx, f.Name)
		}}
	return h
}

// counts are a request fault's decision counts (over the run so far) when it was last removed,
// for the removal event: the decisions of a mock in a container are counted there, not one by
// one in the record.
type counts struct {
	mu                sync.Mutex
	counted           bool
	decided, injected uint64
}

func (c *counts) set(decided, injected uint64, ok bool) {
	c.mu.Lock()
	c.counted, c.decided, c.injected = ok, decided, injected
	c.mu.Unlock()
}

// Counts gives the counts, for the removal event's fields.
func (c *counts) Counts() (decided, injected uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decided, c.injected, c.counted
}

// Report gives the counts, for the removal event.
func (c *counts) Report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.counted {
		return ""
	}
	return fmt.Sprintf("%d requests decided, %d injected", c.decided, c.injected)
}
