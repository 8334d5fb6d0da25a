package bench

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	fscb "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// cacheWithOtherBreakers is a service whose Redis calls go through sony/gobreaker v2 (GET /gb)
// and failsafe-go's circuit breaker (GET /fs), and which exports each breaker's state in its own
// metric with each library's own numbers: myapp_breaker_state{breaker="gb"} is gobreaker's State
// (closed 0, half-open 1, open 2), {breaker="fs"} failsafe-go's (closed 0, open 1, half-open 2).
func cacheWithOtherBreakers(ctx context.Context, deps harness.Deps) (http.Handler, func(), error) {
	rdb := redis.NewClient(&redis.Options{Addr: deps[service.Redis].Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond})
	gb := gobreaker.NewCircuitBreaker[string](gobreaker.Settings{Name: "gb", MaxRequests: 1, Timeout: time.Second,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }})
	fs := fscb.NewBuilder[any]().WithFailureThreshold(3).WithDelay(time.Second).Build()
	get := func(r *http.Request) error {
		err := rdb.Get(r.Context(), "k").Err()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	}
	reg := prometheus.NewRegistry()
	state := func(name string, v func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "myapp_breaker_state", Help: "the breaker's state, as its library numbers it",
			ConstLabels: prometheus.Labels{"breaker": name}}, v))
	}
	state("gb", func() float64 { return float64(gb.State()) })
	state("fs", func() float64 { return float64(fs.State()) })
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /gb", func(w http.ResponseWriter, r *http.Request) {
		if _, err := gb.Execute(func() (string, error) { return "", get(r) }); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("GET /fs", func(w http.ResponseWriter, r *http.Request) {
		if !fs.TryAcquirePermit() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := get(r); err != nil {
			fs.RecordFailure()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fs.RecordSuccess()
	})
	return mux, func() { rdb.Close() }, nil
}

// The recipes of docs/scenarios.md: each library's breaker read through its own numbers.
const otherBreakersScenario = `name: other libraries' breakers
environment: {services: [redis], backend: local}
sut: {builtin: cache}
load: {rate: 40/s, targets: [{name: gb, url: /gb}, {name: fs, url: /fs}]}
phases: {warmup: 1s, fault: 3s, recovery: 4s}
faults:
  - {name: redis-away, type: proxy_down, target: redis, start: 500ms, duration: 2s}
assertions:
  - name: gobreaker opens and closes
    type: breaker
    breaker: gb
    series: {name: myapp_breaker_state, label: breaker, open: [2], closed: [0]}
    opens_within: 2s
    closes_within: 4s
  - name: failsafe-go opens and closes
    type: breaker
    breaker: fs
    series: {name: myapp_breaker_state, label: breaker, open: [1], closed: [0]}
    opens_within: 2s
    closes_within: 4s
`

// TestInteropOtherBreakers proves the breaker verdict on breakers from sony/gobreaker v2 and
// failsafe-go: under a Redis outage each opens and closes again, read from the service's own
// metric with its library's state numbers.
func TestInteropOtherBreakers(t *testing.T) {
	sc, err := scenarios.Parse("other-breakers.yaml", []byte(otherBreakersScenario))
	if err != nil {
		t.Fatal(err)
	}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 3, ScrapeTick: 250 * time.Millisecond,
		Builtins: harness.Builtins{"cache": {Needs: []string{service.Redis}, Handler: cacheWithOtherBreakers}}})
	harnesstest.AssertPass(t, res.Verdicts)
}
