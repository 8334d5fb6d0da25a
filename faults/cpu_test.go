package faults

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestCPUSpikeReachesItsLoad burns half a core for half a second and checks the achieved share
// it measures. The bound is generous: on a 2-core machine running other test packages at the same
// time the burner can be starved, and what matters here is that the spike burns and is measured.
func TestCPUSpikeReachesItsLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: burns CPU")
	}
	s := &CPUSpike{Common: Common{Name: "cpu", Type: "cpu", Target: "sut"}, Load: 0.5, Cores: 1}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	f, _ := s.Build(nil)
	f.Apply(context.Background())
	time.Sleep(500 * time.Millisecond) // the spike's own length: the thing under test takes time
	f.Undo(context.Background())
	c := f.(*cpuSpike)
	if c.achieved < 0.15 || c.achieved > 1.2 {
		t.Errorf("achieved %.2f of a core for a 50%% spike; want 0.15..1.2", c.achieved)
	}
	if r := c.Report(); !strings.Contains(r, "target 50% of 1 cores, achieved") {
		t.Errorf("Report() = %q", r)
	}
}

// tickSpec is a per-tick kind for the scheduler's tests (a CPU spike cannot burn under synctest's
// fake clock).
type tickSpec struct {
	Common
	p *fakeProxy
}

var _ Ticker = (*tickSpec)(nil)

func (*tickSpec) Kind() string              { return "test_tick" }
func (*tickSpec) Unit() Unit                { return PerTick }
func (s *tickSpec) Validate() error         { return joinErrs(&s.Common) }
func (*tickSpec) TickLength() time.Duration { return time.Second }
func (s *tickSpec) Build(Targets) (Fault, error) {
	return &toggle{on: s.p.Disable, off: s.p.Enable}, nil
}

// TestPerTickDraws: a per-tick fault draws once a tick and acts for that tick only.
func TestPerTickDraws(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProxy{start: time.Now()}
		sk := &sink{}
		spec := &tickSpec{Common: Common{Name: "t", Type: "test_tick", Target: "redis", Start: dur(2 * time.Second), Duration: dur(5 * time.Second), Probability: prob(0.5)}, p: p}
		s, err := NewScheduler(3, []Spec{spec}, OnTargets(fakeTargets{p}), sk)
		if err != nil {
			t.Fatal(err)
		}
		s.Run(context.Background(), 20*time.Second)
		if len(sk.decisions) != 5 {
			t.Fatalf("%d decisions; want one per tick of a 5s window: 5", len(sk.decisions))
		}
		injected := 0
		for _, d := range sk.decisions {
			if d.Unit != "tick" {
				t.Errorf("decision unit %q; want tick", d.Unit)
			}
			if d.Injected {
				injected++
			}
		}
		if got := strings.Count(strings.Join(p.log, " "), "down@"); got != injected {
			t.Errorf("proxy went down %d times for %d injected ticks (%v)", got, injected, p.log)
		}
	})
}
