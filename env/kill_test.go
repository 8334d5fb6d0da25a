package env

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"net/http"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/ollama/ollama/api"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/service"
)

// TestKillRestart: a killed server stops answering through its proxy; restarted, it answers again
// through the same proxy address, Postgres with the rows it had committed (after its crash
// recovery). On docker the container may come back on another host port: the proxy follows it,
// and so does the mock Ollama's fault injector.
func TestKillRestart(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			services := []string{service.Postgres, service.Redis}
			if b == service.BackendDocker {
				services = append(services, service.Ollama)
			}
			e := startOn(t, Spec{Backend: b, Services: services})
			ctx := context.Background()
			ps, rs := mustService(t, e, service.Postgres), mustService(t, e, service.Redis)
			targets := e.FaultTargets()

			pg := func() *pgx.Conn {
				c, err := pgx.Connect(ctx, ps.URL)
				if err != nil {
					t.Fatalf("connect through the proxy: %v", err)
				}
				t.Cleanup(func() { c.Close(context.Background()) })
				return c
			}
			c := pg()
			if _, err := c.Exec(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"); err != nil {
				t.Fatal(err)
			}
			p, err := targets.Process(service.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Kill(ctx, false); err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(ctx); err == nil {
				t.Error("Postgres answered after it was killed")
			}
			if err := p.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			var v int
			if err := pg().QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
				t.Errorf("the committed row after the restart: %d, %v; want 42", v, err)
			}
			if localPid(ps) != 0 {
				noted, _ := os.ReadFile(filepath.Join(e.run.path, "child-postgres"))
				if string(noted) != strconv.Itoa(localPid(ps)) {
					t.Errorf("the run folder notes pid %s; the restarted server is %d", noted, localPid(ps))
				}
			}

			// Redis, gracefully: SIGTERM, and it exits by itself.
			rdb := redis.NewClient(&redis.Options{Addr: rs.Proxied, MaxRetries: -1, DialTimeout: time.Second})
			defer rdb.Close()
			p, _ = targets.Process(service.Redis)
			if err := p.Kill(ctx, true); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Ping(ctx).Err(); err == nil {
				t.Error("Redis answered after it was killed")
			}
			if err := p.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Errorf("PING through the proxy after the restart: %v", err)
			}
			if err := p.Restart(ctx); err != nil {
				t.Errorf("restarting a running server: %v; want nothing done", err)
			}

			if b != service.BackendDocker {
				return
			}
			ol := mustService(t, e, service.Ollama)
			p, _ = targets.Process(service.Ollama)
			if err := p.Kill(ctx, false); err != nil {
				t.Fatal(err)
			}
			if err := p.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			inj, err := targets.HTTP(service.Ollama)
			if err != nil {
				t.Fatal(err)
			}
			if err := inj.Set(t.Context(), httpfault.Fault{Name: "down", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503}}); err != nil {
				t.Fatalf("set a fault on the restarted mock: %v", err)
			}
			u, _ := url.Parse(ol.URL)
			_, err = api.NewClient(u, http.DefaultClient).Version(ctx)
			if err == nil {
				t.Error("the restarted mock ignored the fault set on it")
			}
		})
	}
}
