package faults

import (
	"context"
	"fmt"

	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/units"
)

// What the network toxics (one kind a file: latency.go, bandwidth.go, slowclose.go, timeout.go,
// resetpeer.go, slicer.go, limitdata.go) share: the stream they act on, their validation, and
// the fault that adds one toxic to the target's proxy and removes it.

// Stream says which direction a network toxic acts on.
type Stream struct {
	// Stream: "downstream" (server to client, the default) or "upstream" (client to server).
	Stream string `yaml:"stream,omitempty" json:"stream,omitempty" jsonschema:"enum=downstream,enum=upstream"`
}

func (s Stream) validate(c *Common) error {
	if s.Stream != "" && s.Stream != "downstream" && s.Stream != "upstream" {
		return &field.Error{Family: "fault", Spec: c.Name, Field: "stream", Value: fmt.Sprintf("%q", s.Stream), Want: "downstream or upstream"}
	}
	return nil
}

func (s Stream) name() string {
	if s.Stream == "" {
		return "downstream"
	}
	return s.Stream
}

func ms(d units.Duration) int64 { return d.D().Milliseconds() }

func positive(c *Common, name string, ok bool, v any, want string) error {
	if ok {
		return nil
	}
	return &field.Error{Family: "fault", Spec: c.Name, Field: name, Value: v, Want: want}
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
