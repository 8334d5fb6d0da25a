package agentd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ollama/ollama/api"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/resilience"
	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/fallback"
	"github.com/shakedown-dev/shakedown/resilience/health"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/resilience/timeout"
)

// The dependencies' names: in breakers, metrics and /status.
const (
	Postgres = "postgres"
	Redis    = "redis"
	Ollama   = "ollama"
)

// staticAnswer is the degraded answer when the LLM cannot give one.
const staticAnswer = "The assistant is busy right now; here is a short answer from our help pages. Please try again shortly."

// Server is the service. Create it with New, serve it with Serve, stop it with Shutdown.
type Server struct {
	cfg  Config
	pool *pgxpool.Pool
	rdb  *redis.Client
	llm  *api.Client
	reg  *prometheus.Registry

	breakers map[string]*circuitbreaker.Breaker
	dbPipe   *resilience.Pipeline[struct{}]
	cache    *resilience.Pipeline[string]
	llmPipe  *resilience.Pipeline[string]
	dbOnly   *bulkhead.Bulkhead // database-only endpoints; nil with NoBulkheads
	workers  *bulkhead.Bulkhead // the server's worker pool
	limit    *ratelimit.Limiter // the public endpoint's; nil without RateLimit
	health   *health.Checker
	status   *status

	http    *http.Server
	pending sync.WaitGroup // writes after an unsafe acknowledgement

	agentsMu sync.Mutex
	agents   map[string]cachedAgent
}

// New connects to the dependencies (lazily: only the schema's creation needs Postgres now),
// creates the schema and the two agents if they are missing, and builds the resilience policies.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, reg: prometheus.NewRegistry(), breakers: map[string]*circuitbreaker.Breaker{}, status: newStatus(),
		agents: map[string]cachedAgent{}}
	pc, err := pgxpool.ParseConfig(cfg.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("agentd: postgres DSN: %w", err)
	}
	pc.MaxConns = int32(cfg.MaxInFlight)
	pc.MaxConnLifetime, pc.MaxConnLifetimeJitter = cfg.DBConnLifetime, cfg.DBConnLifetime/5
	if s.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("agentd: postgres: %w", err)
	}
	ro, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("agentd: redis URL: %w", err)
	}
	ro.MaxRetries = -1 // the resilience core decides
	// The cache's timeout is a context deadline: go-redis bounds its socket reads by it only when
	// told to (redis-flaky found a 100 ms timeout waiting out a 200 ms command).
	ro.ContextTimeoutEnabled = true
	quietRedis.Do(func() { redis.SetLogger(discard{}) }) // its failures are in the metrics and /status
	s.rdb = redis.NewClient(ro)
	ou, err := url.Parse(cfg.OllamaURL)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("agentd: ollama URL: %w", err)
	}
	s.llm = api.NewClient(ou, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.MaxInFlight}})
	if err := s.policies(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.close()
		return nil, err
	}
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	return s, nil
}

// policies builds the breakers, retries, bulkheads, timeouts and the fallback, with their metrics.
func (s *Server) policies() error {
	m, err := prom.New(s.reg)
	if err != nil {
		return err
	}
	c := s.cfg
	obs := breakerObservers{m.Breaker(), s.status}
	breaker := func(name string) (*circuitbreaker.Breaker, error) {
		if c.NoBreakers {
			return nil, nil
		}
		b, err := circuitbreaker.New(circuitbreaker.Config{Name: name, FailureRateThreshold: c.BreakerThreshold, WindowDuration: 10 * time.Second,
			MinimumCalls: 10, OpenDuration: c.BreakerOpen, HalfOpenProbes: 2, IsFailure: isDependencyFailure, Observer: obs})
		if err != nil {
			return nil, err
		}
		m.WatchBreaker(b)
		s.breakers[name] = b
		return b, nil
	}
	attempts := 3
	if c.NoRetries {
		attempts = 1
	}
	budget, err := retry.NewBudget(0.2, 5, nil)
	if err != nil {
		return err
	}
	retryer := func(name string) (*retry.Retryer, error) {
		return retry.New(retry.Config{Name: name, MaxAttempts: attempts, BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
			RetryOn: isDependencyFailure, Budget: budget, Observer: m.Retry()})
	}
	to := func(name string, d time.Duration) (*timeout.Timeout, error) {
		return timeout.New(timeout.Config{Name: name, Timeout: d, Observer: m.Timeout()})
	}
	var errs []error
	must := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	pb, err := breaker(Postgres)
	must(err)
	rb, err := breaker(Redis)
	must(err)
	ob, err := breaker(Ollama)
	must(err)
	pr, err := retryer(Postgres)
	must(err)
	or, err := retryer(Ollama)
	must(err)
	pt, err := to(Postgres, c.DBTimeout)
	must(err)
	rt, err := to(Redis, c.CacheTimeout)
	must(err)
	ot, err := to(Ollama, c.LLMTimeout)
	must(err)
	s.workers, err = bulkhead.New(bulkhead.Config{Name: "server", MaxConcurrent: c.MaxInFlight, MaxQueue: 4 * c.MaxInFlight, MaxWait: time.Second, Observer: m.Bulkhead()})
	must(err)
	m.WatchBulkhead(s.workers)
	var llmBulk *bulkhead.Bulkhead
	if !c.NoBulkheads {
		llmBulk, err = bulkhead.New(bulkhead.Config{Name: "llm", MaxConcurrent: c.LLMConcurrency, MaxQueue: c.LLMConcurrency, MaxWait: 500 * time.Millisecond, Observer: m.Bulkhead()})
		must(err)
		m.WatchBulkhead(llmBulk)
		s.dbOnly, err = bulkhead.New(bulkhead.Config{Name: "db", MaxConcurrent: c.DBConcurrency, MaxQueue: 4 * c.DBConcurrency, MaxWait: time.Second, Observer: m.Bulkhead()})
		must(err)
		m.WatchBulkhead(s.dbOnly)
	}
	if c.RateLimit > 0 {
		burst := c.RateBurst
		if burst == 0 {
			burst = max(int(c.RateLimit), 1)
		}
		s.limit, err = ratelimit.New(ratelimit.Config{Name: "runs", Rate: c.RateLimit, Burst: burst, Observer: m.RateLimiter()})
		must(err)
	}
	var fb *fallback.Fallback[string]
	if !c.NoFallback {
		fb, err = fallback.New(fallback.Config[string]{Name: Ollama, Observer: m.Fallback(),
			Fallback: func(context.Context, error) (string, error) { return staticAnswer, nil }})
		must(err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.dbPipe = &resilience.Pipeline[struct{}]{Retry: pr, Breaker: pb, Timeout: pt}
	s.cache = &resilience.Pipeline[string]{Breaker: rb, Timeout: rt}
	s.llmPipe = &resilience.Pipeline[string]{Fallback: fb, Retry: or, Breaker: ob, Bulkhead: llmBulk, Timeout: ot}

	checks := []health.Check{
		{Name: Postgres, Critical: true, Timeout: time.Second, Run: func(ctx context.Context) error { return s.pool.Ping(ctx) }},
		{Name: Redis, Timeout: time.Second, Run: func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }},
		{Name: Ollama, Timeout: time.Second, Run: func(ctx context.Context) error { _, err := s.llm.Version(ctx); return err }},
	}
	if c.ShallowReady {
		checks = nil
	}
	s.health, err = health.New(health.Config{Readiness: checks, CacheFor: 250 * time.Millisecond})
	return err
}

// isDependencyFailure says whether an error is the dependency's fault (and worth a retry and a
// breaker's count): not a request the dependency refused as bad (4xx but 429).
func isDependencyFailure(err error) bool {
	var se api.StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == http.StatusTooManyRequests
	}
	var ae api.AuthorizationError
	return !errors.As(err, &ae) && !errors.Is(err, errNotFound) && !errors.Is(err, context.Canceled)
}

var errNotFound = errors.New("not found")

const schema = `
SELECT pg_advisory_xact_lock(7246);
CREATE TABLE IF NOT EXISTS agents (
	id            text PRIMARY KEY,
	name          text NOT NULL,
	model         text NOT NULL DEFAULT '',
	system_prompt text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS runs (
	id         text PRIMARY KEY,
	agent_id   text NOT NULL REFERENCES agents (id),
	prompt     text NOT NULL,
	answer     text NOT NULL,
	degraded   boolean NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agents (id, name, system_prompt) VALUES
	('support', 'Support', 'You answer customers in two sentences.'),
	('research', 'Research', 'You summarise what you are given.')
ON CONFLICT (id) DO NOTHING;`

// migrate creates the schema (under an advisory lock, so that two instances starting together do
// not race) and the agents.
func (s *Server) migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("agentd: postgres: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, schema); err != nil {
		return fmt.Errorf("agentd: create the schema: %w", err)
	}
	return tx.Commit(ctx)
}

// Handler returns the service's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	var runs http.Handler = s.pooled(http.HandlerFunc(s.createRun))
	if s.limit != nil {
		runs = ratelimit.Handler(s.limit, runs) // before the worker pool: a refused run costs nothing
	}
	mux.Handle("POST /v1/agents/{id}/runs", runs)
	var toolRuns http.Handler = s.pooled(http.HandlerFunc(s.createToolRun))
	if s.limit != nil {
		toolRuns = ratelimit.Handler(s.limit, toolRuns)
	}
	mux.Handle("POST /v1/agents/{id}/tool-runs", toolRuns)
	mux.Handle("GET /v1/runs/{id}", s.pooled(s.isolated(http.HandlerFunc(s.getRun))))
	mux.Handle("GET /v1/agents", s.pooled(s.isolated(http.HandlerFunc(s.listAgents))))
	mux.HandleFunc("GET /status", s.getStatus)
	mux.Handle("GET /health/", s.health.Handler())
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("POST /admin/breakers/{name}/reset", s.resetBreaker)
	return mux
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ListenAndServe listens on the configured address and serves until ctx ends, then shuts down
// gracefully (requests in flight get 10 s).
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.close()
		return fmt.Errorf("agentd: listen: %w", err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		s.close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

// Shutdown stops accepting requests, waits for those in flight and for writes still pending, and
// closes the connections to the dependencies.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.close()
	return err
}

func (s *Server) close() {
	s.pending.Wait()
	if s.pool != nil {
		s.pool.Close()
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
}

var quietRedis sync.Once

// discard drops go-redis's log lines (it logs every failed dial to stderr).
type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

// Breaker returns the named dependency's breaker (nil with NoBreakers).
func (s *Server) Breaker(name string) *circuitbreaker.Breaker { return s.breakers[name] }

// DurabilityQuery finds the service's acknowledged runs: the ids among $1 (a text array) that the
// runs table holds.
const DurabilityQuery = "SELECT id FROM runs WHERE id = ANY($1)"

// StartInProcess runs the service in this process on a port of 127.0.0.1 that the OS picks,
// configured by args (its flags) and getenv (its environment), and returns its base URL and
// stop, which shuts it down and returns once it has.
func StartInProcess(ctx context.Context, args []string, getenv func(string) string) (string, func(), error) {
	var msg strings.Builder
	cfg, err := ParseFlags(args, getenv, &msg)
	if err != nil {
		return "", nil, fmt.Errorf("%w %s", err, strings.TrimSpace(msg.String()))
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(ctx)
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}
