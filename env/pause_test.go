package env

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/service"
)

// TestPauseResume: a paused server keeps its connections but answers nothing; resumed, it answers
// again. On each backend; the in-process mock cannot be paused and says so.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			e := startOn(t, Spec{Backend: b, Services: []string{service.Redis, service.Ollama}})
			rs := mustService(t, e, service.Redis)
			p, err := e.FaultTargets().Process(service.Redis)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			rdb := redis.NewClient(&redis.Options{Addr: rs.Proxied, ReadTimeout: 300 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
			defer rdb.Close()
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := p.Pause(ctx); err != nil {
				t.Fatal(err)
			}
			if localPid(rs) != 0 {
				if st := procState(localPid(rs)); st != 'T' {
					t.Errorf("paused server's state = %q; want T (stopped)", st)
				}
			}
			if err := rdb.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "timeout") {
				t.Errorf("PING to a paused Redis = %v; want a read timeout", err)
			}
			if err := p.Resume(ctx); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Errorf("PING after Resume = %v", err)
			}
			if _, err := e.FaultTargets().Process(service.Ollama); b == service.BackendLocal && err == nil {
				t.Error("the in-process mock Ollama offered itself for pausing")
			}
		})
	}
}
