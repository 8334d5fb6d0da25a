package assertions

import (
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// RecoveryTime checks that after the last window of the fault (any fault when Fault is empty) ends, the
// availability over a rolling Window is back at Objective within Max.
type RecoveryTime struct {
	Common    `yaml:",inline"`
	Fault     string            `yaml:"fault,omitempty" json:"fault,omitempty"`
	Objective units.Probability `yaml:"objective" json:"objective"`
	// Window is the rolling window's length. 0: 5s.
	Window units.Duration `yaml:"window,omitempty" json:"window,omitempty"`
	Max    units.Duration `yaml:"max" json:"max"`
	// DegradedIsBad counts degraded answers as failures: recovery is then the return of full
	// answers, not only of answers.
	DegradedIsBad bool `yaml:"degraded_is_bad,omitempty" json:"degraded_is_bad,omitempty"`
}

func (*RecoveryTime) Kind() string { return "recovery_time" }
func (r *RecoveryTime) Validate() error {
	return r.validate(rangeErr(&r.Common, "objective", r.Objective > 0 && r.Objective <= 1, r.Objective, "a share in (0, 1], e.g. 99%"),
		rangeErr(&r.Common, "max", r.Max > 0, r.Max, "more than 0, e.g. 10s"),
		rangeErr(&r.Common, "window", r.Window >= 0, r.Window, "0 (5s) or more"))
}
func (r *RecoveryTime) Evaluate(rec *record.Record) Verdict {
	v := r.verdict(r.Kind())
	v.Phase = record.PhaseRecovery
	_, end, ok := faultWindow(rec, r.Fault)
	if !ok {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: no fault %q was applied, so there is no recovery to time", r.Name, r.Fault)
		return v
	}
	win := 5
	if r.Window > 0 {
		win = max(1, int(r.Window.D()/time.Second))
	}
	what := "availability"
	if r.DegradedIsBad {
		what = "availability of full (not degraded) answers"
	}
	v.Expected = fmt.Sprintf("%s back at %s (over a %ds window) within %s of the fault's end at %s", what, r.Objective, win, r.Max, dur(end))
	first := int(end / record.Duration(time.Second))
	var samples int64
	for i := first; i+win <= len(rec.Seconds); i++ {
		var c record.Counts
		for _, s := range rec.Seconds[i : i+win] {
			c.Add(s.Counts)
		}
		samples += rec.Seconds[i].Requests
		good := c.Availability()
		if r.DegradedIsBad && c.Requests > 0 {
			good = float64(c.Good()-c.Degraded) / float64(c.Requests)
		}
		if c.Requests > 0 && good >= r.Objective.F() {
			// Recovered when this window began: the window's start, not its end, is the moment.
			at := max(rec.Seconds[i].At, end)
			d := at - end
			v.At, v.Value = &at, d.Seconds()
			v.Measured = fmt.Sprintf("%s back %s after the fault ended (%s over the %ds window from then)", what, dur(d), units.FormatPercent(good), win)
			judge(&v, &r.Common, d <= record.Duration(r.Max), c.Requests, minRequests/5)
			return v
		}
	}
	v.Measured = "never back at the objective before the run ended"
	judge(&v, &r.Common, false, samples, minRequests/5)
	return v
}
