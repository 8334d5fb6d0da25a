package faults

import (
	"github.com/shakedown-dev/shakedown/units"
)

// ResetPeer resets connections (TCP RST) after Timeout.
type ResetPeer struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Timeout units.Duration `yaml:"timeout" json:"timeout"`
}

func (*ResetPeer) Kind() string      { return "reset_peer" }
func (*ResetPeer) Unit() Unit        { return PerConnection }
func (s *ResetPeer) Validate() error { return joinErrs(&s.Common, s.Stream.validate(&s.Common)) }
func (s *ResetPeer) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"timeout": ms(s.Timeout)})
}
