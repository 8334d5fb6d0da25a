package circuitbreaker

import (
	"testing"
	"time"
)

// FuzzCountWindow compares the count-based window with a plain model: the last n outcomes.
func FuzzCountWindow(f *testing.F) {
	f.Add(uint8(3), []byte{1, 0, 1, 1, 2, 3, 0})
	f.Add(uint8(1), []byte{3, 3, 0})
	f.Fuzz(func(t *testing.T, size uint8, outcomes []byte) {
		n := int(size%50) + 1
		w := newCountWindow(n)
		var model []byte
		for i, o := range outcomes {
			failed, slow := o&1 != 0, o&2 != 0
			calls, failures, slows := w.add(time.Time{}, failed, slow)
			model = append(model, o&3)
			if len(model) > n {
				model = model[1:]
			}
			var mf, ms int
			for _, m := range model {
				mf += int(m & 1)
				ms += int(m >> 1 & 1)
			}
			if calls != len(model) || failures != mf || slows != ms {
				t.Fatalf("after %d adds to a window of %d: (%d, %d, %d); model (%d, %d, %d)", i+1, n, calls, failures, slows, len(model), mf, ms)
			}
		}
	})
}

// TestTimeWindowForgetsOldBuckets: calls older than the span do not count, whatever the gap.
func TestTimeWindowForgetsOldBuckets(t *testing.T) {
	t.Parallel()
	w := newTimeWindow(10 * time.Second)
	t0 := time.Unix(1000, 0)
	w.add(t0, true, false)
	w.add(t0.Add(9*time.Second), true, false)
	if calls, failures, _ := w.add(t0.Add(9500*time.Millisecond), false, false); calls != 3 || failures != 2 {
		t.Errorf("within the span: %d calls, %d failures; want 3, 2", calls, failures)
	}
	if calls, _, _ := w.add(t0.Add(10*time.Second), false, false); calls != 3 {
		t.Errorf("at 10s: %d calls; want 3 (the call at 0s has left)", calls)
	}
	if calls, _, _ := w.add(t0.Add(time.Hour), false, false); calls != 1 {
		t.Errorf("an hour later: %d calls; want 1", calls)
	}
}
