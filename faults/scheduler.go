package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/internal/sleep"
	"github.com/shakedown-dev/shakedown/record"
)

// undoTimeout bounds an Undo made after the run's context ended.
const undoTimeout = 10 * time.Second

// Scheduler applies faults on their schedule (Schedule) during a fault phase and always removes
// them.
type Scheduler struct {
	seed   uint64
	faults []*scheduled
	sink   Sink

	mu     sync.Mutex
	active map[string]bool
	cancel context.CancelFunc
}

type scheduled struct {
	spec  Spec
	fault Fault
}

// NewScheduler validates every spec and builds every fault with build before anything is
// applied, reporting every problem at once. seed draws the schedule (Schedule).
func NewScheduler(seed uint64, specs []Spec, build Builder, sink Sink) (*Scheduler, error) {
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
	s := &Scheduler{seed: seed, sink: sink, active: map[string]bool{}}
	for _, sp := range specs {
		f, err := build.Build(sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.faults = append(s.faults, &scheduled{spec: sp, fault: f})
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
	sleep.Until(ctx, start.Add(phase)) // the phase lasts its length, whenever the last fault ends
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

// runFault follows one fault's windows as Schedule gives them: a decision recorded for each drawn
// window, the fault applied in each open one. Whatever happens (an error, a panic in the fault,
// the context ending), the fault is undone before it returns.
func (s *Scheduler) runFault(ctx context.Context, f *scheduled, start time.Time, phase time.Duration) (err error) {
	c, u := f.spec.Base(), f.spec.Unit()
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
	for i, w := range Schedule(s.seed, f.spec, phase) {
		if !sleep.Until(ctx, start.Add(w.Start.D())) {
			return nil
		}
		if w.Drawn { // every window of a drawn kind is: its draw number is its index
			s.sink.AddDecision(record.Decision{Fault: c.Name, Unit: string(u), Seq: uint64(i), Draw: w.Draw, Probability: c.P(),
				Injected: w.Open, Detail: fmt.Sprintf("%s %d at %s", u, i, w.Start)})
		}
		if !w.Open {
			continue
		}
		applied = true // Undo is safe even if Apply fails half-way
		if aerr := apply(ctx, f.fault, (w.End - w.Start).D()); aerr != nil {
			s.event(f, record.FaultFailed, "apply", aerr)
			return fmt.Errorf("fault %q: apply: %w", c.Name, aerr)
		}
		s.setActive(c.Name, true)
		s.event(f, record.FaultApplied, fmt.Sprintf("window %d: [%s %s], probability %g per %s", i, w.Start, w.End, c.P(), u), nil)
		ended := sleep.Until(ctx, start.Add(w.End.D()))
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
	if r, ok := f.fault.(Reporter); ok {
		detail = r.Report()
	}
	e := newEvent(f, record.FaultRemoved, detail, nil)
	if c, ok := f.fault.(Counter); ok {
		e.Decided, e.Injected, e.Counted = c.Counts()
	}
	s.sink.AddFaultEvent(e)
	return nil
}
