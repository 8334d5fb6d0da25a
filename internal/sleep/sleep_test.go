package sleep

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestFor(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !For(context.Background(), time.Minute) || time.Since(start) != time.Minute {
			t.Errorf("For(1m) = false or took %v; want true after 1m", time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		if For(ctx, time.Hour) || time.Since(start) != time.Second {
			t.Errorf("For(1h) with a 1s context = true or took %v; want false after 1s", time.Since(start))
		}
		if For(ctx, 0) {
			t.Error("For(0) on an ended context = true; want false")
		}
		if !Until(context.Background(), time.Now().Add(-time.Second)) {
			t.Error("Until(the past) = false; want true")
		}
	})
}
