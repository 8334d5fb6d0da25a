package harness

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// RunOptions tunes a run. Every zero value stands for the documented default.
type RunOptions struct {
	// Seed overrides the scenario's seed. 0: the scenario's, else a random one (printed in the
	// record with the command that replays the run).
	Seed uint64
	// Backend overrides the scenario's backend.
	Backend string
	// Short runs the scenario's short form (its short phases), if it has one.
	Short bool
	// SUTArgs are added to the scenario's sut.args (a builtin's flags, a command's arguments).
	SUTArgs []string
	// Builtins are the systems under test that can run inside the harness's process, by the
	// name a scenario's sut.builtin gives. The shakedown command and harnesstest hand in the
	// reference service as agentd; a go test hands in its own service the same way.
	Builtins Builtins
	// AllowTargets are the hosts not on this machine that the run may touch (--allow-target).
	AllowTargets []string
	// StateDir is the environment's state directory. Empty: env.StateDir().
	StateDir string
	// ScrapeTick is the metrics scraper's and the readiness probe's tick. 0: 1s.
	ScrapeTick time.Duration
	// Replay formats the command that replays the run with the seed it drew, for the record and
	// the report. nil: "seed N" alone (the shakedown command formats its own command line).
	Replay func(seed uint64) string
	// OnPhase, if set, is called as each phase begins.
	OnPhase func(name string)
	// OnProgress, if set, is called once a second while the load runs, on a goroutine of its own.
	OnProgress func(Progress)
	// OnFault, if set, is called with each fault event (applied, removed, failed) as it is
	// recorded, on the scheduler's goroutine.
	OnFault func(record.FaultEvent)
	// SUTOutput receives a command SUT's output (stdout and stderr). nil: the harness's stderr.
	SUTOutput io.Writer
	// Kubernetes is the kubernetes backend (env/kube.Backend: Chaos Mesh through the cluster's
	// API), which the shakedown command hands in; a go test on that backend hands in its own.
	// nil: a scenario on that backend is refused.
	Kubernetes KubernetesBackend
}

// KubernetesBackend is the kubernetes backend: it checks a scenario's faults against what
// Chaos Mesh can express before anything starts, and opens the engine that makes them. Its
// implementation (env/kube) is handed in, so that a run on the other backends does not build
// the Kubernetes client.
type KubernetesBackend interface {
	// Check refuses every fault the description cannot run, with the reason.
	Check(desc *service.Kubernetes, specs []faults.Spec) error
	// Open connects to the cluster, refuses a context not in allow, and sweeps what dead runs
	// left. The harness closes the engine (faults.Closer) when the run ends, deleting what is
	// left of the run.
	Open(ctx context.Context, desc *service.Kubernetes, allow []string, scenario string) (faults.Engine, error)
}

// Builtins are systems under test that run in the harness's process, by name.
type Builtins map[string]Builtin

// Builtin is a system under test that runs in the harness's process: under go test, the race
// detector and coverage see it. Give Start or Handler.
type Builtin struct {
	// Needs lists the services it cannot run without.
	Needs []string
	// DurabilityQuery finds the ids of its acknowledged writes among $1 (a text array): the
	// durability check's query when the scenario's durability assertion gives none.
	DurabilityQuery string
	// Start starts it with args as its flags and getenv as its environment (each service's URL
	// under service.URLVar, and sut.env) and returns its base URL, and stop, which returns once
	// it stopped.
	Start func(ctx context.Context, args []string, getenv func(string) string) (url string, stop func(), err error)
	// Handler builds it from the running environment's services (their proxied addresses and
	// credentials) and returns its http.Handler, which the harness serves on a port of 127.0.0.1,
	// and close, called once the server has stopped (nil: nothing to close).
	Handler func(ctx context.Context, deps Deps) (h http.Handler, close func(), err error)
}

// Deps are the running environment's services, by name, as a system under test reaches them.
type Deps map[string]Dep

// Dep is one service as the system under test reaches it: through its proxy.
type Dep struct {
	// URL is a Postgres DSN, redis://host:port/0 or the Ollama base URL; Addr its host:port.
	URL, Addr, Host, Port string
	// User, Password and Database are Postgres's.
	User, Password, Database string
}

// Plan is a run resolved once, before anything starts: every default filled in, every choice
// made, and every check that needs no server done. Run consumes it; nothing deeper in the engine
// derives a default again.
type Plan struct {
	// Scenario is the form that runs: the short form when asked for, with the extra SUT args.
	Scenario *scenarios.Scenario
	// Seed seeds every decision; Replay is the command (or the words) that replays the run.
	Seed   uint64
	Replay string
	// Backend is the backend asked for (auto is resolved when the environment starts).
	Backend string
	// Builtin is the system under test when the scenario names a builtin.
	Builtin *Builtin
	// Kubernetes is the kubernetes backend, when the run is on it; AllowTargets is the run's
	// allow-list, which its cluster context must be on.
	Kubernetes   KubernetesBackend
	AllowTargets []string
	// Warmup, Fault and Recovery are the phases' lengths.
	Warmup, Fault, Recovery time.Duration
	// Targets are the load's requests; a URL starting with "/" is relative to the SUT's base.
	Targets []Target
	// Pacer shapes the load's rate; Load tunes its attacker.
	Pacer vegeta.Pacer
	Load  LoadOptions
	// ReadyPath is the SUT's readiness path (probed throughout); ReadyTimeout bounds the wait for
	// it before the warmup.
	ReadyPath    string
	ReadyTimeout time.Duration
	// ScrapeTick is the tick of the metrics scraper and the readiness probe.
	ScrapeTick time.Duration
	// MetricsPath, MetricsHeader and Keep are where the SUT's metrics are scraped, with which
	// headers, and which families are kept.
	MetricsPath   string
	MetricsHeader http.Header
	Keep          []string
	// Prometheus, when set, is the server the SUT's metrics are read from instead of scraping
	// them (metrics.source: prometheus), every default filled in.
	Prometheus *Prometheus
	// Replicas is how many instances of a command SUT run (at least 1); Port the first one's
	// port (0: ports the OS picks).
	Replicas, Port int
	// Breakers are the breaker series the scraper and the progress line read, as
	// record.WithCoreBreakers: the core's and those the breaker verdicts map.
	Breakers []record.BreakerMapping
	// Halt are the safety stops: each floor of availability and how long it must be broken.
	Halt []Halt
	// DurabilityQuery, when not empty, is checked after the load over a direct Postgres
	// connection: the ids of the acknowledged writes it finds among $1.
	DurabilityQuery string
	// StateDir is the environment's state directory.
	StateDir   string
	OnPhase    func(name string)
	OnProgress func(Progress)
	OnFault    func(record.FaultEvent)
	SUTOutput  io.Writer
}

// Halt is one resolved halt condition: availability below Floor in every second for For.
type Halt struct {
	Floor float64
	For   time.Duration
}

// Total returns the length of the three phases.
func (p *Plan) Total() time.Duration { return p.Warmup + p.Fault + p.Recovery }

// NewPlan resolves a run of sc with opt, or says every reason it cannot run: a target that is
// not allowed, a builtin that was not handed in or lacks a service, a durability verdict without
// a query. It starts and touches nothing.
func NewPlan(sc *scenarios.Scenario, opt RunOptions) (*Plan, error) {
	short := opt.Short && sc.Short != nil
	if short {
		sc = sc.Shortened()
	}
	if len(opt.SUTArgs) > 0 {
		c := *sc
		c.SUT.Args = append(slices.Clone(sc.SUT.Args), opt.SUTArgs...)
		sc = &c
	}
	p := &Plan{Scenario: sc, Seed: opt.Seed, Backend: sc.Environment.Backend, Warmup: sc.Phases.Warmup.D(), Fault: sc.Phases.Fault.D(),
		Recovery: sc.Phases.Recovery.D(), Pacer: pacer(sc), StateDir: opt.StateDir, OnPhase: opt.OnPhase, OnProgress: opt.OnProgress, OnFault: opt.OnFault, SUTOutput: opt.SUTOutput,
		ReadyPath: sc.SUT.Ready, ReadyTimeout: sc.SUT.ReadyTimeout.D(), ScrapeTick: opt.ScrapeTick,
		Load: LoadOptions{Timeout: sc.Load.Timeout.D(), Workers: uint64(sc.Load.Workers), MaxWorkers: uint64(sc.Load.MaxWorkers), Connections: sc.Load.Connections}}
	if opt.Backend != "" {
		p.Backend = opt.Backend
	}
	if p.Seed == 0 {
		p.Seed = sc.Seed
	}
	if p.Seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		p.Seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	p.Load.Seed = p.Seed
	p.Replay = fmt.Sprintf("seed %d", p.Seed)
	if opt.Replay != nil {
		p.Replay = opt.Replay(p.Seed)
	}
	if p.SUTOutput == nil {
		p.SUTOutput = os.Stderr
	}
	if p.ReadyPath == "" {
		p.ReadyPath = "/health/ready"
	}
	if p.ReadyTimeout <= 0 {
		p.ReadyTimeout = 30 * time.Second
	}
	if p.ScrapeTick <= 0 {
		p.ScrapeTick = time.Second
	}
	p.MetricsPath = sc.Metrics.Path
	if p.MetricsPath == "" {
		p.MetricsPath = "/metrics"
	}
	p.MetricsHeader = http.Header{}
	for k, v := range sc.Metrics.Headers {
		p.MetricsHeader.Set(k, v)
	}
	p.Keep = append([]string{"resilience_", "httpfault_"}, sc.Metrics.Keep...)
	for _, a := range sc.Assertions { // the series the verdicts read are kept
		var names []string
		switch x := a.(type) {
		case *assertions.Metric:
			names = append(names, x.Metric)
		case *assertions.Breaker:
			if x.Series != nil {
				names = append(names, x.Series.Name)
				p.Breakers = append(p.Breakers, x.Series.Mapping())
			}
		case *assertions.Retries:
			if x.Counters != nil {
				names = append(names, x.Counters.Recovered.Name, x.Counters.GaveUp.Name)
			}
		}
		for _, n := range names {
			if n != "" && !slices.Contains(p.Keep, n) {
				p.Keep = append(p.Keep, n)
			}
		}
	}
	p.Breakers = record.WithCoreBreakers(p.Breakers)
	p.Replicas, p.Port = sc.SUT.N(), sc.SUT.Port
	if m := sc.Metrics; m.SourceName() == scenarios.MetricsPrometheus && m.Prometheus != nil {
		pr := m.Prometheus
		p.Prometheus = &Prometheus{URL: pr.URL, Selector: pr.Selector, Step: pr.Step.D(), Wait: pr.Wait.D(), ReplicaLabels: pr.Labels(),
			Header: http.Header{}, Keep: p.Keep, Breakers: p.Breakers}
		if p.Prometheus.Step <= 0 {
			p.Prometheus.Step = p.ScrapeTick
		}
		if p.Prometheus.Wait <= 0 {
			p.Prometheus.Wait = 30 * time.Second
		}
		for k, v := range pr.Headers {
			p.Prometheus.Header.Set(k, v)
		}
	}
	if p.Load.Timeout <= 0 {
		p.Load.Timeout = 10 * time.Second
	}
	for _, h := range sc.Halt {
		d := h.For.D()
		if d <= 0 {
			d = 10 * time.Second
		}
		p.Halt = append(p.Halt, Halt{Floor: h.AvailabilityBelow.F(), For: d})
	}
	for _, t := range sc.Load.Targets {
		p.Targets = append(p.Targets, targetOf(t))
	}

	var errs []error
	if p.Replicas > 1 && len(sc.SUT.Command) == 0 {
		errs = append(errs, fmt.Errorf("sut.replicas: %d; replicas run a command (sut.command), not a builtin or a url", p.Replicas))
	}
	if m := sc.Metrics; m.SourceName() == scenarios.MetricsPrometheus && m.Prometheus == nil {
		errs = append(errs, fmt.Errorf("metrics.prometheus: missing; the prometheus source wants the server's url and the SUT's selector"))
	}
	if err := CheckTargets(sc, opt.AllowTargets); err != nil {
		errs = append(errs, err) // before anything is started or touched
	}
	p.AllowTargets = opt.AllowTargets
	if p.Backend == service.BackendKubernetes {
		switch {
		case opt.Kubernetes == nil:
			errs = append(errs, fmt.Errorf("environment.backend: kubernetes needs the backend handed in (RunOptions.Kubernetes: env/kube.Backend); the shakedown command hands it in"))
		case sc.Environment.Kubernetes != nil:
			p.Kubernetes = opt.Kubernetes
			if err := opt.Kubernetes.Check(sc.Environment.Kubernetes, sc.Faults); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if name := sc.SUT.Builtin; name != "" {
		if err := opt.Builtins.Check(sc); err != nil {
			errs = append(errs, err)
		} else {
			b := opt.Builtins[name]
			p.Builtin = &b
		}
	}
	for _, a := range sc.Assertions {
		d, ok := a.(*assertions.Durability)
		if !ok {
			continue
		}
		p.DurabilityQuery = d.Query
		p.Load.Ack = &AckRule{Status: d.Status, ID: d.ID, Target: d.Target}
		if p.DurabilityQuery == "" && p.Builtin != nil {
			p.DurabilityQuery = p.Builtin.DurabilityQuery
		}
		if p.DurabilityQuery == "" {
			errs = append(errs, fmt.Errorf("assertion %q: query is missing; give the query that finds the acknowledged ids among $1 (a text array), e.g. SELECT id FROM orders WHERE id = ANY($1)", d.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Name, err)
	}
	return p, nil
}

// Check says whether the builtin sc names, if any, is one of b, and whether sc's environment has
// every service it needs.
func (b Builtins) Check(sc *scenarios.Scenario) error {
	name := sc.SUT.Builtin
	if name == "" {
		return nil
	}
	bi, ok := b[name]
	if !ok {
		return fmt.Errorf("sut.builtin %q: %w; this run was handed %s", name, ErrNoBuiltin, builtinNames(b))
	}
	if (bi.Start == nil) == (bi.Handler == nil) {
		return fmt.Errorf("sut.builtin %q: want exactly one of Start and Handler", name)
	}
	services := sc.Environment.Services
	if len(services) == 0 {
		services = service.Names()
	}
	var errs []error
	for _, need := range bi.Needs {
		if !slices.Contains(services, need) {
			errs = append(errs, fmt.Errorf("sut.builtin %q needs %s, which environment.services lacks", name, need))
		}
	}
	return errors.Join(errs...)
}

// ErrNoBuiltin is returned when a scenario names a builtin the run was not handed.
var ErrNoBuiltin = errors.New("no such builtin")

func builtinNames(b Builtins) string {
	if len(b) == 0 {
		return "no builtin"
	}
	return strings.Join(slices.Sorted(maps.Keys(b)), ", ")
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
		var steps []Step
		for _, s := range p.Steps {
			steps = append(steps, Step{Rate: vegeta.Rate{Freq: s.Rate.Freq, Per: s.Rate.Per}, Duration: s.Duration.D()})
		}
		return StepPacer{Steps: steps}
	case "sine":
		return vegeta.SinePacer{Period: p.Period.D(), Mean: r, Amp: vegeta.Rate{Freq: p.Amplitude.Freq, Per: p.Amplitude.Per}}
	}
	return r
}
