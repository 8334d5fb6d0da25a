package env

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

// Labels on every container the docker backend starts, so that a sweep finds a dead run's.
const (
	labelRun = "dev.shakedown.run" // the run folder's name
	labelPid = "dev.shakedown.pid" // the harness's pid
)

// imageFor returns the configured image, else the variable's, else the default when it is on the
// machine, else the image make images built when that is (and says so in note), else the default
// (which the engine then tries to pull).
func (e *Env) imageFor(ctx context.Context, images service.Images, name string) (image, note string) {
	if img := images.Of(name); img != "" {
		return img, ""
	}
	if v := os.Getenv(service.ImageVar(name)); v != "" {
		return v, ""
	}
	def, local := service.DefaultImage(name), service.LocalImage(name)
	if _, err := e.docker.ImageInspect(ctx, def); err == nil || def == local {
		return def, ""
	}
	if _, err := e.docker.ImageInspect(ctx, local); err == nil {
		return local, fmt.Sprintf("%s is not here; %s, which make images built, is", def, local)
	}
	return def, ""
}

// The process-wide settings of testcontainers-go that the docker backend needs where no registry
// is reachable, or where the harness itself runs in a container. testcontainers-go reads them
// only from the process's environment (once), so a library cannot set them for one environment:
// the program's main, or a test binary's TestMain, sets them with SetProcessDefaults, and Start
// refuses, saying which to set, where they are missing and needed.
var processDefaults = map[string]string{
	// Ryuk's image cannot be pulled without a registry; the sweep does its work.
	"TESTCONTAINERS_RYUK_DISABLED": "true",
	// Inside a container (a /.dockerenv file) testcontainers-go would reach published ports at
	// the default gateway's address; the harness talks to loopback only.
	"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
}

// SetProcessDefaults sets, for this process, each of testcontainers-go's settings that the docker
// backend needs and the user has not set: Ryuk off (TESTCONTAINERS_RYUK_DISABLED=true) and
// published ports on 127.0.0.1 (TESTCONTAINERS_HOST_OVERRIDE); and it silences testcontainers-go's
// default logger, which prints the engine's details once per process (each container the
// backend starts gets a silent logger of its own anyway). Call it from main or TestMain, before
// the first environment starts; the shakedown command does.
func SetProcessDefaults() {
	tclog.SetDefault(tclog.NewNoopLogger())
	for k, v := range processDefaults {
		if _, set := os.LookupEnv(k); !set {
			os.Setenv(k, v)
		}
	}
}

// checkTestcontainers refuses, in our words, what would otherwise fail inside testcontainers-go
// after minutes of retries: Ryuk on with its image absent (no registry to pull it from), or
// published ports looked for at the default gateway from inside a container.
func checkTestcontainers(ctx context.Context, cli *client.Client) error {
	if !testcontainers.ReadConfig().RyukDisabled {
		//lint:ignore SA1019 the one public name of the image testcontainers-go pulls for Ryuk
		ryuk := testcontainers.ReaperDefaultImage
		if _, err := cli.ImageInspect(ctx, ryuk); err != nil {
			return fmt.Errorf("testcontainers-go's Ryuk is on and its image %s is not here (no registry may be reachable to pull it); set TESTCONTAINERS_RYUK_DISABLED=true (the harness's sweep removes what a dead run leaves) or load that image", ryuk)
		}
	}
	if _, err := os.Stat("/.dockerenv"); err == nil {
		if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set {
			return fmt.Errorf("the harness runs inside a container, where testcontainers-go would look for published ports at the default gateway; set TESTCONTAINERS_HOST_OVERRIDE to the address that reaches them (127.0.0.1 when the engine is this machine's)")
		}
	}
	return nil
}

// dockerClient returns a client of a Docker engine that answered within a second, or says in our
// own words why there is none (testcontainers alone says "rootless Docker not found").
func dockerClient(ctx context.Context) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("no Docker client configuration: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("no Docker engine answers at %s: %w", cli.DaemonHost(), err)
	}
	return cli, nil
}

// DockerAvailable reports whether a Docker engine answers within a second, and why not.
func DockerAvailable(ctx context.Context) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	return cli.Close()
}

// startDocker starts one service as a container with testcontainers-go and registers its removal.
func (e *Env) startDocker(ctx context.Context, name string, spec Spec) (*Service, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a pull that cannot succeed retries forever
	defer cancel()
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tclog.NewNoopLogger()), // the harness is quiet by default
		testcontainers.WithLabels(map[string]string{labelRun: e.run.name(), labelPid: strconv.Itoa(os.Getpid())}),
	}
	image, note := e.imageFor(ctx, spec.Images, name)
	var (
		ctr     testcontainers.Container
		port    string
		version string
		err     error
	)
	switch name {
	case service.Postgres:
		pg := spec.Postgres
		port = "5432/tcp"
		var c *tcpostgres.PostgresContainer
		c, err = tcpostgres.Run(ctx, image, append(opts, tcpostgres.WithDatabase(pg.Database), tcpostgres.WithUsername(pg.User),
			tcpostgres.WithPassword(pg.Password), tcpostgres.BasicWaitStrategies(), tcpostgres.WithSQLDriver("pgx"))...)
		if c != nil {
			ctr = c
		}
		version = "PostgreSQL (" + image + ")"
	case service.Redis:
		port = "6379/tcp"
		var c *tcredis.RedisContainer
		c, err = tcredis.Run(ctx, image, opts...)
		if c != nil {
			ctr = c
		}
		version = "Redis (" + image + ")"
	default:
		port = "11434/tcp"
		ctr, err = testcontainers.Run(ctx, image, append(opts, testcontainers.WithExposedPorts(port),
			testcontainers.WithCmdArgs(mockArgs(spec.Ollama)...),
			testcontainers.WithWaitStrategy(wait.ForHTTP("/api/version").WithPort(port)))...)
		version = "mock (" + image + ")"
	}
	if ctr != nil { // registered before the error check: a container that failed to get ready still goes
		e.cleanups = append(e.cleanups, func(ctx context.Context) error { return ctr.Terminate(ctx) })
	}
	if err != nil {
		return nil, fmt.Errorf("docker backend: %s from image %s: %w (set %s to an image present here, or run make images)", name, image, err, service.ImageVar(name))
	}
	addr, err := ctr.PortEndpoint(ctx, port, "")
	if err != nil {
		return nil, fmt.Errorf("docker backend: %s port %s: %w", name, port, err)
	}
	if note != "" {
		version += ": " + note
	}
	s := &Service{Name: name, direct: addr, Backend: service.BackendDocker, Version: version,
		srv: &containerServer{name: name, cli: e.docker, ctr: ctr, port: port}}
	if name == service.Ollama {
		s.http = &remoteInjector{s: s}
	}
	return s, nil
}

// containerServer is a server the docker backend started: a container, driven through the
// environment's Docker client.
type containerServer struct {
	name string
	cli  *client.Client
	ctr  testcontainers.Container
	port string // the container's port, e.g. "6379/tcp"
}

func (c *containerServer) id() string { return c.ctr.GetContainerID() }

func (c *containerServer) pause(ctx context.Context) error {
	if _, err := c.cli.ContainerPause(ctx, c.id(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("%s: docker pause %.12s: %w", c.name, c.id(), err)
	}
	return nil
}

func (c *containerServer) resume(ctx context.Context) error {
	if _, err := c.cli.ContainerUnpause(ctx, c.id(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("%s: docker unpause %.12s: %w", c.name, c.id(), err)
	}
	return nil
}

func (c *containerServer) kill(ctx context.Context, graceful bool) error {
	sig, secs := "SIGKILL", 0
	if graceful {
		sig, secs = "SIGTERM", int(killGrace/time.Second)
	}
	if _, err := c.cli.ContainerStop(ctx, c.id(), client.ContainerStopOptions{Signal: sig, Timeout: &secs}); err != nil {
		return fmt.Errorf("%s: stop container %.12s with %s: %w", c.name, c.id(), sig, err)
	}
	return nil
}

// restart starts the stopped container; its host port may change.
func (c *containerServer) restart(ctx context.Context) (string, error) {
	if _, err := c.cli.ContainerStart(ctx, c.id(), client.ContainerStartOptions{}); err != nil {
		return "", fmt.Errorf("start container %.12s: %w", c.id(), err)
	}
	addr, err := c.ctr.PortEndpoint(ctx, c.port, "")
	if err != nil {
		return "", fmt.Errorf("the restarted container's port %s: %w", c.port, err)
	}
	return addr, nil
}

// SweepContainers removes the containers of dead runs from the Docker engine, if one answers,
// and returns how many it removed.
func SweepContainers(ctx context.Context) (int, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return 0, nil // no engine: no containers
	}
	defer cli.Close()
	return sweepContainers(ctx, cli)
}

// sweepContainers removes the containers of dead runs: those labelled by the harness whose pid is
// gone.
func sweepContainers(ctx context.Context, cli *client.Client) (int, error) {
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

// mockArgs are the mock Ollama binary's flags for cfg: its seed, timing and scheduler.
func mockArgs(cfg ollama.Config) []string {
	args := []string{"--seed", strconv.FormatUint(cfg.Seed, 10)}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--ttft", cfg.TimeToFirstToken}, {"--token-interval", cfg.TokenInterval}, {"--load-duration", cfg.LoadDuration}, {"--keep-alive", cfg.KeepAlive}} {
		if d.v > 0 {
			args = append(args, d.flag, d.v.String())
		}
	}
	if cfg.NumParallel != 0 {
		args = append(args, "--num-parallel", strconv.Itoa(cfg.NumParallel))
	}
	if cfg.MaxQueue != 0 {
		args = append(args, "--max-queue", strconv.Itoa(cfg.MaxQueue))
	}
	return args
}
