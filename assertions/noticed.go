package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// breakerCallsSeries is the resilience core's count of the calls its breakers saw, by outcome.
const breakerCallsSeries = "resilience_circuit_breaker_calls_total"

// Noticed checks that the service saw a fault's injections as failures: of the injections the
// harness made during the phase (its decision log), at least Min show as failed calls in the
// service's own count, the resilience core's breaker failures (resilience_circuit_breaker_calls_total
// {name: Breaker, outcome: failure}) or a counter the service names. It is the verdict for a
// fault a careless client takes for success, such as a stream cut short that reads as a short
// answer: without it the service's availability looks perfect. Each injection that is noticed is
// at least one failed call (one per retry attempt it costs); other failures during the phase
// count too, so the share is capped at 100%.
type Noticed struct {
	Common `yaml:",inline"`
	// Fault is the fault's name in the scenario.
	Fault string `yaml:"fault" json:"fault"`
	// Breaker is the breaker's name label (of the resilience core's counter).
	Breaker string `yaml:"breaker,omitempty" json:"breaker,omitempty"`
	// Failures is the counter a service exports for another library's failed calls, instead.
	Failures *SeriesRef        `yaml:"failures,omitempty" json:"failures,omitempty"`
	Min      units.Probability `yaml:"min" json:"min"`
}

func (*Noticed) Kind() string { return "noticed" }
func (n *Noticed) Validate() error {
	named := n.Breaker != "" || n.Failures != nil && n.Failures.Name != ""
	return n.validate(rangeErr(&n.Common, "fault", n.Fault != "", `""`, "the name of one of the scenario's faults"),
		rangeErr(&n.Common, "breaker", named, `""`, "the breaker's name (e.g. ollama), or failures naming a counter"),
		rangeErr(&n.Common, "min", n.Min > 0 && n.Min <= 1, n.Min, "a share in (0, 1], e.g. 90%"))
}
func (n *Noticed) Evaluate(rec *record.Record) Verdict {
	v := n.verdict(n.Kind())
	from, to, ok := phaseSpan(rec, &n.Common, &v)
	if !ok {
		return v
	}
	injected := 0
	for _, d := range rec.DecisionLog {
		if d.Fault == n.Fault && d.Injected && d.At >= from && d.At < to {
			injected++
		}
	}
	ref := SeriesRef{Name: breakerCallsSeries, Labels: map[string]string{"name": n.Breaker, "outcome": "failure"}}
	if n.Failures != nil {
		ref = *n.Failures
	}
	var failed float64
	for _, s := range rec.FindSeries(ref.Name, ref.Labels) {
		failed += increase(s.Points, from, to)
	}
	if injected > 0 {
		v.Value = min(failed/float64(injected), 1)
	}
	cut := ""
	if len(rec.DecisionLog) >= record.MaxDecisions {
		cut = fmt.Sprintf(", counted in the first %d decisions", record.MaxDecisions)
	}
	v.Measured = fmt.Sprintf("%.0f failed calls counted by the service for %d injections of %s (%s%s)", failed, injected, n.Fault, units.FormatPercent(v.Value), cut)
	v.Expected = "at least " + n.Min.String() + " of the injections counted as failures"
	judge(&v, &n.Common, v.Value >= n.Min.F(), int64(injected), 10)
	return v
}
