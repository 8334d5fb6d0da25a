package harness

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
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
	// SUTArgs are added to the scenario's sut.args (agentd's flags, a command's arguments).
	SUTArgs []string
	// AllowTargets are the hosts not on this machine that the run may touch (--allow-target).
	AllowTargets []string
	// StateDir is the environment's state directory. Empty: StateDir().
	StateDir string
	// ScrapeTick is the metrics scraper's tick. 0: 1s.
	ScrapeTick time.Duration
	// OnPhase, if set, is called as each phase begins.
	OnPhase func(name string)
	// OnProgress, if set, is called once a second while the load runs, on a goroutine of its own.
	OnProgress func(Progress)
}

// Progress is a run's state for a progress line.
type Progress struct {
	Phase          string
	Elapsed, Total time.Duration     // since the load began, and the three phases' length
	All            record.Counts     // every result so far
	Last           record.Second     // the last complete second (its P95 is from its results so far)
	Active         []string          // the faults applied now
	Breakers       map[string]string // each scraped breaker's state, by name
}

// String is the progress line: "fault 12s/40s  1203 req  37 req/s  err 2.1%  degraded 0.4%  p95 212ms
// faults: slow-redis  breakers: redis=open" (breakers that are not closed).
func (p Progress) String() string {
	s := fmt.Sprintf("%-8s %s/%s  %d req  %d req/s  err %.1f%%  degraded %.1f%%  p95 %s",
		p.Phase, p.Elapsed.Round(time.Second), p.Total, p.All.Requests, p.Last.Requests,
		100*(1-p.All.Availability()), 100*p.All.DegradedShare(), roundDur(p.Last.P95.D()))
	if len(p.Active) > 0 {
		s += "  faults: " + strings.Join(p.Active, ",")
	}
	var open []string
	for _, name := range slices.Sorted(maps.Keys(p.Breakers)) {
		if st := p.Breakers[name]; st != record.BreakerState(record.BreakerClosed) {
			open = append(open, name+"="+st)
		}
	}
	if len(open) > 0 {
		s += "  breakers: " + strings.Join(open, ",")
	}
	return s
}

func (o RunOptions) phase(rec *record.Recorder, name string, rate float64) {
	rec.BeginPhase(name, rate)
	if o.OnPhase != nil {
		o.OnPhase(name)
	}
}

// Run runs a scenario: it starts the environment and the system under test, waits for the SUT's
// readiness, drives the load through the warmup, fault and recovery phases while the faults follow
// their schedule and the SUT's /metrics are scraped, and stops everything. It always returns the
// record of what ran: when ctx ends early the record's status is aborted, and every fault was
// removed before Run returns. The error says why the run could not start or did not complete.
func Run(ctx context.Context, sc *scenarios.Scenario, opt RunOptions) (*record.Record, error) {
	short := opt.Short && sc.Short != nil
	if short {
		sc = sc.Shortened()
	}
	if len(opt.SUTArgs) > 0 {
		c := *sc
		c.SUT.Args = append(slices.Clone(sc.SUT.Args), opt.SUTArgs...)
		sc = &c
	}
	seed := opt.Seed
	if seed == 0 {
		seed = sc.Seed
	}
	if seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File, Source: sc.Source}, seed)
	rec.Update(func(r *record.Record) {
		r.Command = fmt.Sprintf("shakedown run %s --seed %d", sc.File, seed)
		if short {
			r.Command += " --short"
		}
		if opt.Backend != "" {
			r.Command += " --backend " + opt.Backend
		}
	})
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

	if err := CheckTargets(sc, opt.AllowTargets); err != nil {
		return finish(err) // before anything is started or touched
	}
	backend := sc.Environment.Backend
	if opt.Backend != "" {
		backend = opt.Backend
	}
	// The mock Ollama draws its per-request fault decisions from the run's seed (a stream per
	// fault, as the scheduler's); in the harness's process each decision goes to the record.
	mock := ollama.Config{Seed: seed, OnDecision: func(d httpfault.Decision) {
		rec.AddDecision(record.Decision{Fault: d.Fault, Unit: string(faults.PerRequest), Seq: d.Seq, Draw: d.Draw,
			Probability: d.Probability, Injected: d.Injected, Detail: d.Method + " " + d.Path})
	}}
	env, err := StartEnv(ctx, EnvSpec{Services: sc.Environment.Services, Backend: backend, StateDir: opt.StateDir,
		Images: Images(sc.Environment.Images), Ollama: mock, External: sc.Environment.External})
	if err != nil {
		return finish(fmt.Errorf("environment: %w", err))
	}
	defer env.Close(context.WithoutCancel(ctx))
	rec.Update(func(r *record.Record) {
		r.Env.Backend = env.Backend
		for _, s := range env.Services() {
			r.Env.Services = append(r.Env.Services, record.ServiceInfo{Name: s.Name, Version: s.Version, Proxied: s.Proxied})
		}
	})

	base, stop, err := startSUT(ctx, sc.SUT, env)
	if err != nil {
		return finish(fmt.Errorf("system under test: %w", err))
	}
	defer stop()
	rec.Update(func(r *record.Record) { r.Env.SUT = base })
	if err := waitReady(ctx, base+readyPath(sc.SUT), sc.SUT.ReadyTimeout.D()); err != nil {
		return finish(err)
	}

	sched, err := faults.NewScheduler(seed, sc.Faults, env.FaultTargets(), rec)
	if err != nil {
		return finish(fmt.Errorf("faults: %w", err))
	}
	err = runPhases(ctx, sc, base, sched, rec, opt)
	if ctx.Err() == nil {
		checkDurability(ctx, sc, env, rec)
	}
	return finish(err)
}

// runPhases drives one continuous load over the three phases, marks their boundaries, runs the
// fault schedule in the fault phase and scrapes the SUT's metrics throughout.
func runPhases(ctx context.Context, sc *scenarios.Scenario, base string, sched *faults.Scheduler, rec *record.Recorder, opt RunOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		Scraper{URL: base + "/metrics", Tick: opt.ScrapeTick, Keep: []string{"resilience_", "httpfault_"}}.Run(ctx, rec)
	})
	wg.Go(func() { probeReady(ctx, base+readyPath(sc.SUT), opt.ScrapeTick, rec) })

	ph := sc.Phases
	rate := sc.Load.Rate.PerSecond()
	var phase atomic.Value
	opt.OnPhase = func(f func(string)) func(string) {
		return func(name string) {
			phase.Store(name)
			if f != nil {
				f(name)
			}
		}
	}(opt.OnPhase)
	opt.phase(rec, record.PhaseWarmup, rate)
	if len(sc.Halt) > 0 {
		wg.Go(func() { watchHalt(ctx, sc.Halt, &phase, sched, rec) })
	}
	if opt.OnProgress != nil {
		wg.Go(func() {
			start := time.Now()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					all, last := rec.Totals()
					br := map[string]string{}
					for name, v := range rec.Latest(record.BreakerSeries, "name") {
						br[name] = record.BreakerState(v)
					}
					opt.OnProgress(Progress{Phase: phase.Load().(string), Elapsed: time.Since(start), Total: ph.Total(), All: all, Last: last,
						Active: sched.Active(), Breakers: br})
				}
			}
		})
	}
	var faultErr error
	wg.Go(func() {
		if !waitFor(ctx, ph.Warmup.D()) {
			return
		}
		opt.phase(rec, record.PhaseFault, rate)
		faultErr = sched.Run(ctx, ph.Fault.D())
		if ctx.Err() == nil {
			opt.phase(rec, record.PhaseRecovery, rate)
		}
	})
	targets := make([]Target, len(sc.Load.Targets))
	for i, t := range sc.Load.Targets {
		u := t.URL
		if strings.HasPrefix(u, "/") {
			u = base + u
		}
		h := http.Header{}
		for k, v := range t.Headers {
			h.Set(k, v)
		}
		targets[i] = Target{Name: t.Name, Method: t.Method, URL: u, Header: h, Body: []byte(t.Body)}
	}
	_, err := Attack(ctx, targets, pacer(sc), ph.Total(), LoadOptions{Timeout: loadTimeout(sc), Workers: uint64(sc.Load.Workers),
		MaxWorkers: uint64(sc.Load.MaxWorkers), Connections: sc.Load.Connections}, rec)
	cancel()
	wg.Wait()
	return errors.Join(err, faultErr)
}

func waitFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func loadTimeout(sc *scenarios.Scenario) time.Duration {
	if sc.Load.Timeout > 0 {
		return sc.Load.Timeout.D()
	}
	return 10 * time.Second
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

// roundDur keeps about three significant figures: 212ms, 1.23ms, 412µs.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// watchHalt checks the halt conditions once a second during the fault phase: when the availability
// of every second for a condition's length stayed below its floor, it stops every fault at once
// and says so in the record.
func watchHalt(ctx context.Context, conds []scenarios.HaltCondition, phase *atomic.Value, sched *faults.Scheduler, rec *record.Recorder) {
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
			if s.Availability() >= c.AvailabilityBelow.F() {
				below[i] = 0
				continue
			}
			below[i]++
			need := c.For.D()
			if need <= 0 {
				need = 10 * time.Second
			}
			if time.Duration(below[i])*time.Second >= need {
				why := fmt.Sprintf("availability below %s for %s (%s in the second at %s)", c.AvailabilityBelow, need, pctString(s.Availability()), s.At.D())
				rec.Update(func(r *record.Record) { r.Halted = why })
				rec.AddEvent(record.Event{Kind: record.EventHalt, Subject: "faults", Value: "stopped", Detail: why})
				sched.Stop()
				return
			}
		}
	}
}

func pctString(f float64) string { return fmt.Sprintf("%.3g%%", f*100) }
