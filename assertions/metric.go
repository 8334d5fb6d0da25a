package assertions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/record"
)

// The conditions of a metric check.
const (
	OpReached    = "reached"     // some point equals value
	OpNever      = "never"       // no point equals value
	OpAtEnd      = "at_end"      // the phase's last point equals value
	OpMaxAtMost  = "max_at_most" // every point is at most value
	OpMinAtLeast = "min_at_least"
	OpIncrease   = "increase_at_least" // last minus first is at least value (counters)
)

var ops = []string{OpReached, OpNever, OpAtEnd, OpMaxAtMost, OpMinAtLeast, OpIncrease}

// Metric checks a scraped series during a phase, e.g. that
// resilience_circuit_breaker_state{name="ollama"} reached 1 during the fault phase.
type Metric struct {
	Common `yaml:",inline"`
	// Metric is the series' name; Labels must all match (others may differ: each matching
	// series is checked, and the check passes when any series meets it, fails otherwise).
	Metric string            `yaml:"metric" json:"metric"`
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Op     string            `yaml:"op" json:"op"`
	Value  float64           `yaml:"value" json:"value"`
}

func (*Metric) Kind() string { return "metric" }

var _ SeriesReader = (*Metric)(nil)

// ReadsSeries names the metric.
func (m *Metric) ReadsSeries() []string { return []string{m.Metric} }
func (m *Metric) Validate() error {
	return m.validate(
		rangeErr(&m.Common, "metric", m.Metric != "", `""`, "a metric name, e.g. resilience_circuit_breaker_state"),
		rangeErr(&m.Common, "op", slices.Contains(ops, m.Op), fmt.Sprintf("%q", m.Op), "one of "+strings.Join(ops, ", ")))
}

// minPoints is the default fewest points a metric verdict passes on.
const minPoints = 2

func (m *Metric) Evaluate(rec *record.Record) Verdict {
	v := m.verdict(m.Kind())
	from, to := record.Duration(0), rec.Duration+1
	if p, ok := rec.Phase(m.phase()); ok {
		from, to = p.Start, p.End
	} else if m.phase() != record.PhaseAll {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: the record has no %q phase", m.Name, m.phase())
		return v
	}
	v.Expected = fmt.Sprintf("%s %s %g", record.SeriesKey(m.Metric, m.Labels), m.Op, m.Value)
	if why := absent(rec, m.Metric, m.Labels); why != "" {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: %s", m.Name, why)
		return v
	}
	series := rec.FindSeries(m.Metric, m.Labels)
	var n int64
	met := false
	var best string
	for _, s := range series {
		var pts []record.Point
		for _, p := range s.Points {
			if p.At >= from && p.At < to {
				pts = append(pts, p)
			}
		}
		n += int64(len(pts))
		ok, what, at := m.check(pts)
		if ok && !met {
			met, best, v.At = true, what, at
		} else if best == "" {
			best = what
			if !ok {
				v.At = at
			}
		}
	}
	v.Measured = best
	judge(&v, &m.Common, met, n, minPoints)
	return v
}

// check tests the points of one series and says what it saw.
func (m *Metric) check(pts []record.Point) (ok bool, what string, at *record.Duration) {
	if len(pts) == 0 {
		return false, "no points in the phase", nil
	}
	first, last := pts[0], pts[len(pts)-1]
	lo, hi := first, first
	var hit *record.Point
	for i, p := range pts {
		if p.Value < lo.Value {
			lo = p
		}
		if p.Value > hi.Value {
			hi = p
		}
		if hit == nil && p.Value == m.Value {
			hit = &pts[i]
		}
	}
	switch m.Op {
	case OpReached:
		if hit != nil {
			return true, fmt.Sprintf("%g first at %s", m.Value, hit.At), &hit.At
		}
		return false, fmt.Sprintf("never %g (from %g to %g)", m.Value, lo.Value, hi.Value), nil
	case OpNever:
		if hit != nil {
			return false, fmt.Sprintf("%g at %s", m.Value, hit.At), &hit.At
		}
		return true, fmt.Sprintf("never %g (from %g to %g)", m.Value, lo.Value, hi.Value), nil
	case OpAtEnd:
		return last.Value == m.Value, fmt.Sprintf("%g at the end (%s)", last.Value, last.At), &last.At
	case OpMaxAtMost:
		return hi.Value <= m.Value, fmt.Sprintf("max %g at %s", hi.Value, hi.At), &hi.At
	case OpMinAtLeast:
		return lo.Value >= m.Value, fmt.Sprintf("min %g at %s", lo.Value, lo.At), &lo.At
	default: // OpIncrease
		inc := last.Value - first.Value
		return inc >= m.Value, fmt.Sprintf("increased by %g (%s to %s)", inc, first.At, last.At), nil
	}
}
