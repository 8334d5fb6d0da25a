package faults

import (
	"context"
	"sync"
)

// toggle is a fault that is either applied or not: Apply runs on once, Undo runs off once after
// an Apply, and both may be called again (the Fault contract). Most kinds are one.
type toggle struct {
	on, off func(ctx context.Context) error
	// undoFailedApply: a failed on still counts as applied, so Undo runs off (a kill that fails
	// half-way may have stopped the server, and Undo restarts it).
	undoFailedApply bool

	mu      sync.Mutex
	applied bool
}

var _ Fault = (*toggle)(nil)

func (t *toggle) Apply(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.applied {
		return nil
	}
	err := t.on(ctx)
	t.applied = err == nil || t.undoFailedApply
	return err
}

func (t *toggle) Undo(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.applied {
		return nil
	}
	if err := t.off(ctx); err != nil {
		return err
	}
	t.applied = false
	return nil
}
