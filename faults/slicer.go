package faults

import (
	"github.com/shakedown-dev/shakedown/units"
)

// Slicer slices data into pieces of about AverageSize bytes, Delay apart.
type Slicer struct {
	Common        `yaml:",inline"`
	Stream        `yaml:",inline"`
	AverageSize   int            `yaml:"average_size" json:"average_size"`
	SizeVariation int            `yaml:"size_variation,omitempty" json:"size_variation,omitempty"`
	Delay         units.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
}

func (*Slicer) Kind() string { return "slicer" }
func (*Slicer) Unit() Unit   { return PerConnection }
func (s *Slicer) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common),
		positive(&s.Common, "average_size", s.AverageSize > 0, s.AverageSize, "bytes, more than 0"),
		positive(&s.Common, "size_variation", s.SizeVariation >= 0 && s.SizeVariation < s.AverageSize, s.SizeVariation, "0 or more, less than average_size"))
}
func (s *Slicer) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"average_size": s.AverageSize, "size_variation": s.SizeVariation, "delay": s.Delay.D().Microseconds()})
}
