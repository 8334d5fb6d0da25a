package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/testcontainers/testcontainers-go"

	"github.com/shakedown-dev/shakedown/scenarios"

	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// The services an environment can start.
const (
	Postgres = "postgres"
	Redis    = "redis"
	Ollama   = "ollama"
)

// The backends.
const (
	BackendAuto   = "auto"
	BackendLocal  = "local"
	BackendDocker = "docker"
	// BackendExternal: services that already run (staging), given by address.
	BackendExternal = "external"
)

// ErrBackendUnavailable is returned when the chosen backend cannot run here.
var ErrBackendUnavailable = errors.New("backend unavailable")

// EnvSpec says which services to start and how. The zero value of every field stands for its
// documented default.
type EnvSpec struct {
	// Services to start: any of "postgres", "redis", "ollama". Empty: all three.
	Services []string
	// Backend: "local" (servers as child processes), "docker" (containers, with testcontainers-go)
	// or "auto": docker when a Docker engine answers within a second, else local. Empty: auto.
	Backend string
	// Postgres sets the database's user, password and name. Empty: "shakedown" for each.
	Postgres PostgresSpec
	// Ollama configures the mock Ollama.
	Ollama ollama.Config
	// Images of the docker backend. Empty: the SHAKEDOWN_*_IMAGE variables, else the defaults
	// (postgres:16-alpine, redis:7-alpine, shakedown/mock-ollama:dev).
	Images Images
	// StateDir holds the runs' folders. Empty: StateDir().
	StateDir string
	// External describes the services of the external backend.
	External *scenarios.External
}

// Images names the docker backend's images.
type Images struct{ Postgres, Redis, Ollama string }

// PostgresSpec names the database the environment creates.
type PostgresSpec struct{ User, Password, Database string }

// Validate reports every problem with s.
func (s EnvSpec) Validate() error {
	var errs []error
	for i, name := range s.Services {
		if name != Postgres && name != Redis && name != Ollama {
			errs = append(errs, fmt.Errorf("env: services[%d] = %q; want postgres, redis or ollama", i, name))
		}
		if slices.Index(s.Services, name) != i {
			errs = append(errs, fmt.Errorf("env: services[%d] = %q appears twice", i, name))
		}
	}
	switch s.Backend {
	case "", BackendAuto, BackendLocal, BackendDocker:
	case BackendExternal:
		if s.External == nil {
			errs = append(errs, fmt.Errorf("env: the external backend needs External: the services' addresses"))
		}
	default:
		errs = append(errs, fmt.Errorf("env: backend = %q; want auto, local, docker or external", s.Backend))
	}
	return errors.Join(errs...)
}

// Service is one running dependency.
type Service struct {
	Name string
	// Proxied is the proxy's host:port: what the system under test must use.
	Proxied string
	// Direct is the server's own host:port, for the harness's own checks.
	Direct string
	// URL reaches the service through the proxy: a Postgres DSN, redis://host:port/0 or the
	// Ollama base URL. DirectURL is the same without the proxy.
	URL, DirectURL string
	// Proxy is the handle faults act on.
	Proxy *Proxy
	// Backend and Version say what runs it, e.g. "local" and "PostgreSQL 15.18".
	Backend, Version string

	proc      *process                 // local servers
	dataDir   string                   // a local server's data folder
	container string                   // a docker server's container id
	ctr       testcontainers.Container // the same, as testcontainers sees it
	port      string                   // the container's port, e.g. "6379/tcp"
	ollama    *ollama.Server           // the in-process mock
	remote    *remoteProxy             // an external service's proxy on a Toxiproxy server
	run       *runDir                  // where a restarted server's pid is noted

	mu sync.Mutex // guards Direct and DirectURL once the environment runs (a restart moves them)
}

// direct returns the server's own address and URL: a restart in a container may move them.
func (s *Service) direct() (addr, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Direct, s.DirectURL
}

// procDataDir returns a local server's data folder, or "".
func (s *Service) procDataDir() string { return s.dataDir }

// Env is a running environment. Close it when done; Close is idempotent.
type Env struct {
	Backend  string
	services []*Service
	toxi     *toxiproxy.ApiServer
	run      *runDir

	closeOnce sync.Once
	closeErr  error
	cleanups  []func(context.Context) error // run in reverse order by Close
}

// Services returns the running services in the order they were started.
func (e *Env) Services() []*Service { return slices.Clone(e.services) }

// Service returns the named service.
func (e *Env) Service(name string) (*Service, bool) {
	for _, s := range e.services {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// StartEnv sweeps what dead runs left, then starts the services, each behind its own proxy. If any
// step fails, everything already started is stopped before StartEnv returns.
func StartEnv(ctx context.Context, spec EnvSpec) (_ *Env, err error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(spec.Services) == 0 {
		spec.Services = []string{Postgres, Redis, Ollama}
	}
	if spec.StateDir == "" {
		spec.StateDir = StateDir()
	}
	backend, err := chooseBackend(ctx, spec)
	if err != nil {
		return nil, err
	}
	if _, err := Sweep(spec.StateDir); err != nil {
		return nil, fmt.Errorf("env: sweeping what earlier runs left: %w", err)
	}
	if backend == BackendDocker {
		if _, err := sweepContainers(ctx); err != nil {
			return nil, fmt.Errorf("env: sweeping containers of earlier runs: %w", err)
		}
	}
	run, err := newRunDir(spec.StateDir)
	if err != nil {
		return nil, err
	}
	e := &Env{Backend: backend, toxi: newToxiServer(), run: run}
	e.cleanups = append(e.cleanups, func(context.Context) error { return run.remove() })
	e.cleanups = append(e.cleanups, func(context.Context) error { return e.toxi.Collection.Clear() })
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close(context.WithoutCancel(ctx)))
		}
	}()
	for _, name := range spec.Services {
		if backend == BackendExternal {
			s, err := e.startExternal(name, spec)
			if err != nil {
				return nil, err
			}
			e.services = append(e.services, s)
			continue
		}
		start := e.startLocal
		if backend == BackendDocker {
			start = e.startDocker
		}
		s, err := start(ctx, name, spec)
		if err != nil {
			return nil, err
		}
		p, err := startProxy(e.toxi, name, "127.0.0.1:0", s.Direct)
		if err != nil {
			return nil, err
		}
		s.Proxy, s.Proxied = p, p.Listen()
		s.URL = serviceURL(name, s.Proxied, spec.Postgres)
		s.DirectURL = serviceURL(name, s.Direct, spec.Postgres)
		s.run = e.run
		e.services = append(e.services, s)
	}
	return e, nil
}

// chooseBackend resolves auto and checks that the chosen backend can run here.
func chooseBackend(ctx context.Context, spec EnvSpec) (string, error) {
	switch spec.Backend {
	case BackendExternal:
		return BackendExternal, nil
	case BackendDocker:
		if err := dockerAvailable(ctx); err != nil {
			return "", fmt.Errorf("env: docker backend: %w: %w", err, ErrBackendUnavailable)
		}
		return BackendDocker, nil
	case BackendLocal:
		return BackendLocal, nil
	}
	derr := dockerAvailable(ctx)
	if derr == nil {
		return BackendDocker, nil
	}
	if missing := missingLocal(spec.Services); len(missing) > 0 {
		return "", fmt.Errorf("env: no backend can run here: %v, and the local backend lacks %v; start a Docker engine, or install the servers (Debian: apt-get install postgresql redis-server): %w",
			derr, missing, ErrBackendUnavailable)
	}
	return BackendLocal, nil
}

func serviceURL(name, addr string, pg PostgresSpec) string {
	switch name {
	case Postgres:
		pg = pg.withDefaults()
		return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", pg.User, pg.Password, addr, pg.Database)
	case Redis:
		return "redis://" + addr + "/0"
	default:
		return "http://" + addr
	}
}

func (p PostgresSpec) withDefaults() PostgresSpec {
	if p.User == "" {
		p.User = "shakedown"
	}
	if p.Password == "" {
		p.Password = "shakedown"
	}
	if p.Database == "" {
		p.Database = "shakedown"
	}
	return p
}

// Close stops every service and proxy and removes the run's folder. It is idempotent: later calls
// return the first call's result.
func (e *Env) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		var errs []error
		for i := len(e.cleanups) - 1; i >= 0; i-- {
			if err := e.cleanups[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}
