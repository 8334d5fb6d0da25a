package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
)

// Readiness checks that the SUT's readiness endpoint answered something else than 200 at least once during
// the phase (it told its load balancer to stop sending traffic), and 200 again at the run's end.
type Readiness struct {
	Common `yaml:",inline"`
}

func (*Readiness) Kind() string { return "readiness" }
func (r *Readiness) Validate() error {
	return r.validate(rangeErr(&r.Common, "phase", r.phase() != record.PhaseAll, r.phase(), "the phase of the outage, e.g. fault"))
}
func (r *Readiness) Evaluate(rec *record.Record) Verdict {
	v := r.verdict(r.Kind())
	from, to, ok := phaseSpan(rec, &r.Common, &v)
	if !ok {
		return v
	}
	series := rec.FindSeries(record.ReadySeries, nil)
	if len(series) == 0 {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the readiness probe recorded nothing", r.Name)
		return v
	}
	pts := series[0].Points
	var notReady *record.Duration
	var n int64
	for i, p := range pts {
		if p.At >= from && p.At < to {
			n++
			if p.Value == 0 && notReady == nil {
				notReady = &pts[i].At
			}
		}
	}
	last := pts[len(pts)-1]
	v.Expected = fmt.Sprintf("not ready (an answer other than 200, or none) during %s, and ready (200) again before the run ended", r.phase())
	switch {
	case notReady == nil:
		v.Measured = fmt.Sprintf("ready at every probe of %s: the outage was not reported", r.phase())
	case last.Value != 1:
		v.At = notReady
		v.Measured = fmt.Sprintf("not ready from %s and still not ready at the last probe (%s)", dur(*notReady), dur(last.At))
	default:
		v.At = notReady
		back := last.At // the first probe of the last run of ready ones
		for i := len(pts) - 1; i >= 0 && pts[i].Value == 1; i-- {
			back = pts[i].At
		}
		v.Measured = fmt.Sprintf("not ready first at %s, ready again from %s", dur(*notReady), dur(back))
	}
	judge(&v, &r.Common, notReady != nil && last.Value == 1, n, minPoints)
	return v
}
