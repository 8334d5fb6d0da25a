package faults

// LimitData closes connections after Bytes bytes.
type LimitData struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	Bytes  int `yaml:"bytes" json:"bytes"`
}

func (*LimitData) Kind() string { return "limit_data" }
func (*LimitData) Unit() Unit   { return PerConnection }
func (s *LimitData) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "bytes", s.Bytes > 0, s.Bytes, "more than 0"))
}
func (s *LimitData) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"bytes": s.Bytes})
}
