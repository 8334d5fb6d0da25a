package faults

import (
	"time"

	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/record"
)

// Schedule returns the windows of sp over a fault phase of length phase, counted from the phase's
// start, with the draws seed gives: the one place a fault's schedule is drawn. A kind drawn per
// tick (a Ticker) has a window a tick. Each window of a kind drawn per window or per tick is
// Drawn, with its Draw from the fault's stream (seeded.Stream of the seed and the fault's name),
// in order, and Open when the draw is under the fault's probability; every window of another kind
// is Open. A Scheduler runs exactly these windows; shakedown export writes them ahead of a run.
func Schedule(seed uint64, sp Spec, phase time.Duration) []record.Window {
	c := sp.Base()
	windows := c.Windows(phase)
	if tk, ok := sp.(Ticker); ok && sp.Unit() == PerTick {
		windows = ticks(windows, tk.TickLength())
	}
	drawn := sp.Unit() == PerWindow || sp.Unit() == PerTick
	rng := seeded.Stream(seed, c.Name)
	for i := range windows {
		w := &windows[i]
		w.Open = true
		if drawn {
			w.Drawn, w.Draw = true, rng.Float64()
			w.Open = w.Draw < c.P()
		}
	}
	return windows
}

// ticks cuts windows into ticks of length d (the last of a window may be shorter).
func ticks(windows []record.Window, d time.Duration) []record.Window {
	var out []record.Window
	for _, w := range windows {
		for t := w.Start; t < w.End; t += record.Duration(d) {
			tick := w
			tick.Start, tick.End = t, min(t+record.Duration(d), w.End)
			out = append(out, tick)
		}
	}
	return out
}
