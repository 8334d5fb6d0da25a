package faults

import "fmt"

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
	return &toggle{on: p.Disable, off: p.Enable}, nil
}
