package harnesstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// shop is an API of the kind a team writes: POST /login with an API key answers a token, every
// other route wants it as a bearer token (401 without), POST /orders answers 200 with
// {"data": {"id": n}}, GET /orders/{id} answers the order or 404. It keeps what it was sent.
type shop struct {
	mu         sync.Mutex
	token      string
	orders     map[int]string // id -> sku
	requestIDs map[string]bool
	reads      map[int]int // id -> reads
	unknown    int         // reads of an id it never gave
}

func (s *shop) handler(context.Context, harness.Deps) (http.Handler, func(), error) {
	s.orders, s.requestIDs, s.reads = map[int]string{}, map[string]bool{}, map[int]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Key string }
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Key != "k-secret" {
			http.Error(w, `{"error": "invalid api key"}`, http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.token = "tok-" + strconv.Itoa(len(s.orders)+41)
		fmt.Fprintf(w, `{"data": {"accessToken": %q}}`, s.token)
		s.mu.Unlock()
	})
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			ok := s.token != "" && r.Header.Get("Authorization") == "Bearer "+s.token
			s.mu.Unlock()
			if !ok {
				http.Error(w, `{"error": "unauthorized"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST /orders", authed(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ SKU string }
		if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.SKU) != 8 {
			http.Error(w, `{"error": "want an 8-character sku"}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		id := len(s.orders) + 1
		s.orders[id] = body.SKU
		s.requestIDs[r.Header.Get("X-Request-Id")] = true
		fmt.Fprintf(w, `{"data": {"id": %d}}`, id)
	}))
	mux.HandleFunc("GET /orders/{id}", authed(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.orders[id]; !ok {
			s.unknown++
			http.NotFound(w, r)
			return
		}
		s.reads[id]++
	}))
	return mux, nil, nil
}

const shopScenario = `name: log in, then carry the values
environment: {services: [redis], backend: local}
sut: {builtin: shop}
setup:
  - request:
      method: POST
      url: /login
      body: '{"key": "%s"}'
      capture: {token: /data/accessToken}
load:
  rate: 60/s
  targets:
    - name: create
      method: POST
      url: /orders
      headers: {Authorization: "Bearer {{token}}", X-Request-Id: "{{uuid}}"}
      body: '{"sku": "{{random 8}}"}'
      capture: {order: /data/id}
    - name: read
      url: /orders/{{order}}
      headers: {Authorization: "Bearer {{token}}"}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
assertions:
  - {name: available, type: availability, min: 100%%, min_samples: 100}
`

// TestLoginThenCarryValues: a set-up request logs in and its token goes into every request's
// header; each order gets its own {{uuid}} and {{random 8}}; the read target GETs the id the
// latest order's answer gave, and waits for the first. Every request is answered 2xx, so
// availability passes; a wrong key stops the run before the load, with the login's answer.
func TestLoginThenCarryValues(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("shop.yaml", []byte(fmt.Sprintf(shopScenario, "k-secret")))
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 5, Builtins: harness.Builtins{"shop": {Handler: s.handler}}})
	harnesstest.AssertPass(t, res.Verdicts, "available")
	creates, reads := res.Record.Targets["create"], res.Record.Targets["read"]
	if creates == nil || reads == nil {
		t.Fatalf("targets %v; want create and read", res.Record.Targets)
	}
	c, r := creates.Counts[record.PhaseAll], reads.Counts[record.PhaseAll]
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Requests < 60 || r.Requests < 60 || c.Good() != c.Requests || r.Good() != r.Requests {
		t.Errorf("create %+v, read %+v; want both targets sent, every answer a success", c, r)
	}
	if int64(len(s.orders)) != c.Requests || int64(len(s.requestIDs)) != c.Requests {
		t.Errorf("%d creates sent, the service made %d orders with %d distinct request ids; want one each", c.Requests, len(s.orders), len(s.requestIDs))
	}
	skus := map[string]bool{}
	for _, sku := range s.orders {
		skus[sku] = true
	}
	if len(skus) != len(s.orders) {
		t.Errorf("%d distinct skus among %d orders; want {{random 8}} to differ", len(skus), len(s.orders))
	}
	if s.unknown > 0 || len(s.reads) < 10 {
		t.Errorf("reads of %d ids, %d of an id never given; want the latest orders read", len(s.reads), s.unknown)
	}

	sc, err = scenarios.Parse("shop.yaml", []byte(fmt.Sprintf(shopScenario, "wrong")))
	if err != nil {
		t.Fatal(err)
	}
	res, err = harness.Run(t.Context(), mustPlan(t, sc, harness.RunOptions{Seed: 5, StateDir: t.TempDir(), Builtins: harness.Builtins{"shop": {Handler: (&shop{}).handler}}}), nil)
	if err == nil || !strings.Contains(err.Error(), "setup[0]: request POST /login answered 401") || !strings.Contains(err.Error(), "invalid api key") {
		t.Errorf("a login with a wrong key: %v; want the run stopped with the login's 401 and its body", err)
	}
	// Its report says the run failed before its load, at which step, and lists the assertion as
	// not run (it once said "The scenario has no assertions.").
	if len(res.Verdicts) != 1 || res.Verdicts[0].Status != assertions.NotRun || !strings.Contains(res.Verdicts[0].Explanation, "not judged: the run failed before its load began: set-up: setup[0]") {
		t.Errorf("verdicts of a run that failed at set-up: %+v; want its one assertion not run, saying why", res.Verdicts)
	}
	var html bytes.Buffer
	if err := (reports.HTML{}).Render(&html, reports.NewJournal(res.Record, res.Verdicts)); err != nil {
		t.Fatal(err)
	}
	report := html.String()
	if !strings.Contains(report, `id="not-judged"`) || !strings.Contains(report, "before its load began: set-up: setup[0]: request POST /login answered 401") ||
		!strings.Contains(report, `<span class="badge not-run">not-run</span></td><td>available`) || strings.Contains(report, "has no assertions") {
		t.Error("the report of a run that failed at set-up does not say it failed before its load at setup[0], or does not list its assertion as not run")
	}
}

func mustPlan(t *testing.T, sc *scenarios.Scenario, opt harness.RunOptions) *harness.Plan {
	t.Helper()
	p, err := harness.NewPlan(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
