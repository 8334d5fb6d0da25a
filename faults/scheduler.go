package faults

import (
	"github.com/shakedown-dev/shakedown/internal/clock"

	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/record"
)

// undoTimeout bounds an Undo made after the run's context ended.
const undoTimeout = 10 * time.Second

// Scheduler applies faults on their schedule during a fault phase and always removes them.
type Scheduler struct {
	faults []*scheduled
	sink   Sink

	mu     sync.Mutex
	active map[string]bool
	cancel context.CancelFunc
}

type scheduled struct {
	spec  Spec
	fault Fault
	rng   *rand.Rand
	seq   uint64
}

// NewScheduler validates every spec and builds every fault before anything is applied, reporting
// every problem at once.
func NewScheduler(seed uint64, specs []Spec, targets Targets, sink Sink) (*Scheduler, error) {
	var errs []error
	seen := map[string]bool{}
	for _, sp := range specs {
		if err := sp.Validate(); err != nil {
			errs = append(errs, err)
		}
		if name := sp.Base().Name; seen[name] {
			errs = append(errs, fmt.Errorf("fault %q: the name is used twice; names must be unique", name))
		} else {
			seen[name] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Scheduler{sink: sink, active: map[string]bool{}}
	build := func(sp Spec) (Fault, error) { return sp.Build(targets) }
	if et, ok := targets.(EngineTargets); ok && et.Engine() != nil {
		build = et.Engine().Build
	}
	for _, sp := range specs {
		f, err := build(sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.faults = append(s.faults, &scheduled{spec: sp, fault: f, rng: seeded.Stream(seed, sp.Base().Name)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Run follows every fault's schedule over a fault phase of length phase that starts now, and
// returns when the phase is over or ctx ends (or Stop is called) — in every case only after each
// applied fault was removed. It returns every error of applying and removing, joined.
func (s *Scheduler) Run(ctx context.Context, phase time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	defer cancel()
	start := time.Now()
	errs := make([]error, len(s.faults))
	var wg sync.WaitGroup
	for i, f := range s.faults {
		wg.Go(func() { errs[i] = s.runFault(ctx, f, start, phase) })
	}
	wg.Wait()
	clock.SleepUntil(ctx, start.Add(phase)) // the phase lasts its length, whenever the last fault ends
	return errors.Join(errs...)
}

// Stop ends the schedule at once (a halt condition): Run removes every fault and returns.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
}

// Active returns the names of the faults applied right now, sorted.
func (s *Scheduler) Active() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name, on := range s.active {
		if on {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Scheduler) setActive(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active[name] = on
}

func (s *Scheduler) event(f *scheduled, action record.FaultAction, detail string, err error) {
	s.sink.AddFaultEvent(newEvent(f, action, detail, err))
}

func newEvent(f *scheduled, action record.FaultAction, detail string, err error) record.FaultEvent {
	c := f.spec.Base()
	e := record.FaultEvent{Fault: c.Name, Kind: c.Type, Target: c.Target, Action: action, Detail: detail}
	if err != nil {
		e.Error = err.Error()
	}
	return e
}

// runFault follows one fault's windows. Whatever happens (an error, a panic in the fault, the
// context ending), the fault is undone before it returns.
func (s *Scheduler) runFault(ctx context.Context, f *scheduled, start time.Time, phase time.Duration) (err error) {
	c := f.spec.Base()
	applied := false
	defer func() {
		if p := recover(); p != nil {
			err = errors.Join(err, fmt.Errorf("fault %q panicked: %v", c.Name, p))
			s.event(f, record.FaultFailed, "panic", err)
		}
		if applied {
			err = errors.Join(err, s.undo(f))
		}
	}()
	for i, w := range windowsOf(f.spec, phase) {
		if !clock.SleepUntil(ctx, start.Add(w[0])) {
			return nil
		}
		if u := f.spec.Unit(); u == PerWindow || u == PerTick {
			draw := f.rng.Float64()
			injected := draw < c.P()
			s.sink.AddDecision(record.Decision{Fault: c.Name, Unit: string(u), Seq: f.seq, Draw: draw, Probability: c.P(),
				Injected: injected, Detail: fmt.Sprintf("%s %d at %s", u, i, w[0])})
			f.seq++
			if !injected {
				continue
			}
		}
		applied = true // Undo is safe even if Apply fails half-way
		if aerr := apply(ctx, f.fault, w[1]-w[0]); aerr != nil {
			s.event(f, record.FaultFailed, "apply", aerr)
			return fmt.Errorf("fault %q: apply: %w", c.Name, aerr)
		}
		s.setActive(c.Name, true)
		s.event(f, record.FaultApplied, fmt.Sprintf("window %d: %s, probability %g per %s", i, w, c.P(), f.spec.Unit()), nil)
		ended := clock.SleepUntil(ctx, start.Add(w[1]))
		applied = false
		if uerr := s.undo(f); uerr != nil || !ended {
			return uerr
		}
	}
	return nil
}

// apply applies a fault for a window of length d.
func apply(ctx context.Context, f Fault, d time.Duration) error {
	if w, ok := f.(Windowed); ok {
		return w.ApplyFor(ctx, d)
	}
	return f.Apply(ctx)
}

// undo removes a fault with a context of its own: the run's may have ended.
func (s *Scheduler) undo(f *scheduled) error {
	ctx, cancel := context.WithTimeout(context.Background(), undoTimeout)
	defer cancel()
	c := f.spec.Base()
	s.setActive(c.Name, false)
	if err := f.fault.Undo(ctx); err != nil {
		s.event(f, record.FaultFailed, "undo", err)
		return fmt.Errorf("fault %q: undo: %w", c.Name, err)
	}
	detail := ""
	if r, ok := f.fault.(interface{ Report() string }); ok {
		detail = r.Report()
	}
	e := newEvent(f, record.FaultRemoved, detail, nil)
	if r, ok := f.fault.(interface {
		Counts() (decided, injected uint64, ok bool)
	}); ok {
		e.Decided, e.Injected, e.Counted = r.Counts()
	}
	s.sink.AddFaultEvent(e)
	return nil
}

// windowsOf returns a fault's windows over a phase of length phase: a kind drawn per tick has
// one a tick.
func windowsOf(sp Spec, phase time.Duration) [][2]time.Duration {
	windows := sp.Base().Windows(phase)
	if tk, ok := sp.(interface{ tick() time.Duration }); ok && sp.Unit() == PerTick {
		windows = ticks(windows, tk.tick())
	}
	return windows
}

// Window is one window of a fault's schedule: its offsets from the fault phase's start and, for
// a kind drawn per window or per tick, the draw and whether the fault acts in it.
type Window struct {
	Start, End time.Duration
	// Drawn is true for kinds drawn per window or tick; Draw is the draw, Open whether it is
	// under the probability. Other kinds' windows are always Open.
	Drawn bool
	Draw  float64
	Open  bool
}

// Plan returns the schedule of sp over a fault phase of length phase with the draws seed gives:
// the windows and decisions a Scheduler makes, known in advance (shakedown export writes them).
func Plan(seed uint64, sp Spec, phase time.Duration) []Window {
	rng := seeded.Stream(seed, sp.Base().Name)
	var out []Window
	for _, w := range windowsOf(sp, phase) {
		win := Window{Start: w[0], End: w[1], Open: true}
		if u := sp.Unit(); u == PerWindow || u == PerTick {
			win.Drawn, win.Draw = true, rng.Float64()
			win.Open = win.Draw < sp.Base().P()
		}
		out = append(out, win)
	}
	return out
}

// ticks cuts windows into ticks of length d (the last of a window may be shorter).
func ticks(windows [][2]time.Duration, d time.Duration) [][2]time.Duration {
	var out [][2]time.Duration
	for _, w := range windows {
		for t := w[0]; t < w[1]; t += d {
			out = append(out, [2]time.Duration{t, min(t+d, w[1])})
		}
	}
	return out
}
