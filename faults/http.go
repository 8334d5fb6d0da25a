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
	// Kind of HTTP fault: error, latency, first-chunk, stall, drop or malformed.
	Fault       httpfault.Kind `yaml:"fault" json:"fault"`
	Method      string         `yaml:"method,omitempty" json:"method,omitempty"`
	PathPrefix  string         `yaml:"path_prefix,omitempty" json:"path_prefix,omitempty"`
	Status      int            `yaml:"status,omitempty" json:"status,omitempty"`
	RetryAfter  units.Duration `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
	Delay       units.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	AfterChunks int            `yaml:"after_chunks,omitempty" json:"after_chunks,omitempty"`
}

func (*HTTP) Kind() string { return "http" }
func (*HTTP) Unit() Unit   { return PerRequest }

func (s *HTTP) spec() httpfault.Fault {
	return httpfault.Fault{Name: s.Name, Kind: s.Fault, Probability: units.Probability(s.P()), Method: s.Method, PathPrefix: s.PathPrefix,
		Status: s.Status, RetryAfter: s.RetryAfter, Delay: s.Delay, AfterChunks: s.AfterChunks}
}

func (s *HTTP) Validate() error { return joinErrs(&s.Common, s.spec().Validate()) }

func (s *HTTP) Build(t Targets) (Fault, error) {
	in, err := t.HTTP(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return &httpFault{in: in, f: s.spec()}, nil
}

type httpFault struct {
	in  HTTPInjector
	f   httpfault.Fault
	mu  sync.Mutex
	set bool

	counted           bool
	decided, injected uint64 // the fault's counts when it was last removed
}

// snapshotter is an injector that can report its faults' decision counts (*httpfault.Injector in
// the harness's process, the mock's admin endpoint in a container).
type snapshotter interface {
	Snapshot() httpfault.Snapshot
}

func (h *httpFault) Apply(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.in.Set(h.f); err != nil {
		return err
	}
	h.set = true
	return nil
}

func (h *httpFault) Undo(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.set {
		return nil
	}
	if sn, ok := h.in.(snapshotter); ok {
		for _, st := range sn.Snapshot().Faults {
			if st.Fault.Name == h.f.Name {
				h.counted, h.decided, h.injected = true, st.Decisions, st.Injected
			}
		}
	}
	h.in.Remove(h.f.Name)
	h.set = false
	return nil
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
