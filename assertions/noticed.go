package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Noticed checks that the service saw a fault's injections as failures: of the injections the
// harness made during the phase (its decision log; for a fault decided where it ran, such as in
// a mock in a container, the counts its removals recorded), at least Min show as failed calls in the
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

var _ SeriesReader = (*Noticed)(nil)

// ReadsSeries names the service's failure counter, or the core's breaker calls.
func (n *Noticed) ReadsSeries() []string { return []string{n.failures().Name} }

// failures is the series the service counts its failed calls in.
func (n *Noticed) failures() SeriesRef {
	if n.Failures != nil {
		return *n.Failures
	}
	return SeriesRef{Name: record.BreakerCallsSeries, Labels: map[string]string{"name": n.Breaker, "outcome": "failure"}}
}
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
	injected, logged := 0, false
	for _, d := range rec.DecisionLog {
		logged = logged || d.Fault == n.Fault
		if d.Fault == n.Fault && d.Injected && d.At >= from && d.At < to {
			injected++
		}
	}
	if !logged { // decided where the fault ran (a mock in a container): its counts at each removal
		injected = countedInjections(rec, n.Fault, from, to)
	}
	ref := n.failures()
	why := absent(rec, ref.Name, map[string]string{"name": n.Breaker})
	if n.Failures != nil {
		why = absent(rec, ref.Name, nil) // its labels may name an outcome the service has not counted yet
	}
	if why != "" {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: %s", n.Name, why)
		return v
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

// countedInjections is how many of a fault's injections its removal events in [from, to)
// counted: each event holds the count over the run up to then, so the phase's share is the last
// count in it less the last one before it.
func countedInjections(rec *record.Record, fault string, from, to record.Duration) int {
	var before, last uint64
	for _, e := range rec.Faults {
		if e.Fault != fault || !e.Counted {
			continue
		}
		switch {
		case e.At < from:
			before = e.Injected
		case e.At < to:
			last = e.Injected
		}
	}
	if last < before {
		return 0
	}
	return int(last - before)
}
