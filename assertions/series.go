package assertions

import (
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/record"
)

// phaseSpan returns the phase's [from, to), or a verdict saying it is not in the record.
func phaseSpan(rec *record.Record, c *Common, v *Verdict) (from, to record.Duration, ok bool) {
	if c.phase() == record.PhaseAll {
		return 0, rec.Duration + 1, true
	}
	p, found := rec.Phase(c.phase())
	if !found {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the record has no %q phase", c.Name, c.phase())
		return 0, 0, false
	}
	return p.Start, p.End, true
}

// faultWindow returns the window of the named fault (the first window of any fault when name is
// empty) and the end of its last window.
func faultWindow(rec *record.Record, name string) (start, lastEnd record.Duration, ok bool) {
	for _, w := range rec.FaultWindows() {
		if name != "" && w.Fault != name {
			continue
		}
		if !ok {
			start, ok = w.Start, true
		}
		lastEnd = max(lastEnd, w.End)
	}
	return start, lastEnd, ok
}

func dur(d record.Duration) string { return d.D().Round(time.Millisecond).String() }

func joinAnd(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " and "
		}
		out += x
	}
	return out
}

// increase returns how much a counter grew during [from, to): its last value in the span minus its
// last value before it (0 when it did not exist yet: the core creates counters at first use).
func increase(pts []record.Point, from, to record.Duration) float64 {
	before, last := 0.0, 0.0
	seen := false
	for _, p := range pts {
		switch {
		case p.At < from:
			before = p.Value
		case p.At < to:
			last, seen = p.Value, true
		}
	}
	if !seen {
		return 0
	}
	return last - before
}
