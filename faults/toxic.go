package faults

import (
	"context"
	"fmt"

	"github.com/shakedown-dev/shakedown/units"
)

// Stream says which direction a network toxic acts on.
type Stream struct {
	// Stream: "downstream" (server to client, the default) or "upstream" (client to server).
	Stream string `yaml:"stream,omitempty" json:"stream,omitempty" jsonschema:"enum=downstream,enum=upstream"`
}

func (s Stream) validate(c *Common) error {
	if s.Stream != "" && s.Stream != "downstream" && s.Stream != "upstream" {
		return fmt.Errorf("fault %q: stream = %q; want downstream or upstream", c.Name, s.Stream)
	}
	return nil
}

func (s Stream) name() string {
	if s.Stream == "" {
		return "downstream"
	}
	return s.Stream
}

// Latency delays data: latency ± jitter.
type Latency struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Latency units.Duration `yaml:"latency" json:"latency"`
	Jitter  units.Duration `yaml:"jitter,omitempty" json:"jitter,omitempty"`
}

// Bandwidth limits throughput.
type Bandwidth struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	// Rate in KB/s; more than 0.
	Rate int `yaml:"rate" json:"rate"`
}

// SlowClose delays closing connections.
type SlowClose struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	Delay  units.Duration `yaml:"delay" json:"delay"`
}

// Timeout stops all data and closes the connection after Timeout (0: holds it open).
type Timeout struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Timeout units.Duration `yaml:"timeout" json:"timeout"`
}

// ResetPeer resets connections (TCP RST) after Timeout.
type ResetPeer struct {
	Common  `yaml:",inline"`
	Stream  `yaml:",inline"`
	Timeout units.Duration `yaml:"timeout" json:"timeout"`
}

// Slicer slices data into pieces of about AverageSize bytes, Delay apart.
type Slicer struct {
	Common        `yaml:",inline"`
	Stream        `yaml:",inline"`
	AverageSize   int            `yaml:"average_size" json:"average_size"`
	SizeVariation int            `yaml:"size_variation,omitempty" json:"size_variation,omitempty"`
	Delay         units.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
}

// LimitData closes connections after Bytes bytes.
type LimitData struct {
	Common `yaml:",inline"`
	Stream `yaml:",inline"`
	Bytes  int `yaml:"bytes" json:"bytes"`
}

func ms(d units.Duration) int64 { return d.D().Milliseconds() }

func positive(c *Common, field string, ok bool, v any, want string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("fault %q: %s = %v; want %s", c.Name, field, v, want)
}

// Kind, Unit, Validate and Build of each network toxic.

func (*Latency) Kind() string { return "latency" }
func (*Latency) Unit() Unit   { return PerConnection }
func (s *Latency) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "latency", s.Latency > 0, s.Latency, "more than 0, e.g. 250ms"))
}
func (s *Latency) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"latency": ms(s.Latency), "jitter": ms(s.Jitter)})
}

func (*Bandwidth) Kind() string { return "bandwidth" }
func (*Bandwidth) Unit() Unit   { return PerConnection }
func (s *Bandwidth) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "rate", s.Rate > 0, s.Rate, "KB/s, more than 0"))
}
func (s *Bandwidth) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"rate": s.Rate})
}

func (*SlowClose) Kind() string { return "slow_close" }
func (*SlowClose) Unit() Unit   { return PerConnection }
func (s *SlowClose) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "delay", s.Delay > 0, s.Delay, "more than 0"))
}
func (s *SlowClose) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"delay": ms(s.Delay)})
}

func (*Timeout) Kind() string      { return "timeout" }
func (*Timeout) Unit() Unit        { return PerConnection }
func (s *Timeout) Validate() error { return joinErrs(&s.Common, s.Stream.validate(&s.Common)) }
func (s *Timeout) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"timeout": ms(s.Timeout)})
}

func (*ResetPeer) Kind() string      { return "reset_peer" }
func (*ResetPeer) Unit() Unit        { return PerConnection }
func (s *ResetPeer) Validate() error { return joinErrs(&s.Common, s.Stream.validate(&s.Common)) }
func (s *ResetPeer) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"timeout": ms(s.Timeout)})
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

func (*LimitData) Kind() string { return "limit_data" }
func (*LimitData) Unit() Unit   { return PerConnection }
func (s *LimitData) Validate() error {
	return joinErrs(&s.Common, s.Stream.validate(&s.Common), positive(&s.Common, "bytes", s.Bytes > 0, s.Bytes, "more than 0"))
}
func (s *LimitData) Build(t Targets) (Fault, error) {
	return newToxicFault(t, &s.Common, s.Stream, map[string]any{"bytes": s.Bytes})
}

// ToxicPrefix starts the name of every toxic a fault adds ("shakedown-" and the fault's name), so
// that what the harness added can be told from what a shared Toxiproxy server holds besides.
const ToxicPrefix = "shakedown-"

// newToxicFault is a fault that adds one toxic to the target's proxy and removes it.
func newToxicFault(t Targets, c *Common, s Stream, attrs map[string]any) (Fault, error) {
	p, err := t.Proxy(c.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", c.Name, c.Target, err)
	}
	tx := Toxic{Name: ToxicPrefix + c.Name, Type: c.Type, Stream: s.name(), Toxicity: float32(c.P()), Attributes: attrs}
	return &toggle{
		on:  func(ctx context.Context) error { return p.AddToxic(ctx, tx) },
		off: func(ctx context.Context) error { return p.RemoveToxic(ctx, tx.Name) },
	}, nil
}
