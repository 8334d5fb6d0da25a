package harnesstest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// cacheService is a team's own service, handed to a run as a builtin: GET /work reads Redis with
// a 100 ms timeout and answers failStatus when it cannot. It knows nothing of Shakedown but the
// variable its Redis URL comes in.
func cacheService(started *[]string, mu *sync.Mutex, failStatus int) harness.Builtin {
	return harness.Builtin{Needs: []string{service.Redis}, Start: func(ctx context.Context, args []string, getenv func(string) string) (string, func(), error) {
		mu.Lock()
		*started = append(*started, strings.Join(args, " "))
		mu.Unlock()
		opt, err := redis.ParseURL(getenv(service.URLVar(service.Redis)))
		if err != nil {
			return "", nil, err
		}
		rdb := redis.NewClient(opt)
		mux := http.NewServeMux()
		mux.HandleFunc("/health/ready", func(http.ResponseWriter, *http.Request) {})
		mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 100*time.Millisecond)
			defer cancel()
			if err := rdb.Get(ctx, "k").Err(); err != nil && !errors.Is(err, redis.Nil) {
				w.WriteHeader(failStatus)
			}
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: mux}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close(); rdb.Close() }, nil
	}}
}

const cacheScenario = `name: cache under a slow redis
environment: {services: [redis], backend: local}
sut: {builtin: cache, args: [--fast]}
load: {rate: 40/s, targets: [{url: /work}]}
phases: {warmup: 1s, fault: 2s, recovery: 1s}
faults:
  - {name: slow-redis, type: latency, target: redis, start: 500ms, latency: 300ms}
assertions:
  - {name: healthy before, type: availability, phase: warmup, min: 95%, min_samples: 20}
  - {name: slow redis shows, type: availability, phase: fault, min: 99%, min_samples: 20}
`

// TestOwnBuiltin: a service of the test's own, handed in through RunOptions.Builtins, runs in the
// harness's process with its flags and its dependency's proxied URL; a slow Redis shows in its
// verdicts (it has no fallback, so the fault phase's must fail).
func TestOwnBuiltin(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("cache.yaml", []byte(cacheScenario))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		started []string
	)
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 1, Builtins: harness.Builtins{"cache": cacheService(&started, &mu, http.StatusServiceUnavailable)}})
	if len(started) != 1 || started[0] != "--fast" {
		t.Errorf("the builtin was started with %q; want once, with --fast", started)
	}
	before, _ := harnesstest.Find(res.Verdicts, "healthy before")
	during, _ := harnesstest.Find(res.Verdicts, "slow redis shows")
	if !before.Passed() || during.Status != "fail" {
		t.Errorf("verdicts: warmup %s (%s), fault %s (%s); want pass, then fail", before.Status, before.Explanation, during.Status, during.Explanation)
	}
	if !strings.HasPrefix(res.Record.Command, "go test -run '^TestOwnBuiltin$'") || !strings.Contains(res.Record.Command, "Seed: 1") {
		t.Errorf("replay line %q; want the test's name and its seed", res.Record.Command)
	}
}

// TestBuiltinRefusedBeforeAnythingStarts: a builtin the run was not handed, or one whose needs
// the environment lacks, is refused by NewPlan, naming what is missing.
func TestBuiltinRefusedBeforeAnythingStarts(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("cache.yaml", []byte(cacheScenario))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.NewPlan(sc, harness.RunOptions{}); !errors.Is(err, harness.ErrNoBuiltin) || !strings.Contains(err.Error(), `"cache"`) {
		t.Errorf("NewPlan without the builtin = %v; want ErrNoBuiltin naming cache", err)
	}
	needy := harness.Builtins{"cache": {Needs: []string{service.Postgres}, Start: cacheService(nil, nil, 0).Start}}
	if _, err := harness.NewPlan(sc, harness.RunOptions{Builtins: needy}); err == nil || !strings.Contains(err.Error(), "needs postgres") {
		t.Errorf("NewPlan with a builtin that needs postgres = %v; want a refusal naming postgres", err)
	}
}

const forbiddenScenario = `name: a 403 is no success
environment: {services: [redis], backend: local}
sut: {builtin: cache}
load: {rate: 40/s, targets: [{url: /work%s}]}
phases: {warmup: 1s, fault: 2s, recovery: 1s}
faults:
  - {name: redis-away, type: proxy_down, target: redis}
assertions:
  - {name: available, type: availability, phase: fault, min: 90%%, min_samples: 20}
`

// TestForbiddenIsAFailure: a service that answers 403 while its Redis is away fails availability
// (2xx and 3xx are the successes, as k6 counts them), the verdict says the failures were 4xx, and
// the same run passes once the target expects 403.
func TestForbiddenIsAFailure(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var started []string
	for _, tt := range []struct {
		expect, want string
	}{{"", "fail"}, {", expect: [2xx, 403]", "pass"}} {
		sc, err := scenarios.Parse("forbidden.yaml", []byte(fmt.Sprintf(forbiddenScenario, tt.expect)))
		if err != nil {
			t.Fatal(err)
		}
		res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 1, Builtins: harness.Builtins{"cache": cacheService(&started, &mu, http.StatusForbidden)}})
		v, _ := harnesstest.Find(res.Verdicts, "available")
		if string(v.Status) != tt.want {
			t.Errorf("expect %q: availability %s (%s); want %s", tt.expect, v.Status, v.Explanation, tt.want)
		}
		c, _ := res.Record.PhaseCounts(record.PhaseFault)
		if c.Client < 20 {
			t.Fatalf("expect %q: %d 4xx answers in the fault phase; want the service to have answered 403", tt.expect, c.Client)
		}
		if tt.want == "fail" && (c.Failed4xx != c.Client || !strings.Contains(v.Explanation, fmt.Sprintf("failed: %d 4xx", c.Failed4xx))) {
			t.Errorf("the failed verdict %q; want it to say its %d failures were 4xx", v.Explanation, c.Client)
		}
		if tt.want == "pass" && c.Failed4xx != 0 {
			t.Errorf("with 403 expected, %d 4xx counted as failures; want 0", c.Failed4xx)
		}
	}
}

// TestStagedBuiltinKeepsItsDurabilityQuery: a scenario whose SUT is a builtin, moved onto a
// staging that runs that system at a URL, judges its durability assertion (no query of its own)
// with the builtin's query; a scenario whose SUT was not that builtin still has to give one.
func TestStagedBuiltinKeepsItsDurabilityQuery(t *testing.T) {
	t.Setenv("PGPASSWORD", "secret") // the staging file reads it
	st, err := scenarios.LoadStaging("../../scenarios/testdata/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const durable = `name: durable
environment: {services: [postgres, redis, ollama]}
sut: %s
load: {rate: 10/s, targets: [{method: POST, url: /runs}]}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
assertions:
  - {name: nothing lost, type: durability, id: /id}
`
	builtins := harness.Builtins{"cache": {Needs: service.Names(), DurabilityQuery: "SELECT id FROM runs WHERE id = ANY($1)", Start: cacheService(nil, nil, 0).Start}}
	opt := harness.RunOptions{Builtins: builtins, AllowTargets: st.AllowTargets}
	for _, tt := range []struct {
		sut     string
		refused bool
	}{{"{builtin: cache}", false}, {"{url: http://127.0.0.1:1}", true}} {
		sc, err := scenarios.Parse("durable.yaml", []byte(fmt.Sprintf(durable, tt.sut)))
		if err != nil {
			t.Fatal(err)
		}
		on, err := sc.OnStaging(st)
		if err != nil {
			t.Fatal(err)
		}
		_, err = harness.NewPlan(on, opt)
		if refused := err != nil && strings.Contains(err.Error(), "query is missing"); refused != tt.refused {
			t.Errorf("sut %s on staging: NewPlan = %v; want refused for a missing query: %v", tt.sut, err, tt.refused)
		}
	}
}
