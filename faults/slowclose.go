package faults

import (
	"github.com/shakedown-dev/shakedown/units"
)

// SlowClose delays closing connections.
type SlowClose struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	Delay  units.Duration `yaml:"delay" json:"delay"`
}

func (*SlowClose) Kind() string { return "slow_close" }
func (*SlowClose) Unit() Unit   { return PerConnection }
func (s *SlowClose) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "delay", s.Delay > 0, s.Delay, "more than 0"))
}
func (s *SlowClose) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"delay": ms(s.Delay)})
}
