// Package service names what a run's environment is made of, once for every package that spells
// it: the services an environment starts (postgres, redis, ollama), the backends that run them,
// the environment variables that carry a service to a system under test or choose its image, and
// the environment's description as a scenario file gives it, with the checks that go with it.
package service

import (
	"fmt"
	"slices"
	"strings"
)

// The services an environment can start.
const (
	Postgres = "postgres"
	Redis    = "redis"
	Ollama   = "ollama"
)

// Names lists the services in the order an environment starts them.
func Names() []string { return []string{Postgres, Redis, Ollama} }

// The backends.
const (
	// BackendAuto is docker when a Docker engine answers, else local.
	BackendAuto = "auto"
	// BackendLocal runs each server as a child process.
	BackendLocal = "local"
	// BackendDocker runs each server as a container, with testcontainers-go.
	BackendDocker = "docker"
	// BackendExternal uses services that already run (staging), given by address.
	BackendExternal = "external"
)

// Backends lists the backends' names.
func Backends() []string {
	return []string{BackendAuto, BackendLocal, BackendDocker, BackendExternal}
}

// URLVar names the variable that carries a service's proxied URL to a system under test:
// SHAKEDOWN_POSTGRES_DSN, SHAKEDOWN_REDIS_URL or SHAKEDOWN_OLLAMA_URL.
func URLVar(name string) string {
	if name == Postgres {
		return "SHAKEDOWN_POSTGRES_DSN"
	}
	return "SHAKEDOWN_" + strings.ToUpper(name) + "_URL"
}

// ImageVar names the variable that overrides a service's image on the docker backend:
// SHAKEDOWN_POSTGRES_IMAGE, SHAKEDOWN_REDIS_IMAGE or SHAKEDOWN_OLLAMA_IMAGE.
func ImageVar(name string) string { return "SHAKEDOWN_" + strings.ToUpper(name) + "_IMAGE" }

// DefaultImage is a service's image on the docker backend when neither the configuration nor
// ImageVar names one: the official images, and the mock Ollama's own (make images builds it).
func DefaultImage(name string) string {
	switch name {
	case Postgres:
		return "postgres:16-alpine"
	case Redis:
		return "redis:7-alpine"
	}
	return "shakedown/mock-ollama:dev"
}

// LocalImage is the image `make images` builds for a service without a registry, used when the
// default image is not on the machine: shakedown/postgres:15-local, shakedown/redis:7-local, and
// the mock's own.
func LocalImage(name string) string {
	switch name {
	case Postgres:
		return "shakedown/postgres:15-local"
	case Redis:
		return "shakedown/redis:7-local"
	}
	return "shakedown/mock-ollama:dev"
}

// Database names the database an environment's Postgres is made with. Empty fields:
// "shakedown".
type Database struct {
	User     string `yaml:"user,omitempty"`
	Password string `yaml:"password,omitempty"`
	Database string `yaml:"database,omitempty"`
}

// Parts lists the parts of a service that a system under test's configuration can be built
// from (sut.env's {{postgres.host}} and so on): host, port and url of each (reached through its
// proxy), and for Postgres its user, password, database and dsn (the url).
func Parts(name string) []string {
	if name == Postgres {
		return []string{"host", "port", "url", "user", "password", "database", "dsn"}
	}
	return []string{"host", "port", "url"}
}

// Images names the docker backend's images. Empty: ImageVar's variable, else DefaultImage when it
// is on the machine, else LocalImage when that is.
type Images struct {
	Postgres string `yaml:"postgres,omitempty"`
	Redis    string `yaml:"redis,omitempty"`
	Ollama   string `yaml:"ollama,omitempty"`
}

// Of returns the image configured for the named service, or "".
func (i Images) Of(name string) string {
	switch name {
	case Postgres:
		return i.Postgres
	case Redis:
		return i.Redis
	}
	return i.Ollama
}

// External is the external backend's description: services that already run, and how faults
// reach them.
type External struct {
	// Toxiproxy is the HTTP API of a Toxiproxy server that the system under test already reaches
	// the services through (http://host:8474); faults go through its API. Empty: an embedded
	// Toxiproxy listens on each service's listen address.
	Toxiproxy string `yaml:"toxiproxy,omitempty"`
	// Services are keyed by name: postgres, redis, ollama.
	Services map[string]ExternalService `yaml:"services"`
}

// ExternalService is one service that already runs.
type ExternalService struct {
	// Address is the service's own host:port (the proxy's upstream).
	Address string `yaml:"address"`
	// Proxy names its proxy on the Toxiproxy server. Empty: the service's name.
	Proxy string `yaml:"proxy,omitempty"`
	// Listen is where the embedded proxy listens, the address the SUT is configured with (when
	// there is no Toxiproxy server).
	Listen string `yaml:"listen,omitempty"`
	// URL reaches the service directly for the harness's checks (a Postgres DSN with its
	// credentials for the durability check). Empty: built from Address.
	URL string `yaml:"url,omitempty"`
}

// Problem is one failed check of an environment's description: the field, as a path relative to
// the description (services[1], external.services.redis.address), and what is wrong with it.
type Problem struct{ Field, Msg string }

func (p Problem) String() string { return p.Field + ": " + p.Msg }

// Check checks an environment's description: the services (empty: all three), the backend
// (empty: auto) and, for the external backend, the services' addresses. It returns every
// problem, in order.
func Check(services []string, backend string, ext *External) []Problem {
	var ps []Problem
	add := func(field, format string, a ...any) { ps = append(ps, Problem{field, fmt.Sprintf(format, a...)}) }
	for i, name := range services {
		if !slices.Contains(Names(), name) {
			add(fmt.Sprintf("services[%d]", i), "%q is not a service; want %s", name, orList(Names()))
		} else if slices.Index(services, name) != i {
			add(fmt.Sprintf("services[%d]", i), "%q appears twice", name)
		}
	}
	if len(services) == 0 {
		services = Names()
	}
	switch backend {
	case "", BackendAuto, BackendLocal, BackendDocker:
		if ext != nil {
			add("external", "is for the external backend; set backend: external")
		}
	case BackendExternal:
		if ext == nil {
			add("external", "missing; the external backend needs the services' addresses")
			break
		}
		for _, name := range services {
			es, ok := ext.Services[name]
			switch {
			case !ok:
				add("external.services", "%s is a service of the environment and has no entry", name)
			case es.Address == "":
				add("external.services."+name+".address", "missing; want the service's host:port")
			case ext.Toxiproxy == "" && es.Listen == "":
				add("external.services."+name+".listen", "missing; without a toxiproxy server, the embedded proxy needs the address the SUT is configured with")
			}
		}
	default:
		add("backend", "%q; want %s", backend, orList(Backends()))
	}
	return ps
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
