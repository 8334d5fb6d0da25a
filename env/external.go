package env

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/service"
)

// startExternal sets one service of the external backend up: its proxy on the Toxiproxy server
// (which must exist: staging's configuration creates it), or an embedded proxy listening on the
// address the SUT is configured with.
func (e *Env) startExternal(name string, spec Spec) (*Service, error) {
	es, ok := spec.External.Services[name]
	if !ok {
		return nil, fmt.Errorf("external backend: no address for %s", name)
	}
	s := &Service{Name: name, direct: es.Address, directURL: es.URL, Backend: service.BackendExternal, Version: "external " + es.Address,
		untouched: "it runs elsewhere (the external backend) and the harness did not start it; use a proxy_down fault"}
	if name == service.Ollama {
		s.http = &remoteInjector{s: s}
	}
	if spec.External.Toxiproxy != "" {
		proxyName := es.Proxy
		if proxyName == "" {
			proxyName = name
		}
		c := toxiclient.NewClient(spec.External.Toxiproxy)
		p, err := c.Proxy(proxyName)
		if err != nil {
			return nil, fmt.Errorf("external backend: proxy %q on the Toxiproxy server at %s: %w (the server's configuration must create it, in front of %s)", proxyName, spec.External.Toxiproxy, err, es.Address)
		}
		s.remote = &remoteProxy{p: p}
		e.proxyRunOn(spec.External.Toxiproxy, spec.External.FaultLease.D()) // its renewals stop after every fault is removed (clean-ups run last first)
		e.cleanups = append(e.cleanups, s.remote.cleanup)
		s.Proxied = p.Listen
		if err := e.onFaultProxy(s, name, spec, p, s.http); err != nil {
			return nil, fmt.Errorf("external backend: %w", err)
		}
		return s, nil
	}
	p, err := startProxy(e.toxi, name, es.Listen, es.Address)
	if err != nil {
		return nil, fmt.Errorf("external backend: %w", err)
	}
	s.Proxy = p
	return s, nil
}

// isFaultProxy asks, once, whether the Toxiproxy server at api is a Shakedown fault proxy (a
// plain Toxiproxy cannot decide single requests); err is set when it cannot be asked.
func (e *Env) isFaultProxy(api string) (bool, error) {
	e.probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, e.probeOK, e.probeErr = faultproxy.Probe(ctx, api)
		if e.probeErr != nil {
			e.probeErr = fmt.Errorf("asking %s what it is: %w", api, e.probeErr)
		}
	})
	return e.probeOK, e.probeErr
}

// plainToxiproxy is the refusal of a request fault a plain Toxiproxy at api cannot run: what to
// deploy instead.
func (e *Env) plainToxiproxy(api string) error {
	return fmt.Errorf("the Toxiproxy server at %s is a plain Toxiproxy, which cannot decide single queries and commands; deploy Shakedown's fault proxy there instead (cmd/shakedown-proxy, the image shakedown/proxy: the same API, the same configuration), or give each service a listen address for an embedded proxy on this machine", api)
}

// remoteProxy is a proxy on a Toxiproxy server, driven through its HTTP API.
type remoteProxy struct {
	p *toxiclient.Proxy

	mu       sync.Mutex
	disabled bool // by the harness
}

var _ faults.Proxy = (*remoteProxy)(nil)

func (r *remoteProxy) AddToxic(_ context.Context, t faults.Toxic) error {
	if t.Toxicity == 0 {
		t.Toxicity = 1
	}
	if _, err := r.p.AddToxic(t.Name, t.Type, t.Stream, t.Toxicity, toxiclient.Attributes(t.Attributes)); err != nil {
		return fmt.Errorf("proxy %s: add toxic %q (%s): %w", r.p.Name, t.Name, t.Type, err)
	}
	return nil
}

func (r *remoteProxy) RemoveToxic(_ context.Context, name string) error {
	if err := r.p.RemoveToxic(name); err != nil {
		return fmt.Errorf("proxy %s: remove toxic %q: %w", r.p.Name, name, err)
	}
	return nil
}

func (r *remoteProxy) Disable(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.p.Disable(); err != nil {
		return fmt.Errorf("proxy %s: disable: %w", r.p.Name, err)
	}
	r.disabled = true
	return nil
}

func (r *remoteProxy) Enable(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.p.Enable(); err != nil {
		return fmt.Errorf("proxy %s: enable: %w", r.p.Name, err)
	}
	r.disabled = false
	return nil
}

// cleanup removes every toxic the harness added (and only those) and enables the proxy again if
// the harness disabled it: nothing is left behind on a shared server, even after a failed run.
func (r *remoteProxy) cleanup(context.Context) error {
	r.mu.Lock()
	disabled := r.disabled
	r.mu.Unlock()
	if disabled {
		if err := r.Enable(context.Background()); err != nil {
			return err
		}
	}
	toxics, err := r.p.Toxics()
	if err != nil {
		return fmt.Errorf("proxy %s: list toxics: %w", r.p.Name, err)
	}
	for _, t := range toxics {
		if strings.HasPrefix(t.Name, faults.ToxicPrefix) {
			if err := r.p.RemoveToxic(t.Name); err != nil {
				return fmt.Errorf("proxy %s: remove toxic %q: %w", r.p.Name, t.Name, err)
			}
		}
	}
	return nil
}
