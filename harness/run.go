package harness

import (
	"runtime"
	"runtime/debug"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/internal/clock"
	"github.com/shakedown-dev/shakedown/units"

	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/record"
)

// Progress is a run's state for a progress line.
type Progress struct {
	Phase          string
	Elapsed, Total time.Duration     // since the load began, and the three phases' length
	All            record.Counts     // every result so far
	Last           record.Second     // the last complete second (its P95 is from its results so far)
	Active         []string          // the faults applied now
	Breakers       map[string]string // each scraped breaker's state, by name
	ScrapeError    string            // the last scrape's error while scrapes fail
}

// String is the progress line: "fault 12s/40s  1203 req  last second: 37 req/s  failed 2.1%
// degraded 0.4%  p95 212ms  faults: slow-redis  breakers: redis=open". The request count is the
// run's so far; the rate, the failed and degraded shares and the p95 are the last second's, so
// they move together; breakers are those that are not closed.
func (p Progress) String() string {
	s := fmt.Sprintf("%-8s %s/%s  %d req  last second: %d req/s  failed %.1f%%  degraded %.1f%%  p95 %s",
		p.Phase, p.Elapsed.Round(time.Second), p.Total, p.All.Requests, p.Last.Requests,
		100*p.Last.ErrorRate(), 100*p.Last.DegradedShare(), units.RoundDuration(p.Last.P95.D()))
	if len(p.Active) > 0 {
		s += "  faults: " + strings.Join(p.Active, ",")
	}
	var open []string
	for _, name := range slices.Sorted(maps.Keys(p.Breakers)) {
		if st := p.Breakers[name]; st != "closed" {
			open = append(open, name+"="+st)
		}
	}
	if len(open) > 0 {
		s += "  breakers: " + strings.Join(open, ",")
	}
	if p.ScrapeError != "" {
		s += "  metrics: " + p.ScrapeError
	}
	return s
}

// Run runs a plan: it starts the environment and the system under test, waits for the SUT's
// readiness, drives the load through the warmup, fault and recovery phases while the faults follow
// their schedule and the SUT's /metrics are scraped (each replica's; or, with a Prometheus source,
// read from the server once the load has ended), and stops everything. It always returns the
// record of what ran: when ctx ends early the record's status is aborted, and every fault was
// removed before Run returns. The error says why the run could not start or did not complete.
func Run(ctx context.Context, p *Plan) (*record.Record, error) {
	sc := p.Scenario
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File, Source: sc.Source}, p.Seed)
	rec.Update(func(r *record.Record) { r.Command, r.Env.Versions, r.Breakers = p.Replay, versions(), p.Breakers[1:] })
	finish := func(err error) (*record.Record, error) {
		st := record.StatusCompleted
		switch {
		case ctx.Err() != nil:
			st, err = record.StatusAborted, errors.Join(err, fmt.Errorf("run aborted: %w", context.Cause(ctx)))
		case err != nil:
			st = record.StatusFailed
		}
		return rec.Finish(st, err), err
	}

	// The mock Ollama draws its per-request fault decisions from the run's seed (a stream per
	// fault, as the scheduler's); in the harness's process each decision goes to the record.
	mock := ollama.Config{Seed: p.Seed, OnDecision: func(d httpfault.Decision) {
		rec.AddDecision(record.Decision{Fault: d.Fault, Unit: string(faults.PerRequest), Seq: d.Seq, Draw: d.Draw,
			Probability: d.Probability, Injected: d.Injected, Detail: d.Method + " " + d.Path})
	}}
	if o := sc.Environment.Ollama; o != nil {
		mock.TimeToFirstToken, mock.TokenInterval, mock.LoadDuration, mock.KeepAlive = o.TimeToFirstToken.D(), o.TokenInterval.D(), o.LoadDuration.D(), o.KeepAlive.D()
		mock.NumParallel, mock.MaxQueue = o.NumParallel, o.MaxQueue
	}
	var (
		wire   map[string]*wirefault.Injector
		engine faults.Engine
		err    error
	)
	if p.Kubernetes != nil { // every fault is a Chaos Mesh object: no proxy, no request stage
		if engine, err = p.Kubernetes.Open(ctx, sc.Environment.Kubernetes, p.AllowTargets, sc.Name); err != nil {
			return finish(fmt.Errorf("environment: %w", err))
		}
		if c, ok := engine.(faults.Closer); ok { // deletes what is left of the run
			defer c.Close(context.WithoutCancel(ctx))
		}
	} else if wire, err = wireInjectors(sc.Faults, p.Seed, rec); err != nil {
		return finish(fmt.Errorf("faults: %w", err))
	}
	defer func() {
		for _, in := range wire {
			in.Close()
		}
	}()
	e, err := env.Start(ctx, env.Spec{Services: sc.Environment.Services, Backend: p.Backend, StateDir: p.StateDir,
		Images: sc.Environment.Images, Ollama: mock, External: sc.Environment.External, Postgres: sc.Environment.Postgres, Wire: wire,
		Kubernetes: sc.Environment.Kubernetes})
	if err != nil {
		return finish(fmt.Errorf("environment: %w", err))
	}
	defer e.Close(context.WithoutCancel(ctx))
	rec.Update(func(r *record.Record) {
		r.Env.Backend = e.Backend
		for _, s := range e.Services() {
			r.Env.Services = append(r.Env.Services, record.ServiceInfo{Name: s.Name, Version: s.Version, Proxied: s.Proxied})
		}
	})

	if err := runSetup(ctx, sc, e); err != nil {
		return finish(fmt.Errorf("set-up: %w", err))
	}
	s, err := startSUT(ctx, p, e, p.SUTOutput)
	if err != nil {
		return finish(fmt.Errorf("system under test: %w", err))
	}
	defer s.stop()
	base := s.base
	rec.Update(func(r *record.Record) {
		r.Env.SUT = base
		if len(s.replicas) > 1 {
			r.Env.Replicas = s.bases()
		}
	})
	if err := waitReady(ctx, s, p.ReadyPath, p.ReadyTimeout); err != nil {
		return finish(err)
	}
	if p.Prometheus != nil {
		want := 1 // the replicas behind a url or a builtin are the server's to know
		if len(p.Scenario.SUT.Command) > 0 {
			want = len(s.replicas)
		}
		if err := p.Prometheus.Ready(ctx, rec, want); err != nil {
			return finish(err)
		}
	}
	vals, err := sendSetupRequests(ctx, p, base)
	if err != nil {
		return finish(fmt.Errorf("set-up: %w", err))
	}

	var sink faults.Sink = rec
	if p.OnFault != nil {
		sink = faultSink{rec, p.OnFault}
	}
	build := faults.OnTargets(e.FaultTargets())
	if engine != nil {
		build = engine
	}
	sched, err := faults.NewScheduler(p.Seed, sc.Faults, build, sink)
	if err != nil {
		return finish(fmt.Errorf("faults: %w", err))
	}
	err = runPhases(ctx, p, s.bases(), vals, sched, rec)
	if ctx.Err() == nil && p.DurabilityQuery != "" {
		checkDurability(ctx, p.DurabilityQuery, p.Load.Ack, e, rec)
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
			rec.AddDecision(record.Decision{Fault: d.Fault, Unit: string(faults.PerRequest), Seq: d.Seq, Draw: d.Draw,
				Probability: d.Probability, Injected: d.Injected, Detail: d.Request})
		}})
		if err != nil {
			return nil, err
		}
		out[target] = in
	}
	return out, nil
}

// faultSink records what the faults do and tells onFault of each fault event.
type faultSink struct {
	*record.Recorder
	onFault func(record.FaultEvent)
}

func (s faultSink) AddFaultEvent(e record.FaultEvent) {
	s.Recorder.AddFaultEvent(e)
	s.onFault(e)
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
// marks their boundaries, runs the fault schedule in the fault phase, and scrapes the SUT's
// metrics throughout, or, with a Prometheus source, reads them from the server once the load has
// ended.
func runPhases(parent context.Context, p *Plan, bases []string, vals *Values, sched *faults.Scheduler, rec *record.Recorder) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	if p.Prometheus == nil {
		sc := Scraper{URL: bases[0] + p.MetricsPath, Tick: p.ScrapeTick, Header: p.MetricsHeader, Keep: p.Keep, Breakers: p.Breakers}
		if len(bases) > 1 {
			for _, b := range bases {
				sc.Replicas = append(sc.Replicas, Endpoint{Instance: instanceOf(b), URL: b + p.MetricsPath})
			}
		}
		wg.Go(func() { sc.Run(ctx, rec) })
	}
	wg.Go(func() { probeReady(ctx, bases, p.ReadyPath, p.ScrapeTick, rec) })

	rate := p.Scenario.Load.Rate.PerSecond()
	var phase atomic.Value
	begin := func(name string) {
		phase.Store(name)
		rec.BeginPhase(name, rate)
		if p.OnPhase != nil {
			p.OnPhase(name)
		}
	}
	from := time.Now()
	begin(record.PhaseWarmup)
	if len(p.Halt) > 0 {
		wg.Go(func() { watchHalt(ctx, p.Halt, &phase, sched, rec) })
	}
	if p.OnProgress != nil {
		wg.Go(func() { reportProgress(ctx, p, &phase, sched, rec) })
	}
	var faultErr error
	wg.Go(func() {
		if !clock.Sleep(ctx, p.Warmup) {
			return
		}
		begin(record.PhaseFault)
		faultErr = sched.Run(ctx, p.Fault)
		if ctx.Err() == nil {
			begin(record.PhaseRecovery)
		}
	})
	load := p.Load
	load.Values = vals
	load.Bases = bases
	err := Attack(ctx, p.Targets, p.Pacer, p.Total(), load, rec)
	to := time.Now()
	cancel()
	wg.Wait()
	var metricsErr error
	if p.Prometheus != nil {
		cctx := parent
		if parent.Err() != nil { // aborted: the record is still written, with what the server has
			var stop context.CancelFunc
			cctx, stop = context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
			defer stop()
		}
		metricsErr = p.Prometheus.Collect(cctx, rec, from, to)
	}
	return errors.Join(err, faultErr, metricsErr)
}

// reportProgress calls p.OnProgress once a second until ctx ends.
func reportProgress(ctx context.Context, p *Plan, phase *atomic.Value, sched *faults.Scheduler, rec *record.Recorder) {
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
		br := map[string]string{}
		for _, m := range p.Breakers {
			for name, v := range rec.Latest(m.Series, m.Label) {
				br[name] = m.State(v)
			}
		}
		pr := Progress{Phase: phase.Load().(string), Elapsed: time.Since(start), Total: p.Total(), All: all, Last: last,
			Active: sched.Active(), Breakers: br}
		rec.Update(func(r *record.Record) {
			if r.Scrape != nil && r.Scrape.Failing {
				pr.ScrapeError = r.Scrape.LastError
			}
		})
		p.OnProgress(pr)
	}
}

// watchHalt checks the halt conditions once a second during the fault phase: when the availability
// of every second for a condition's length stayed below its floor, it stops every fault at once
// and says so in the record.
func watchHalt(ctx context.Context, conds []Halt, phase *atomic.Value, sched *faults.Scheduler, rec *record.Recorder) {
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
			if s.Availability() >= c.Floor {
				below[i] = 0
				continue
			}
			below[i]++
			if time.Duration(below[i])*time.Second >= c.For {
				why := fmt.Sprintf("availability below %s for %s (%s in the second at %s)", units.FormatPercent(c.Floor), c.For, units.FormatPercent(s.Availability()), s.At.D())
				rec.Update(func(r *record.Record) { r.Halted = why })
				rec.AddEvent(record.Event{Kind: record.EventHalt, Subject: "faults", Value: "stopped", Detail: why})
				sched.Stop()
				return
			}
		}
	}
}
