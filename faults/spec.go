package faults

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/internal/kinds"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Unit is what one probability draw of a kind stands for.
type Unit string

// The units.
const (
	PerConnection Unit = "connection"
	PerRequest    Unit = "request"
	PerWindow     Unit = "window"
	// PerTick is declared with the kinds that use it (cpu.go).
)

// Common holds the fields every fault has. Kinds embed it inline.
type Common struct {
	// Name identifies the fault in the record and seeds its stream; unique in a scenario.
	Name string `yaml:"name" json:"name" jsonschema:"description=Unique name of the fault; it also keys its random stream"`
	// Type is the kind (see Kinds).
	Type string `yaml:"type" json:"type" jsonschema:"description=The fault kind"`
	// Target is the service the fault acts on: postgres, redis or ollama.
	Target string `yaml:"target" json:"target" jsonschema:"description=The service the fault acts on"`
	// Start is the offset from the start of the fault phase. 0: at once.
	Start units.Duration `yaml:"start,omitempty" json:"start,omitempty"`
	// Duration is how long each window lasts. 0: until the end of the fault phase.
	Duration units.Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Every repeats the window with this period, from Start. 0: one window.
	Every units.Duration `yaml:"every,omitempty" json:"every,omitempty"`
	// Times caps the windows when Every is set. 0: until the end of the fault phase.
	Times int `yaml:"times,omitempty" json:"times,omitempty"`
	// Probability is the chance of acting, per the kind's unit. Unset: 1.
	Probability *units.Probability `yaml:"probability,omitempty" json:"probability,omitempty"`
}

// Base returns c itself: kinds embed Common, so this gives every Spec its common fields.
func (c *Common) Base() *Common { return c }

// P returns the probability, 1 when unset.
func (c *Common) P() float64 {
	if c.Probability == nil {
		return 1
	}
	return c.Probability.F()
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validate checks the common fields, naming each bad one.
func (c *Common) validate() []error {
	var errs []error
	bad := func(name string, v any, want string) {
		errs = append(errs, &field.Error{Family: "fault", Spec: c.Name, Field: name, Value: v, Want: want})
	}
	if !nameRE.MatchString(c.Name) {
		bad("name", fmt.Sprintf("%q", c.Name), "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if c.Target == "" {
		bad("target", `""`, "the service it acts on: postgres, redis or ollama")
	}
	if c.Start < 0 || c.Duration < 0 || c.Every < 0 {
		bad("start/duration/every", fmt.Sprintf("%s/%s/%s", c.Start, c.Duration, c.Every), "durations of 0 or more")
	}
	if c.Times < 0 {
		bad("times", c.Times, "0 (until the phase ends) or more")
	}
	if c.Times > 0 && c.Every == 0 {
		bad("times", c.Times, "a count only with every set")
	}
	if c.Every > 0 && c.Duration > c.Every {
		bad("duration", c.Duration, fmt.Sprintf("at most every (%s): windows must not overlap", c.Every))
	}
	if c.Every > 0 && c.Duration == 0 {
		bad("duration", c.Duration, "a window length when every is set")
	}
	if p := c.Probability; p != nil && !(*p >= 0 && *p <= 1) {
		bad("probability", *p, "a fraction from 0 to 1 or a percentage")
	}
	return errs
}

// Windows returns the fault's windows, as offsets from the fault phase's start, within a phase of
// length phase: its start, duration, every and times, before any draw (Schedule adds the ticks
// and the draws).
func (c *Common) Windows(phase time.Duration) []record.Window {
	var out []record.Window
	for k := 0; ; k++ {
		if c.Every == 0 && k > 0 || c.Times > 0 && k >= c.Times {
			break
		}
		start := c.Start.D() + time.Duration(k)*c.Every.D()
		if start >= phase {
			break
		}
		end := phase
		if c.Duration > 0 {
			end = min(start+c.Duration.D(), phase)
		}
		out = append(out, record.Window{Fault: c.Name, Kind: c.Type, Target: c.Target, Start: record.Duration(start), End: record.Duration(end)})
	}
	return out
}

// Spec is a fault kind's spec. Kinds are plain structs embedding Common.
type Spec interface {
	Base() *Common
	// Kind is the kind's name, the value of the type field.
	Kind() string
	// Unit says what one probability draw stands for.
	Unit() Unit
	// Validate reports every problem, naming field and value.
	Validate() error
	// Build makes the runnable fault against its target.
	Build(t Targets) (Fault, error)
}

// Fault is a runnable fault. Apply starts it; Undo removes it and must be safe to call whether or
// not Apply ran or succeeded, and more than once.
type Fault interface {
	Apply(ctx context.Context) error
	Undo(ctx context.Context) error
}

// Sink receives what faults do: *record.Recorder is one.
type Sink interface {
	AddFaultEvent(record.FaultEvent)
	AddDecision(record.Decision)
}

// KindInfo describes a fault kind.
type KindInfo struct {
	Name        string
	Unit        Unit
	Description string
}

// table is the table of kinds: explicit, not filled by init().
var table = kinds.Table[Spec]{
	{Name: "latency", Description: "delay data through the target's proxy by latency ± jitter", New: func() Spec { return &Latency{} }},
	{Name: "bandwidth", Description: "limit the proxy's throughput to rate KB/s", New: func() Spec { return &Bandwidth{} }},
	{Name: "slow_close", Description: "delay closing connections by delay", New: func() Spec { return &SlowClose{} }},
	{Name: "timeout", Description: "stop all data and close after timeout (0: never close)", New: func() Spec { return &Timeout{} }},
	{Name: "reset_peer", Description: "reset connections (TCP RST) after timeout", New: func() Spec { return &ResetPeer{} }},
	{Name: "slicer", Description: "slice data into small pieces with a delay between them", New: func() Spec { return &Slicer{} }},
	{Name: "limit_data", Description: "close connections after bytes bytes", New: func() Spec { return &LimitData{} }},
	{Name: "proxy_down", Description: "take the target's proxy down: new connections refused, open ones closed", New: func() Spec { return &ProxyDown{} }},
	{Name: "pause", Description: "freeze the target's server (SIGSTOP, docker pause): connections stay open, nothing answers", New: func() Spec { return &Pause{} }},
	{Name: "kill", Description: "kill the target's server (SIGKILL, or SIGTERM with graceful) for the window, then restart it and wait until it answers", New: func() Spec { return &Kill{} }},
	{Name: "cpu", Description: "burn load of cores CPU in the harness process, drawn each tick", New: func() Spec { return &CPUSpike{} }},
	{Name: "query", Description: "Postgres queries, one by one on open connections: latency, an error with a chosen SQLSTATE, or the connection dropped", New: func() Spec { return &Query{} }},
	{Name: "command", Description: "Redis commands, one by one on open connections (pipelines included): latency, an error reply of a chosen class, or the connection dropped", New: func() Spec { return &Command{} }},
	{Name: "http", Description: "HTTP faults on the target's requests (error status, latency, stalls, drops, malformed chunks)", New: func() Spec { return &HTTP{} }},
}

// Kinds lists the fault kinds.
func Kinds() []KindInfo {
	out := make([]KindInfo, len(table))
	for i, k := range table {
		out[i] = KindInfo{Name: k.Name, Unit: k.New().Unit(), Description: k.Description}
	}
	return out
}

// Lookup returns a fresh zero spec of the named kind, ready to decode into.
func Lookup(kind string) (Spec, bool) {
	s, ok := table.Lookup(kind)
	if ok {
		s.Base().Type = kind
	}
	return s, ok
}

// KindNames lists the kinds' names, for messages.
func KindNames() []string { return table.Names() }

func joinErrs(c *Common, more ...error) error { return errors.Join(append(c.validate(), more...)...) }
