package record_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/resilience/retry"
)

// The record's vocabulary is what the resilience core exports: a renamed metric or label on
// either side fails here, not as a verdict that silently finds no data.
func TestVocabularyMatchesTheResilienceCore(t *testing.T) {
	t.Parallel()
	for name, pair := range map[string][2]string{
		"success_first":       {record.RetrySuccessFirst, retry.SuccessFirst.String()},
		"success_after_retry": {record.RetrySuccessAfterRetry, retry.SuccessAfterRetry.String()},
		"exhausted":           {record.RetryExhausted, retry.Exhausted.String()},
		"budget_exhausted":    {record.RetryBudgetExhausted, retry.BudgetExhausted.String()},
		"aborted":             {record.RetryAborted, retry.Aborted.String()},
	} {
		if pair[0] != pair[1] {
			t.Errorf("retry outcome %s: record says %q, the core labels %q", name, pair[0], pair[1])
		}
	}

	reg := prometheus.NewRegistry()
	m, err := prom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := circuitbreaker.New(circuitbreaker.Config{Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	m.WatchBreaker(b)
	gauge := func() float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == record.BreakerSeries {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no %s among the core's metrics", record.BreakerSeries)
		return 0
	}
	if got := gauge(); got != record.BreakerClosed.Value() || record.CoreBreakers.State(got) != record.BreakerClosed {
		t.Errorf("closed breaker: %s = %g (%s); want %g (closed)", record.BreakerSeries, got, record.CoreBreakers.State(got), record.BreakerClosed.Value())
	}
	b.ForceOpen()
	if got := gauge(); got != record.BreakerOpen.Value() || record.CoreBreakers.State(got) != record.BreakerOpen {
		t.Errorf("forced-open breaker: %s = %g (%s); want %g (open)", record.BreakerSeries, got, record.CoreBreakers.State(got), record.BreakerOpen.Value())
	}
	if got := record.CoreBreakers.State(record.BreakerHalfOpen.Value()); got != record.BreakerHalfOpen || got.String() != "half-open" {
		t.Errorf("CoreBreakers.State(%g) = %q; want half-open", record.BreakerHalfOpen.Value(), got)
	}
}
