package harness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The images of the docker backend, overridable by the environment. The defaults are the official
// images; where no registry is reachable, `make images` builds local equivalents and the tests
// point these variables at them.
const (
	PostgresImageEnv = "SHAKEDOWN_POSTGRES_IMAGE" // default postgres:16-alpine
	RedisImageEnv    = "SHAKEDOWN_REDIS_IMAGE"    // default redis:7-alpine
	OllamaImageEnv   = "SHAKEDOWN_OLLAMA_IMAGE"   // default shakedown/mock-ollama:dev
)

// Labels on every container the docker backend starts, so that a sweep finds a dead run's.
const (
	labelRun = "dev.shakedown.run" // the run folder's name
	labelPid = "dev.shakedown.pid" // the harness's pid
)

// imageFor returns the configured image, else the variable's, else the default.
func imageFor(configured, envVar, fallback string) string {
	if configured != "" {
		return configured
	}
	if v := os.Getenv(envVar); v != "" {
		return v
	}
	return fallback
}

var tcOnce sync.Once

// configureTestcontainers sets testcontainers-go up for this harness, once, before its first use:
//   - Ryuk off: its image cannot be pulled where there is no registry; the sweep does its work.
//   - the host of published ports is 127.0.0.1: inside a container (a /.dockerenv file) it would
//     otherwise use the default gateway's address, and the harness talks to loopback only.
//   - its logger silent: the harness is quiet by default.
//
// A variable the user has set is left as it is.
func configureTestcontainers() {
	tcOnce.Do(func() {
		for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
			if _, set := os.LookupEnv(k); !set {
				os.Setenv(k, v)
			}
		}
		tclog.SetDefault(tclog.NewNoopLogger())
	})
}

// dockerAvailable reports whether a Docker engine answers within a second, in our own words when
// it does not (testcontainers alone says "rootless Docker not found" when there is no engine).
func dockerAvailable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return fmt.Errorf("no Docker client configuration: %w", err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("no Docker engine answers at %s: %w", cli.DaemonHost(), err)
	}
	return nil
}

// startDocker starts one service as a container with testcontainers-go and registers its removal.
func (e *Env) startDocker(ctx context.Context, name string, spec EnvSpec) (*Service, error) {
	configureTestcontainers()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a pull that cannot succeed retries forever
	defer cancel()
	labels := testcontainers.WithLabels(map[string]string{labelRun: e.run.name(), labelPid: strconv.Itoa(os.Getpid())})
	var (
		ctr     testcontainers.Container
		port    string
		image   string
		version string
		err     error
	)
	switch name {
	case Postgres:
		pg := spec.Postgres.withDefaults()
		image, port = imageFor(spec.Images.Postgres, PostgresImageEnv, "postgres:16-alpine"), "5432/tcp"
		var c *tcpostgres.PostgresContainer
		c, err = tcpostgres.Run(ctx, image, labels, tcpostgres.WithDatabase(pg.Database), tcpostgres.WithUsername(pg.User),
			tcpostgres.WithPassword(pg.Password), tcpostgres.BasicWaitStrategies(), tcpostgres.WithSQLDriver("pgx"))
		if c != nil {
			ctr = c
		}
		version = "PostgreSQL (" + image + ")"
	case Redis:
		image, port = imageFor(spec.Images.Redis, RedisImageEnv, "redis:7-alpine"), "6379/tcp"
		var c *tcredis.RedisContainer
		c, err = tcredis.Run(ctx, image, labels)
		if c != nil {
			ctr = c
		}
		version = "Redis (" + image + ")"
	default:
		image, port = imageFor(spec.Images.Ollama, OllamaImageEnv, "shakedown/mock-ollama:dev"), "11434/tcp"
		ctr, err = testcontainers.Run(ctx, image, labels, testcontainers.WithExposedPorts(port),
			testcontainers.WithCmdArgs("--seed", strconv.FormatUint(spec.Ollama.Seed, 10)),
			testcontainers.WithWaitStrategy(wait.ForHTTP("/api/version").WithPort(port)))
		version = "mock (" + image + ")"
	}
	if ctr != nil { // registered before the error check: a container that failed to get ready still goes
		e.cleanups = append(e.cleanups, func(ctx context.Context) error { return ctr.Terminate(ctx) })
	}
	if err != nil {
		return nil, fmt.Errorf("docker backend: %s from image %s: %w (set %s to an image present here, or run make images)", name, image, err, map[string]string{Postgres: PostgresImageEnv, Redis: RedisImageEnv, Ollama: OllamaImageEnv}[name])
	}
	addr, err := ctr.PortEndpoint(ctx, port, "")
	if err != nil {
		return nil, fmt.Errorf("docker backend: %s port %s: %w", name, port, err)
	}
	return &Service{Name: name, Direct: addr, Backend: BackendDocker, Version: version, container: ctr.GetContainerID(), ctr: ctr, port: port}, nil
}

// sweepContainers removes the containers of dead runs: those labelled by the harness whose pid is
// gone.
func sweepContainers(ctx context.Context) (int, error) {
	if dockerAvailable(ctx) != nil {
		return 0, nil
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labelRun)})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list.Items {
		pid, err := strconv.Atoi(c.Labels[labelPid])
		if err == nil && alive(pid) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err == nil {
			n++
		}
	}
	return n, nil
}
