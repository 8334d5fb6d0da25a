package env

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/moby/moby/client"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

// ErrBackendUnavailable is returned when the chosen backend cannot run here.
var ErrBackendUnavailable = errors.New("backend unavailable")

// Spec says which services to start and how. The zero value of every field stands for its
// documented default.
type Spec struct {
	// Services to start: any of service.Names(). Empty: all three.
	Services []string
	// Backend: local (servers as child processes), docker (containers, with testcontainers-go),
	// external (services that already run, described by External) or auto: docker when a Docker
	// engine answers within a second, else local. Empty: auto.
	Backend string
	// Postgres sets the database's user, password and name. Empty: "shakedown" for each.
	Postgres service.Database
	// Ollama configures the mock Ollama.
	Ollama ollama.Config
	// Images of the docker backend. Empty: each service's service.ImageVar, else
	// service.DefaultImage.
	Images service.Images
	// StateDir holds the runs' folders. Empty: StateDir().
	StateDir string
	// External describes the services of the external backend.
	External *service.External
	// Kubernetes describes the services of the kubernetes backend, whose faults the harness's
	// engine (env/kube) makes.
	Kubernetes *service.Kubernetes
	// Wire holds, by service name (postgres, redis), the injectors of the request faults
	// (queries, commands): each is put on its service's embedded proxy as a request stage
	// before the first connection. Behind a Shakedown fault proxy (the external backend's
	// toxiproxy, cmd/shakedown-proxy) the faults are set there, drawn from the injector's seed,
	// and the proxy's decisions go to the injector's OnDecision; a plain Toxiproxy server cannot
	// run them and the environment refuses to start.
	Wire map[string]*wirefault.Injector
}

// withDefaults fills the database's empty fields with "shakedown".
func withDefaults(db service.Database) service.Database {
	for _, f := range []*string{&db.User, &db.Password, &db.Database} {
		if *f == "" {
			*f = "shakedown"
		}
	}
	return db
}

// Validate reports every problem with s.
func (s Spec) Validate() error {
	var errs []error
	for _, p := range service.Check(s.Services, s.Backend, s.External, s.Kubernetes) {
		errs = append(errs, fmt.Errorf("env: %s", p))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Wire)) {
		want := map[string]wirefault.Protocol{service.Postgres: wirefault.Postgres, service.Redis: wirefault.Redis}[name]
		switch in := s.Wire[name]; {
		case want == "":
			errs = append(errs, fmt.Errorf("env: request faults on %q: want postgres or redis (HTTP faults act on %s)", name, service.Ollama))
		case in.Protocol() != want:
			errs = append(errs, fmt.Errorf("env: request faults on %s: the injector speaks %s", name, in.Protocol()))
		}
	}
	return errors.Join(errs...)
}

// Service is one running dependency.
type Service struct {
	Name string
	// Proxied is the proxy's host:port: what the system under test must use.
	Proxied string
	// URL reaches the service through the proxy: a Postgres DSN, redis://host:port/0 or the
	// Ollama base URL.
	URL string
	// Proxy is the handle on the embedded proxy faults act on; nil when the proxy is a Toxiproxy
	// server's (the external backend), which FaultTargets reaches over its API.
	Proxy *Proxy
	// Backend and Version say what runs it, e.g. "local" and "PostgreSQL 15.18".
	Backend, Version string

	srv       server              // what process faults act on; nil when the harness cannot
	untouched string              // why srv is nil
	remote    *remoteProxy        // a Toxiproxy server's proxy (the external backend)
	http      faults.HTTPInjector // the mock Ollama's fault injector
	wire      faults.WireInjector // the request stage: local, or on a fault proxy; nil: none
	pg        service.Database    // the credentials in a Postgres URL
	dataDir   string              // a local server's data folder
	directURL string              // given for an external service; else built from direct
	mu        sync.Mutex          // guards direct: a restarted container may move
	direct    string              // the server's own host:port
}

// Direct returns the server's own host:port, for the harness's own checks. A container's may
// change when it restarts.
func (s *Service) Direct() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.direct
}

// DirectURL is URL without the proxy.
func (s *Service) DirectURL() string {
	if s.directURL != "" {
		return s.directURL
	}
	return serviceURL(s.Name, s.Direct(), s.pg)
}

func (s *Service) setDirect(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.direct = addr
}

// Env is a running environment. Close it when done; Close is idempotent.
type Env struct {
	Backend  string
	services []*Service
	toxi     *toxiproxy.ApiServer
	run      *runDir
	docker   *client.Client // the docker backend's one client; nil on the others

	probeOnce sync.Once // is the external backend's Toxiproxy server a fault proxy?
	probeOK   bool
	probeErr  error
	proxyRun  *proxyRun // this run on the external backend's Toxiproxy server

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

// NoteChild records a process group the caller started for this environment (a system under
// test), so that the sweep kills it if the harness dies.
func (e *Env) NoteChild(name string, pid int) error { return e.run.noteChild(name, pid) }

// Start sweeps what dead runs left, then starts the services, each behind its own proxy. If any
// step fails, everything already started is stopped before Start returns.
func Start(ctx context.Context, spec Spec) (_ *Env, err error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(spec.Services) == 0 {
		spec.Services = service.Names()
	}
	if spec.StateDir == "" {
		spec.StateDir = StateDir()
	}
	spec.Postgres = withDefaults(spec.Postgres)
	e := &Env{toxi: newToxiServer()}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close(context.WithoutCancel(ctx)))
		}
	}()
	if e.Backend, err = e.chooseBackend(ctx, spec); err != nil {
		return nil, err
	}
	if _, err := Sweep(spec.StateDir); err != nil {
		return nil, fmt.Errorf("env: sweeping what earlier runs left: %w", err)
	}
	if e.docker != nil {
		if _, err := sweepContainers(ctx, e.docker); err != nil {
			return nil, fmt.Errorf("env: sweeping containers of earlier runs: %w", err)
		}
	}
	if e.run, err = newRunDir(spec.StateDir); err != nil {
		return nil, err
	}
	e.cleanups = append(e.cleanups, func(context.Context) error { return e.run.remove() })
	e.cleanups = append(e.cleanups, func(context.Context) error { return e.toxi.Collection.Clear() })
	for _, name := range spec.Services {
		s, err := e.start(ctx, name, spec)
		if err != nil {
			return nil, err
		}
		s.pg = spec.Postgres
		if s.Proxy == nil && s.remote == nil && e.Backend != service.BackendKubernetes { // an embedded proxy
			if s.Proxy, err = startProxy(e.toxi, name, "", s.Direct()); err != nil {
				return nil, err
			}
		}
		if in := spec.Wire[name]; in != nil && s.wire == nil {
			if s.Proxy == nil {
				return nil, fmt.Errorf("env: request faults on %s need a request stage: an embedded proxy or a Shakedown fault proxy; this service has neither", name)
			}
			if err := s.Proxy.AddToxic(ctx, faults.Toxic{Name: WireToxic, Type: wirefault.ToxicType, Stream: "upstream", Toxicity: 1, Attributes: in.Attributes()}); err != nil {
				return nil, err
			}
			s.wire = in
		}
		if s.Proxy != nil {
			s.Proxied = s.Proxy.Listen()
		}
		s.URL = serviceURL(name, s.Proxied, spec.Postgres)
		e.services = append(e.services, s)
	}
	return e, nil
}

// start starts one service on the environment's backend and registers its clean-up.
func (e *Env) start(ctx context.Context, name string, spec Spec) (*Service, error) {
	switch e.Backend {
	case service.BackendExternal:
		return e.startExternal(name, spec)
	case service.BackendKubernetes:
		return e.startKubernetes(name, spec)
	case service.BackendDocker:
		return e.startDocker(ctx, name, spec)
	}
	return e.startLocal(ctx, name, spec)
}

// chooseBackend resolves auto and checks that the chosen backend can run here. The docker
// backend's client, once an engine answered, is the environment's.
func (e *Env) chooseBackend(ctx context.Context, spec Spec) (string, error) {
	switch spec.Backend {
	case service.BackendExternal, service.BackendLocal, service.BackendKubernetes:
		return spec.Backend, nil
	case service.BackendDocker:
		cli, err := dockerClient(ctx)
		if err != nil {
			return "", fmt.Errorf("env: docker backend: %w: %w", err, ErrBackendUnavailable)
		}
		e.useDocker(cli)
		if err := checkTestcontainers(ctx, cli); err != nil {
			return "", fmt.Errorf("env: docker backend: %w: %w", err, ErrBackendUnavailable)
		}
		return service.BackendDocker, nil
	}
	cli, derr := dockerClient(ctx)
	if derr == nil {
		e.useDocker(cli)
		if err := checkTestcontainers(ctx, cli); err != nil {
			return "", fmt.Errorf("env: docker backend (auto: an engine answers): %w: %w", err, ErrBackendUnavailable)
		}
		return service.BackendDocker, nil
	}
	if missing := missingLocal(spec.Services); len(missing) > 0 {
		return "", fmt.Errorf("env: no backend can run here: %v, and the local backend lacks %v; start a Docker engine, or install the servers (Debian: apt-get install postgresql redis-server): %w",
			derr, missing, ErrBackendUnavailable)
	}
	return service.BackendLocal, nil
}

func (e *Env) useDocker(cli *client.Client) {
	e.docker = cli
	e.cleanups = append(e.cleanups, func(context.Context) error { return cli.Close() })
}

func serviceURL(name, addr string, pg service.Database) string {
	switch name {
	case service.Postgres:
		pg = withDefaults(pg)
		return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", pg.User, pg.Password, addr, pg.Database)
	case service.Redis:
		return "redis://" + addr + "/0"
	}
	return "http://" + addr
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
