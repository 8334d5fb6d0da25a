package harnesstest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// cacheService is a team's own service, handed to a run as a builtin: GET /work reads Redis with
// a 100 ms timeout and answers 503 when it cannot. It knows nothing of Shakedown but the variable
// its Redis URL comes in.
func cacheService(started *[]string, mu *sync.Mutex) harness.Builtin {
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
		mux.HandleFunc("/health/ready", func(w http.ResponseWriter, r *http.Request) {
			if rdb.Ping(r.Context()).Err() != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 100*time.Millisecond)
			defer cancel()
			if err := rdb.Get(ctx, "k").Err(); err != nil && !errors.Is(err, redis.Nil) {
				w.WriteHeader(http.StatusServiceUnavailable)
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
  - {name: slow-redis, type: latency, target: redis, latency: 300ms}
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
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 1, Builtins: harness.Builtins{"cache": cacheService(&started, &mu)}})
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
	needy := harness.Builtins{"cache": {Needs: []string{service.Postgres}}}
	if _, err := harness.NewPlan(sc, harness.RunOptions{Builtins: needy}); err == nil || !strings.Contains(err.Error(), "needs postgres") {
		t.Errorf("NewPlan with a builtin that needs postgres = %v; want a refusal naming postgres", err)
	}
}
