package faults

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Kill stops the target's server for each window it is drawn for and restarts it when the window
// ends, as a crash (or, with Graceful, a rolling restart) and its recovery would: connections
// through the proxy fail while it is down, and the server comes back with its data (Postgres runs
// its crash recovery; Redis, which keeps nothing on disk here, comes back empty, as a cache
// does). The restart's time until the server answered is written to the removal event.
type Kill struct {
	Common `yaml:",inline"`
	// Graceful sends SIGTERM (SIGKILL after 10 s) instead of SIGKILL.
	Graceful bool `yaml:"graceful,omitempty" json:"graceful,omitempty" jsonschema:"description=Send SIGTERM (and SIGKILL after 10s) instead of SIGKILL"`
}

func (*Kill) Kind() string      { return "kill" }
func (*Kill) Unit() Unit        { return PerWindow }
func (s *Kill) Validate() error { return joinErrs(&s.Common) }
func (s *Kill) Build(t Targets) (Fault, error) {
	p, err := t.Process(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return &kill{p: p, graceful: s.Graceful}, nil
}

type kill struct {
	p        Process
	graceful bool

	mu      sync.Mutex
	killed  bool
	restart time.Duration // how long the last restart took
}

func (f *kill) Apply(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.killed {
		return nil
	}
	f.killed = true // a kill that fails half-way may still have stopped the server: Undo restarts it
	return f.p.Kill(ctx, f.graceful)
}

func (f *kill) Undo(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.killed {
		return nil
	}
	start := time.Now()
	if err := f.p.Restart(ctx); err != nil {
		return err
	}
	f.killed, f.restart = false, time.Since(start)
	return nil
}

// Report says how long the restart took, for the removal event.
func (f *kill) Report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("restarted; answering %v after the restart began", f.restart.Round(time.Millisecond))
}
