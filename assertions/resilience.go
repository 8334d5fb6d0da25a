package assertions

import (
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/slo"
	"github.com/shakedown-dev/shakedown/units"
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

// Degraded: the share of answers marked degraded is at least Min and at most Max.
type Degraded struct {
	Common `yaml:",inline"`
	Min    *units.Probability `yaml:"min,omitempty" json:"min,omitempty"`
	Max    *units.Probability `yaml:"max,omitempty" json:"max,omitempty"`
}

func (*Degraded) Kind() string { return "degraded" }
func (d *Degraded) Validate() error {
	return d.validate(rangeErr(&d.Common, "min/max", d.Min != nil || d.Max != nil, "unset", "min, max or both, e.g. max: 5%"),
		rangeErr(&d.Common, "min", d.Min == nil || d.Max == nil || *d.Min <= *d.Max, d.Min, "at most max"))
}
func (d *Degraded) Evaluate(rec *record.Record) Verdict {
	v := d.verdict(d.Kind())
	c, ok := phaseCounts(rec, &d.Common, &v)
	if !ok {
		return v
	}
	v.Value = c.DegradedShare()
	v.Measured = fmt.Sprintf("%s degraded (%d of %d)", pct(v.Value), c.Degraded, c.Requests)
	pass := true
	switch {
	case d.Min != nil && d.Max != nil:
		v.Expected = fmt.Sprintf("between %s and %s", d.Min, d.Max)
		pass = v.Value >= d.Min.F() && v.Value <= d.Max.F()
	case d.Min != nil:
		v.Expected = "at least " + d.Min.String()
		pass = v.Value >= d.Min.F()
	case d.Max != nil:
		v.Expected = "at most " + d.Max.String()
		pass = v.Value <= d.Max.F()
	default:
		v.Expected, pass = "a min or a max (none is set)", false
	}
	judge(&v, &d.Common, pass, c.Requests, minRequests)
	return v
}

// Breaker checks a circuit breaker's state series (resilience_circuit_breaker_state{name}): that
// it opened within OpensWithin of the fault's first window and closed within ClosesWithin of its
// last window's end, or, with NeverOpens, that it never left closed during the phase. The times
// are as precise as the scrape tick.
type Breaker struct {
	Common `yaml:",inline"`
	// Breaker is the breaker's name label.
	Breaker string `yaml:"breaker" json:"breaker"`
	// Fault names the fault the times count from. Empty: the first fault applied.
	Fault        string         `yaml:"fault,omitempty" json:"fault,omitempty"`
	OpensWithin  units.Duration `yaml:"opens_within,omitempty" json:"opens_within,omitempty"`
	ClosesWithin units.Duration `yaml:"closes_within,omitempty" json:"closes_within,omitempty"`
	NeverOpens   bool           `yaml:"never_opens,omitempty" json:"never_opens,omitempty"`
}

func (*Breaker) Kind() string { return "breaker" }
func (b *Breaker) Validate() error {
	set := b.OpensWithin > 0 || b.ClosesWithin > 0
	return b.validate(rangeErr(&b.Common, "breaker", b.Breaker != "", `""`, "the breaker's name, e.g. ollama"),
		rangeErr(&b.Common, "never_opens", set != b.NeverOpens, b.NeverOpens, "either never_opens: true, or opens_within and/or closes_within"))
}
func (b *Breaker) Evaluate(rec *record.Record) Verdict {
	v := b.verdict(b.Kind())
	series := rec.FindSeries(record.BreakerSeries, map[string]string{"name": b.Breaker})
	if len(series) == 0 {
		v.Status = Insufficient
		v.Explanation = fmt.Sprintf("%s: no %s{name=%q} was scraped: does the SUT export the resilience core's metrics at /metrics?", b.Name, record.BreakerSeries, b.Breaker)
		return v
	}
	pts := series[0].Points
	if b.NeverOpens {
		from, to, ok := phaseSpan(rec, &b.Common, &v)
		if !ok {
			return v
		}
		v.Expected = fmt.Sprintf("breaker %s stays closed", b.Breaker)
		var n int64
		for _, p := range pts {
			if p.At < from || p.At >= to {
				continue
			}
			n++
			if p.Value != record.BreakerClosed && v.At == nil {
				at := p.At
				v.At, v.Value = &at, p.Value
			}
		}
		if v.At != nil {
			v.Measured = fmt.Sprintf("it left closed (state %g) at %s", v.Value, dur(*v.At))
		} else {
			v.Measured = "closed at every scrape"
		}
		judge(&v, &b.Common, v.At == nil, n, minPoints)
		return v
	}
	start, end, ok := faultWindow(rec, b.Fault)
	if !ok {
		v.Status = Insufficient
		v.Explanation = fmt.Sprintf("%s: no fault %q was applied, so there is nothing to time the breaker from", b.Name, b.Fault)
		return v
	}
	var opened, closed *record.Duration
	for i := range pts {
		p := pts[i]
		if opened == nil && p.At >= start && p.Value == record.BreakerOpen {
			opened = &pts[i].At
		}
		if opened != nil && closed == nil && p.At >= max(end, *opened) && p.Value == record.BreakerClosed {
			closed = &pts[i].At
		}
	}
	pass := true
	var want, got []string
	if b.OpensWithin > 0 {
		want = append(want, fmt.Sprintf("open within %s of the fault's start at %s", b.OpensWithin, dur(start)))
		if opened == nil {
			got, pass = append(got, "it never opened"), false
		} else {
			d := *opened - start
			got = append(got, fmt.Sprintf("opened %s after it", dur(d)))
			pass = pass && d <= record.Duration(b.OpensWithin)
			v.At, v.Value = opened, d.Seconds()
		}
	}
	if b.ClosesWithin > 0 {
		want = append(want, fmt.Sprintf("close within %s of the fault's end at %s", b.ClosesWithin, dur(end)))
		switch {
		case opened == nil:
			got, pass = append(got, "it never opened, so it never closed again"), false
		case closed == nil:
			got, pass = append(got, "it was still not closed at the end of the run"), false
		default:
			d := *closed - end
			got = append(got, fmt.Sprintf("closed %s after it", dur(d)))
			pass = pass && d <= record.Duration(b.ClosesWithin)
			v.At, v.Value = closed, d.Seconds()
		}
	}
	v.Expected = fmt.Sprintf("breaker %s to %s", b.Breaker, joinAnd(want))
	v.Measured = joinAnd(got)
	judge(&v, &b.Common, pass, int64(len(pts)), minPoints)
	return v
}

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

// Retries: of the calls through the named retryer that needed a retry during the phase, at least
// Min succeeded: resilience_retry_calls_total{outcome="success_after_retry"} against those and the
// calls that retried in vain (exhausted) or were refused a retry by the budget
// (budget_exhausted). Aborted calls are left out: mostly never retried (an error not worth a
// retry, an open breaker's rejection), they did not need a retry the policy could give.
type Retries struct {
	Common `yaml:",inline"`
	// Retry is the retryer's name label.
	Retry string            `yaml:"retry" json:"retry"`
	Min   units.Probability `yaml:"min" json:"min"`
}

func (*Retries) Kind() string { return "retries" }
func (r *Retries) Validate() error {
	return r.validate(rangeErr(&r.Common, "retry", r.Retry != "", `""`, "the retryer's name, e.g. ollama"),
		rangeErr(&r.Common, "min", r.Min > 0 && r.Min <= 1, r.Min, "a share in (0, 1], e.g. 90%"))
}
func (r *Retries) Evaluate(rec *record.Record) Verdict {
	v := r.verdict(r.Kind())
	from, to, ok := phaseSpan(rec, &r.Common, &v)
	if !ok {
		return v
	}
	count := func(outcome string) float64 {
		var n float64
		for _, s := range rec.FindSeries(record.RetrySeries, map[string]string{"name": r.Retry, "outcome": outcome}) {
			n += increase(s.Points, from, to)
		}
		return n
	}
	recovered := count(record.RetrySuccessAfterRetry)
	failed := count(record.RetryExhausted) + count(record.RetryBudgetExhausted)
	retried := recovered + failed
	if retried > 0 {
		v.Value = recovered / retried
	}
	v.Measured = fmt.Sprintf("%s of the calls that needed a retry succeeded (%.0f of %.0f; %.0f gave up)", pct(v.Value), recovered, retried, failed)
	v.Expected = "at least " + r.Min.String()
	judge(&v, &r.Common, v.Value >= r.Min.F(), int64(retried), 10)
	return v
}

// SLO judges the phase against an availability objective (and, optionally, a latency quantile)
// with the error-budget math of resilience/slo: the budget spent, its alert level (the levels at
// AlertLevels) and the worst burn rate over the SRE workbook's windows scaled to the phase.
type SLO struct {
	Common    `yaml:",inline"`
	Objective units.Probability `yaml:"objective" json:"objective"`
	// Latency, if set, must also hold over the phase.
	Latency *LatencyObjective `yaml:"latency,omitempty" json:"latency,omitempty"`
	// AlertLevels are the shares of the budget at which the warning and critical levels start.
	// Empty: 50% and 80%.
	AlertLevels []units.Probability `yaml:"alert_levels,omitempty" json:"alert_levels,omitempty"`
	// MaxBudgetSpent fails the verdict when more of the budget was spent. 0: 100%.
	MaxBudgetSpent units.Probability `yaml:"max_budget_spent,omitempty" json:"max_budget_spent,omitempty"`
}

// LatencyObjective is a quantile of latency that must stay at most Max.
type LatencyObjective struct {
	Quantile units.Probability `yaml:"quantile" json:"quantile"`
	Max      units.Duration    `yaml:"max" json:"max"`
}

func (*SLO) Kind() string { return "slo" }
func (s *SLO) Validate() error {
	errs := []error{rangeErr(&s.Common, "objective", s.Objective > 0 && s.Objective < 1, s.Objective, "a share in (0, 1), e.g. 99.9%"),
		rangeErr(&s.Common, "alert_levels", len(s.AlertLevels) == 0 || len(s.AlertLevels) == 2 && s.AlertLevels[0] < s.AlertLevels[1] && s.AlertLevels[1] < 1,
			s.AlertLevels, "two increasing shares below 100%, e.g. [50%, 80%]"),
		rangeErr(&s.Common, "max_budget_spent", s.MaxBudgetSpent >= 0, s.MaxBudgetSpent, "a share of 0 (100%) or more")}
	if s.Latency != nil {
		errs = append(errs, rangeErr(&s.Common, "latency.quantile", s.Latency.Quantile > 0 && s.Latency.Quantile <= 1, s.Latency.Quantile, "a quantile in (0, 1]"),
			rangeErr(&s.Common, "latency.max", s.Latency.Max > 0, s.Latency.Max, "more than 0, e.g. 1s"))
	}
	return s.validate(errs...)
}

func (s *SLO) thresholds() slo.Thresholds {
	w, c := 0.5, 0.8
	if len(s.AlertLevels) == 2 {
		w, c = s.AlertLevels[0].F(), s.AlertLevels[1].F()
	}
	return slo.Thresholds{Warning: w, Critical: c, Freeze: (c + 1) / 2}
}

func (s *SLO) Evaluate(rec *record.Record) Verdict {
	v := s.verdict(s.Kind())
	from, to, ok := phaseSpan(rec, &s.Common, &v)
	if !ok {
		return v
	}
	var series slo.Series
	series.Step = time.Second
	for _, sec := range rec.Seconds {
		if sec.At >= from && sec.At < to {
			series.Buckets = append(series.Buckets, slo.Bucket{Good: sec.Good(), Total: sec.Requests})
		}
	}
	obj, err := slo.NewObjective(s.Objective.F())
	if err != nil {
		v.Status, v.Explanation = Fail, fmt.Sprintf("%s: %v", s.Name, err)
		return v
	}
	period := time.Duration(len(series.Buckets)) * time.Second
	if period == 0 {
		period = time.Second
	}
	rep := slo.Evaluate(obj, series, period, nil, s.thresholds())
	maxSpent := 1.0
	if s.MaxBudgetSpent > 0 {
		maxSpent = s.MaxBudgetSpent.F()
	}
	v.Value = rep.Consumed
	fired := 0
	for _, a := range rep.Alerts {
		if a.Fired {
			fired++
		}
	}
	v.Measured = fmt.Sprintf("%s available (%d of %d), %s of the error budget spent (level %s), worst burn rate %.1fx, %d of %d workbook alerts fired",
		pct(1-rep.BadShare), rep.Good, rep.Total, pct(rep.Consumed), rep.Level, rep.WorstBurn, fired, len(rep.Alerts))
	v.Expected = fmt.Sprintf("availability at least %s with at most %s of its budget spent", s.Objective, pct(maxSpent))
	pass := rep.Consumed <= maxSpent
	if s.Latency != nil {
		h := phaseLatency(rec, &s.Common)
		q := h.Quantile(s.Latency.Quantile.F())
		v.Measured += fmt.Sprintf(", p%s %s", trimPct(s.Latency.Quantile), q.Round(time.Millisecond))
		v.Expected += fmt.Sprintf(", p%s at most %s", trimPct(s.Latency.Quantile), s.Latency.Max)
		pass = pass && q <= s.Latency.Max.D()
	}
	judge(&v, &s.Common, pass, rep.Total, minRequests)
	return v
}

func trimPct(p units.Probability) string { s := p.String(); return s[:len(s)-1] }

// RecoveryTime: after the last window of the fault (any fault when Fault is empty) ends, the
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
	v.Expected = fmt.Sprintf("%s over %ds back at %s within %s of the fault's end at %s", what, win, r.Objective, r.Max, dur(end))
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
			v.Measured = fmt.Sprintf("back at %s over %ds %s after the fault ended", pct(good), win, dur(d))
			judge(&v, &r.Common, d <= record.Duration(r.Max), c.Requests, minRequests/5)
			return v
		}
	}
	v.Measured = "never back at the objective before the run ended"
	judge(&v, &r.Common, false, samples, minRequests/5)
	return v
}

// Readiness: the SUT's readiness endpoint answered something else than 200 at least once during
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
	v.Expected = fmt.Sprintf("not ready (503) during %s, ready (200) at the end", r.phase())
	switch {
	case notReady == nil:
		v.Measured = fmt.Sprintf("ready at every probe of %s: the outage was not reported", r.phase())
	case last.Value != 1:
		v.At = notReady
		v.Measured = fmt.Sprintf("not ready from %s and still not ready at the end (%s)", dur(*notReady), dur(last.At))
	default:
		v.At = notReady
		v.Measured = fmt.Sprintf("not ready first at %s, ready again by %s", dur(*notReady), dur(last.At))
	}
	judge(&v, &r.Common, notReady != nil && last.Value == 1, n, minPoints)
	return v
}

// Durability: every write the SUT acknowledged (each 201's Location) is found after the run by
// Query ($1 is the text[] of the Locations' last segments; it returns the ids it found), over a
// direct connection to Postgres. The harness runs the check when the scenario has this assertion
// (harness.NewPlan resolves the query: this one, else the builtin service's own).
type Durability struct {
	Common `yaml:",inline"`
	// Query finds the acknowledged ids among $1. Empty: the builtin service's query.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
}

func (*Durability) Kind() string      { return "durability" }
func (d *Durability) Validate() error { return d.validate() }
func (d *Durability) Evaluate(rec *record.Record) Verdict {
	v := d.verdict(d.Kind())
	c := rec.Durability
	if c == nil {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the record has no durability check (the run ended early?)", d.Name)
		return v
	}
	if c.Error != "" {
		v.Status, v.Explanation = Fail, fmt.Sprintf("%s: the check could not run: %s", d.Name, c.Error)
		return v
	}
	v.Value = float64(c.Missing)
	v.Expected = "every acknowledged write in Postgres"
	v.Measured = fmt.Sprintf("acknowledged=%d missing=%d", c.Acknowledged, c.Missing)
	if c.Missing > 0 {
		v.Measured += fmt.Sprintf(" (first missing: %v)", c.MissingIDs)
	}
	if c.Checked < c.Acknowledged {
		v.Measured += fmt.Sprintf(" (the first %d checked)", c.Checked)
	}
	judge(&v, &d.Common, c.Missing == 0, c.Checked, 1)
	return v
}
