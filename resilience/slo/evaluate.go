package slo

import (
	"fmt"
	"strings"
	"time"
)

// Bucket counts the events of one step of a Series.
type Bucket struct {
	Good, Total int64
}

// Series is a run of equal steps of counts, the first starting at offset 0.
type Series struct {
	Step    time.Duration
	Buckets []Bucket
}

// window sums the buckets that end in (end-w, end], for end a whole number of steps.
func (s Series) window(endStep int, w time.Duration) Bucket {
	n := max(int((w+s.Step-1)/s.Step), 1)
	var b Bucket
	for i := max(endStep-n, 0); i < endStep && i < len(s.Buckets); i++ {
		b.Good += s.Buckets[i].Good
		b.Total += s.Buckets[i].Total
	}
	return b
}

func badShare(b Bucket) float64 {
	if b.Total == 0 {
		return 0
	}
	return float64(b.Total-b.Good) / float64(b.Total)
}

// AlertResult is what one Rule did over a series.
type AlertResult struct {
	Rule Rule
	// Fired is true if the rule fired at least once; FirstAt is the end of the first step it fired.
	Fired   bool
	FirstAt time.Duration
	// FiringFor is how long it fired in all.
	FiringFor time.Duration
	// MaxLongBurn and MaxShortBurn are the highest burn rates seen over each window.
	MaxLongBurn, MaxShortBurn float64
}

// Report is an evaluation of a series against an objective.
type Report struct {
	Objective Objective
	Period    time.Duration
	Good      int64
	Total     int64
	// BadShare is the share of bad events; Consumed is the share of the budget it spent
	// (BadShare / budget: 1 is the whole budget) and Level its alert level.
	BadShare float64
	Consumed float64
	Level    Level
	Alerts   []AlertResult
	// WorstBurn is the highest burn rate a firing decision saw: max over rules of
	// min(long, short) burn at the same step.
	WorstBurn float64
}

// Evaluate judges s against o with the given rules (nil: ScaledRules(period, s.Step)) and
// thresholds (the zero value: DefaultThresholds). The budget is that of the whole series: period
// is the SLO period the rules are scaled to, usually the length of the run.
func Evaluate(o Objective, s Series, period time.Duration, rules []Rule, th Thresholds) Report {
	if rules == nil {
		rules = ScaledRules(period, s.Step)
	}
	if th == (Thresholds{}) {
		th = DefaultThresholds
	}
	r := Report{Objective: o, Period: period}
	for _, b := range s.Buckets {
		r.Good += b.Good
		r.Total += b.Total
	}
	r.BadShare = badShare(Bucket{Good: r.Good, Total: r.Total})
	r.Consumed = o.Burn(Bucket{Good: r.Good, Total: r.Total})
	r.Level = th.Level(r.Consumed)
	for _, rule := range rules {
		a := AlertResult{Rule: rule}
		for end := 1; end <= len(s.Buckets); end++ {
			long := o.Burn(s.window(end, rule.LongWindow))
			short := o.Burn(s.window(end, rule.ShortWindow))
			a.MaxLongBurn, a.MaxShortBurn = max(a.MaxLongBurn, long), max(a.MaxShortBurn, short)
			r.WorstBurn = max(r.WorstBurn, min(long, short))
			if long >= rule.BurnRate && short >= rule.BurnRate {
				if !a.Fired {
					a.Fired, a.FirstAt = true, time.Duration(end)*s.Step
				}
				a.FiringFor += s.Step
			}
		}
		r.Alerts = append(r.Alerts, a)
	}
	return r
}

// Explain describes the report in a few lines.
func (r Report) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "objective %s (budget %g): %d of %d events bad (%.4f%%), %.1f%% of the budget spent: %s",
		r.Objective, r.Objective.Budget(), r.Total-r.Good, r.Total, r.BadShare*100, r.Consumed*100, r.Level)
	for _, a := range r.Alerts {
		if a.Fired {
			fmt.Fprintf(&b, "\n%s %s (%.4gx over %s and %s) fired at %s for %s; max burn %.4gx / %.4gx",
				a.Rule.Severity, a.Rule.Name, a.Rule.BurnRate, a.Rule.LongWindow, a.Rule.ShortWindow, a.FirstAt, a.FiringFor, a.MaxLongBurn, a.MaxShortBurn)
		} else {
			fmt.Fprintf(&b, "\n%s %s (%.4gx over %s and %s) did not fire; max burn %.4gx / %.4gx",
				a.Rule.Severity, a.Rule.Name, a.Rule.BurnRate, a.Rule.LongWindow, a.Rule.ShortWindow, a.MaxLongBurn, a.MaxShortBurn)
		}
	}
	return b.String()
}
