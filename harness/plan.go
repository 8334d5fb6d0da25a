package harness

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// Plan is a run resolved once, before anything starts: every default filled in, every choice
// made, and every check that needs no server done. NewPlan builds it and nothing changes it
// after: Run reads it, and the same plan runs again as it ran the first time (a campaign runs
// one plan many times). Nothing deeper in the engine derives a default again.
type Plan struct {
	scenario *scenarios.Scenario // the form that runs: the short form when asked for, with the extra SUT args
	seed     uint64
	replay   string
	backend  string // as asked (auto is resolved when the environment starts)
	stateDir string

	warmup, fault, recovery time.Duration

	sut        sutPlan
	load       loadPlan
	metrics    metricsPlan
	probeTick  time.Duration // the readiness probe's tick
	gate       *Gate
	measure    gateKind // gateAlone when a cpu fault burns the harness's machine
	halts      []halt
	durability []durabilityCheck // one for each durability assertion
	secrets    secretsPlan

	// kubernetes is the kubernetes backend, when the run is on it; allowTargets is the run's
	// allow-list, which its cluster context must be on.
	kubernetes   KubernetesBackend
	allowTargets []string
}

// sutPlan is how the system under test starts and when it is ready.
type sutPlan struct {
	builtin      *Builtin // when the scenario names a builtin
	durability   string   // the builtin's durability query, also when staging runs it (scenarios.Scenario.StagedBuiltin)
	readyPath    string   // probed before the load and throughout
	readyTimeout time.Duration
	replicas     int // instances of a command SUT, at least 1
	port         int // the first replica's port; 0: ports the OS picks
}

// loadPlan is the load: its requests, its pace and its attacker.
type loadPlan struct {
	targets []target
	pacer   vegeta.Pacer
	opts    loadOptions
}

// durabilityCheck is one durability assertion's check after the load: its name, the query that
// finds the acknowledged ids and the rule that recognised them in the load's answers.
type durabilityCheck struct {
	name, query string
	rule        *ackRule
}

// secretsPlan is what a run redacts from everything it prints and keeps, beside what
// internal/redact finds by its form: values known before the run starts, and the names of the
// set-up captures whose values join them as they are captured.
type secretsPlan struct {
	values   []string
	captures map[string]bool
}

// halt is one resolved halt condition: availability below floor in every second for length.
type halt struct {
	floor  float64
	length time.Duration
}

// Scenario returns the scenario as it runs: its short form when the run asked for it, with the
// run's extra SUT arguments.
func (p *Plan) Scenario() *scenarios.Scenario { return p.scenario }

// Seed returns the seed of every decision of the run.
func (p *Plan) Seed() uint64 { return p.seed }

// Replay returns the command (or the words) that replays the run.
func (p *Plan) Replay() string { return p.replay }

// Backend returns the backend asked for (auto is resolved when the environment starts).
func (p *Plan) Backend() string { return p.backend }

// Total returns the length of the three phases.
func (p *Plan) Total() time.Duration { return p.warmup + p.fault + p.recovery }

// NewPlan resolves a run of sc with opt, or says every reason it cannot run: a target that is
// not allowed, a builtin that was not handed in or lacks a service, a durability verdict without
// a query. It starts and touches nothing.
func NewPlan(sc *scenarios.Scenario, opt RunOptions) (*Plan, error) {
	sc = form(sc, opt)
	p := &Plan{scenario: sc, backend: sc.Environment.Backend, stateDir: opt.StateDir, allowTargets: opt.AllowTargets,
		warmup: sc.Phases.Warmup.D(), fault: sc.Phases.Fault.D(), recovery: sc.Phases.Recovery.D(), probeTick: opt.ScrapeTick, gate: opt.Gate}
	if opt.Backend != "" {
		p.backend = opt.Backend
	}
	if p.probeTick <= 0 {
		p.probeTick = time.Second
	}
	p.seed, p.replay = seedOf(sc, opt)
	p.measure = gateMeasure
	if p.backend != service.BackendKubernetes && slices.ContainsFunc(sc.Faults, func(f faults.Spec) bool { return f.Kind() == "cpu" }) {
		p.measure = gateAlone // it burns the machine every run on it measures on (on Kubernetes, the pods')
	}
	var errs []error
	p.sut, errs = resolveSUT(sc, opt)
	p.load = resolveLoad(sc, p.seed)
	p.metrics = resolveMetrics(sc, p.probeTick)
	p.halts = resolveHalts(sc)
	p.secrets = resolveSecrets(sc)
	errs = append(errs, p.resolveSafety(opt)...)
	errs = append(errs, p.resolveDurability()...)
	if err := errors.Join(errs...); err != nil {
		return nil, redact.New(p.secrets.values...).Error(fmt.Errorf("%s: %w", sc.Name, err))
	}
	return p, nil
}

// form returns the form of sc that runs: its short form when asked for (and it has one), with
// opt's extra SUT arguments.
func form(sc *scenarios.Scenario, opt RunOptions) *scenarios.Scenario {
	if opt.Short && sc.Short != nil {
		sc = sc.Shortened()
	}
	if len(opt.SUTArgs) > 0 {
		c := *sc
		c.SUT.Args = append(slices.Clone(sc.SUT.Args), opt.SUTArgs...)
		sc = &c
	}
	return sc
}

// seedOf returns the run's seed (the option's, else the scenario's, else a random one) and the
// command that replays the run with it.
func seedOf(sc *scenarios.Scenario, opt RunOptions) (uint64, string) {
	seed := opt.Seed
	if seed == 0 {
		seed = sc.Seed
	}
	if seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	if opt.Replay != nil {
		return seed, opt.Replay(seed)
	}
	return seed, fmt.Sprintf("seed %d", seed)
}

// resolveSUT resolves how the system under test starts: the builtin it names (handed in by
// opt), its readiness, its replicas.
func resolveSUT(sc *scenarios.Scenario, opt RunOptions) (sutPlan, []error) {
	s := sutPlan{readyPath: sc.SUT.Ready, readyTimeout: sc.SUT.ReadyTimeout.D(), replicas: sc.SUT.N(), port: sc.SUT.Port}
	if s.readyPath == "" {
		s.readyPath = "/health/ready"
	}
	if s.readyTimeout <= 0 {
		s.readyTimeout = 30 * time.Second
	}
	var errs []error
	if s.replicas > 1 && len(sc.SUT.Command) == 0 {
		errs = append(errs, fmt.Errorf("sut.replicas: %d; replicas run a command (sut.command), not a builtin or a url", s.replicas))
	}
	if name := sc.SUT.Builtin; name != "" {
		if err := opt.Builtins.Check(sc); err != nil {
			errs = append(errs, err)
		} else {
			b := opt.Builtins[name]
			s.builtin, s.durability = &b, b.DurabilityQuery
		}
	}
	if b, ok := opt.Builtins[sc.StagedBuiltin]; ok { // the builtin, deployed on staging
		s.durability = b.DurabilityQuery
	}
	return s, errs
}

// resolveLoad resolves the load: its targets, its pacer and its attacker's options.
func resolveLoad(sc *scenarios.Scenario, seed uint64) loadPlan {
	l := loadPlan{pacer: pacer(sc), opts: loadOptions{Timeout: sc.Load.Timeout.D(), Workers: uint64(sc.Load.Workers),
		MaxWorkers: uint64(sc.Load.MaxWorkers), Connections: sc.Load.Connections, Seed: seed}}
	if l.opts.Timeout <= 0 {
		l.opts.Timeout = 10 * time.Second
	}
	for _, t := range sc.Load.Targets {
		l.targets = append(l.targets, targetOf(t))
	}
	return l
}

// resolveHalts resolves the safety stops: each floor of availability and how long it must be
// broken (10s unless the scenario says).
func resolveHalts(sc *scenarios.Scenario) []halt {
	var out []halt
	for _, h := range sc.Halt {
		d := h.For.D()
		if d <= 0 {
			d = 10 * time.Second
		}
		out = append(out, halt{floor: h.AvailabilityBelow.F(), length: d})
	}
	return out
}

// resolveSecrets resolves what the run knows to be secret: the values of the scenario's ${NAME}
// variables (its Secrets) and the password it gives its Postgres; and, of the values the set-up
// requests capture, those whose names say they are secrets (a token, an api_key) or that a
// request sends in a header whose name says so (Authorization: "Bearer {{session}}"). The load
// targets' captures are not among them: the record keeps no answer and no request of the load.
func resolveSecrets(sc *scenarios.Scenario) secretsPlan {
	s := secretsPlan{values: append(slices.Clone(sc.Secrets), sc.Environment.Postgres.Password), captures: map[string]bool{}}
	inHeaders := map[string]bool{}
	requests := slices.Clone(sc.Load.Targets)
	for _, st := range sc.Setup {
		if st.Request != nil {
			requests = append(requests, *st.Request)
		}
	}
	for _, r := range requests {
		for h, v := range r.Headers {
			if t, err := scenarios.ParseTemplate(v); err == nil && redact.Name(h) {
				for _, n := range t.Names() {
					inHeaders[n] = true
				}
			}
		}
	}
	for _, st := range sc.Setup {
		if st.Request == nil {
			continue
		}
		for name := range st.Request.Capture {
			if redact.Name(name) || inHeaders[name] {
				s.captures[name] = true
			}
		}
	}
	return s
}

// resolveSafety checks what the run may touch (before anything is started or touched) and, on
// the kubernetes backend, whether Chaos Mesh can express every fault.
func (p *Plan) resolveSafety(opt RunOptions) []error {
	var errs []error
	sc := p.scenario
	if err := checkTargets(sc, opt.AllowTargets); err != nil {
		errs = append(errs, err)
	}
	if p.backend != service.BackendKubernetes {
		return errs
	}
	switch {
	case opt.Kubernetes == nil:
		errs = append(errs, fmt.Errorf("environment.backend: kubernetes needs the backend handed in (RunOptions.Kubernetes: env/kube.Backend); the shakedown command hands it in"))
	case sc.Environment.Kubernetes != nil:
		p.kubernetes = opt.Kubernetes
		if err := opt.Kubernetes.Check(sc.Environment.Kubernetes, sc.Faults); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// resolveDurability resolves each durability assertion's check: its query (the assertion's, else
// the builtin's, also when the scenario was moved onto a staging that runs that builtin) and its
// rule, which finds its acknowledged writes in the load's answers.
func (p *Plan) resolveDurability() []error {
	var errs []error
	for _, a := range p.scenario.Assertions {
		d, ok := a.(*assertions.Durability)
		if !ok {
			continue
		}
		c := durabilityCheck{name: d.Name, query: d.Query, rule: &ackRule{Check: d.Name, Status: d.Status, ID: d.ID, Target: d.Target}}
		if c.query == "" {
			c.query = p.sut.durability
		}
		if c.query == "" {
			errs = append(errs, fmt.Errorf("assertion %q: query is missing; give the query that finds the acknowledged ids among $1 (a text array), e.g. SELECT id FROM orders WHERE id = ANY($1)", d.Name))
		}
		p.durability = append(p.durability, c)
		p.load.opts.Acks = append(p.load.opts.Acks, c.rule)
	}
	return errs
}

// pacer builds the scenario's pacer.
func pacer(sc *scenarios.Scenario) vegeta.Pacer {
	r := vegeta.Rate{Freq: sc.Load.Rate.Freq, Per: sc.Load.Rate.Per}
	p := sc.Load.Pacer
	switch p.Type {
	case "linear":
		slope := (p.To.PerSecond() - sc.Load.Rate.PerSecond()) / sc.Phases.Total().Seconds()
		return vegeta.LinearPacer{StartAt: r, Slope: slope}
	case "steps":
		var steps []step
		for _, s := range p.Steps {
			steps = append(steps, step{Rate: vegeta.Rate{Freq: s.Rate.Freq, Per: s.Rate.Per}, Duration: s.Duration.D()})
		}
		return stepPacer{Steps: steps}
	case "sine":
		return vegeta.SinePacer{Period: p.Period.D(), Mean: r, Amp: vegeta.Rate{Freq: p.Amplitude.Freq, Per: p.Amplitude.Per}}
	}
	return r
}
