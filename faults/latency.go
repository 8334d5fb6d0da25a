package faults

import (
	"github.com/shakedown-dev/shakedown/units"
)

// Latency delays data: latency ± jitter.
type Latency struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Latency units.Duration `yaml:"latency" json:"latency"`
	Jitter  units.Duration `yaml:"jitter,omitempty" json:"jitter,omitempty"`
}

func (*Latency) Kind() string { return "latency" }
func (*Latency) Unit() Unit   { return PerConnection }
func (s *Latency) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "latency", s.Latency > 0, s.Latency, "more than 0, e.g. 250ms"))
}
func (s *Latency) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"latency": ms(s.Latency), "jitter": ms(s.Jitter)})
}
