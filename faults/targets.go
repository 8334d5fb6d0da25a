package faults

import (
	"context"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
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

// Proxy is what network faults act on: a service's Toxiproxy proxy (*env.Proxy is one).
type Proxy interface {
	AddToxic(ctx context.Context, t Toxic) error
	RemoveToxic(ctx context.Context, name string) error
	Disable(ctx context.Context) error
	Enable(ctx context.Context) error
}

// HTTPInjector is what HTTP faults act on: an injector in this process (InProcess) or a mock's
// admin endpoint in a container. Each call is bounded by its context.
type HTTPInjector interface {
	// Set adds the fault, or replaces the one of the same name.
	Set(ctx context.Context, f httpfault.Fault) error
	// Remove removes the named fault; removing one that is not set is no error.
	Remove(ctx context.Context, name string) error
	// Counts returns the named fault's decisions and injections so far; ok is false when it
	// cannot tell.
	Counts(ctx context.Context, name string) (decided, injected uint64, ok bool)
}

// InProcess is the HTTPInjector of an injector in this process (the mock Ollama's, say).
func InProcess(in *httpfault.Injector) HTTPInjector { return inProcess{in} }

type inProcess struct{ in *httpfault.Injector }

func (p inProcess) Set(_ context.Context, f httpfault.Fault) error { return p.in.Set(f) }
func (p inProcess) Remove(_ context.Context, name string) error {
	p.in.Remove(name)
	return nil
}
func (p inProcess) Counts(_ context.Context, name string) (uint64, uint64, bool) {
	return p.in.Snapshot().Counts(name)
}

// WireInjector is what query and command faults act on: the request stage of a service's proxy
// (*wirefault.Injector is one).
type WireInjector interface {
	Protocol() wirefault.Protocol
	Set(f wirefault.Fault) error
	Remove(name string) bool
	Counts(name string) (decided, injected uint64, ok bool)
}

// Targets resolves a fault's target by service name. The run engine implements it over its
// environment.
type Targets interface {
	Proxy(service string) (Proxy, error)
	HTTP(service string) (HTTPInjector, error)
	Wire(service string) (WireInjector, error)
	Process(service string) (Process, error)
}

// Builder makes the runnable fault of each spec for a Scheduler. OnTargets builds each kind
// against the environment's targets; an Engine is one too.
type Builder interface {
	Build(s Spec) (Fault, error)
}

// OnTargets is the Builder of the harness's own faults: each spec builds itself against t
// (Spec.Build).
func OnTargets(t Targets) Builder { return onTargets{t} }

type onTargets struct{ t Targets }

func (b onTargets) Build(s Spec) (Fault, error) { return s.Build(b.t) }

// Engine is a fault engine outside the harness, such as Chaos Mesh in a cluster: it takes each
// fault whole and builds what creates its object when a window opens and deletes it when the
// window closes. The probabilities the harness draws per window and per tick stay the
// scheduler's; the engine refuses what it cannot express, naming the reason. Whoever opens an
// engine closes it, when it is a Closer.
type Engine interface {
	Builder
}

// Delegator is an Engine that leaves some faults to the environment's targets: the kubernetes
// engine's request faults, which run on a fault proxy beside the services.
type Delegator interface {
	// Delegates reports whether s is built on the environment's targets instead.
	Delegates(s Spec) bool
}

// WithEngine is the Builder of a run on an engine: each fault the engine builds, but those it
// delegates (Delegator), which build themselves against t.
func WithEngine(e Engine, t Targets) Builder { return withEngine{e, t} }

type withEngine struct {
	e Engine
	t Targets
}

func (b withEngine) Build(s Spec) (Fault, error) {
	if d, ok := b.e.(Delegator); ok && d.Delegates(s) {
		return s.Build(b.t)
	}
	return b.e.Build(s)
}
