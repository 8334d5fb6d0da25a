package env

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ollama/ollama/api"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperHarness() // the child harness of the SIGKILL tests
		return
	}
	SetProcessDefaults() // the test binary's own process: testcontainers-go's settings
	// go-redis, after a refused dial, keeps a reconnect goroutine asleep for up to a second, even
	// once its client is closed: it ends by itself, so it is the one goroutine not counted.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// startLocal starts a local environment for one test and closes it with the test.
func startLocal(t *testing.T, spec Spec) *Env {
	t.Helper()
	spec.Backend = service.BackendLocal
	return startOn(t, spec)
}

// backends are the backends the tests run on: local always, docker where an engine answers.
var backends = []string{service.BackendLocal, service.BackendDocker}

// startOn starts an environment on spec.Backend for one test and closes it with the test. The
// docker backend is skipped where no engine answers, and where the images are the official ones
// (no SHAKEDOWN_*_IMAGE set, as make test sets them) and are not present here.
func startOn(t *testing.T, spec Spec) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	if spec.Backend == service.BackendDocker {
		if err := DockerAvailable(context.Background()); err != nil {
			t.Skipf("docker backend: %v", err)
		}
		for _, v := range []string{service.ImageVar(service.Postgres), service.ImageVar(service.Redis)} {
			if os.Getenv(v) == "" {
				t.Skipf("docker backend: %s is not set and no registry is reachable here; make test sets it to the images of make images", v)
			}
		}
	}
	if spec.StateDir == "" {
		spec.StateDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// localPid returns the pid of a local server's process group, or 0 when s is no local server.
func localPid(s *Service) int {
	if l, ok := s.srv.(*localServer); ok {
		return l.proc.pid()
	}
	return 0
}

func mustService(t *testing.T, e *Env, name string) *Service {
	t.Helper()
	s, ok := e.Service(name)
	if !ok {
		t.Fatalf("no %s service", name)
	}
	return s
}

// TestServicesThroughProxies: each service reached through its proxy with its real client, on
// each backend.
func TestServicesThroughProxies(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			servicesThroughProxies(t, startOn(t, Spec{Backend: b}))
		})
	}
}

func servicesThroughProxies(t *testing.T, e *Env) {
	ctx := context.Background()

	pg := mustService(t, e, service.Postgres)
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatalf("pgx.Connect(%s): %v", pg.URL, err)
	}
	defer conn.Close(ctx)
	var one int
	var db string
	if err := conn.QueryRow(ctx, "SELECT 1, current_database()").Scan(&one, &db); err != nil || one != 1 || db != "shakedown" {
		t.Errorf("SELECT 1, current_database() = %d, %q, %v", one, db, err)
	}
	if !strings.HasPrefix(pg.Version, "PostgreSQL ") || pg.Backend != e.Backend {
		t.Errorf("postgres Version = %q", pg.Version)
	}

	rs := mustService(t, e, service.Redis)
	opt, _ := redis.ParseURL(rs.URL)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through the proxy: %v", err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("GET = %q, %v", v, err)
	}

	ol := mustService(t, e, service.Ollama)
	u, _ := url.Parse(ol.URL)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	if v, err := api.NewClient(u, hc).Version(ctx); err != nil || v != ollama.Version {
		t.Errorf("Ollama Version through the proxy = %q, %v", v, err)
	}
}

// ping makes a fresh Redis connection through addr and returns how long PING took.
func ping(ctx context.Context, addr string) (time.Duration, error) {
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1, DialTimeout: 2 * time.Second})
	defer rdb.Close()
	start := time.Now()
	err := rdb.Ping(ctx).Err()
	return time.Since(start), err
}

// TestToxicsAndProxyControl: a latency toxic is seen in the latency; a disabled proxy refuses
// connections and recovers once enabled; a toxicity below 1 affects only some connections. On
// each backend.
func TestToxicsAndProxyControl(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			toxicsAndProxyControl(t, startOn(t, Spec{Backend: b, Services: []string{service.Redis}}))
		})
	}
}

func toxicsAndProxyControl(t *testing.T, e *Env) {
	rs := mustService(t, e, service.Redis)
	ctx := context.Background()

	base, err := ping(ctx, rs.Proxied)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Proxy.AddToxic(ctx, faults.Toxic{Name: "slow", Type: "latency", Attributes: map[string]any{"latency": 150}}); err != nil {
		t.Fatal(err)
	}
	slow, err := ping(ctx, rs.Proxied)
	if err != nil || slow < 150*time.Millisecond {
		t.Errorf("PING with a 150ms latency toxic took %v (%v); without it %v", slow, err, base)
	}
	if got := rs.Proxy.Toxics(); len(got) != 1 || got[0].Name != "slow" || got[0].Type != "latency" {
		t.Errorf("Toxics() = %+v", got)
	}
	if err := rs.Proxy.RemoveToxic(ctx, "slow"); err != nil {
		t.Fatal(err)
	}

	rs.Proxy.Disable(ctx)
	if _, err := ping(ctx, rs.Proxied); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("PING through a disabled proxy: %v; want connection refused", err)
	}
	if err := rs.Proxy.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ping(ctx, rs.Proxied); err != nil {
		t.Errorf("PING after Enable: %v", err)
	}

	// Toxicity is decided per connection: 40 fresh connections, half of them slowed. The latency
	// is long (1s) so that a loaded machine cannot blur slowed and unslowed connections.
	if err := rs.Proxy.AddToxic(ctx, faults.Toxic{Name: "some", Type: "latency", Toxicity: 0.5, Attributes: map[string]any{"latency": 1000}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	slowed := 0
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			d, err := ping(ctx, rs.Proxied)
			if err != nil {
				t.Error(err)
				return
			}
			if d >= time.Second {
				mu.Lock()
				slowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Binomial(40, 0.5): 5..35 holds with probability 1 - 2e-6.
	if slowed < 5 || slowed > 35 {
		t.Errorf("%d of 40 connections slowed by a toxicity-0.5 toxic; want some but not all", slowed)
	}
}

// TestNothingLeftBehind: after Close, and after a failure half-way through start-up, no child
// process and no folder remains (goroutines are checked by TestMain).
func TestNothingLeftBehind(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	state := t.TempDir()
	e, err := Start(context.Background(), Spec{Backend: service.BackendLocal, StateDir: state, Services: []string{service.Postgres, service.Redis}})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{localPid(mustService(t, e, service.Postgres)), localPid(mustService(t, e, service.Redis))}
	pgDir := filepath.Dir(mustService(t, e, service.Postgres).dataDir)
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v; want the first's nil", err)
	}
	assertGone(t, state, pids, pgDir)

	// Ollama's config is invalid: Postgres and Redis start, then the start-up fails.
	_, err = Start(context.Background(), Spec{Backend: service.BackendLocal, StateDir: state, Services: []string{service.Redis, service.Postgres, service.Ollama},
		Ollama: ollama.Config{TokenInterval: -1}})
	if err == nil || !strings.Contains(err.Error(), "TokenInterval") {
		t.Fatalf("StartEnv with a bad Ollama config = %v; want its error", err)
	}
	assertGone(t, state, nil, "")
}

func assertGone(t *testing.T, state string, pids []int, dirs ...string) {
	t.Helper()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still alive", pid)
		}
	}
	if runs, _ := os.ReadDir(filepath.Join(state, "runs")); len(runs) != 0 {
		t.Errorf("%d run folders left in %s", len(runs), state)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists (%v)", d, err)
		}
	}
}

// TestProxyPortsBelowTheEphemeralRange: where Linux says which ports it hands out to dialled
// connections and port-0 listeners, a proxy listens below them, so that a proxy_down fault's
// undo can listen on its port again.
func TestProxyPortsBelowTheEphemeralRange(t *testing.T) {
	t.Parallel()
	lo := ephemeralStart()
	if lo <= 11000 {
		t.Skipf("ephemeral range starts at %d (or unreadable): the OS chooses the proxies' ports", lo)
	}
	srv := newToxiServer()
	p, err := startProxy(srv, "probe", "", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disable(context.Background())
	_, port, _ := net.SplitHostPort(p.Listen())
	if n, _ := strconv.Atoi(port); n < 10000 || n >= lo {
		t.Errorf("proxy on %s; want a port from 10000 to %d", p.Listen(), lo-1)
	}
	if err := p.Disable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Enable(context.Background()); err != nil {
		t.Errorf("enable on the same port: %v", err)
	}
}
