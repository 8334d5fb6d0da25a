package assertions

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Breaker checks a circuit breaker's state series (resilience_circuit_breaker_state{name}, or the
// series a service exports for another library's breaker, with its own values): that it opened
// within OpensWithin of the fault's first window and closed within ClosesWithin of its last
// window's end, or, with NeverOpens, that it never left closed during the phase. The times are as
// precise as the scrape tick.
type Breaker struct {
	Common `yaml:",inline"`
	// Breaker is the breaker's name label.
	Breaker string `yaml:"breaker" json:"breaker"`
	// Series maps another library's breaker state onto open and closed. Empty: the resilience
	// core's.
	Series *BreakerSeries `yaml:"series,omitempty" json:"series,omitempty"`
	// Fault names the fault the times count from. Empty: the first fault applied.
	Fault        string         `yaml:"fault,omitempty" json:"fault,omitempty"`
	OpensWithin  units.Duration `yaml:"opens_within,omitempty" json:"opens_within,omitempty"`
	ClosesWithin units.Duration `yaml:"closes_within,omitempty" json:"closes_within,omitempty"`
	NeverOpens   bool           `yaml:"never_opens,omitempty" json:"never_opens,omitempty"`
}

// BreakerSeries is the series a service exports for its breaker's state: its name, the label that
// names the breaker, and the values that mean open and closed (others, half-open say, are
// neither). gobreaker v2's State: closed 0, half-open 1, open 2; failsafe-go's: closed 0, open 1,
// half-open 2.
type BreakerSeries struct {
	// Name of the series. Empty: resilience_circuit_breaker_state.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Label names the breaker. Empty: name.
	Label string `yaml:"label,omitempty" json:"label,omitempty"`
	// Open and Closed are the values of those states. Empty: 1 and 0.
	Open   []float64 `yaml:"open,omitempty" json:"open,omitempty"`
	Closed []float64 `yaml:"closed,omitempty" json:"closed,omitempty"`
}

// Mapping returns how the series reads, the core's defaults filled in.
func (s *BreakerSeries) Mapping() record.BreakerMapping {
	r := record.CoreBreakers
	if s == nil {
		return r
	}
	if s.Name != "" {
		r.Series = s.Name
	}
	if s.Label != "" {
		r.Label = s.Label
	}
	if len(s.Open) > 0 {
		r.Open = s.Open
	}
	if len(s.Closed) > 0 {
		r.Closed = s.Closed
	}
	return r
}

func (*Breaker) Kind() string { return "breaker" }

var _ SeriesReader = (*Breaker)(nil)

// ReadsSeries names the breaker's state series.
func (b *Breaker) ReadsSeries() []string { return []string{b.Series.Mapping().Series} }
func (b *Breaker) Validate() error {
	set := b.OpensWithin > 0 || b.ClosesWithin > 0
	return b.validate(rangeErr(&b.Common, "breaker", b.Breaker != "", `""`, "the breaker's name, e.g. ollama"),
		rangeErr(&b.Common, "never_opens", set != b.NeverOpens, b.NeverOpens, "either never_opens: true, or opens_within and/or closes_within"))
}
func (b *Breaker) Evaluate(rec *record.Record) Verdict {
	v := b.verdict(b.Kind())
	bs := b.Series.Mapping()
	isOpen := func(v float64) bool { return slices.Contains(bs.Open, v) }
	isClosed := func(v float64) bool { return slices.Contains(bs.Closed, v) }
	if why := absent(rec, bs.Series, map[string]string{bs.Label: b.Breaker}); why != "" {
		if core := coreSeries(rec); b.Series == nil && !b.NeverOpens && len(rec.FindSeries(record.BreakerSeries, nil)) == 0 && len(core) > 0 {
			// The service runs the resilience core (its other series are here) with no breaker at
			// all: a breaker that must open and does not exist fails; a misspelt name would
			// leave the other breakers' series.
			v.Status, v.Expected, v.Measured = Fail, fmt.Sprintf("breaker %s opens", b.Breaker), "no breaker at all"
			v.Explanation = fmt.Sprintf("%s: the SUT exports the resilience core's metrics (%s) but no breaker state at all: it has no breaker %s to open", b.Name, list(core, 3), b.Breaker)
			return v
		}
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: %s: does the SUT export it under that name (see metrics: in the scenario)?", b.Name, why)
		return v
	}
	series := rec.FindSeries(bs.Series, map[string]string{bs.Label: b.Breaker})
	pts := series[0].Points
	// replicas says, when the series is across replicas, which of them were open from from on.
	replicas := func(from, to record.Duration) string {
		per := rec.FindReplicaSeries(bs.Series, map[string]string{bs.Label: b.Breaker})
		if len(per) < 2 {
			return ""
		}
		var open []string
		for _, s := range per {
			if slices.ContainsFunc(s.Points, func(p record.Point) bool { return p.At >= from && p.At < to && isOpen(p.Value) }) {
				open = append(open, s.Labels[record.InstanceLabel])
			}
		}
		if len(open) == 0 {
			return fmt.Sprintf("; closed on each of its %d replicas", len(per))
		}
		return fmt.Sprintf("; open on %d of its %d replicas: %s", len(open), len(per), strings.Join(open, ", "))
	}
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
			if !isClosed(p.Value) && v.At == nil {
				at := p.At
				v.At, v.Value = &at, p.Value
			}
		}
		if v.At != nil {
			v.Measured = fmt.Sprintf("it was not closed at %s (state value %g)", dur(*v.At), v.Value)
		} else {
			v.Measured = "closed at every scrape"
		}
		v.Measured += replicas(from, to)
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
		if opened == nil && p.At >= start && isOpen(p.Value) {
			opened = &pts[i].At
		}
		if opened != nil && closed == nil && p.At >= max(end, *opened) && isClosed(p.Value) {
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
			got = append(got, fmt.Sprintf("opened %s after the fault's start", dur(d)))
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
			got = append(got, fmt.Sprintf("closed %s after the fault's end", dur(d)))
			pass = pass && d <= record.Duration(b.ClosesWithin)
			v.At, v.Value = closed, d.Seconds()
		}
	}
	v.Expected = fmt.Sprintf("breaker %s to %s", b.Breaker, joinAnd(want))
	v.Measured = joinAnd(got) + replicas(start, record.Duration(math.MaxInt64))
	judge(&v, &b.Common, pass, int64(len(pts)), minPoints)
	return v
}
