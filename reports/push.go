package reports

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/shakedown-dev/shakedown/internal/redact"
)

// PushJob is the Pushgateway job the results are pushed under; each scenario is its own group.
const PushJob = "shakedown"

// Push sends a run's results to a Prometheus Pushgateway (client_golang's push package), for
// dashboards of nightly runs. It replaces the scenario's group (job shakedown, scenario=<name>):
//
//	shakedown_run_success{scenario}                        1 when the run completed and every verdict passed
//	shakedown_run_timestamp_seconds{scenario}              when it started
//	shakedown_run_duration_seconds{scenario}
//	shakedown_run_requests{scenario,phase}                 requests started in the phase
//	shakedown_run_availability{scenario,phase}             their share answered without a 5xx or an error
//	shakedown_verdict_passed{scenario,verdict,kind,phase}  1 or 0
//	shakedown_verdict_value{scenario,verdict,kind,phase}   what the verdict measured
func Push(ctx context.Context, url string, j *Journal) error {
	r := j.Record
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	success := 0.0
	if j.Status() == "pass" {
		success = 1
	}
	gauge("shakedown_run_success", "1 when the run completed and every verdict passed.").WithLabelValues().Set(success)
	gauge("shakedown_run_timestamp_seconds", "When the run started, in Unix seconds.").WithLabelValues().Set(float64(r.Started.Unix()))
	gauge("shakedown_run_duration_seconds", "How long the run took.").WithLabelValues().Set(r.Duration.Seconds())
	reqs := gauge("shakedown_run_requests", "Requests started in the phase.", "phase")
	avail := gauge("shakedown_run_availability", "Share of the phase's requests answered without a 5xx or an error.", "phase")
	for _, p := range r.Phases {
		reqs.WithLabelValues(p.Name).Set(float64(p.Counts.Requests))
		avail.WithLabelValues(p.Name).Set(p.Counts.Availability())
	}
	passed := gauge("shakedown_verdict_passed", "1 when the verdict passed.", "verdict", "kind", "phase")
	value := gauge("shakedown_verdict_value", "What the verdict measured.", "verdict", "kind", "phase")
	for _, v := range j.Verdicts {
		ok := 0.0
		if v.Passed() {
			ok = 1
		}
		passed.WithLabelValues(v.Name, v.Kind, v.Phase).Set(ok)
		value.WithLabelValues(v.Name, v.Kind, v.Phase).Set(v.Value)
	}
	if err := push.New(url, PushJob).Grouping("scenario", r.Scenario.Name).Gatherer(reg).PushContext(ctx); err != nil {
		return redact.New().Error(fmt.Errorf("push to the Pushgateway at %s: %w", url, err)) // the URL may hold a password
	}
	return nil
}
