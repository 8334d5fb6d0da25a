package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

func TestMain(m *testing.M) {
	// go-redis, after a refused dial, keeps a reconnect goroutine asleep for up to a second, even
	// once its client is closed: it ends by itself, so it is the one goroutine not counted.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// fakeProxy records what is done to it, with the (fake) time of each call.
type fakeProxy struct {
	mu      sync.Mutex
	start   time.Time
	log     []string
	failAdd bool
	panics  bool
}

func (p *fakeProxy) note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, fmt.Sprintf("%s@%s", s, time.Since(p.start)))
}

func (p *fakeProxy) AddToxic(_ context.Context, t Toxic) error {
	if p.panics {
		panic("toxiproxy exploded")
	}
	if p.failAdd {
		return errors.New("refused")
	}
	p.note("add " + t.Name)
	return nil
}
func (p *fakeProxy) RemoveToxic(_ context.Context, name string) error {
	p.note("remove " + name)
	return nil
}
func (p *fakeProxy) Disable(context.Context) error { p.note("down"); return nil }
func (p *fakeProxy) Enable(context.Context) error  { p.note("up"); return nil }

type fakeTargets struct{ p *fakeProxy }

func (t fakeTargets) Proxy(name string) (Proxy, error) {
	if name != "redis" {
		return nil, fmt.Errorf("no service %q", name)
	}
	return t.p, nil
}
func (t fakeTargets) HTTP(string) (HTTPInjector, error) { return nil, errors.New("no HTTP target") }
func (t fakeTargets) Wire(string) (WireInjector, error) { return nil, errors.New("no request stage") }
func (t fakeTargets) Process(string) (Process, error)   { return nil, errors.New("no process target") }

// sink is a Sink that keeps everything.
type sink struct {
	mu        sync.Mutex
	events    []record.FaultEvent
	decisions []record.Decision
}

func (s *sink) AddFaultEvent(e record.FaultEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}
func (s *sink) AddDecision(d record.Decision) {
	s.mu.Lock()
	s.decisions = append(s.decisions, d)
	s.mu.Unlock()
}

func prob(p float64) *units.Probability  { v := units.Probability(p); return &v }
func dur(d time.Duration) units.Duration { return units.Duration(d) }

func latency(name string, c Common) *Latency {
	c.Name, c.Type = name, "latency"
	if c.Target == "" {
		c.Target = "redis"
	}
	return &Latency{Common: c, Latency: dur(100 * time.Millisecond)}
}

func TestScheduleFollowsWindows(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		sk := &sink{}
		s, err := NewScheduler(1, []Spec{latency("slow", Common{Start: dur(2 * time.Second), Duration: dur(time.Second), Every: dur(3 * time.Second), Times: 3})}, OnTargets(fakeTargets{p}), sk)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		want := []string{"add shakedown-slow@2s", "remove shakedown-slow@3s", "add shakedown-slow@5s", "remove shakedown-slow@6s", "add shakedown-slow@8s", "remove shakedown-slow@9s"}
		if !slices.Equal(p.log, want) {
			t.Errorf("proxy saw %v; want %v", p.log, want)
		}
		if len(sk.events) != 6 || sk.events[0].Action != record.FaultApplied || sk.events[1].Action != record.FaultRemoved {
			t.Errorf("events %+v", sk.events)
		}
	})
}

// TestRunLastsThePhase: the fault phase lasts its length even when every fault ended earlier
// (the recovery phase must not begin early).
func TestRunLastsThePhase(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, _ := NewScheduler(1, []Spec{latency("slow", Common{Duration: dur(time.Second)})}, OnTargets(fakeTargets{&fakeProxy{start: time.Now()}}), &sink{})
		start := time.Now()
		if err := s.Run(context.Background(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("Run returned after %v; want the phase's 10s", d)
		}
	})
}

func TestCancelRemovesEverything(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		down := &ProxyDown{Common: Common{Name: "down", Type: "proxy_down", Target: "redis"}}
		s, _ := NewScheduler(1, []Spec{latency("slow", Common{}), down}, OnTargets(fakeTargets{p}), &sink{})
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		if err := s.Run(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		slices.Sort(p.log)
		want := []string{"add shakedown-slow@0s", "down@0s", "remove shakedown-slow@1.5s", "up@1.5s"}
		if !slices.Equal(p.log, want) || len(s.Active()) != 0 {
			t.Errorf("proxy saw %v, active %v; want %v and nothing active", p.log, s.Active(), want)
		}
	})
}

func TestStopIsAHalt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		s, _ := NewScheduler(1, []Spec{latency("slow", Common{})}, OnTargets(fakeTargets{p}), &sink{})
		go func() {
			time.Sleep(time.Second)
			if got := s.Active(); !slices.Equal(got, []string{"slow"}) {
				t.Errorf("Active() = %v; want [slow]", got)
			}
			s.Stop()
		}()
		s.Run(context.Background(), time.Hour)
		if want := []string{"add shakedown-slow@0s", "remove shakedown-slow@1s"}; !slices.Equal(p.log, want) {
			t.Errorf("proxy saw %v; want %v", p.log, want)
		}
	})
}

// TestPanicAndFailureStillRollBack: a fault that panics or fails while applying is undone and
// reported, and the others are unaffected.
func TestPanicAndFailureStillRollBack(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"panic", "fail"} {
		synctest.Test(t, func(t *testing.T) {
			p := &fakeProxy{start: time.Now(), panics: mode == "panic", failAdd: mode == "fail"}
			sk := &sink{}
			s, _ := NewScheduler(1, []Spec{latency("bad", Common{Duration: dur(time.Second)})}, OnTargets(fakeTargets{p}), sk)
			err := s.Run(context.Background(), 5*time.Second)
			if err == nil || !strings.Contains(err.Error(), `fault "bad"`) {
				t.Errorf("%s: Run = %v; want the fault's error", mode, err)
			}
			if !slices.ContainsFunc(sk.events, func(e record.FaultEvent) bool { return e.Action == record.FaultRemoved }) {
				t.Errorf("%s: no removal recorded: %+v", mode, sk.events)
			}
		})
	}
}

// windowDecisions runs proxy_down faults with probability 0.5 over 50 windows and returns each
// fault's decisions as a string.
func windowDecisions(t *testing.T, seed uint64, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	synctest.Test(t, func(t *testing.T) {
		var specs []Spec
		for _, n := range names {
			specs = append(specs, &ProxyDown{Common: Common{Name: n, Type: "proxy_down", Target: "redis", Every: dur(time.Second), Duration: dur(500 * time.Millisecond), Probability: prob(0.5)}})
		}
		sk := &sink{}
		s, err := NewScheduler(seed, specs, OnTargets(fakeTargets{&fakeProxy{start: time.Now()}}), sk)
		if err != nil {
			t.Fatal(err)
		}
		s.Run(context.Background(), 50*time.Second)
		for _, d := range sk.decisions {
			out[d.Fault] += map[bool]string{true: "1", false: "0"}[d.Injected]
		}
	})
	return out
}

func TestSeededDecisions(t *testing.T) {
	t.Parallel()
	a := windowDecisions(t, 7, "a")
	b := windowDecisions(t, 7, "a")
	c := windowDecisions(t, 8, "a")
	d := windowDecisions(t, 7, "a", "b")
	if len(a["a"]) != 50 || a["a"] != b["a"] {
		t.Errorf("seed 7 twice: %q and %q; want 50 equal decisions", a["a"], b["a"])
	}
	if a["a"] == c["a"] {
		t.Errorf("seeds 7 and 8 gave the same decisions %q", a["a"])
	}
	if d["a"] != a["a"] {
		t.Errorf("adding fault b changed a's decisions: %q -> %q", a["a"], d["a"])
	}
	if n := strings.Count(a["a"], "1"); n < 10 || n > 40 {
		t.Errorf("%d of 50 windows injected at p=0.5", n)
	}
}

func TestValidationNamesEveryProblem(t *testing.T) {
	t.Parallel()
	specs := []Spec{
		&Latency{Common: Common{Name: "x", Type: "latency", Target: "redis", Times: 2, Probability: prob(2)}, Stream: Stream{Stream: "sideways"}},
		&Latency{Common: Common{Name: "x", Type: "latency", Target: "redis"}, Latency: dur(time.Second)},
		&HTTP{Common: Common{Name: "h", Type: "http", Target: "ollama"}, Action: httpfault.Action{Kind: "explode"}},
	}
	_, err := NewScheduler(1, specs, OnTargets(fakeTargets{&fakeProxy{}}), &sink{})
	for _, want := range []string{`fault "x": times = 2; want a count only with every set`, `probability = 200%`, `stream = "sideways"`,
		`latency = 0s; want more than 0`, `fault "x": the name is used twice`, `kind = "explode"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewScheduler error %v; want it to contain %q", err, want)
		}
	}
	if _, err := NewScheduler(1, []Spec{latency("y", Common{Target: "mysql"})}, OnTargets(fakeTargets{&fakeProxy{}}), &sink{}); err == nil || !strings.Contains(err.Error(), `target "mysql"`) {
		t.Errorf("unknown target: %v", err)
	}
}

func TestLookupAndKinds(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds() {
		s, ok := Lookup(k.Name)
		if !ok || s.Kind() != k.Name || s.Unit() != k.Unit || s.Base().Type != k.Name {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, s, ok)
		}
	}
	if _, ok := Lookup("meteor"); ok {
		t.Error("Lookup(meteor) found a kind")
	}
	var _ = InProcess((*httpfault.Injector)(nil))
}

func TestWindows(t *testing.T) {
	t.Parallel()
	s := time.Second
	w := func(start, end time.Duration) record.Window {
		return record.Window{Start: record.Duration(start), End: record.Duration(end)}
	}
	tests := []struct {
		c    Common
		want []record.Window
	}{
		{Common{}, []record.Window{w(0, 10*s)}},
		{Common{Start: dur(2 * s), Duration: dur(3 * s)}, []record.Window{w(2*s, 5*s)}},
		{Common{Start: dur(8 * s), Duration: dur(5 * s)}, []record.Window{w(8*s, 10*s)}},
		{Common{Start: dur(12 * s)}, nil},
		{Common{Every: dur(4 * s), Duration: dur(s)}, []record.Window{w(0, s), w(4*s, 5*s), w(8*s, 9*s)}},
		{Common{Every: dur(4 * s), Duration: dur(s), Times: 2}, []record.Window{w(0, s), w(4*s, 5*s)}},
	}
	for _, tt := range tests {
		if got := tt.c.Windows(10 * s); !slices.Equal(got, tt.want) {
			t.Errorf("%+v.Windows(10s) = %v; want %v", tt.c, got, tt.want)
		}
	}
}

// TestSchedulerRunsTheSchedule: the scheduler follows Schedule, which export writes ahead of a
// run: one decision per drawn window (the window's draw, its number, whether it opens), and the
// fault applied in the open windows only, at their times.
func TestSchedulerRunsTheSchedule(t *testing.T) {
	t.Parallel()
	spec := &ProxyDown{Common: Common{Name: "a", Type: "proxy_down", Target: "redis", Every: dur(time.Second), Duration: dur(500 * time.Millisecond), Probability: prob(0.5)}}
	planned := Schedule(7, spec, 50*time.Second)
	var want []record.Decision
	var wantLog []string
	for i, w := range planned {
		if !w.Drawn || w.End-w.Start != record.Duration(500*time.Millisecond) || w.Fault != "a" || w.Kind != "proxy_down" {
			t.Fatalf("window %+v; want a drawn window of 500ms of fault a", w)
		}
		want = append(want, record.Decision{Fault: "a", Unit: "window", Seq: uint64(i), Draw: w.Draw, Probability: 0.5, Injected: w.Open,
			Detail: fmt.Sprintf("window %d at %s", i, w.Start)})
		if w.Open {
			wantLog = append(wantLog, fmt.Sprintf("down@%s", w.Start), fmt.Sprintf("up@%s", w.End))
		}
	}
	if n := len(wantLog) / 2; n < 10 || n > 40 {
		t.Errorf("%d of 50 windows open at p=0.5", n)
	}
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		sk := &sink{}
		s, err := NewScheduler(7, []Spec{spec}, OnTargets(fakeTargets{p}), sk)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), 50*time.Second); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sk.decisions, want) {
			t.Errorf("the scheduler decided %+v; Schedule gave %+v", sk.decisions, want)
		}
		if !slices.Equal(p.log, wantLog) {
			t.Errorf("the proxy saw %v; Schedule's open windows are %v", p.log, wantLog)
		}
	})
	cpu := &CPUSpike{Common: Common{Name: "c", Type: "cpu", Target: "sut", Probability: prob(0.5)}, Load: 0.5, Tick: dur(2 * time.Second)}
	if ws := Schedule(1, cpu, 7*time.Second); len(ws) != 4 || ws[3].Start != record.Duration(6*time.Second) || ws[3].End != record.Duration(7*time.Second) || !ws[3].Drawn {
		t.Errorf("cpu ticks %+v; want 4 drawn ticks of 2s, the last cut at 7s", ws)
	}
	if ws := Schedule(1, latency("l", Common{Probability: prob(0.1)}), 5*time.Second); len(ws) != 1 || ws[0].Drawn || !ws[0].Open {
		t.Errorf("a per-connection kind's window %+v; want one undrawn open window", ws)
	}
}

// engine is a Builder, as an Engine is: it logs what it builds, and every fault it builds is
// Windowed.
type engine struct {
	p     *fakeProxy
	built *[]string
}

func (e engine) Build(s Spec) (Fault, error) {
	*e.built = append(*e.built, s.Base().Name)
	return &windowed{p: e.p}, nil
}

// windowed is a Windowed fault that notes each window's length.
type windowed struct{ p *fakeProxy }

var _ Windowed = (*windowed)(nil)

func (w *windowed) Apply(context.Context) error { w.p.note("apply"); return nil }
func (w *windowed) ApplyFor(_ context.Context, d time.Duration) error {
	w.p.note(fmt.Sprintf("apply for %s", d))
	return nil
}
func (w *windowed) Undo(context.Context) error { w.p.note("undo"); return nil }

// TestEngineBuildsEveryFault: with an engine as the builder, every fault is the engine's,
// applied with its window's length.
func TestEngineBuildsEveryFault(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		var built []string
		specs := []Spec{latency("slow", Common{Start: dur(time.Second), Duration: dur(2 * time.Second)}),
			&Pause{Common: Common{Name: "frozen", Type: "pause", Target: "postgres", Start: dur(4 * time.Second)}}}
		s, err := NewScheduler(1, specs, engine{p, &built}, &sink{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), 6*time.Second); err != nil {
			t.Fatal(err)
		}
		if want := []string{"slow", "frozen"}; !slices.Equal(built, want) {
			t.Errorf("the engine built %v; want %v", built, want)
		}
		want := []string{"apply for 2s@1s", "undo@3s", "apply for 2s@4s", "undo@6s"}
		if !slices.Equal(p.log, want) {
			t.Errorf("faults saw %v; want %v", p.log, want)
		}
	})
}
