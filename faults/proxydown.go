package faults

import (
	"context"
	"fmt"
	"sync"
)

// ProxyDown takes the target's proxy down for each window it is drawn for: new connections are
// refused and open ones closed, as when the dependency's host goes away.
type ProxyDown struct {
	Common `yaml:",inline"`
}

func (*ProxyDown) Kind() string      { return "proxy_down" }
func (*ProxyDown) Unit() Unit        { return PerWindow }
func (s *ProxyDown) Validate() error { return joinErrs(&s.Common) }
func (s *ProxyDown) Build(t Targets) (Fault, error) {
	p, err := t.Proxy(s.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", s.Name, s.Target, err)
	}
	return &proxyDown{proxy: p}, nil
}

type proxyDown struct {
	proxy Proxy
	mu    sync.Mutex
	down  bool
}

func (f *proxyDown) Apply(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil
	}
	if err := f.proxy.Disable(ctx); err != nil {
		return err
	}
	f.down = true
	return nil
}

func (f *proxyDown) Undo(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return nil
	}
	if err := f.proxy.Enable(ctx); err != nil {
		return err
	}
	f.down = false
	return nil
}
