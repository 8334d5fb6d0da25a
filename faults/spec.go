package faults

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

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
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("fault %q: %s = %v; want %s", c.Name, field, v, want))
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
// length phase.
func (c *Common) Windows(phase time.Duration) [][2]time.Duration {
	var out [][2]time.Duration
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
		out = append(out, [2]time.Duration{start, end})
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
	new         func() Spec
}

// kinds is the table of kinds: explicit, not filled by init().
var kinds = []KindInfo{
	{"latency", PerConnection, "delay data through the target's proxy by latency ± jitter", func() Spec { return &Latency{} }},
	{"bandwidth", PerConnection, "limit the proxy's throughput to rate KB/s", func() Spec { return &Bandwidth{} }},
	{"slow_close", PerConnection, "delay closing connections by delay", func() Spec { return &SlowClose{} }},
	{"timeout", PerConnection, "stop all data and close after timeout (0: never close)", func() Spec { return &Timeout{} }},
	{"reset_peer", PerConnection, "reset connections (TCP RST) after timeout", func() Spec { return &ResetPeer{} }},
	{"slicer", PerConnection, "slice data into small pieces with a delay between them", func() Spec { return &Slicer{} }},
	{"limit_data", PerConnection, "close connections after bytes bytes", func() Spec { return &LimitData{} }},
	{"proxy_down", PerWindow, "take the target's proxy down: new connections refused, open ones closed", func() Spec { return &ProxyDown{} }},
	{"pause", PerWindow, "freeze the target's server (SIGSTOP, docker pause): connections stay open, nothing answers", func() Spec { return &Pause{} }},
	{"kill", PerWindow, "kill the target's server (SIGKILL, or SIGTERM with graceful) for the window, then restart it and wait until it answers", func() Spec { return &Kill{} }},
	{"cpu", PerTick, "burn load of cores CPU in the harness process, drawn each tick", func() Spec { return &CPUSpike{} }},
	{"http", PerRequest, "HTTP faults on the target's requests (error status, latency, stalls, drops, malformed chunks)", func() Spec { return &HTTP{} }},
}

// Kinds lists the fault kinds.
func Kinds() []KindInfo { return slices.Clone(kinds) }

// Lookup returns a fresh zero spec of the named kind, ready to decode into.
func Lookup(kind string) (Spec, bool) {
	for _, k := range kinds {
		if k.Name == kind {
			s := k.new()
			s.Base().Type = kind
			return s, true
		}
	}
	return nil, false
}

// KindNames lists the kinds' names, for messages.
func KindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

func joinErrs(c *Common, more ...error) error { return errors.Join(append(c.validate(), more...)...) }
