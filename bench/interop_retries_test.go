package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/ollama/ollama/api"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// modelsWithRetries is a service whose GET /models lists Ollama's models with the official client,
// through a failsafe-go retry policy (3 attempts, 10 ms apart), and counts the calls that needed a
// retry in its own counter, as docs/scenarios.md's recipe says: myapp_retries_total{result} is
// recovered (a retry succeeded) or gave_up (every attempt failed).
func modelsWithRetries(_ context.Context, deps harness.Deps) (http.Handler, func(), error) {
	base, err := url.Parse(deps[service.Ollama].URL)
	if err != nil {
		return nil, nil, err
	}
	client := api.NewClient(base, &http.Client{Timeout: time.Second})
	retries := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "myapp_retries_total", Help: "calls that needed a retry, by result"}, []string{"result"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(retries)
	policy := retrypolicy.NewBuilder[*api.ListResponse]().WithMaxAttempts(3).WithDelay(10 * time.Millisecond).ReturnLastFailure().Build()
	exec := failsafe.With(policy).OnDone(func(e failsafe.ExecutionDoneEvent[*api.ListResponse]) {
		switch {
		case e.Attempts() <= 1:
		case e.Error == nil:
			retries.WithLabelValues("recovered").Inc()
		default:
			retries.WithLabelValues("gave_up").Inc()
		}
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /models", func(w http.ResponseWriter, r *http.Request) {
		list, err := exec.WithContext(r.Context()).Get(func() (*api.ListResponse, error) { return client.List(r.Context()) })
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "%d models\n", len(list.Models))
	})
	return mux, nil, nil
}

// Per-request errors, drawn from the run's seed: at 30% a call needs a retry 3 times in 10, and
// gives up only when both retries fail too (9 in 100 of those); at 90%, 81 in 100 give up.
const otherRetriesScenario = `name: another library's retries
environment: {services: [ollama], backend: local}
sut: {builtin: models}
load: {rate: 40/s, targets: [{url: /models}]}
phases: {warmup: 1s, fault: 4s, recovery: 1s}
faults:
  - {name: flaky-ollama, type: http, target: ollama, fault: error, status: 503, path_prefix: /api/tags, probability: %s}
assertions:
  - name: retries recover
    type: retries
    phase: fault
    min: 75%%
    counters:
      recovered: {name: myapp_retries_total, labels: {result: recovered}}
      gave_up: {name: myapp_retries_total, labels: {result: gave_up}}
`

// TestInteropOtherRetries proves the retries verdict's counters on failsafe-go's retry policy: with
// one Ollama answer in three failing, the retries recover and the verdict passes; with nine in
// ten, most calls give up and it fails.
func TestInteropOtherRetries(t *testing.T) {
	for _, tt := range []struct {
		probability, want string
	}{{"30%", "pass"}, {"90%", "fail"}} {
		sc, err := scenarios.Parse("other-retries.yaml", []byte(fmt.Sprintf(otherRetriesScenario, tt.probability)))
		if err != nil {
			t.Fatal(err)
		}
		res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 11, ScrapeTick: 250 * time.Millisecond,
			Builtins: harness.Builtins{"models": {Needs: []string{service.Ollama}, Handler: modelsWithRetries}}})
		v, _ := harnesstest.Find(res.Verdicts, "retries recover")
		t.Logf("%s: %s (%s)", tt.probability, v.Status, v.Explanation)
		if string(v.Status) != tt.want || v.Samples < 20 {
			t.Errorf("%s of Ollama's answers failing: %s (%s); want %s over at least 20 calls that needed a retry", tt.probability, v.Status, v.Explanation, tt.want)
		}
	}
}
