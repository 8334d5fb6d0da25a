package env

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

// FaultTargets returns the environment as the targets faults act on: each service's proxy, its
// server, and the mock Ollama's HTTP fault injector (in-process, or over its admin endpoint in a
// container or elsewhere).
func (e *Env) FaultTargets() faults.Targets { return envTargets{e} }

type envTargets struct{ e *Env }

var _ faults.Targets = envTargets{}

func (t envTargets) service(name string) (*Service, error) {
	s, ok := t.e.Service(name)
	if !ok {
		var names []string
		for _, s := range t.e.services {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("no service %q in this environment; it has %v", name, names)
	}
	return s, nil
}

func (t envTargets) Proxy(name string) (faults.Proxy, error) {
	s, err := t.service(name)
	if err != nil {
		return nil, err
	}
	if s.remote != nil {
		return s.remote, nil
	}
	return s.Proxy, nil
}

func (t envTargets) HTTP(name string) (faults.HTTPInjector, error) {
	s, err := t.service(name)
	if err != nil {
		return nil, err
	}
	if s.http == nil {
		return nil, fmt.Errorf("service %q takes network faults only; HTTP faults act on %s", name, service.Ollama)
	}
	return s.http, nil
}

func (t envTargets) Wire(name string) (faults.WireInjector, error) {
	s, err := t.service(name)
	if err != nil {
		return nil, err
	}
	if s.wire == nil {
		return nil, fmt.Errorf("service %q has no request stage: query and command faults act on postgres and redis through the harness's embedded proxy or a Shakedown fault proxy (cmd/shakedown-proxy), put in place when the scenario has such a fault (env.Spec.Wire)", name)
	}
	return s.wire, nil
}

func (t envTargets) Process(name string) (faults.Process, error) {
	s, err := t.service(name)
	if err != nil {
		return nil, err
	}
	if s.srv == nil {
		return nil, s.cannot("pause or kill")
	}
	return s, nil
}

// remoteInjector sets faults on a mock Ollama over its admin endpoint, found anew each time: a
// restarted container may have moved. Each call is bounded by its context and by
// remoteTimeout.
type remoteInjector struct{ s *Service }

var _ faults.HTTPInjector = (*remoteInjector)(nil)

// remoteTimeout bounds one call to a mock's admin endpoint.
const remoteTimeout = 5 * time.Second

var remoteClient = &http.Client{Timeout: remoteTimeout}

func (r *remoteInjector) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.s.DirectURL()+ollama.FaultsPath+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return remoteClient.Do(req)
}

func (r *remoteInjector) Set(ctx context.Context, f httpfault.Fault) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	resp, err := r.do(ctx, http.MethodPut, "", b)
	if err != nil {
		return fmt.Errorf("set HTTP fault %q: %w", f.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("set HTTP fault %q: %s: %s", f.Name, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func (r *remoteInjector) Remove(ctx context.Context, name string) error {
	resp, err := r.do(ctx, http.MethodDelete, "/"+name, nil)
	if err != nil {
		return fmt.Errorf("remove HTTP fault %q: %w", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("remove HTTP fault %q: %s", name, resp.Status)
	}
	return nil
}

// Counts reads the fault's decision counts from the mock; ok is false if the mock cannot be read.
func (r *remoteInjector) Counts(ctx context.Context, name string) (decided, injected uint64, ok bool) {
	resp, err := r.do(ctx, http.MethodGet, "", nil)
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	var sn httpfault.Snapshot
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&sn) != nil {
		return 0, 0, false
	}
	return sn.Counts(name)
}
