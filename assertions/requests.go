package assertions

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// minRequests is the default fewest requests a request-based verdict passes on.
const minRequests = 50

// phaseCounts returns the counts of the phase (of the assertion's target, if it names one), or a
// verdict saying the phase or the target is not in the record.
func phaseCounts(rec *record.Record, c *Common, v *Verdict) (record.Counts, bool) {
	if c.Target != "" {
		ts := rec.Targets[c.Target]
		if ts == nil {
			v.Status = Insufficient
			v.Explanation = fmt.Sprintf("%s: the record has no results of target %q (name it in load.targets)", c.Name, c.Target)
			return record.Counts{}, false
		}
		counts, ok := ts.Counts[c.phase()]
		switch {
		case !ts.Sent():
			ok = false
			v.Status = Insufficient
			v.Explanation = fmt.Sprintf("%s: target %s sent no request: %s", c.Name, c.Target, ts.WhyUnsent())
		case !ok:
			v.Status = Insufficient
			v.Explanation = fmt.Sprintf("%s: target %q has no results in the %q phase", c.Name, c.Target, c.phase())
		}
		return counts, ok
	}
	counts, ok := rec.PhaseCounts(c.phase())
	if !ok {
		v.Status = Insufficient
		v.Explanation = fmt.Sprintf("%s: the record has no %q phase", c.Name, c.phase())
	}
	return counts, ok
}

// phaseLatency returns the latency histogram of the phase (and target), or nil.
func phaseLatency(rec *record.Record, c *Common) *record.Histogram {
	if c.Target != "" {
		if ts := rec.Targets[c.Target]; ts != nil {
			return ts.Latency[c.phase()]
		}
		return nil
	}
	return rec.Latency[c.phase()]
}

// judge fills the verdict's status and explanation from a comparison over n samples.
func judge(v *Verdict, c *Common, ok bool, n, def int64) {
	v.Samples = n
	enough, min := c.enough(n, def)
	switch {
	case !enough:
		v.Status = Insufficient
		v.Explanation = fmt.Sprintf("%s during %s: only %d samples, fewer than the %d a verdict needs; measured %s, want %s", c.Name, v.Phase, n, min, v.Measured, v.Expected)
	case ok:
		v.Status = Pass
		v.Explanation = fmt.Sprintf("%s during %s: %s over %d samples; want %s", c.Name, v.Phase, v.Measured, n, v.Expected)
	default:
		v.Status = Fail
		v.Explanation = fmt.Sprintf("%s during %s: measured %s over %d samples; want %s", c.Name, v.Phase, v.Measured, n, v.Expected)
	}
}

// Availability checks that the share of requests that succeeded (answered with a status their
// target expects: 2xx and 3xx unless it says otherwise) is at least Min.
type Availability struct {
	Common `yaml:",inline"`
	Min    units.Probability `yaml:"min" json:"min"`
}

func (*Availability) Kind() string { return "availability" }
func (a *Availability) Validate() error {
	return a.validate(rangeErr(&a.Common, "min", a.Min > 0 && a.Min <= 1, a.Min, "a share in (0, 1], e.g. 99.9%"))
}
func (a *Availability) Evaluate(rec *record.Record) Verdict {
	v := a.verdict(a.Kind())
	c, ok := phaseCounts(rec, &a.Common, &v)
	if !ok {
		return v
	}
	v.Value = c.Availability()
	v.Measured = fmt.Sprintf("%s available (%d of %d; failed: %s)", units.FormatPercent(v.Value), c.Good(), c.Requests, failures(c))
	v.Expected = "at least " + a.Min.String()
	judge(&v, &a.Common, v.Value >= a.Min.F(), c.Requests, minRequests)
	blame(rec, &a.Common, &v)
	return v
}

// ErrorRate checks that the share of requests that failed (no answer, or a status their target
// does not expect) is at most Max.
type ErrorRate struct {
	Common `yaml:",inline"`
	Max    units.Probability `yaml:"max" json:"max"`
}

func (*ErrorRate) Kind() string { return "error_rate" }
func (e *ErrorRate) Validate() error {
	return e.validate(rangeErr(&e.Common, "max", e.Max >= 0 && e.Max < 1, e.Max, "a share in [0, 1), e.g. 0.1%"))
}
func (e *ErrorRate) Evaluate(rec *record.Record) Verdict {
	v := e.verdict(e.Kind())
	c, ok := phaseCounts(rec, &e.Common, &v)
	if !ok {
		return v
	}
	v.Value = c.ErrorRate()
	v.Measured = fmt.Sprintf("%s failed (%d of %d: %s)", units.FormatPercent(v.Value), c.Failed, c.Requests, failures(c))
	v.Expected = "at most " + e.Max.String()
	judge(&v, &e.Common, v.Value <= e.Max.F(), c.Requests, minRequests)
	blame(rec, &e.Common, &v)
	return v
}

// blame adds to a failed verdict over every request the named targets its failures came from,
// most first: "; by target: runs 169 of 300 failed (169 4xx), agents 0 of 150".
func blame(rec *record.Record, c *Common, v *Verdict) {
	if v.Status != Fail || c.Target != "" || len(rec.Targets) < 2 {
		return
	}
	type t struct {
		name string
		c    record.Counts
	}
	var ts []t
	for name, st := range rec.Targets {
		ts = append(ts, t{name, st.Counts[c.phase()]})
	}
	slices.SortFunc(ts, func(a, b t) int {
		if a.c.Failed != b.c.Failed {
			return int(b.c.Failed - a.c.Failed)
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, len(ts))
	for i, x := range ts {
		parts[i] = fmt.Sprintf("%s %d of %d failed (%s)", x.name, x.c.Failed, x.c.Requests, failures(x.c))
	}
	v.Explanation += "; by target: " + strings.Join(parts, ", ")
}

// failures says what the failed requests were: "3 4xx, 0 5xx, 1 errors" (answers with a status
// the target does not expect, by class, and requests with no answer), and the answers that
// failed a check, by its name: "3 4xx, 0 5xx, 0 errors, 117 check `stream completed`".
func failures(c record.Counts) string {
	s := fmt.Sprintf("%d 4xx, %d 5xx, %d errors", c.Failed4xx, c.Failed5xx, c.Errors)
	for _, name := range slices.Sorted(maps.Keys(c.FailedChecks)) {
		s += fmt.Sprintf(", %d check `%s`", c.FailedChecks[name], name)
	}
	return s
}

// Latency checks that the Quantile of request latency is at most Max.
type Latency struct {
	Common   `yaml:",inline"`
	Quantile units.Probability `yaml:"quantile" json:"quantile"` // e.g. 0.95 or 95%
	Max      units.Duration    `yaml:"max" json:"max"`
}

func (*Latency) Kind() string { return "latency" }
func (l *Latency) Validate() error {
	return l.validate(
		rangeErr(&l.Common, "quantile", l.Quantile > 0 && l.Quantile <= 1, l.Quantile, "a quantile in (0, 1], e.g. 0.95 or 95%"),
		rangeErr(&l.Common, "max", l.Max > 0, l.Max, "more than 0, e.g. 1s"))
}
func (l *Latency) Evaluate(rec *record.Record) Verdict {
	v := l.verdict(l.Kind())
	h := phaseLatency(rec, &l.Common)
	q := h.Quantile(l.Quantile.F())
	v.Value = q.Seconds()
	v.Measured = fmt.Sprintf("p%s %s", l.Quantile.String()[:len(l.Quantile.String())-1], q.Round(time.Microsecond))
	v.Expected = "at most " + l.Max.String()
	judge(&v, &l.Common, q <= l.Max.D(), int64(h.Count()), minRequests)
	return v
}

// Throughput checks that the achieved request rate is at least Min of the rate the load generator was asked
// for in the phase.
type Throughput struct {
	Common `yaml:",inline"`
	Min    units.Probability `yaml:"min" json:"min"`
}

func (*Throughput) Kind() string { return "throughput" }
func (t *Throughput) Validate() error {
	return t.validate(rangeErr(&t.Common, "min", t.Min > 0 && t.Min <= 1, t.Min, "a share of the requested rate in (0, 1], e.g. 95%"))
}
func (t *Throughput) Evaluate(rec *record.Record) Verdict {
	v := t.verdict(t.Kind())
	c, ok := phaseCounts(rec, &t.Common, &v)
	if !ok {
		return v
	}
	var secs, requested float64
	if p, found := rec.Phase(t.phase()); found {
		secs, requested = (p.End - p.Start).Seconds(), p.Rate
	} else {
		secs = rec.Duration.Seconds()
		for _, p := range rec.Phases {
			requested += p.Rate * (p.End - p.Start).Seconds()
		}
		if secs > 0 {
			requested /= secs
		}
	}
	achieved := 0.0
	if secs > 0 {
		achieved = float64(c.Requests) / secs
	}
	if requested > 0 {
		v.Value = achieved / requested
	}
	v.Measured = fmt.Sprintf("%.1f requests/s of %.1f requested (%s)", achieved, requested, units.FormatPercent(v.Value))
	v.Expected = "at least " + t.Min.String() + " of the requested rate"
	judge(&v, &t.Common, requested > 0 && v.Value >= t.Min.F(), c.Requests, minRequests)
	return v
}

func rangeErr(c *Common, field string, ok bool, v any, want string) error {
	if ok {
		return nil
	}
	return c.fieldErr(field, v, want)
}
