package faults

import (
	"context"
	"fmt"
)

// Process is what process faults act on: a dependency's server (*harness.Service is one).
type Process interface {
	// Pause freezes the server (SIGSTOP of its process group, or docker pause); Resume thaws it.
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	// Kill stops the server (SIGKILL, or SIGTERM then SIGKILL when graceful) and returns once it
	// has exited; Restart starts it again and returns once it answers.
	Kill(ctx context.Context, graceful bool) error
	Restart(ctx context.Context) error
}

// Pause freezes the target's server for each window it is drawn for, as a long GC pause, a
// stalled VM or SIGSTOP would: its connections stay open and nothing answers.
type Pause struct {
	Common `yaml:",inline"`
}

func (*Pause) Kind() string      { return "pause" }
func (*Pause) Unit() Unit        { return PerWindow }
func (s *Pause) Validate() error { return joinErrs(&s.Common) }
func (s *Pause) Build(t Targets) (Fault, error) {
	p, err := t.Process(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return &toggle{on: p.Pause, off: p.Resume}, nil
}
