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
	v.Measured = fmt.Sprintf("%s of the calls that needed a retry succeeded (%.0f of %.0f; %.0f gave up)", units.FormatPercent(v.Value), recovered, retried, failed)
	v.Expected = "at least " + r.Min.String()
	judge(&v, &r.Common, v.Value >= r.Min.F(), int64(retried), 10)
	return v
}
