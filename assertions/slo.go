package assertions

import (
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/slo"
	"github.com/shakedown-dev/shakedown/units"
)

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
		units.FormatPercent(1-rep.BadShare), rep.Good, rep.Total, units.FormatPercent(rep.Consumed), rep.Level, rep.WorstBurn, fired, len(rep.Alerts))
	v.Expected = fmt.Sprintf("availability at least %s with at most %s of its budget spent", s.Objective, units.FormatPercent(maxSpent))
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
