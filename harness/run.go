package harness

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/internal/sleep"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Run runs a plan: it starts the environment and the system under test, waits for the SUT's
// readiness, drives the load through the warmup, fault and recovery phases while the faults follow
// their schedule and the SUT's metrics are collected (scraped from each replica, read from a
// Prometheus server once the load has ended, or none), stops everything, and judges the record
// by the scenario's assertions (see Result: a run that did not complete is not judged). It always
// returns the result with the record of what ran: when ctx ends early the record's status is
// aborted, and every fault was removed before Run returns. The error says why the run could not
// start or did not complete. obs, if not nil, is told of phases, progress, faults and the SUT's
// output as they happen; Run itself prints nothing, and a plan may run any number of times.
// Secrets are redacted from the error, the record and what obs is told of faults and progress
// (internal/redact: their forms, the scenario's ${NAME} values, the tokens its set-up captures);
// a command SUT's own output is handed on as it printed it.
func Run(ctx context.Context, p *Plan, obs Observer) (*Result, error) {
	if obs == nil {
		obs = ObserverFuncs{}
	}
	sc := p.scenario
	red := redact.New(p.secrets.values...)
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File, Source: sc.Source}, p.seed)
	rec.Describe(p.replay, versions(), p.metrics.ownBreakers)
	finish := func(err error) (*Result, error) {
		st := record.StatusCompleted
		switch {
		case ctx.Err() != nil:
			st, err = record.StatusAborted, errors.Join(err, fmt.Errorf("run aborted: %w", context.Cause(ctx)))
		case err != nil:
			st = record.StatusFailed
		}
		err = red.Error(err)
		return judge(red.Record(rec.Finish(st, err)), sc.Assertions), err
	}

	// The mock Ollama draws its per-request fault decisions from the run's seed (a stream per
	// fault, as the scheduler's); in the harness's process each decision goes to the record, at
	// the time it was made (a fault proxy's, read back later, at the proxy's time).
	mock := ollama.Config{Seed: p.seed, OnDecision: func(d httpfault.Decision) {
		rec.AddDecision(record.Decision{At: rec.Since(d.At), Fault: d.Fault, Unit: string(faults.PerRequest), Seq: d.Seq, Draw: d.Draw,
			Probability: d.Probability, Injected: d.Injected, Detail: d.Method + " " + d.Path})
	}}
	if o := sc.Environment.Ollama; o != nil {
		mock.TimeToFirstToken, mock.TokenInterval, mock.LoadDuration, mock.KeepAlive = o.TimeToFirstToken.D(), o.TokenInterval.D(), o.LoadDuration.D(), o.KeepAlive.D()
		mock.NumParallel, mock.MaxQueue = o.NumParallel, o.MaxQueue
	}
	// The start-up and the teardown (the deferred closes, which run before this one) are busy
	// work, the load is measured: with a gate shared by other runs, neither lands on the other.
	leave, err := p.gate.enter(ctx, gateBusy)
	if err != nil {
		return finish(fmt.Errorf("waiting for other runs' measured phases: %w", err))
	}
	defer func() { leave() }()
	var (
		wire   map[string]*wirefault.Injector
		engine faults.Engine
	)
	if p.kubernetes != nil { // Chaos Mesh objects, and request faults on the cluster's fault proxy
		if engine, err = p.kubernetes.Open(ctx, sc.Environment.Kubernetes, p.allowTargets, sc.Name); err != nil {
			return finish(fmt.Errorf("environment: %w", err))
		}
		if c, ok := engine.(faults.Closer); ok { // deletes what is left of the run
			defer c.Close(context.WithoutCancel(ctx))
		}
	}
	if wire, err = wireInjectors(sc.Faults, p.seed, rec); err != nil {
		return finish(fmt.Errorf("faults: %w", err))
	}
	defer func() {
		for _, in := range wire {
			in.Close()
		}
	}()
	e, err := env.Start(ctx, env.Spec{Services: sc.Environment.Services, Backend: p.backend, StateDir: p.stateDir,
		Images: sc.Environment.Images, Ollama: mock, External: sc.Environment.External, Postgres: sc.Environment.Postgres, Wire: wire,
		Kubernetes: sc.Environment.Kubernetes})
	if err != nil {
		return finish(fmt.Errorf("environment: %w", err))
	}
	defer e.Close(context.WithoutCancel(ctx))
	var services []record.ServiceInfo
	for _, s := range e.Services() {
		services = append(services, record.ServiceInfo{Name: s.Name, Version: s.Version, Proxied: s.Proxied})
	}
	rec.SetEnvironment(e.Backend, services)

	// The set-up steps run in the order written: those before the first request step before the
	// SUT starts, the rest once it is ready.
	set, before := newSetup(p, e, red), sc.StepsBeforeSUT()
	if err := set.run(ctx, 0, before, ""); err != nil {
		return finish(fmt.Errorf("set-up: %w", err))
	}
	s, err := startSUT(ctx, p, e, outputWriter{obs})
	if err != nil {
		return finish(fmt.Errorf("system under test: %w", err))
	}
	defer s.stop()
	rec.SetSUT(s.base, s.bases())
	if err := waitReady(ctx, s, p.sut.readyPath, p.sut.readyTimeout); err != nil {
		return finish(err)
	}
	if err := set.run(ctx, before, len(sc.Setup), s.base); err != nil {
		return finish(fmt.Errorf("set-up: %w", err))
	}
	var build faults.Builder = faults.OnTargets(e.FaultTargets())
	if engine != nil {
		build = faults.WithEngine(engine, e.FaultTargets())
	}
	sched, err := faults.NewScheduler(p.seed, sc.Faults, build, faultSink{rec, obs, red})
	if err != nil {
		return finish(fmt.Errorf("faults: %w", err))
	}
	leave()
	if leave, err = p.gate.enter(ctx, p.measure); err != nil {
		return finish(fmt.Errorf("waiting for other runs' start-ups: %w", err))
	}
	err = runPhases(ctx, p, obs, red, s.bases(), set.vals, sched, rec)
	leave()
	leave, _ = p.gate.enter(ctx, gateBusy) // only an aborted run does not wait: it stops at once
	if ctx.Err() == nil && len(p.durability) > 0 {
		checkDurability(ctx, p.durability, e, rec)
	}
	return finish(err)
}

// wireInjectors returns, for each service a query or command fault targets, the injector of its
// request stage: decisions drawn from the run's seed (a stream per fault), each to the record.
func wireInjectors(specs []faults.Spec, seed uint64, rec *record.Recorder) (map[string]*wirefault.Injector, error) {
	out := map[string]*wirefault.Injector{}
	for _, s := range specs {
		var proto wirefault.Protocol
		switch s.(type) {
		case *faults.Query:
			proto = wirefault.Postgres
		case *faults.Command:
			proto = wirefault.Redis
		default:
			continue
		}
		target := s.Base().Target
		if out[target] != nil {
			continue
		}
		in, err := wirefault.New(wirefault.Config{Protocol: proto, Seed: seed, OnDecision: func(d wirefault.Decision) {
			rec.AddDecision(record.Decision{At: rec.Since(d.At), Fault: d.Fault, Unit: string(faults.PerRequest), Seq: d.Seq, Draw: d.Draw,
				Probability: d.Probability, Injected: d.Injected, Detail: d.Request})
		}})
		if err != nil {
			return nil, err
		}
		out[target] = in
	}
	return out, nil
}

// faultSink records what the faults do and tells the observer of each fault event, redacted.
type faultSink struct {
	*record.Recorder
	obs Observer
	red *redact.Redactor
}

func (s faultSink) AddFaultEvent(e record.FaultEvent) {
	e = s.red.FaultEvent(e)
	s.Recorder.AddFaultEvent(e)
	s.obs.OnFault(e)
}

// versions names what the harness is built of, for the record: Go, and the modules whose
// behaviour a run depends on, as this binary's build information gives them.
func versions() map[string]string {
	v := map[string]string{"go": runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	names := map[string]string{"github.com/shakedown-dev/shakedown": "shakedown", "github.com/Shopify/toxiproxy/v2": "toxiproxy",
		"github.com/testcontainers/testcontainers-go": "testcontainers-go", "github.com/tsenart/vegeta/v12": "vegeta"}
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		if name, ok := names[m.Path]; ok && m.Version != "" {
			v[name] = m.Version
		}
	}
	return v
}

// runPhases drives one continuous load over the three phases (spread over the replicas' bases),
// marks their boundaries, runs the fault schedule in the fault phase, and collects the SUT's
// metrics from the plan's source.
func runPhases(parent context.Context, p *Plan, obs Observer, red *redact.Redactor, bases []string, vals *values, sched *faults.Scheduler, rec *record.Recorder) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	src := p.metrics.newSource()
	if err := src.start(ctx, rec, bases); err != nil {
		return err
	}
	wg.Go(func() { probeReady(ctx, bases, p.sut.readyPath, p.probeTick, rec) })

	rate := p.scenario.Load.Rate.PerSecond()
	var phase atomic.Value
	begin := func(name string) {
		phase.Store(name)
		rec.BeginPhase(name, rate)
		obs.OnPhase(name)
	}
	from := time.Now()
	begin(record.PhaseWarmup)
	if len(p.halts) > 0 {
		wg.Go(func() { watchHalt(ctx, p.halts, &phase, sched, rec) })
	}
	wg.Go(func() { reportProgress(ctx, p, obs, red, &phase, sched, rec) })
	var faultErr error
	wg.Go(func() {
		if !sleep.For(ctx, p.warmup) {
			return
		}
		begin(record.PhaseFault)
		faultErr = sched.Run(ctx, p.fault)
		if ctx.Err() == nil {
			begin(record.PhaseRecovery)
		}
	})
	opts := p.load.opts
	opts.Values = vals
	opts.Bases = bases
	err := attack(ctx, p.load.targets, p.load.pacer, p.Total(), opts, rec)
	to := time.Now()
	rec.EndPhases()
	cancel()
	wg.Wait()
	fctx := parent
	if parent.Err() != nil { // aborted: the record is still written, with what the source has
		var stop context.CancelFunc
		fctx, stop = context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
		defer stop()
	}
	metricsErr := src.finish(fctx, rec, from, to)
	return errors.Join(err, faultErr, metricsErr)
}

// reportProgress tells obs of the run's progress once a second until ctx ends, the scrape's
// error redacted.
func reportProgress(ctx context.Context, p *Plan, obs Observer, red *redact.Redactor, phase *atomic.Value, sched *faults.Scheduler, rec *record.Recorder) {
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		all, last := rec.Totals()
		br := map[string]record.BreakerState{}
		for _, m := range p.metrics.breakers {
			for name, v := range rec.Latest(m.Series, m.Label) {
				br[name] = m.State(v)
			}
		}
		pr := Progress{Phase: phase.Load().(string), Elapsed: time.Since(start), Total: p.Total(), All: all, Last: last,
			Active: sched.Active(), Breakers: br, ScrapeError: red.String(rec.ScrapeError())}
		if pr.Phase != record.PhaseWarmup {
			pr.Unsent = rec.Unsent()
		}
		obs.OnProgress(pr)
	}
}

// watchHalt checks the halt conditions once a second during the fault phase: when the availability
// of every second for a condition's length stayed below its floor, it stops every fault at once
// and says so in the record.
func watchHalt(ctx context.Context, conds []halt, phase *atomic.Value, sched *faults.Scheduler, rec *record.Recorder) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	below := make([]int, len(conds)) // consecutive seconds below each floor
	var last record.Duration = -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, ok := rec.LastSecond()
		if !ok || s.At == last || phase.Load() != record.PhaseFault || s.Requests == 0 {
			continue
		}
		last = s.At
		for i, c := range conds {
			if s.Availability() >= c.floor {
				below[i] = 0
				continue
			}
			below[i]++
			if time.Duration(below[i])*time.Second >= c.length {
				rec.Halt(fmt.Sprintf("availability below %s for %s (%s in the second at %s)", units.FormatPercent(c.floor), c.length, units.FormatPercent(s.Availability()), s.At.D()))
				sched.Stop()
				return
			}
		}
	}
}
