package wirefault_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

func TestMain(m *testing.M) {
	env.SetProcessDefaults() // testcontainers-go's settings, for the docker backend
	// go-redis, after a refused dial, keeps a reconnect goroutine asleep for up to a second, even
	// once its client is closed: it ends by itself, so it is the one goroutine not counted.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// stage is an environment of Postgres and Redis, each behind its proxy with a request stage,
// and every decision the stages made.
type stage struct {
	e      *env.Env
	pg, rd *wirefault.Injector

	mu        sync.Mutex
	decisions []wirefault.Decision
}

func startStage(t *testing.T, backend string, seed uint64) *stage {
	t.Helper()
	s := &stage{}
	onDecision := func(d wirefault.Decision) {
		s.mu.Lock()
		s.decisions = append(s.decisions, d)
		s.mu.Unlock()
	}
	var err error
	if s.pg, err = wirefault.New(wirefault.Config{Protocol: wirefault.Postgres, Seed: seed, OnDecision: onDecision}); err != nil {
		t.Fatal(err)
	}
	if s.rd, err = wirefault.New(wirefault.Config{Protocol: wirefault.Redis, Seed: seed, OnDecision: onDecision}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.pg.Close(); s.rd.Close() })
	s.e = harnesstest.StartEnv(t, env.Spec{Backend: backend, Services: []string{service.Postgres, service.Redis}, StateDir: t.TempDir(),
		Wire: map[string]*wirefault.Injector{service.Postgres: s.pg, service.Redis: s.rd}})
	return s
}

func (s *stage) url(t *testing.T, name string) string {
	t.Helper()
	svc, ok := s.e.Service(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return svc.URL
}

// injected returns the requests the named fault chose, and how many it decided.
func (s *stage) injected(fault string) (chosen map[string]bool, decided int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chosen = map[string]bool{}
	for _, d := range s.decisions {
		if d.Fault != fault {
			continue
		}
		decided++
		if d.Injected {
			chosen[d.Request] = true
		}
	}
	return chosen, decided
}

func set(t *testing.T, in *wirefault.Injector, f wirefault.Fault) {
	t.Helper()
	if err := in.Set(f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Remove(f.Name) })
}

// withinSigma checks k injections of n at p: within 4.5 standard deviations of n·p.
func withinSigma(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	if math.Abs(float64(k)-mean) > 4.5*sd {
		t.Errorf("%s: %d injected of %d at p=%v; want %.0f ± %.0f (4.5 sigma)", what, k, n, p, mean, 4.5*sd)
	}
}

// each runs n requests on 8 workers, numbered from 0.
func each(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// TestInjectedShareOnPooledConnections: for p in {1%, 5%, 30%} and three seeds, 2,000 queries
// over a pgxpool of connections opened before the fault, 2,000 through lib/pq, and 2,000 Redis
// commands over go-redis's pool: the share injected is within 4.5 sigma of p, every request that
// failed is one the decisions name (and the other way round), and the driver sees the chosen
// SQLSTATE or error class.
func TestInjectedShareOnPooledConnections(t *testing.T) {
	for _, backend := range harnesstest.Backends(t) {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", backend, seed), func(t *testing.T) {
				s := startStage(t, backend, seed)
				ctx := context.Background()
				cfg, err := pgxpool.ParseConfig(s.url(t, service.Postgres))
				if err != nil {
					t.Fatal(err)
				}
				cfg.MinConns, cfg.MaxConns = 8, 8
				pool, err := pgxpool.NewWithConfig(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer pool.Close()
				pq, err := sql.Open("postgres", s.url(t, service.Postgres))
				if err != nil {
					t.Fatal(err)
				}
				defer pq.Close()
				pq.SetMaxOpenConns(8)
				pq.SetMaxIdleConns(8)
				rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(strings.TrimSuffix(s.url(t, service.Redis), "/0"), "redis://"),
					PoolSize: 8, MinIdleConns: 8, MaxRetries: -1})
				defer rc.Close()
				// Open every connection before any fault: 8 at once on each pool.
				each(64, func(i int) {
					if _, err := pool.Exec(ctx, "SELECT pg_sleep(0.01)"); err != nil {
						t.Error(err)
					}
					if _, err := pq.Exec("SELECT pg_sleep(0.01)"); err != nil {
						t.Error(err)
					}
					if err := rc.Ping(ctx).Err(); err != nil {
						t.Error(err)
					}
				})
				for _, p := range []float64{0.01, 0.05, 0.30} {
					const n = 2000
					name := fmt.Sprintf("pgx-%v", p)
					set(t, s.pg, wirefault.Fault{Name: name, Probability: units.Probability(p), Action: wirefault.Action{Kind: wirefault.KindError, SQLState: "40P01", Match: fmt.Sprintf("/* pgx %v ", p)}})
					failed := sync.Map{}
					each(n, func(i int) {
						q := fmt.Sprintf("/* pgx %v %d */ SELECT $1::int", p, i)
						var v int
						err := pool.QueryRow(ctx, q, i).Scan(&v)
						var pe *pgconn.PgError
						switch {
						case errors.As(err, &pe) && pe.Code == "40P01":
							failed.Store(q, true)
						case err != nil:
							t.Errorf("%s: %v; want 40P01 or an answer", q, err)
						case v != i:
							t.Errorf("%s = %d", q, v)
						}
					})
					checkChosen(t, s, name, n, p, &failed)

					name = fmt.Sprintf("pq-%v", p)
					set(t, s.pg, wirefault.Fault{Name: name, Probability: units.Probability(p), Action: wirefault.Action{Kind: wirefault.KindError, MatchRegexp: fmt.Sprintf(`^/\* pq %v `, p)}})
					failed = sync.Map{}
					each(n, func(i int) {
						q := fmt.Sprintf("/* pq %v %d */ SELECT 1", p, i)
						_, err := pq.Exec(q)
						switch {
						case err != nil && strings.Contains(err.Error(), "could not serialize access"):
							failed.Store(q, true)
						case err != nil:
							t.Errorf("%s: %v; want 40001 or an answer", q, err)
						}
					})
					checkChosen(t, s, name, n, p, &failed)

					name = fmt.Sprintf("redis-%v", p)
					set(t, s.rd, wirefault.Fault{Name: name, Probability: units.Probability(p), Action: wirefault.Action{Kind: wirefault.KindError, Error: "LOADING", Match: fmt.Sprintf("GET k%v:*", p)}})
					failed = sync.Map{}
					each(n, func(i int) {
						key := fmt.Sprintf("k%v:%d", p, i)
						err := rc.Get(ctx, key).Err()
						switch {
						case err != nil && strings.HasPrefix(err.Error(), "LOADING "):
							failed.Store("GET "+key, true)
						case err != nil && !errors.Is(err, redis.Nil):
							t.Errorf("GET %s: %v; want LOADING or nil", key, err)
						}
					})
					checkChosen(t, s, name, n, p, &failed)
				}
			})
		}
	}
}

// checkChosen compares the failed requests with those the fault's decisions chose.
func checkChosen(t *testing.T, s *stage, fault string, n int, p float64, failed *sync.Map) {
	t.Helper()
	chosen, decided := s.injected(fault)
	if decided != n {
		t.Errorf("%s: %d decisions; want one per request, %d", fault, decided, n)
	}
	withinSigma(t, fault, len(chosen), n, p)
	k := 0
	failed.Range(func(q, _ any) bool {
		k++
		if !chosen[q.(string)] {
			t.Errorf("%s: %q failed but no decision chose it", fault, q)
		}
		return true
	})
	if k != len(chosen) {
		t.Errorf("%s: %d requests failed; the decisions chose %d", fault, k, len(chosen))
	}
}
