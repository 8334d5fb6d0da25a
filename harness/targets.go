package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// FaultTargets returns the environment as the targets faults act on: each service's proxy, and
// the mock Ollama's HTTP fault injector (in-process, or over its admin endpoint in a container).
func (e *Env) FaultTargets() faults.Targets { return envTargets{e} }

type envTargets struct{ e *Env }

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
	if name != Ollama {
		return nil, fmt.Errorf("service %q takes network faults only; HTTP faults act on ollama", name)
	}
	if s.ollama != nil {
		return s.ollama.Faults(), nil
	}
	return remoteInjector{s}, nil
}

func (t envTargets) Process(name string) (faults.Process, error) {
	s, err := t.service(name)
	if err != nil {
		return nil, err
	}
	if s.ollama != nil {
		return nil, fmt.Errorf("the mock Ollama runs inside the harness on the local backend and cannot be paused or killed; use the docker backend, or a proxy_down or http fault")
	}
	if s.Backend == BackendExternal {
		return nil, fmt.Errorf("%s runs elsewhere (the external backend): the harness does not pause or kill it; use a proxy_down fault", name)
	}
	return s, nil
}

// remoteInjector sets faults on a mock Ollama over its admin endpoint (found anew each time: a
// restarted container may have moved).
type remoteInjector struct{ s *Service }

func (r remoteInjector) url() string {
	_, u := r.s.direct()
	return u + ollama.FaultsPath
}

func (r remoteInjector) Set(f httpfault.Fault) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, r.url(), bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
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

// Snapshot reads the faults set on the mock with their decision counts; empty if the mock cannot
// be read.
func (r remoteInjector) Snapshot() httpfault.Snapshot {
	var s httpfault.Snapshot
	resp, err := http.Get(r.url())
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		json.NewDecoder(resp.Body).Decode(&s)
	}
	return s
}

func (r remoteInjector) Remove(name string) bool {
	req, err := http.NewRequest(http.MethodDelete, r.url()+"/"+name, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}
