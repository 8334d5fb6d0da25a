package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// gateRun enters g as kind k in a goroutine; its entered channel is closed once it is in.
type gateRun struct {
	entered chan struct{}
	leave   func()
	err     error
}

func enterAsync(ctx context.Context, g *Gate, k gateKind) *gateRun {
	r := &gateRun{entered: make(chan struct{})}
	go func() {
		r.leave, r.err = g.enter(ctx, k)
		close(r.entered)
	}()
	return r
}

func (r *gateRun) in() bool {
	select {
	case <-r.entered:
		return true
	default:
		return false
	}
}

func TestGate(t *testing.T) {
	t.Run("a start-up waits for the measured phases and they for it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var g Gate
			m1, m2 := enterAsync(t.Context(), &g, gateMeasure), enterAsync(t.Context(), &g, gateMeasure)
			synctest.Wait()
			if !m1.in() || !m2.in() {
				t.Fatal("two measured phases do not share the gate")
			}
			b := enterAsync(t.Context(), &g, gateBusy)
			synctest.Wait()
			if b.in() {
				t.Fatal("a start-up entered while two runs measure")
			}
			m1.leave()
			synctest.Wait()
			if b.in() {
				t.Fatal("a start-up entered while a run measures")
			}
			m2.leave()
			m2.leave() // leaving twice leaves once
			synctest.Wait()
			if !b.in() {
				t.Fatal("a start-up still waits once no run measures")
			}
			m3 := enterAsync(t.Context(), &g, gateMeasure)
			synctest.Wait()
			if m3.in() {
				t.Fatal("a measured phase began during a start-up")
			}
			b.leave()
			synctest.Wait()
			if !m3.in() {
				t.Fatal("a measured phase still waits once the start-up is done")
			}
		})
	})
	t.Run("a waiting kind is not starved", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var g Gate
			m1 := enterAsync(t.Context(), &g, gateMeasure)
			synctest.Wait()
			b1, b2 := enterAsync(t.Context(), &g, gateBusy), enterAsync(t.Context(), &g, gateBusy)
			synctest.Wait()
			m2 := enterAsync(t.Context(), &g, gateMeasure) // would keep the gate measuring for ever
			synctest.Wait()
			if m2.in() {
				t.Fatal("a measured phase joined while start-ups wait")
			}
			m1.leave()
			synctest.Wait()
			if !b1.in() || !b2.in() {
				t.Fatalf("start-ups waiting together did not go together: %v, %v", b1.in(), b2.in())
			}
			if m2.in() {
				t.Fatal("a measured phase began during the start-ups")
			}
			b3 := enterAsync(t.Context(), &g, gateBusy) // came after m2: waits for its turn
			synctest.Wait()
			if b3.in() {
				t.Fatal("a start-up joined the turn while a measured phase waits")
			}
			b1.leave()
			b2.leave()
			synctest.Wait()
			if !m2.in() || b3.in() {
				t.Fatalf("after the start-ups: measured %v, start-up %v; want the waiting measured phase first", m2.in(), b3.in())
			}
			m2.leave()
			synctest.Wait()
			if !b3.in() {
				t.Fatal("the last start-up still waits")
			}
		})
	})
	t.Run("a run whose context ends stops waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var g Gate
			m := enterAsync(t.Context(), &g, gateMeasure)
			synctest.Wait()
			ctx, cancel := context.WithCancel(t.Context())
			b := enterAsync(ctx, &g, gateBusy)
			synctest.Wait()
			m2 := enterAsync(t.Context(), &g, gateMeasure) // waits behind b's turn
			synctest.Wait()
			cancel()
			synctest.Wait()
			if !b.in() || !errors.Is(b.err, context.Canceled) {
				t.Fatalf("cancelled start-up: in %v, err %v; want out with context.Canceled", b.in(), b.err)
			}
			if !m2.in() {
				t.Fatal("a measured phase still waits for a start-up that gave up")
			}
			m.leave()
			m2.leave()
		})
	})
	t.Run("nil admits", func(t *testing.T) {
		var g *Gate
		var wg sync.WaitGroup
		for _, k := range []gateKind{gateBusy, gateMeasure} {
			wg.Go(func() {
				leave, err := g.enter(t.Context(), k)
				if err != nil {
					t.Error(err)
				}
				leave()
			})
		}
		wg.Wait()
	})
}

// TestGateKeepsStartUpsOffMeasuredPhases starts a second run as the first one's warmup begins.
// Sharing a gate, the second's start-up (its SUT starting) waits until the first's load has
// ended, and its load until the first has stopped; without one, its start-up lands in the
// first's warmup, which is what the gate is for.
func TestGateKeepsStartUpsOffMeasuredPhases(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("gate=%v", shared), func(t *testing.T) {
			t.Parallel()
			var gate *Gate
			if shared {
				gate = new(Gate)
			}
			var mu sync.Mutex
			started, stopped := map[string]time.Time{}, map[string]time.Time{} // each run's SUT
			builtin := func(name string) Builtins {
				return Builtins{"svc": {Handler: func(context.Context, Deps) (http.Handler, func(), error) {
					mu.Lock()
					started[name] = time.Now()
					mu.Unlock()
					stop := func() {
						mu.Lock()
						stopped[name] = time.Now()
						mu.Unlock()
					}
					return http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), stop, nil
				}}}
			}
			sc := readyScenario(scenarios.SUT{Builtin: "svc"})
			sc.Environment.Services = nil
			sc.Metrics = scenarios.Metrics{Source: scenarios.MetricsNone}
			sc.Load.Rate = units.Rate{Freq: 20, Per: time.Second}
			sc.Phases = scenarios.Phases{Warmup: units.Duration(time.Second), Fault: units.Duration(time.Second)}

			var (
				second      = make(chan *record.Record, 1)
				secondLoad  time.Time // its warmup's start
				secondError error
				once        sync.Once
			)
			first, err := run(t.Context(), sc, RunOptions{StateDir: t.TempDir(), Gate: gate, Builtins: builtin("first")}, ObserverFuncs{
				Phase: func(phase string) {
					once.Do(func() {
						go func() {
							rec, err := run(t.Context(), sc, RunOptions{StateDir: t.TempDir(), Gate: gate, Builtins: builtin("second")},
								ObserverFuncs{Phase: func(phase string) {
									if phase == record.PhaseWarmup {
										mu.Lock()
										secondLoad = time.Now()
										mu.Unlock()
									}
								}})
							secondError = err
							second <- rec
						}()
					})
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			<-second
			if secondError != nil {
				t.Fatal(secondError)
			}
			mu.Lock()
			defer mu.Unlock()
			ph := first.Phases
			from, to := first.Started.Add(ph[0].Start.D()), first.Started.Add(ph[len(ph)-1].End.D())
			during := started["second"].After(from) && started["second"].Before(to)
			if shared {
				if during || secondLoad.Before(stopped["first"]) {
					t.Errorf("the second run started at %v and its load at %v; want its start after the first's load (0 to %v) and its load after the first stopped (%v)",
						started["second"].Sub(from), secondLoad.Sub(from), to.Sub(from), stopped["first"].Sub(from))
				}
			} else if !during {
				t.Errorf("without a gate the second run started at %v, outside the first's load (0 to %v); the test does not force the overlap", started["second"].Sub(from), to.Sub(from))
			}
		})
	}
}

// TestGateAlone: a run that burns the machine measures alone: it waits for the measured phases
// that hold the gate, none joins it, and start-ups wait for it.
func TestGateAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Gate
		m := enterAsync(t.Context(), &g, gateMeasure)
		synctest.Wait()
		a := enterAsync(t.Context(), &g, gateAlone)
		synctest.Wait()
		if a.in() {
			t.Fatal("a burning run measures beside another")
		}
		m.leave()
		synctest.Wait()
		if !a.in() {
			t.Fatal("a burning run still waits once no run measures")
		}
		m2, a2, b := enterAsync(t.Context(), &g, gateMeasure), enterAsync(t.Context(), &g, gateAlone), enterAsync(t.Context(), &g, gateBusy)
		synctest.Wait()
		if m2.in() || a2.in() || b.in() {
			t.Fatalf("beside a burning run: measured %v, another burning %v, a start-up %v; want none", m2.in(), a2.in(), b.in())
		}
		a.leave()
		synctest.Wait()
		if n := btoi(m2.in()) + btoi(a2.in()) + btoi(b.in()); n != 1 {
			t.Fatalf("after the burning run, %d kinds hold the gate; want one", n)
		}
		for _, r := range []*gateRun{m2, a2, b} { // each in its turn
			for !r.in() {
				for _, o := range []*gateRun{m2, a2, b} {
					if o.in() && o != r {
						o.leave()
					}
				}
				synctest.Wait()
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestGateSettles: each run of a turn of measured phases waits for the gate's Settle before its
// load, one after another: the turn's first within TurnSettle, a run joining the turn within
// JoinSettle once the run before it settled; start-ups do not settle, and a run whose context
// ends while it waits leaves the gate.
func TestGateSettles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var settles []time.Duration
		g := Gate{Settle: func(ctx context.Context, within time.Duration) error {
			settles = append(settles, within)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return ctx.Err()
		}}
		b := enterAsync(t.Context(), &g, gateBusy)
		synctest.Wait()
		if !b.in() || len(settles) != 0 {
			t.Fatalf("a start-up: in %v, settled %v; want in at once, no settling", b.in(), settles)
		}
		b.leave()
		m1 := enterAsync(t.Context(), &g, gateMeasure)
		synctest.Wait()
		m2 := enterAsync(t.Context(), &g, gateMeasure)
		synctest.Wait()
		if m1.in() || m2.in() || fmt.Sprint(settles) != fmt.Sprint([]time.Duration{TurnSettle}) {
			t.Fatalf("while the turn's first run settles: in %v and %v, settled %v; want both waiting, the first settling within %v", m1.in(), m2.in(), settles, TurnSettle)
		}
		release <- struct{}{}
		synctest.Wait()
		if !m1.in() || m2.in() || fmt.Sprint(settles) != fmt.Sprint([]time.Duration{TurnSettle, JoinSettle}) {
			t.Fatalf("once the first settled: in %v and %v, settled %v; want the first in, the second settling within %v", m1.in(), m2.in(), settles, JoinSettle)
		}
		release <- struct{}{}
		synctest.Wait()
		if !m2.in() || m1.err != nil || m2.err != nil {
			t.Fatalf("once both settled: in %v (%v) and %v (%v); want both in", m1.in(), m1.err, m2.in(), m2.err)
		}
		m1.leave()
		m2.leave()

		ctx, cancel := context.WithCancel(t.Context())
		m3 := enterAsync(ctx, &g, gateMeasure)
		synctest.Wait()
		cancel()
		synctest.Wait()
		if !m3.in() || !errors.Is(m3.err, context.Canceled) {
			t.Fatalf("cancelled while settling: in %v, %v; want back with the context's error", m3.in(), m3.err)
		}
		b2 := enterAsync(t.Context(), &g, gateBusy)
		synctest.Wait()
		if !b2.in() {
			t.Fatal("a start-up waits after the settling run left")
		}
		b2.leave()
	})
}

// TestMachineSettledShares: the shares of busy and I/O-wait time between two samples of
// /proc/stat, and no time passed.
func TestMachineSettledShares(t *testing.T) {
	busy, iowait := cpuSample{busy: 150, iowait: 20, total: 400}.since(cpuSample{busy: 100, iowait: 10, total: 200})
	if busy != 0.25 || iowait != 0.05 {
		t.Errorf("busy %v, iowait %v; want 0.25, 0.05", busy, iowait)
	}
	if busy, iowait := (cpuSample{total: 7}).since(cpuSample{total: 7}); busy != 0 || iowait != 0 {
		t.Errorf("no time passed: %v, %v; want 0, 0", busy, iowait)
	}
	if _, ok := cpuTimes(); !ok {
		t.Skip("no /proc/stat here")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := MachineSettled(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("MachineSettled with an ended context: %v; want its error", err)
	}
}
