package circuitbreaker

import "time"

// window counts the most recent calls for the rate conditions. It is guarded by Breaker.mu.
type window interface {
	// add counts one call and returns the window's totals afterwards.
	add(now time.Time, failed, slow bool) (calls, failures, slows int)
	// totals returns the window's totals at now, counting nothing.
	totals(now time.Time) (calls, failures, slows int)
	reset()
}

// countWindow holds the outcomes of the last len(ring) calls.
type countWindow struct {
	ring            []uint8 // bit 0: counted, bit 1: failed, bit 2: slow
	next            int
	calls, failures int
	slows           int
}

const (
	slotUsed   = 1
	slotFailed = 2
	slotSlow   = 4
)

func newCountWindow(size int) *countWindow { return &countWindow{ring: make([]uint8, size)} }

func (w *countWindow) add(_ time.Time, failed, slow bool) (int, int, int) {
	old := w.ring[w.next]
	if old&slotUsed != 0 {
		w.calls--
		if old&slotFailed != 0 {
			w.failures--
		}
		if old&slotSlow != 0 {
			w.slows--
		}
	}
	v := uint8(slotUsed)
	w.calls++
	if failed {
		v |= slotFailed
		w.failures++
	}
	if slow {
		v |= slotSlow
		w.slows++
	}
	w.ring[w.next] = v
	w.next = (w.next + 1) % len(w.ring)
	return w.calls, w.failures, w.slows
}

func (w *countWindow) totals(time.Time) (int, int, int) { return w.calls, w.failures, w.slows }

func (w *countWindow) reset() {
	clear(w.ring)
	w.next, w.calls, w.failures, w.slows = 0, 0, 0, 0
}

// timeWindow holds the calls of the last span, in buckets of span/len(buckets). A bucket is
// reused once its epoch falls out of the window, so a burst that straddles a bucket boundary is
// still counted whole while it lies within the span.
type timeWindow struct {
	width   time.Duration
	buckets []timeBucket
}

type timeBucket struct {
	epoch                  int64 // which width-long slice of time the bucket counts
	calls, failures, slows int
}

const timeBuckets = 10

func newTimeWindow(span time.Duration) *timeWindow {
	width := max(span/timeBuckets, 1)
	return &timeWindow{width: width, buckets: make([]timeBucket, timeBuckets)}
}

func (w *timeWindow) add(now time.Time, failed, slow bool) (calls, failures, slows int) {
	epoch := now.UnixNano() / int64(w.width)
	b := &w.buckets[int(epoch%timeBuckets+timeBuckets)%timeBuckets]
	if b.epoch != epoch {
		*b = timeBucket{epoch: epoch}
	}
	b.calls++
	if failed {
		b.failures++
	}
	if slow {
		b.slows++
	}
	return w.sum(epoch)
}

func (w *timeWindow) totals(now time.Time) (int, int, int) {
	return w.sum(now.UnixNano() / int64(w.width))
}

// sum adds up the buckets of the window that ends in epoch.
func (w *timeWindow) sum(epoch int64) (calls, failures, slows int) {
	for _, x := range w.buckets {
		if x.epoch > epoch-timeBuckets && x.epoch <= epoch {
			calls += x.calls
			failures += x.failures
			slows += x.slows
		}
	}
	return calls, failures, slows
}

func (w *timeWindow) reset() { clear(w.buckets) }
