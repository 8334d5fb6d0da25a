package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Degraded checks that the share of answers marked degraded is at least Min and at most Max.
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
	v.Measured = fmt.Sprintf("%s degraded (%d of %d)", units.FormatPercent(v.Value), c.Degraded, c.Requests)
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
