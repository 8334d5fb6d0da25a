package clock

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !Sleep(context.Background(), time.Minute) || time.Since(start) != time.Minute {
			t.Errorf("Sleep(1m) = false or took %v; want true after 1m", time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		if Sleep(ctx, time.Hour) || time.Since(start) != time.Second {
			t.Errorf("Sleep(1h) with a 1s context = true or took %v; want false after 1s", time.Since(start))
		}
		if Sleep(ctx, 0) {
			t.Error("Sleep(0) on an ended context = true; want false")
		}
		if !SleepUntil(context.Background(), time.Now().Add(-time.Second)) {
			t.Error("SleepUntil(the past) = false; want true")
		}
	})
}
