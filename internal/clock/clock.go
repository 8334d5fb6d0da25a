// Package clock holds the one way this module waits for a time or a context, whichever comes
// first.
package clock

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, and reports whether it waited the whole d. A d of 0 or less
// does not wait: it reports whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration) bool {
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

// SleepUntil waits until t, or until ctx ends, and reports whether t was reached.
func SleepUntil(ctx context.Context, t time.Time) bool { return Sleep(ctx, time.Until(t)) }
