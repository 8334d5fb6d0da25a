package assertions

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/internal/kinds"
	"github.com/shakedown-dev/shakedown/record"
)

// Status is a verdict's outcome.
type Status string

// The statuses.
const (
	Pass         Status = "pass"
	Fail         Status = "fail"
	Insufficient Status = "insufficient-data" // too few samples to judge: never a pass
	NotRun       Status = "not-run"           // the run ended before it could be judged (it failed, or was aborted)
)

// Verdict is the outcome of one assertion.
type Verdict struct {
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	Phase    string  `json:"phase"`
	Status   Status  `json:"status"`
	Expected string  `json:"expected"`
	Measured string  `json:"measured"`
	Value    float64 `json:"value"`   // the measured number
	Samples  int64   `json:"samples"` // requests or points it was measured over
	// At is the decisive moment, when there is one (the first point that broke a rule).
	At          *record.Duration `json:"at,omitempty"`
	Explanation string           `json:"explanation"`
}

// Passed reports whether the verdict passed.
func (v Verdict) Passed() bool { return v.Status == Pass }

// Common holds the fields every assertion has. Kinds embed it inline.
type Common struct {
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type" json:"type"`
	// Phase: warmup, fault, recovery or all. Empty: all.
	Phase string `yaml:"phase,omitempty" json:"phase,omitempty"`
	// MinSamples is the fewest samples a verdict may pass on. 0: the kind's default.
	MinSamples int64 `yaml:"min_samples,omitempty" json:"min_samples,omitempty"`
	// Target limits a request-based verdict to one named load target. Empty: every request.
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
}

// Base returns c itself: kinds embed Common, so this gives every Spec its common fields.
func (c *Common) Base() *Common { return c }

func (c *Common) phase() string {
	if c.Phase == "" {
		return record.PhaseAll
	}
	return c.Phase
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ -]{0,79}$`)

func (c *Common) validate(more ...error) error {
	errs := []error{}
	if !nameRE.MatchString(c.Name) {
		errs = append(errs, c.fieldErr("name", fmt.Sprintf("%q", c.Name), "1-80 letters, digits, spaces, '.', '_' or '-'"))
	}
	if c.Phase != "" && !slices.Contains(record.Phases, c.Phase) {
		errs = append(errs, c.fieldErr("phase", fmt.Sprintf("%q", c.Phase), "warmup, fault, recovery or all"))
	}
	if c.MinSamples < 0 {
		errs = append(errs, c.fieldErr("min_samples", c.MinSamples, "0 (the kind's default) or more"))
	}
	return errors.Join(append(errs, more...)...)
}

func (c *Common) fieldErr(name string, v any, want string) error {
	return &field.Error{Family: "assertion", Spec: c.Name, Field: name, Value: v, Want: want}
}

// verdict starts a verdict for c.
func (c *Common) verdict(kind string) Verdict {
	return Verdict{Name: c.Name, Kind: kind, Phase: c.phase()}
}

// enough reports whether n samples are enough, given the kind's default minimum.
func (c *Common) enough(n, def int64) (bool, int64) {
	min := c.MinSamples
	if min == 0 {
		min = def
	}
	return n >= min, min
}

// Spec is an assertion kind's spec.
type Spec interface {
	Base() *Common
	Kind() string
	Validate() error
	Evaluate(rec *record.Record) Verdict
}

// SeriesReader is an assertion that reads the system under test's own series (scraped from its
// metrics endpoint, or read from a Prometheus server), rather than the load's results or the
// harness's readiness probe: the engine keeps the series it names, and a scenario whose metrics
// source is none refuses it.
type SeriesReader interface {
	Spec
	// ReadsSeries names the series the assertion reads.
	ReadsSeries() []string
}

// KindInfo describes an assertion kind.
type KindInfo struct {
	Name        string
	Description string
}

// table is the table of kinds: explicit, not filled by init().
var table = kinds.Table[Spec]{
	{Name: "availability", Description: "the share of requests answered with a status their target expects (2xx and 3xx unless it says) is at least min", New: func() Spec { return &Availability{} }},
	{Name: "latency", Description: "the quantile of request latency is at most max", New: func() Spec { return &Latency{} }},
	{Name: "error_rate", Description: "the share of failed requests (no answer, or a status the target does not expect) is at most max", New: func() Spec { return &ErrorRate{} }},
	{Name: "throughput", Description: "the achieved request rate is at least min of the requested rate", New: func() Spec { return &Throughput{} }},
	{Name: "metric", Description: "a scraped metric series meets a condition", New: func() Spec { return &Metric{} }},
	{Name: "degraded", Description: "the share of answers marked degraded (X-Degraded: true) is within min and max", New: func() Spec { return &Degraded{} }},
	{Name: "breaker", Description: "a circuit breaker opened within a time of a fault's start and closed within a time of its end, or never opened", New: func() Spec { return &Breaker{} }},
	{Name: "retries", Description: "of the calls that needed a retry, at least min succeeded", New: func() Spec { return &Retries{} }},
	{Name: "slo", Description: "availability (and a latency quantile) meet the objective, and the error budget spent stays under a level", New: func() Spec { return &SLO{} }},
	{Name: "recovery_time", Description: "after the last fault ends, the rolling availability is back at the objective within max", New: func() Spec { return &RecoveryTime{} }},
	{Name: "readiness", Description: "the readiness endpoint said 503 during the phase and 200 again by the end of the run", New: func() Spec { return &Readiness{} }},
	{Name: "noticed", Description: "of a fault's injections, at least min were counted by the service as failed calls (a cut stream is not a short answer)", New: func() Spec { return &Noticed{} }},
	{Name: "durability", Description: "every write the SUT acknowledged is in Postgres after the run", New: func() Spec { return &Durability{} }},
}

// Kinds lists the assertion kinds.
func Kinds() []KindInfo {
	out := make([]KindInfo, len(table))
	for i, k := range table {
		out[i] = KindInfo{Name: k.Name, Description: k.Description}
	}
	return out
}

// KindNames lists the kinds' names, for messages.
func KindNames() []string { return table.Names() }

// Lookup returns a fresh zero spec of the named kind, ready to decode into.
func Lookup(kind string) (Spec, bool) {
	s, ok := table.Lookup(kind)
	if ok {
		s.Base().Type = kind
	}
	return s, ok
}

// Evaluate judges rec against every spec, in order.
func Evaluate(rec *record.Record, specs []Spec) []Verdict {
	out := make([]Verdict, len(specs))
	for i, s := range specs {
		out[i] = s.Evaluate(rec)
	}
	return out
}

// NotJudged returns the verdicts of specs over a run that ended before it could be judged: each
// NotRun, its explanation saying why.
func NotJudged(specs []Spec, why string) []Verdict {
	out := make([]Verdict, len(specs))
	for i, s := range specs {
		c := s.Base()
		out[i] = c.verdict(s.Kind())
		out[i].Status, out[i].Explanation = NotRun, fmt.Sprintf("%s: not judged: %s", c.Name, why)
	}
	return out
}
