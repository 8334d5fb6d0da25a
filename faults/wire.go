package faults

import (
	"context"
	"fmt"

	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// Query sets a request fault (see faults/wirefault) on Postgres queries for each window: a
// delay, a server error with a chosen SQLSTATE, or the connection cut, decided per query from
// the fault's seeded stream, on connections opened before the window too.
type Query struct {
	Common           `yaml:",inline"`
	wirefault.Action `yaml:",inline"`
}

func (*Query) Kind() string { return "query" }
func (*Query) Unit() Unit   { return PerRequest }
func (s *Query) Validate() error {
	return joinErrs(&s.Common, wireTarget(&s.Common, service.Postgres), wirefault.Validate(wireSpec(&s.Common, s.Action), wirefault.Postgres))
}
func (s *Query) Build(t Targets) (Fault, error) { return buildWire(t, &s.Common, s.Action) }

// SchemaOmits names the fields of wirefault.Action a query fault does not take, for the schema.
func (*Query) SchemaOmits() []string { return []string{"error"} }

// Command sets a request fault on Redis commands for each window: a delay, an error reply of a
// chosen class, or the connection cut, decided per command (a pipeline's commands one by one).
type Command struct {
	Common           `yaml:",inline"`
	wirefault.Action `yaml:",inline"`
}

func (*Command) Kind() string { return "command" }
func (*Command) Unit() Unit   { return PerRequest }
func (s *Command) Validate() error {
	return joinErrs(&s.Common, wireTarget(&s.Common, service.Redis), wirefault.Validate(wireSpec(&s.Common, s.Action), wirefault.Redis))
}
func (s *Command) Build(t Targets) (Fault, error) { return buildWire(t, &s.Common, s.Action) }

// SchemaOmits names the fields of wirefault.Action a command fault does not take, for the schema.
func (*Command) SchemaOmits() []string { return []string{"sqlstate", "match_regexp"} }

func wireTarget(c *Common, want string) error {
	if c.Target == "" || c.Target == want {
		return nil
	}
	return &field.Error{Family: "fault", Spec: c.Name, Field: "target", Value: fmt.Sprintf("%q", c.Target), Want: fmt.Sprintf("%s: a %s fault acts on %s's protocol", want, c.Type, want)}
}

func wireSpec(c *Common, a wirefault.Action) wirefault.Fault {
	return wirefault.Fault{Name: c.Name, Probability: units.Probability(c.P()), Action: a}
}

func buildWire(t Targets, c *Common, a wirefault.Action) (Fault, error) {
	in, err := t.Wire(c.Target)
	if err != nil {
		return nil, fmt.Errorf("fault %q: target %q: %w", c.Name, c.Target, err)
	}
	f := wireSpec(c, a)
	w := &wireFault{}
	w.toggle = toggle{
		on: func(context.Context) error { return in.Set(f) },
		off: func(context.Context) error {
			w.counts.set(in.Counts(f.Name))
			in.Remove(f.Name)
			return nil
		}}
	return w, nil
}

var (
	_ Reporter = (*wireFault)(nil)
	_ Counter  = (*wireFault)(nil)
)

type wireFault struct {
	toggle
	counts
}
