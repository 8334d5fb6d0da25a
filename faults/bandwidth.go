package faults

// Bandwidth limits throughput.
type Bandwidth struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	// Rate in KB/s; more than 0.
	Rate int `yaml:"rate" json:"rate"`
}

func (*Bandwidth) Kind() string { return "bandwidth" }
func (*Bandwidth) Unit() Unit   { return PerConnection }
func (s *Bandwidth) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "rate", s.Rate > 0, s.Rate, "KB/s, more than 0"))
}
func (s *Bandwidth) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"rate": s.Rate})
}
