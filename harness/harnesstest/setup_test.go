package harnesstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// accounts is a REST API with roles: POST /signup makes a member, POST /signin answers a token
// with the account's role as the database has it then, GET /admin/report wants an admin's token
// (403 for a member's). It writes down what happened, in order.
type accounts struct {
	mu     sync.Mutex
	events []string
	roles  map[string]string // token -> role
}

func (a *accounts) note(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, fmt.Sprintf(format, args...))
}

func (a *accounts) handler(ctx context.Context, deps harness.Deps) (http.Handler, func(), error) {
	pool, err := pgxpool.New(ctx, deps[service.Postgres].URL)
	if err != nil {
		return nil, nil, err
	}
	a.roles = map[string]string{}
	var tables bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('users') IS NOT NULL").Scan(&tables); err != nil {
		pool.Close()
		return nil, nil, err
	}
	a.note("start: users table %v", tables)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Email string }
		json.NewDecoder(r.Body).Decode(&body)
		if _, err := pool.Exec(r.Context(), "INSERT INTO users (email) VALUES ($1)", body.Email); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.note("sign up %s", body.Email)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": %q}`, body.Email)
	})
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Email string }
		json.NewDecoder(r.Body).Decode(&body)
		var role string
		if err := pool.QueryRow(r.Context(), "SELECT role FROM users WHERE email = $1", body.Email).Scan(&role); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		token := "tok-" + role
		a.note("sign in %s as %s", body.Email, role)
		a.mu.Lock()
		a.roles[token] = role
		a.mu.Unlock()
		fmt.Fprintf(w, `{"token": %q}`, token)
	})
	mux.HandleFunc("GET /admin/report", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		role := a.roles[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		a.mu.Unlock()
		if role != "admin" {
			http.Error(w, "admins only", http.StatusForbidden)
		}
	})
	return mux, pool.Close, nil
}

const signUpGrantSignIn = `name: sign up, grant the role in SQL, sign in
environment: {services: [postgres], backend: local}
sut: {builtin: accounts}
setup:
  - sql: schema.sql
  - request: {method: POST, url: /signup, body: '{"email": "ada@example.com"}', expect: [201], capture: {user: /id}}
  - sql: grant.sql
  - request: {method: POST, url: /signin, body: '{"email": "{{user}}"}', capture: {token: /token}}
  - command: [sh, -c, 'printf %s "$1" > token', sh, '{{token}}']
load:
  rate: 20/s
  targets: [{url: /admin/report, headers: {Authorization: 'Bearer {{token}}'}}]
phases: {warmup: 500ms, fault: 500ms, recovery: 500ms}
assertions:
  - {name: admin reports, type: availability, min: 100%, min_samples: 10}
`

// TestSetupStepsInTheOrderWritten: "sign up, then grant the role in SQL, then sign in" (issue 24,
// item 13). The sql step before the first request runs before the service starts (it needs its
// table); the service then starts, and the request, sql, request and command steps run in the
// order written: the grant finds the account the sign-up made, the sign-in answers an admin's
// token, the command after it gets that token, and the load's every report is an admin's.
func TestSetupStepsInTheOrderWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"schema.sql": "CREATE TABLE users (email text PRIMARY KEY, role text NOT NULL DEFAULT 'member');",
		// The grant fails if it runs before the sign-up: it finds no one to grant the role to.
		"grant.sql": `DO $$ BEGIN
  UPDATE users SET role = 'admin' WHERE email = 'ada@example.com';
  IF NOT FOUND THEN RAISE EXCEPTION 'no account ada@example.com to grant the role to'; END IF;
END $$;`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scenarios.Parse(filepath.Join(dir, "accounts.yaml"), []byte(signUpGrantSignIn))
	if err != nil {
		t.Fatal(err)
	}
	a := &accounts{}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 3, Builtins: harness.Builtins{"accounts": {Needs: []string{service.Postgres}, Handler: a.handler}}})
	harnesstest.AssertPass(t, res.Verdicts, "admin reports")
	a.mu.Lock()
	defer a.mu.Unlock()
	if want := []string{"start: users table true", "sign up ada@example.com", "sign in ada@example.com as admin"}; !slices.Equal(a.events, want) {
		t.Errorf("the service saw %q; want %q", a.events, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "token")); string(b) != "tok-admin" {
		t.Errorf("the command after the sign-in got %q; want its token, tok-admin", b)
	}
}

// gateway is an LLM gateway: a channel is made through its admin API with the upstream's URL in
// the body (POST /channels), and GET /v1/models asks the channel's upstream for its models. It
// answers 400 to a channel whose addresses are not the environment's, saying which.
type gateway struct {
	mu       sync.Mutex
	channels []string
}

func (g *gateway) handler(_ context.Context, deps harness.Deps) (http.Handler, func(), error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	var upstream string
	mux.HandleFunc("POST /channels", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			BaseURL string `json:"base_url"`
			Cache   string `json:"cache"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		g.mu.Lock()
		defer g.mu.Unlock()
		g.channels = append(g.channels, body.BaseURL+" "+body.Cache)
		if body.BaseURL != deps[service.Ollama].URL || body.Cache != deps[service.Redis].Addr {
			http.Error(w, fmt.Sprintf("base_url %q, cache %q; want the proxied %q and %q", body.BaseURL, body.Cache, deps[service.Ollama].URL, deps[service.Redis].Addr), http.StatusBadRequest)
			return
		}
		upstream = body.BaseURL
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		u := upstream
		g.mu.Unlock()
		if r.Header.Get("X-Upstream") != u {
			http.Error(w, "X-Upstream is not the channel's upstream", http.StatusBadRequest)
			return
		}
		resp, err := http.Get(u + "/api/tags")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	return mux, nil, nil
}

const gatewayScenario = `name: a channel to the mock
environment: {services: [redis, ollama], backend: local}
sut: {builtin: gateway}
setup:
  - request:
      method: POST
      url: /channels
      body: '{"base_url": "{{ollama.url}}", "cache": "{{redis.addr}}"}'
      expect: [201]
load:
  rate: 20/s
  targets: [{url: /v1/models, headers: {X-Upstream: '{{ollama.url}}'}}]
phases: {warmup: 500ms, fault: 500ms, recovery: 500ms}
assertions:
  - {name: models through the channel, type: availability, min: 100%, min_samples: 10}
`

// TestServicePlaceholdersInRequests: {{ollama.url}} and {{redis.addr}} in a set-up request's body
// reach the service as the environment's proxied addresses, and {{ollama.url}} in a load
// target's header too (issue 24, item 8: a gateway's channel could not be made, "unknown
// placeholder").
func TestServicePlaceholdersInRequests(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("gateway.yaml", []byte(gatewayScenario))
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 4, Builtins: harness.Builtins{"gateway": {Needs: []string{service.Redis, service.Ollama}, Handler: g.handler}}})
	harnesstest.AssertPass(t, res.Verdicts, "models through the channel")
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.channels) != 1 || !strings.HasPrefix(g.channels[0], "http://127.0.0.1:") {
		t.Errorf("channels made %q; want one, to the proxied mock", g.channels)
	}
}
