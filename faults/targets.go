package faults

import (
	"context"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
)

// Toxic is one Toxiproxy toxic: a type, a stream (upstream: client to server; downstream: server to
// client), a toxicity (the share of connections it acts on) and the type's attributes, in
// Toxiproxy's units (milliseconds, KB/s, bytes).
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// Proxy is what network faults act on: a service's Toxiproxy proxy (*harness.Proxy is one).
type Proxy interface {
	AddToxic(ctx context.Context, t Toxic) error
	RemoveToxic(ctx context.Context, name string) error
	Disable(ctx context.Context) error
	Enable(ctx context.Context) error
}

// HTTPInjector is what HTTP faults act on (*httpfault.Injector is one).
type HTTPInjector interface {
	Set(f httpfault.Fault) error
	Remove(name string) bool
}

// Targets resolves a fault's target by service name. The run engine implements it over its
// environment.
type Targets interface {
	Proxy(service string) (Proxy, error)
	HTTP(service string) (HTTPInjector, error)
	Process(service string) (Process, error)
}
