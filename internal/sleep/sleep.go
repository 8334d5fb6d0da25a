// Package sleep holds the one way this module waits for a time or a context, whichever comes
// first.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx ends, and reports whether it waited the whole d. A d of 0 or less
// does not wait: it reports whether ctx is still live.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Until waits until t, or until ctx ends, and reports whether t was reached.
func Until(ctx context.Context, t time.Time) bool { return For(ctx, time.Until(t)) }
