package scenarios

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shakedown-dev/shakedown/answer"
	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// Load reads and checks the scenario file at path.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse reads and checks a scenario; name is the file name used in errors. ${VAR} in it is
// replaced by the environment variable (an unset one is an error), whose value joins the
// scenario's Secrets; the scenario's Source keeps the text as written, so an expanded secret is
// never in a record. Every problem is reported at once, as *Error values joined.
func Parse(name string, data []byte) (*Scenario, error) {
	source := string(data)
	data, secrets, err := expand(name, data, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty; want a scenario (name, sut, load, phases, faults)", name)
	}
	d := &decoder{file: name, pos: map[string]*yaml.Node{}}
	s := &Scenario{File: name, Source: source, Secrets: secrets}
	d.decode(doc.Content[0], reflect.ValueOf(s).Elem(), "")
	// The checks run on what did decode, so that every problem shows at once; a check's problem
	// at or around a field that did not decode is left out (that field is not what it says).
	failed := make([]string, len(d.errs))
	for i, e := range d.errs {
		failed[i] = e.(*Error).Field
	}
	for _, p := range s.check() {
		if slices.ContainsFunc(failed, func(f string) bool { return overlaps(f, p.path) }) {
			continue
		}
		n := d.at(p.path)
		d.errs = append(d.errs, &Error{File: name, Line: n.Line, Column: n.Column, Field: p.path, Msg: p.msg})
	}
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// overlaps reports whether one field path is the other or lies inside it ("faults[1]" and
// "faults[1].latency"; not "faults[1]" and "faults[10]").
func overlaps(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == "" || a == b || strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '[')
}

// at returns the node read for path, or the nearest enclosing one.
func (d *decoder) at(path string) *yaml.Node {
	for p := path; ; {
		if n, ok := d.pos[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			if n, ok := d.pos[""]; ok {
				return n
			}
			return &yaml.Node{Line: 1, Column: 1}
		}
		p = p[:i]
	}
}

// problem is one failed check, by field path.
type problem struct{ path, msg string }

// Validate checks a scenario built in Go, as Parse checks a file.
func (s *Scenario) Validate() error {
	var errs []error
	for _, p := range s.check() {
		errs = append(errs, fmt.Errorf("%s: %s", p.path, p.msg))
	}
	return errors.Join(errs...)
}

// check runs the checks across fields.
func (s *Scenario) check() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	// addSpecErr places a fault's or an assertion's problem at its field (faults[2].latency).
	addSpecErr := func(path string, err error) {
		if fe, ok := errors.AsType[*field.Error](err); ok {
			add(path+"."+fe.Field, "%s", fe.Problem())
			return
		}
		add(path, "%s", err)
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "missing; want a short name for the scenario")
	}
	for _, p := range service.Check(s.Environment.Services, s.Environment.Backend, s.Environment.External, s.Environment.Kubernetes) {
		add("environment."+p.Field, "%s", p.Msg)
	}
	if o := s.Environment.Ollama; o != nil {
		if o.NumParallel < -1 {
			add("environment.ollama.num_parallel", "%d; want a positive number, -1 for no limit, or 0 for Ollama's default (1)", o.NumParallel)
		}
		if o.MaxQueue < 0 {
			add("environment.ollama.max_queue", "%d; want a positive number, or 0 for Ollama's default (512)", o.MaxQueue)
		}
		for _, f := range []struct {
			field string
			d     units.Duration
		}{{"time_to_first_token", o.TimeToFirstToken}, {"token_interval", o.TokenInterval}, {"load_duration", o.LoadDuration}, {"keep_alive", o.KeepAlive}} {
			if f.d < 0 {
				add("environment.ollama."+f.field, "%s; want a duration of 0 or more", f.d)
			}
		}
		if s.Environment.Backend == service.BackendExternal {
			add("environment.ollama", "the external backend's LLM is not the mock: set its timing where it runs")
		}
	}
	services := s.Environment.Services
	if len(services) == 0 {
		services = service.Names()
	}
	if s.Environment.Backend == service.BackendExternal && s.SUT.URL == "" {
		add("sut.url", "missing; with the external backend the system under test runs elsewhere: give its URL")
	}
	n := 0
	for _, set := range []bool{s.SUT.Builtin != "", len(s.SUT.Command) > 0, s.SUT.URL != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		add("sut", "want exactly one of builtin, command and url")
	}
	for i, st := range s.Setup {
		path := fmt.Sprintf("setup[%d]", i)
		n := 0
		for _, set := range []bool{st.SQL != "", len(st.Command) > 0, st.Request != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			add(path, "want exactly one of sql (a .sql file or a folder of them), command and request")
		}
		if st.Request != nil && st.Request.URL == "" {
			add(path+".request.url", "missing; want a path like /login or an absolute URL")
		}
		if st.SQL != "" && !slices.Contains(services, service.Postgres) {
			add(path+".sql", "the environment has no postgres to apply it to")
		}
	}
	if (len(s.SUT.Env) > 0 || s.SUT.Dir != "") && s.SUT.URL != "" {
		add("sut", "env and dir are for a command or a builtin; a url SUT runs elsewhere")
	}
	if len(s.SUT.Args) > 0 && s.SUT.Builtin == "" && len(s.SUT.Command) == 0 {
		add("sut.args", "arguments need a builtin or a command to go to")
	}
	ps = append(ps, s.checkReplicas()...)
	ps = append(ps, s.checkMetrics()...)
	if s.Load.Rate.IsZero() {
		add("load.rate", "missing; want a rate like 200/s")
	}
	if len(s.Load.Targets) == 0 {
		add("load.targets", "missing; want at least one target with a url")
	}
	for i, t := range s.Load.Targets {
		if t.URL == "" {
			add(fmt.Sprintf("load.targets[%d].url", i), "missing; want a path like /v1/agents or an absolute URL")
		}
		ps = append(ps, checkChecks(fmt.Sprintf("load.targets[%d]", i), t.Checks)...)
	}
	for i, st := range s.Setup {
		if st.Request != nil {
			ps = append(ps, checkChecks(fmt.Sprintf("setup[%d].request", i), st.Request.Checks)...)
		}
	}
	ps = append(ps, s.checkPlaceholders(services)...)
	switch p := s.Load.Pacer; p.Type {
	case "", "constant":
	case "linear":
		if p.To.IsZero() {
			add("load.pacer.to", "missing; a linear pacer ramps from load.rate to this rate")
		}
	case "steps":
		if len(p.Steps) == 0 {
			add("load.pacer.steps", "missing; want a list of rate and duration")
		}
	case "sine":
		if p.Period <= 0 || p.Amplitude.PerSecond() >= s.Load.Rate.PerSecond() {
			add("load.pacer", "a sine pacer wants a period and an amplitude below load.rate")
		}
	default:
		add("load.pacer.type", "%q; want constant, linear, steps or sine", p.Type)
	}
	if s.Phases.Warmup+s.Phases.Fault+s.Phases.Recovery <= 0 {
		add("phases", "the phases add up to nothing; want warmup, fault and recovery durations")
	}
	if sh := s.Short; sh != nil && (sh.Warmup+sh.Fault+sh.Recovery <= 0 || sh.Total() > s.Phases.Total()) {
		add("short", "the short form's phases (%s) must add up to more than nothing and at most the phases (%s)", sh.Total(), s.Phases.Total())
	}
	if s.Phases.RecoveryBudget > s.Phases.Recovery {
		add("phases.recovery_budget", "%s is longer than the recovery phase (%s)", s.Phases.RecoveryBudget, s.Phases.Recovery)
	}
	for i, h := range s.Halt {
		if h.AvailabilityBelow <= 0 || h.AvailabilityBelow > 1 {
			add(fmt.Sprintf("halt[%d].availability_below", i), "%s; want a share in (0, 1], e.g. 50%%", h.AvailabilityBelow)
		}
		if h.For < 0 {
			add(fmt.Sprintf("halt[%d].for", i), "%s; want a duration of 0 (10s) or more", h.For)
		}
	}
	seen := map[string]bool{}
	for i, f := range s.Faults {
		if f == nil {
			continue // its type did not decode
		}
		path := fmt.Sprintf("faults[%d]", i)
		c := f.Base()
		for _, e := range flatten(f.Validate()) {
			addSpecErr(path, e)
		}
		if seen[c.Name] {
			add(path+".name", "%q is used twice; fault names must be unique", c.Name)
		}
		seen[c.Name] = true
		if c.Target != "" && c.Target != "sut" && !slices.Contains(services, c.Target) {
			add(path+".target", "%q is not a service of this scenario; want one of %s", c.Target, strings.Join(services, ", "))
		}
		if end := c.Start.D() + c.Duration.D(); c.Start.D() >= s.Phases.Fault.D() || end > s.Phases.Fault.D() {
			add(path+".start", "its window (%s + %s) does not lie inside the fault phase (%s)", c.Start, c.Duration, s.Phases.Fault)
		}
		if sh := s.Short; sh != nil {
			if end := c.Start.D() + c.Duration.D(); c.Start.D() >= sh.Fault.D() || end > sh.Fault.D() {
				add(path+".start", "its window (%s + %s) does not lie inside the short form's fault phase (%s)", c.Start, c.Duration, sh.Fault)
			}
		}
	}
	seen = map[string]bool{}
	for i, a := range s.Assertions {
		if a == nil {
			continue // its type did not decode
		}
		path := fmt.Sprintf("assertions[%d]", i)
		c := a.Base()
		for _, e := range flatten(a.Validate()) {
			addSpecErr(path, e)
		}
		if seen[c.Name] {
			add(path+".name", "%q is used twice; assertion names must be unique", c.Name)
		}
		seen[c.Name] = true
	}
	return ps
}

// flatten returns the errors err joins (errors.Join, once or nested), or err itself.
// checkChecks checks a target's answer checks (and compiles their regular expressions): each
// valid, each named once.
func checkChecks(path string, cs []answer.Check) []problem {
	var ps []problem
	seen := map[string]int{}
	for j := range cs {
		p := fmt.Sprintf("%s.checks[%d]", path, j)
		for _, err := range flatten(cs[j].Validate()) {
			ps = append(ps, problem{p, err.Error()})
		}
		name := cs[j].Label()
		if k, dup := seen[name]; dup {
			ps = append(ps, problem{p, fmt.Sprintf("%q is the name of checks[%d] too; give each check its own name (name:)", name, k)})
		}
		seen[name] = j
	}
	return ps
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// Total returns the length of the three phases.
func (p Phases) Total() time.Duration { return p.Warmup.D() + p.Fault.D() + p.Recovery.D() }
