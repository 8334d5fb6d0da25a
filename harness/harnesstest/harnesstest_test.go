package harnesstest_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
)

func TestStartEnv(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()})
		s, _ := e.Service(service.Redis)
		addr = s.Proxied
		if err := redis.NewClient(&redis.Options{Addr: addr}).Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	})
	// The inner test's clean-up closed the environment: its proxy is gone.
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err == nil {
		t.Errorf("PING %s after the test ended succeeded; want the environment closed", addr)
	}
}
