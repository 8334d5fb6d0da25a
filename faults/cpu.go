package faults

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

// PerTick is the unit of kinds drawn once per tick of their window.
const PerTick Unit = "tick"

// CPUSpike burns CPU in the harness process (where a builtin system under test runs): Load of each
// of Cores cores, in slices of 10 ms. Each Tick of its window it runs with the fault's
// probability, drawn from its seeded stream. The load it achieved, measured from the process's CPU
// time, is written to the record when each tick ends.
type CPUSpike struct {
	Common `yaml:",inline"`
	// Load is the target busy share of each core, e.g. 80%.
	Load units.Probability `yaml:"load" json:"load"`
	// Cores to load. 0: every core.
	Cores int `yaml:"cores,omitempty" json:"cores,omitempty"`
	// Tick is the length of one draw. 0: 1s.
	Tick units.Duration `yaml:"tick,omitempty" json:"tick,omitempty"`
}

func (*CPUSpike) Kind() string { return "cpu" }
func (*CPUSpike) Unit() Unit   { return PerTick }

func (s *CPUSpike) Validate() error {
	return joinErrs(&s.Common,
		positive(&s.Common, "load", s.Load > 0 && s.Load <= 1, s.Load, "a share of a core in (0, 1], e.g. 80%"),
		positive(&s.Common, "cores", s.Cores >= 0 && s.Cores <= 4*runtime.NumCPU(), s.Cores, fmt.Sprintf("0 (every core) to %d", 4*runtime.NumCPU())),
		positive(&s.Common, "tick", s.Tick >= 0, s.Tick, "0 (1s) or more"))
}

var (
	_ Ticker   = (*CPUSpike)(nil)
	_ Reporter = (*cpuSpike)(nil)
)

// TickLength returns the length of one draw: Tick, or 1s.
func (s *CPUSpike) TickLength() time.Duration {
	if s.Tick == 0 {
		return time.Second
	}
	return s.Tick.D()
}

func (s *CPUSpike) Build(Targets) (Fault, error) {
	cores := s.Cores
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	return &cpuSpike{load: s.Load.F(), cores: cores}, nil
}

// slice is the burner's duty cycle: busy load×slice, then idle.
const slice = 10 * time.Millisecond

type cpuSpike struct {
	load  float64
	cores int

	mu       sync.Mutex
	stop     chan struct{}
	done     sync.WaitGroup
	started  time.Time
	cpuStart time.Duration
	achieved float64
}

func (c *cpuSpike) Apply(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		return nil
	}
	c.stop = make(chan struct{})
	c.started, c.cpuStart = time.Now(), processCPU()
	busy := time.Duration(c.load * float64(slice))
	for range c.cores {
		c.done.Go(func() {
			t := time.NewTimer(0)
			defer t.Stop()
			for {
				end := time.Now().Add(busy)
				for time.Now().Before(end) {
					// burn
				}
				t.Reset(slice - busy)
				select {
				case <-c.stop:
					return
				case <-t.C:
				}
			}
		})
	}
	return nil
}

func (c *cpuSpike) Undo(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop == nil {
		return nil
	}
	close(c.stop)
	c.done.Wait()
	c.stop = nil
	if wall := time.Since(c.started); wall > 0 {
		c.achieved = float64(processCPU()-c.cpuStart) / (float64(wall) * float64(c.cores))
	}
	return nil
}

// Report says what the last spike achieved.
func (c *cpuSpike) Report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("target %.0f%% of %d cores, achieved %.0f%% (process CPU time over wall time)", c.load*100, c.cores, c.achieved*100)
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
