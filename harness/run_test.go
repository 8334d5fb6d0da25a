package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ollama/ollama/api"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

const sutEnv = "SHAKEDOWN_TEST_SUT"

// sutMain is a small service under test on the resilience core, with the three dependencies:
// GET /work reads Redis and queries Postgres, each through a retry and a circuit breaker, then
// asks the mock Ollama (with the official client) for a short answer, through a breaker, and
// serves a canned answer marked X-Degraded when it cannot. /health/ready pings Postgres and Redis;
// /metrics serves the core's metrics.
func sutMain() {
	ctx := context.Background()
	opt, err := redis.ParseURL(os.Getenv(service.URLVar(service.Redis)))
	if err != nil {
		panic(err)
	}
	rdb := redis.NewClient(opt)
	pg, err := pgxpool.New(ctx, os.Getenv(service.URLVar(service.Postgres)))
	if err != nil {
		panic(err)
	}
	ou, err := url.Parse(os.Getenv(service.URLVar(service.Ollama)))
	if err != nil {
		panic(err)
	}
	llm := api.NewClient(ou, &http.Client{Timeout: time.Second})
	reg := prometheus.NewRegistry()
	m, _ := prom.New(reg)
	breaker := func(name string) *circuitbreaker.Breaker {
		b, _ := circuitbreaker.New(circuitbreaker.Config{Name: name, FailureRateThreshold: 0.5, WindowSize: 20, Observer: m.Breaker()})
		m.WatchBreaker(b)
		return b
	}
	rb, pb, ob := breaker(service.Redis), breaker(service.Postgres), breaker(service.Ollama)
	r, _ := retry.New(retry.Config{Name: "deps", MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, Observer: m.Retry()})
	call := func(ctx context.Context, b *circuitbreaker.Breaker, fn func(context.Context) error) error {
		_, err := retry.Do(ctx, r, func(ctx context.Context) (struct{}, error) {
			return circuitbreaker.Execute(ctx, b, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
		})
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		err := call(ctx, rb, func(ctx context.Context) error {
			if err := rdb.Get(ctx, "k").Err(); err != redis.Nil {
				return err
			}
			return nil
		})
		if err == nil {
			err = call(ctx, pb, func(ctx context.Context) error { return pg.QueryRow(ctx, "SELECT 1").Scan(new(int)) })
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		stream := false
		_, err = circuitbreaker.Execute(ctx, ob, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, llm.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "hi", Stream: &stream,
				Options: map[string]any{"num_predict": 4}}, func(api.GenerateResponse) error { return nil })
		})
		if err != nil {
			w.Header().Set("X-Degraded", "true")
		}
	})
	mux.HandleFunc("/health/ready", func(w http.ResponseWriter, req *http.Request) {
		if err := rdb.Ping(req.Context()).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if err := pg.Ping(req.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux)
}

// shortScenario is a 7-second scenario against sutMain with three faults: a 200 ms latency on
// Redis 0.5 s into the fault phase for 2 s, Postgres's proxy down for 200 ms every 600 ms with
// probability 0.5 per window, and 503s from the mock Ollama with probability 0.3 per request.
func shortScenario(t *testing.T, backend string) *scenarios.Scenario {
	p := func(f float64) *units.Probability { v := units.Probability(f); return &v }
	sc := &scenarios.Scenario{
		Name: "short", Seed: 9, File: "short.yaml",
		Environment: scenarios.Environment{Backend: backend},
		// The test binary itself, told by the variable to run sutMain.
		SUT:    scenarios.SUT{Command: []string{"/usr/bin/env", sutEnv + "=1", os.Args[0], "-test.run=^$"}},
		Load:   scenarios.LoadSpec{Rate: units.Rate{Freq: 40, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/work"}}, Timeout: units.Duration(2 * time.Second)},
		Phases: scenarios.Phases{Warmup: units.Duration(2 * time.Second), Fault: units.Duration(3 * time.Second), Recovery: units.Duration(2 * time.Second)},
		Faults: []faults.Spec{
			&faults.Latency{Common: faults.Common{Name: "slow-redis", Type: "latency", Target: service.Redis, Start: units.Duration(500 * time.Millisecond),
				Duration: units.Duration(2 * time.Second)}, Latency: units.Duration(200 * time.Millisecond)},
			&faults.ProxyDown{Common: faults.Common{Name: "pg-flap", Type: "proxy_down", Target: service.Postgres, Duration: units.Duration(200 * time.Millisecond),
				Every: units.Duration(600 * time.Millisecond), Probability: p(0.5)}},
			&faults.HTTP{Common: faults.Common{Name: "ollama-503", Type: "http", Target: service.Ollama, Probability: p(0.3)}, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503}},
			// Request faults inside open connections, decided in the harness's process on every
			// backend; a millisecond, so that they change nothing the checks measure.
			&faults.Query{Common: faults.Common{Name: "pg-query-slow", Type: "query", Target: service.Postgres, Probability: p(0.5)},
				Action: wirefault.Action{Kind: wirefault.KindLatency, Latency: units.Duration(time.Millisecond)}},
			&faults.Command{Common: faults.Common{Name: "redis-command-slow", Type: "command", Target: service.Redis, Probability: p(0.5)},
				Action: wirefault.Action{Kind: wirefault.KindLatency, Latency: units.Duration(time.Millisecond)}},
		},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestRunShortScenario runs the short scenario on each backend, and on the local backend twice:
// the Redis latency shows in the record at the right time and only in the fault phase, the phases
// line up, the service's metrics are scraped, the mock's 503s are served as degraded answers, and
// the same seed gives the same fault decisions on every run, whichever the backend.
func TestRunShortScenario(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	var (
		mu   sync.Mutex
		recs = map[string]*record.Record{}
	)
	t.Run("runs", func(t *testing.T) {
		for _, name := range []string{"local", "local-again", "docker"} {
			backend := service.BackendLocal
			if name == "docker" {
				backend = service.BackendDocker
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				if backend == service.BackendDocker {
					startOn(t, env.Spec{Backend: backend, Services: []string{}}).Close(context.Background()) // skips where docker cannot run
				}
				var ticks []Progress
				rec, err := run(context.Background(), shortScenario(t, backend), RunOptions{StateDir: t.TempDir(), ScrapeTick: 250 * time.Millisecond,
					Replay: func(seed uint64) string { return fmt.Sprintf("replay short.yaml --seed %d", seed) }}, ObserverFuncs{Progress: func(p Progress) { ticks = append(ticks, p) }})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				checkShortRun(t, rec)
				checkProgress(t, ticks)
				mu.Lock()
				recs[name] = rec
				mu.Unlock()
			})
		}
	})
	a := recs["local"]
	for _, name := range []string{"local-again", "docker"} {
		b := recs[name]
		if a == nil || b == nil {
			continue
		}
		// Per window: the same draws, in the same order.
		if wa, wb := decisions(a, "pg-flap"), decisions(b, "pg-flap"); len(wa) == 0 || !slices.Equal(wa, wb) {
			t.Errorf("pg-flap's decisions differ between the local run and the %s run:\n%v\n%v", name, wa, wb)
		}
		// Per request: the runs made different numbers of requests, but draw k is the same in both.
		// The mock in a container counts its decisions; they are not in the record one by one.
		perRequest := []string{"pg-query-slow", "redis-command-slow"}
		if name != "docker" {
			perRequest = append(perRequest, "ollama-503")
		}
		for _, fault := range perRequest {
			ra, rb := decisions(a, fault), decisions(b, fault)
			n := min(len(ra), len(rb))
			if n < 50 || !slices.Equal(ra[:n], rb[:n]) {
				t.Errorf("%s's first %d decisions differ between the local run and the %s run (or too few: %d, %d)", fault, n, name, len(ra), len(rb))
			}
		}
	}
}

// decision is what must repeat with the seed: the draw's number, value and outcome.
type decision struct {
	seq      uint64
	draw     float64
	injected bool
}

// decisions returns a fault's decisions in draw order.
func decisions(r *record.Record, fault string) []decision {
	var out []decision
	for _, d := range r.DecisionLog {
		if d.Fault == fault {
			out = append(out, decision{d.Seq, d.Draw, d.Injected})
		}
	}
	slices.SortFunc(out, func(a, b decision) int { return int(a.seq) - int(b.seq) })
	return out
}

// checkProgress: a progress tick each second of the 7-second run, with the phase, growing
// counts, and the Redis latency among the active faults at some tick of the fault phase.
func checkProgress(t *testing.T, ticks []Progress) {
	t.Helper()
	if len(ticks) < 6 || len(ticks) > 8 {
		t.Fatalf("%d progress ticks; want about 7", len(ticks))
	}
	sawFault := false
	for i, p := range ticks {
		if i > 0 && p.All.Requests < ticks[i-1].All.Requests {
			t.Errorf("tick %d: %d requests after %d", i, p.All.Requests, ticks[i-1].All.Requests)
		}
		if p.Phase == "fault" && slices.Contains(p.Active, "slow-redis") {
			sawFault = true
			if !strings.Contains(p.String(), "faults: ") {
				t.Errorf("progress line %q does not name the active faults", p)
			}
		}
	}
	if !sawFault || ticks[0].Phase != "warmup" || ticks[len(ticks)-1].Phase != "recovery" {
		t.Errorf("phases in the ticks: first %s, last %s, slow-redis seen active: %v", ticks[0].Phase, ticks[len(ticks)-1].Phase, sawFault)
	}
}

func checkShortRun(t *testing.T, rec *record.Record) {
	t.Helper()
	if rec.Status != record.StatusCompleted || rec.Seed != 9 || rec.Command != "replay short.yaml --seed 9" || len(rec.Phases) != 3 {
		t.Fatalf("record: status %s, seed %d, command %q, %d phases", rec.Status, rec.Seed, rec.Command, len(rec.Phases))
	}
	fault, _ := rec.Phase("fault")
	var slow []record.Window
	for _, w := range rec.FaultWindows() {
		if w.Fault == "slow-redis" {
			slow = append(slow, w)
		}
	}
	if len(slow) != 1 {
		t.Fatalf("slow-redis windows %+v; want one", slow)
	}
	w := slow[0]
	// Applied 0.5s into the fault phase and removed 2s later, give or take the scheduler's start.
	if d := (w.Start - fault.Start).D(); d < 450*time.Millisecond || d > 800*time.Millisecond {
		t.Errorf("latency applied %v into the fault phase; want about 500ms", d)
	}
	if d := (w.End - w.Start).D(); d < 1900*time.Millisecond || d > 2300*time.Millisecond {
		t.Errorf("latency window lasted %v; want about 2s", d)
	}
	// Relative, not absolute: on a loaded machine (the whole suite at once on two cores) every
	// latency grows, but the toxic still adds its 200ms to the fault phase only.
	warm, faulty := rec.Latency["warmup"].Quantile(0.5), rec.Latency["fault"].Quantile(0.95)
	if faulty < warm+150*time.Millisecond {
		t.Errorf("p50 in warmup %v, p95 in fault %v; want the 200ms toxic to show in the fault phase only", warm, faulty)
	}
	wc, _ := rec.PhaseCounts("warmup")
	fc, _ := rec.PhaseCounts("fault")
	if wc.Requests < 50 || wc.Degraded*20 > wc.Requests {
		t.Errorf("warmup: %d requests, %d degraded; want about 80, (almost) none degraded", wc.Requests, wc.Degraded)
	}
	if fc.Degraded == 0 {
		t.Errorf("fault phase: no degraded answer; want the mock's 503s served as fallbacks")
	}
	for _, dep := range []string{service.Redis, service.Postgres, service.Ollama} {
		if len(rec.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": dep})) != 1 {
			t.Errorf("the SUT's %s breaker state was not scraped", dep)
		}
	}
	for _, e := range rec.Faults {
		if e.Error != "" {
			t.Errorf("fault event with an error: %+v", e)
		}
	}
}

// TestHaltStopsTheFaults: Redis's proxy down takes the service's availability to nothing; the
// halt condition (below 50% for 2 s) removes the fault at once, long before its window ends, and
// the record says why.
func TestHaltStopsTheFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	sc := shortScenario(t, service.BackendLocal)
	sc.Phases = scenarios.Phases{Warmup: units.Duration(2 * time.Second), Fault: units.Duration(20 * time.Second), Recovery: units.Duration(2 * time.Second)}
	sc.Faults = []faults.Spec{&faults.ProxyDown{Common: faults.Common{Name: "redis-down", Type: "proxy_down", Target: service.Redis}}}
	sc.Halt = []scenarios.HaltCondition{{AvailabilityBelow: 0.5, For: units.Duration(2 * time.Second)}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := rec.FaultWindows()
	if len(w) != 1 || (w[0].End-w[0].Start).D() > 5*time.Second {
		t.Fatalf("fault windows %+v; want one, stopped within about 3s", w)
	}
	if !strings.Contains(rec.Halted, "availability below 50% for 2s") {
		t.Errorf("Halted = %q", rec.Halted)
	}
	found := false
	for _, e := range rec.Events {
		found = found || e.Kind == "halt"
	}
	if !found {
		t.Error("no halt event in the record")
	}
	f, _ := rec.Phase("fault")
	if r, _ := rec.Phase("recovery"); (r.Start - f.Start).D() > 6*time.Second {
		t.Errorf("the recovery phase began %v into the fault phase; want it to begin when the halt removed the faults", (r.Start - f.Start).D())
	}
}
