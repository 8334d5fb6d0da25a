package assertions

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Retries checks that of the calls through the named retryer that needed a retry during the phase, at least
// Min succeeded: resilience_retry_calls_total{outcome="success_after_retry"} against those and the
// calls that retried in vain (exhausted) or were refused a retry by the budget
// (budget_exhausted). Aborted calls are left out: mostly never retried (an error not worth a
// retry, an open breaker's rejection), they did not need a retry the policy could give.
type Retries struct {
	Common `yaml:",inline"`
	// Retry is the retryer's name label (of the resilience core's counter).
	Retry string            `yaml:"retry,omitempty" json:"retry,omitempty"`
	Min   units.Probability `yaml:"min" json:"min"`
	// Counters are the counters a service exports for another library's retries, instead of the
	// core's: the calls that succeeded after a retry, and those that retried and gave up.
	Counters *RetryCounters `yaml:"counters,omitempty" json:"counters,omitempty"`
}

// RetryCounters name a service's own retry counters.
type RetryCounters struct {
	Recovered SeriesRef `yaml:"recovered" json:"recovered"`
	GaveUp    SeriesRef `yaml:"gave_up" json:"gave_up"`
}

// SeriesRef selects scraped series: by name, and labels that must all match.
type SeriesRef struct {
	Name   string            `yaml:"name" json:"name"`
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
}

func (*Retries) Kind() string { return "retries" }

var _ SeriesReader = (*Retries)(nil)

// ReadsSeries names the service's retry counters, or the core's.
func (r *Retries) ReadsSeries() []string {
	if c := r.Counters; c != nil {
		return []string{c.Recovered.Name, c.GaveUp.Name}
	}
	return []string{record.RetrySeries}
}
func (r *Retries) Validate() error {
	named := r.Retry != "" || r.Counters != nil && r.Counters.Recovered.Name != "" && r.Counters.GaveUp.Name != ""
	return r.validate(rangeErr(&r.Common, "retry", named, `""`, "the retryer's name (e.g. ollama), or counters with recovered and gave_up series"),
		rangeErr(&r.Common, "min", r.Min > 0 && r.Min <= 1, r.Min, "a share in (0, 1], e.g. 90%"))
}
func (r *Retries) Evaluate(rec *record.Record) Verdict {
	v := r.verdict(r.Kind())
	from, to, ok := phaseSpan(rec, &r.Common, &v)
	if !ok {
		return v
	}
	count := func(ref SeriesRef) float64 {
		var n float64
		for _, s := range rec.FindSeries(ref.Name, ref.Labels) {
			n += increase(s.Points, from, to)
		}
		return n
	}
	core := func(outcome string) SeriesRef {
		return SeriesRef{Name: record.RetrySeries, Labels: map[string]string{"name": r.Retry, "outcome": outcome}}
	}
	why := absent(rec, record.RetrySeries, map[string]string{"name": r.Retry})
	if c := r.Counters; c != nil {
		if why = absent(rec, c.Recovered.Name, nil); why == "" {
			why = absent(rec, c.GaveUp.Name, nil)
		}
	}
	if why != "" {
		v.Status, v.Explanation = Insufficient, fmt.Sprintf("%s: %s", r.Name, why)
		return v
	}
	var recovered, failed float64
	if c := r.Counters; c != nil {
		recovered, failed = count(c.Recovered), count(c.GaveUp)
	} else {
		recovered = count(core(record.RetrySuccessAfterRetry))
		failed = count(core(record.RetryExhausted)) + count(core(record.RetryBudgetExhausted))
	}
	retried := recovered + failed
	if retried > 0 {
		v.Value = recovered / retried
	}
	v.Measured = fmt.Sprintf("%s of the calls that needed a retry succeeded (%.0f of %.0f; %.0f gave up)", units.FormatPercent(v.Value), recovered, retried, failed)
	v.Expected = "at least " + r.Min.String()
	judge(&v, &r.Common, v.Value >= r.Min.F(), int64(retried), 10)
	return v
}
