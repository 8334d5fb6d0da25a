package harnesstest_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// newBlog is a service with two write endpoints: POST /orders stores the order and answers 200
// with its id; POST /posts answers 201 with a Location but stores nothing (a write it loses).
func newBlog(ctx context.Context, deps harness.Deps) (http.Handler, func(), error) {
	pool, err := ordersPool(ctx, deps)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /orders", postOrder(pool))
	var n atomic.Int64
	mux.HandleFunc("POST /posts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/posts/lost-"+strconv.FormatInt(n.Add(1), 10))
		w.WriteHeader(http.StatusCreated)
	})
	return mux, pool.Close, nil
}

const blogScenario = `name: two write endpoints
environment: {services: [postgres], backend: local}
setup: [{sql: testdata/orders.sql}]
sut: {builtin: blog}
load:
  rate: 20/s
  targets:
    - {name: orders, method: POST, url: /orders}
    - {name: posts, method: POST, url: /posts}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
assertions:
  - {name: no order lost, type: durability, target: orders, status: [200], id: /id, query: "SELECT id::text FROM orders WHERE id::text = ANY($1)"}
  - {name: no post lost, type: durability, target: posts, query: "SELECT id::text FROM orders WHERE id::text = ANY($1)"}
`

// TestEachDurabilityAssertionItsOwnCheck: two durability assertions, one for each write endpoint,
// are each judged by their own rule and query: the orders are all stored (pass), the posts are
// lost (fail). Once the second assertion's rule and query served both, so both failed here.
func TestEachDurabilityAssertionItsOwnCheck(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("blog.yaml", []byte(blogScenario))
	if err != nil {
		t.Fatal(err)
	}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 3, Builtins: harness.Builtins{
		"blog": {Needs: []string{service.Postgres}, Handler: newBlog},
	}})
	harnesstest.AssertPass(t, res.Verdicts, "no order lost")
	harnesstest.AssertFail(t, res.Verdicts, "no post lost")
	orders, posts := res.Record.Durability["no order lost"], res.Record.Durability["no post lost"]
	if orders == nil || posts == nil || orders.Acknowledged < 20 || orders.Missing != 0 || posts.Acknowledged < 20 || posts.Missing != posts.Checked {
		t.Errorf("durability checks: orders %+v, posts %+v; want every order found and every post missing", orders, posts)
	}
}
