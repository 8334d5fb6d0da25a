package harness

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

func TestMain(m *testing.M) {
	if os.Getenv(sutEnv) != "" {
		sutMain() // the service under test of TestRunShortScenario
		return
	}
	if os.Getenv(configSUTEnv) != "" {
		configSUTMain() // the service of TestSUTInItsOwnConfiguration
		return
	}
	env.SetProcessDefaults() // the test binary's own process: testcontainers-go's settings
	// go-redis, after a refused dial, keeps a reconnect goroutine asleep for up to a second, even
	// once its client is closed: it ends by itself, so it is the one goroutine not counted.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// startOn starts an environment on spec.Backend for one test and closes it with the test. The
// docker backend is skipped where no engine answers, and where no SHAKEDOWN_*_IMAGE names the
// images (no registry is reachable here; make test sets them to the images of make images).
func startOn(t *testing.T, spec env.Spec) *env.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	if spec.Backend == service.BackendDocker {
		if err := env.DockerAvailable(context.Background()); err != nil {
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
	e, err := env.Start(ctx, spec)
	if err != nil {
		t.Fatalf("env.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func mustService(t *testing.T, e *env.Env, name string) *env.Service {
	t.Helper()
	s, ok := e.Service(name)
	if !ok {
		t.Fatalf("no %s service", name)
	}
	return s
}

// run resolves the plan of sc with opt and runs it, as the command line and harnesstest do, and
// returns its record.
func run(ctx context.Context, sc *scenarios.Scenario, opt RunOptions, obs ...Observer) (*record.Record, error) {
	p, err := NewPlan(sc, opt)
	if err != nil {
		return nil, err
	}
	res, err := Run(ctx, p, Observers(obs))
	return res.Record, err
}

// sutOutput is an observer that writes a command SUT's output to w.
func sutOutput(w io.Writer) Observer {
	return ObserverFuncs{SUTOutput: func(b []byte) { w.Write(b) }}
}
