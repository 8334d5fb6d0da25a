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
	return newKill(p, s.Graceful), nil
}

var _ Reporter = (*kill)(nil)

type kill struct {
	toggle
	mu      sync.Mutex
	restart time.Duration // how long the last restart took
}

func newKill(p Process, graceful bool) *kill {
	k := &kill{}
	k.toggle = toggle{undoFailedApply: true,
		on: func(ctx context.Context) error { return p.Kill(ctx, graceful) },
		off: func(ctx context.Context) error {
			start := time.Now()
			if err := p.Restart(ctx); err != nil {
				return err
			}
			k.mu.Lock()
			k.restart = time.Since(start)
			k.mu.Unlock()
			return nil
		}}
	return k
}

// Report says how long the restart took, for the removal event.
func (k *kill) Report() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fmt.Sprintf("restarted; answering %v after the restart began", k.restart.Round(time.Millisecond))
}
