package faults

import (
	"github.com/shakedown-dev/shakedown/units"
)

// Timeout stops all data and closes the connection after Timeout (0: holds it open).
type Timeout struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Timeout units.Duration `yaml:"timeout" json:"timeout"`
}

func (*Timeout) Kind() string      { return "timeout" }
func (*Timeout) Unit() Unit        { return PerConnection }
func (s *Timeout) Validate() error { return joinErrs(&s.Common, s.Stream.validate(&s.Common)) }
func (s *Timeout) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"timeout": ms(s.Timeout)})
}
