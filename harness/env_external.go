package harness

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/shakedown-dev/shakedown/scenarios"
)

// toxicPrefix starts the name of every toxic the harness adds, so that what it added can be told
// from what a shared Toxiproxy server holds besides.
const toxicPrefix = "shakedown-"

// startExternal sets one service of the external backend up: its proxy on the Toxiproxy server
// (which must exist: staging's configuration creates it), or an embedded proxy listening on the
// address the SUT is configured with.
func (e *Env) startExternal(name string, spec EnvSpec) (*Service, error) {
	es, ok := spec.External.Services[name]
	if !ok {
		return nil, fmt.Errorf("external backend: no address for %s", name)
	}
	s := &Service{Name: name, Direct: es.Address, Backend: BackendExternal, Version: "external " + es.Address}
	s.DirectURL = es.URL
	if s.DirectURL == "" {
		s.DirectURL = serviceURL(name, es.Address, spec.Postgres)
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
		e.cleanups = append(e.cleanups, s.remote.cleanup)
		s.Proxied = p.Listen
		s.URL = serviceURL(name, p.Listen, spec.Postgres)
		return s, nil
	}
	p, err := startProxy(e.toxi, name, es.Listen, es.Address)
	if err != nil {
		return nil, fmt.Errorf("external backend: %w", err)
	}
	s.Proxy, s.Proxied = p, p.Listen()
	s.URL = serviceURL(name, s.Proxied, spec.Postgres)
	return s, nil
}

// remoteProxy is a proxy on a Toxiproxy server, driven through its HTTP API.
type remoteProxy struct {
	p *toxiclient.Proxy

	mu       sync.Mutex
	disabled bool // by the harness
}

func (r *remoteProxy) AddToxic(_ context.Context, t Toxic) error {
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
		if strings.HasPrefix(t.Name, toxicPrefix) {
			if err := r.p.RemoveToxic(t.Name); err != nil {
				return fmt.Errorf("proxy %s: remove toxic %q: %w", r.p.Name, t.Name, err)
			}
		}
	}
	return nil
}

// ErrTargetNotAllowed is returned when a scenario would touch an address that is neither on this
// machine nor allowed by name.
var ErrTargetNotAllowed = fmt.Errorf("target not allowed")

// CheckTargets refuses a scenario that would send load or faults to an address that is not on
// this machine (loopback) unless its host is in allow (--allow-target), naming every such target
// and where the scenario names it. It touches nothing: it runs before anything starts.
func CheckTargets(sc *scenarios.Scenario, allow []string) error {
	type target struct{ where, addr string }
	var ts []target
	if sc.SUT.URL != "" {
		ts = append(ts, target{"sut.url", sc.SUT.URL})
	}
	for i, t := range sc.Load.Targets {
		if !strings.HasPrefix(t.URL, "/") {
			ts = append(ts, target{fmt.Sprintf("load.targets[%d].url", i), t.URL})
		}
	}
	if ext := sc.Environment.External; ext != nil {
		if ext.Toxiproxy != "" {
			ts = append(ts, target{"environment.external.toxiproxy", ext.Toxiproxy})
		}
		names := make([]string, 0, len(ext.Services))
		for n := range ext.Services {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			es := ext.Services[n]
			for field, v := range map[string]string{"address": es.Address, "listen": es.Listen, "url": es.URL} {
				if v != "" {
					ts = append(ts, target{fmt.Sprintf("environment.external.services.%s.%s", n, field), v})
				}
			}
		}
	}
	var bad []string
	for _, t := range ts {
		h := hostOf(t.addr)
		if isLoopback(h) || slices.Contains(allow, h) || slices.Contains(allow, t.addr) {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s = %s (host %s)", t.where, t.addr, h))
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%w: these targets are not on this machine and not allowed: %s; allow each host by name with --allow-target HOST (allowed now: %v)",
		ErrTargetNotAllowed, strings.Join(slices.Compact(bad), "; "), allow)
}

// hostOf returns the host of a URL, a DSN or a host:port.
func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Hostname()
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}

func isLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
