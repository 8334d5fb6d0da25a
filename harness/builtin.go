package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// Builtins are systems under test that run in the harness's process, by name.
type Builtins map[string]Builtin

// Builtin is a system under test that runs in the harness's process: under go test, the race
// detector and coverage see it. Give Start or Handler.
type Builtin struct {
	// Needs lists the services it cannot run without.
	Needs []string
	// DurabilityQuery finds the ids of its acknowledged writes among $1 (a text array): the
	// durability check's query when the scenario's durability assertion gives none.
	DurabilityQuery string
	// Start starts it with args as its flags and getenv as its environment (each service's URL
	// under service.URLVar, and sut.env) and returns its base URL, and stop, which returns once
	// it stopped.
	Start func(ctx context.Context, args []string, getenv func(string) string) (url string, stop func(), err error)
	// Handler builds it from the running environment's services (their proxied addresses and
	// credentials) and returns its http.Handler, which the harness serves on a port of 127.0.0.1,
	// and close, called once the server has stopped (nil: nothing to close).
	Handler func(ctx context.Context, deps Deps) (h http.Handler, close func(), err error)
}

// Deps are the running environment's services, by name, as a system under test reaches them.
type Deps map[string]Dep

// Dep is one service as the system under test reaches it: through its proxy.
type Dep struct {
	// URL is a Postgres DSN, redis://host:port/0 or the Ollama base URL; Addr its host:port.
	URL, Addr, Host, Port string
	// User, Password and Database are Postgres's.
	User, Password, Database string
}

// Check says whether the builtin sc names, if any, is one of b, and whether sc's environment has
// every service it needs.
func (b Builtins) Check(sc *scenarios.Scenario) error {
	name := sc.SUT.Builtin
	if name == "" {
		return nil
	}
	bi, ok := b[name]
	if !ok {
		return fmt.Errorf("sut.builtin %q: %w; this run was handed %s", name, ErrNoBuiltin, builtinNames(b))
	}
	if (bi.Start == nil) == (bi.Handler == nil) {
		return fmt.Errorf("sut.builtin %q: want exactly one of Start and Handler", name)
	}
	services := sc.Environment.Services
	if len(services) == 0 {
		services = service.Names()
	}
	var errs []error
	for _, need := range bi.Needs {
		if !slices.Contains(services, need) {
			errs = append(errs, fmt.Errorf("sut.builtin %q needs %s, which environment.services lacks", name, need))
		}
	}
	return errors.Join(errs...)
}

// ErrNoBuiltin is returned when a scenario names a builtin the run was not handed.
var ErrNoBuiltin = errors.New("no such builtin")

func builtinNames(b Builtins) string {
	if len(b) == 0 {
		return "no builtin"
	}
	return strings.Join(slices.Sorted(maps.Keys(b)), ", ")
}
