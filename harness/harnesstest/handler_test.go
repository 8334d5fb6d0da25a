package harnesstest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// newOrders is a team's service, built the way its main builds it: a pgx pool from its database's
// address and credentials, and a handler. POST /orders answers 200 with {"id": ...}.
func newOrders(ctx context.Context, deps harness.Deps) (http.Handler, func(), error) {
	pool, err := ordersPool(ctx, deps)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		if pool.Ping(r.Context()) != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("POST /orders", postOrder(pool))
	return mux, pool.Close, nil
}

// ordersPool is the service's pgx pool, from its database's address and credentials.
func ordersPool(ctx context.Context, deps harness.Deps) (*pgxpool.Pool, error) {
	pg := deps[service.Postgres]
	return pgxpool.New(ctx, "postgres://"+pg.User+":"+pg.Password+"@"+pg.Addr+"/"+pg.Database+"?sslmode=disable")
}

// postOrder stores an order and answers 200 with {"id": ...}, or 503 when the database fails.
func postOrder(pool *pgxpool.Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var id int64
		if err := pool.QueryRow(r.Context(), "INSERT INTO orders DEFAULT VALUES RETURNING id").Scan(&id); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]int64{"id": id})
	}
}

const ordersScenario = `name: orders without its database
environment: {services: [postgres], backend: local}
setup: [{sql: testdata/orders.sql}]
sut: {builtin: orders}
load: {rate: 30/s, targets: [{method: POST, url: /orders}]}
phases: {warmup: 1s, fault: 2s, recovery: 2s}
faults:
  - {name: db-away, type: proxy_down, target: postgres, start: 500ms, duration: 1s}
assertions:
  - {name: healthy before, type: availability, phase: warmup, min: 99%, min_samples: 20}
  - {name: survives the outage, type: availability, phase: fault, min: 99%, min_samples: 20}
  - {name: back after it, type: error_rate, phase: recovery, max: 5%, min_samples: 20}
  - {name: no order lost, type: durability, status: [200], id: /id, query: "SELECT id::text FROM orders WHERE id::text = ANY($1)"}
`

// TestServiceHandedInAsAHandler: docs/your-service.md's example. A service of the test's own runs in the
// test's process, built from the environment's services, under a Postgres outage: it is healthy
// before, fails during (it has no fallback: the verdict catches that), and recovers after.
func TestServiceHandedInAsAHandler(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("orders.yaml", []byte(ordersScenario))
	if err != nil {
		t.Fatal(err)
	}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 7, Builtins: harness.Builtins{
		"orders": {Needs: []string{service.Postgres}, Handler: newOrders},
	}})
	harnesstest.AssertPass(t, res.Verdicts, "healthy before", "back after it", "no order lost")
	if d := res.Record.Durability["no order lost"]; d == nil || d.Acknowledged < 50 || d.Checked != d.Acknowledged {
		t.Errorf("durability %+v; want every one of the orders answered 200 checked", d)
	}
	harnesstest.AssertFail(t, res.Verdicts, "survives the outage")
}
