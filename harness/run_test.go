package harness

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/harness/record"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

const sutEnv = "SHAKEDOWN_TEST_SUT"

// sutMain is a small service under test: GET /work reads Redis through a retry and a circuit
// breaker of the resilience core; /health/ready pings Redis; /metrics serves the core's metrics.
func sutMain() {
	opt, err := redis.ParseURL(os.Getenv("SHAKEDOWN_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	rdb := redis.NewClient(opt)
	reg := prometheus.NewRegistry()
	m, _ := prom.New(reg)
	b, _ := circuitbreaker.New(circuitbreaker.Settings{Name: "redis", FailureRateThreshold: 0.5, WindowSize: 20, Observer: m.Breaker()})
	m.WatchBreaker(b)
	r, _ := retry.New(retry.Config{Name: "redis", MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, Observer: m.Retry()})
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, req *http.Request) {
		_, err := retry.Do(req.Context(), r, func(ctx context.Context) (string, error) {
			return circuitbreaker.Execute(ctx, b, func(ctx context.Context) (string, error) {
				v, err := rdb.Get(ctx, "k").Result()
				if err == redis.Nil {
					err = nil
				}
				return v, err
			})
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/health/ready", func(w http.ResponseWriter, req *http.Request) {
		if err := rdb.Ping(req.Context()).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux)
}

// TestRunShortScenario runs a 7-second scenario against the service above on the local backend:
// a latency fault on Redis shows in the record at the right time, the phases line up, the
// service's metrics are scraped, and the fault is gone afterwards.
func TestRunShortScenario(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	lat := &faults.Latency{Common: faults.Common{Name: "slow-redis", Type: "latency", Target: Redis, Start: units.Duration(500 * time.Millisecond),
		Duration: units.Duration(2 * time.Second)}, Latency: units.Duration(200 * time.Millisecond)}
	sc := &scenarios.Scenario{
		Name: "short", Seed: 9, File: "short.yaml",
		Environment: scenarios.Environment{Services: []string{Redis}, Backend: BackendLocal},
		// The test binary itself, told by the variable to run sutMain.
		SUT:    scenarios.SUT{Command: []string{"/usr/bin/env", sutEnv + "=1", os.Args[0], "-test.run=^$"}},
		Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 40, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/work"}}, Timeout: units.Duration(2 * time.Second)},
		Phases: scenarios.Phases{Warmup: units.Duration(2 * time.Second), Fault: units.Duration(3 * time.Second), Recovery: units.Duration(2 * time.Second)},
		Faults: []faults.Spec{lat},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := Run(context.Background(), sc, RunOptions{StateDir: t.TempDir(), ScrapeTick: 250 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rec.Status != record.StatusCompleted || rec.Seed != 9 || rec.Command != "shakedown run short.yaml --seed 9" || len(rec.Phases) != 3 {
		t.Fatalf("record: status %s, seed %d, command %q, %d phases", rec.Status, rec.Seed, rec.Command, len(rec.Phases))
	}
	fault, _ := rec.Phase("fault")
	w := rec.FaultWindows()
	if len(w) != 1 {
		t.Fatalf("fault windows %+v; want one", w)
	}
	// Applied 0.5s into the fault phase and removed 2s later, give or take the scheduler's start.
	if d := (w[0].Start - fault.Start).D(); d < 450*time.Millisecond || d > 800*time.Millisecond {
		t.Errorf("latency applied %v into the fault phase; want about 500ms", d)
	}
	if d := (w[0].End - w[0].Start).D(); d < 1900*time.Millisecond || d > 2300*time.Millisecond {
		t.Errorf("latency window lasted %v; want about 2s", d)
	}
	warm, faulty := rec.Latency["warmup"].Quantile(0.5), rec.Latency["fault"].Quantile(0.95)
	if warm > 100*time.Millisecond || faulty < 150*time.Millisecond {
		t.Errorf("p50 in warmup %v, p95 in fault %v; want the 200ms toxic to show only in the fault phase", warm, faulty)
	}
	if c, _ := rec.PhaseCounts("warmup"); c.Requests < 50 {
		t.Errorf("warmup saw %d requests; want about 80", c.Requests)
	}
	if len(rec.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": "redis"})) != 1 {
		t.Error("the SUT's breaker state was not scraped")
	}
}
