package harness

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// Observer is told what a run does while it runs: the engine itself prints nothing, so that a
// campaign can run it many times and a command can print what it likes. Implementations must be
// safe for concurrent use: the methods are called from the run's goroutines, and must return
// quickly.
type Observer interface {
	// OnPhase is called as each phase begins.
	OnPhase(name string)
	// OnProgress is called once a second while the load runs.
	OnProgress(Progress)
	// OnFault is called with each fault event (applied, removed, failed) as it is recorded.
	OnFault(record.FaultEvent)
	// OnSUTOutput is called with the output of a command SUT (stdout and stderr, each replica's
	// lines prefixed with its number), as the command writes it.
	OnSUTOutput(p []byte)
}

// ObserverFuncs is an Observer made of functions; a nil one ignores its events.
type ObserverFuncs struct {
	Phase     func(name string)
	Progress  func(Progress)
	Fault     func(record.FaultEvent)
	SUTOutput func(p []byte)
}

var _ Observer = ObserverFuncs{}

func (o ObserverFuncs) OnPhase(name string) {
	if o.Phase != nil {
		o.Phase(name)
	}
}

func (o ObserverFuncs) OnProgress(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

func (o ObserverFuncs) OnFault(e record.FaultEvent) {
	if o.Fault != nil {
		o.Fault(e)
	}
}

func (o ObserverFuncs) OnSUTOutput(p []byte) {
	if o.SUTOutput != nil {
		o.SUTOutput(p)
	}
}

// Observers is an Observer that tells each of its observers, in order.
type Observers []Observer

func (os Observers) OnPhase(name string) {
	for _, o := range os {
		o.OnPhase(name)
	}
}

func (os Observers) OnProgress(p Progress) {
	for _, o := range os {
		o.OnProgress(p)
	}
}

func (os Observers) OnFault(e record.FaultEvent) {
	for _, o := range os {
		o.OnFault(e)
	}
}

func (os Observers) OnSUTOutput(p []byte) {
	for _, o := range os {
		o.OnSUTOutput(p)
	}
}

// outputWriter hands a command SUT's output to an observer.
type outputWriter struct{ obs Observer }

func (w outputWriter) Write(p []byte) (int, error) {
	w.obs.OnSUTOutput(p)
	return len(p), nil
}

// Progress is a run's state for a progress line.
type Progress struct {
	Phase          string
	Elapsed, Total time.Duration                  // since the load began, and the three phases' length
	All            record.Counts                  // every result so far
	Last           record.Second                  // the last complete second (its P95 is from its results so far)
	Active         []string                       // the faults applied now
	Breakers       map[string]record.BreakerState // each scraped breaker's state, by name
	ScrapeError    string                         // the last scrape's error while scrapes fail
	Unsent         []string                       // after the warmup, the named targets that sent nothing yet, with why
}

// String is the progress line: "fault 12s/40s  1203 req  last second: 37 req/s  failed 2.1%
// degraded 0.4%  p95 212ms  faults: slow-redis  breakers: redis=open". The request count is the
// run's so far; the rate, the failed and degraded shares and the p95 are the last second's, so
// they move together; breakers are those that are not closed; then a failing scrape's error and
// the targets that sent nothing ("unsent: read-own: it waited for {{blog}}, which no answer
// captured").
func (p Progress) String() string {
	s := fmt.Sprintf("%-8s %s/%s  %d req  last second: %d req/s  failed %.1f%%  degraded %.1f%%  p95 %s",
		p.Phase, p.Elapsed.Round(time.Second), p.Total, p.All.Requests, p.Last.Requests,
		100*p.Last.ErrorRate(), 100*p.Last.DegradedShare(), units.RoundDuration(p.Last.P95.D()))
	if len(p.Active) > 0 {
		s += "  faults: " + strings.Join(p.Active, ",")
	}
	var open []string
	for _, name := range slices.Sorted(maps.Keys(p.Breakers)) {
		if st := p.Breakers[name]; st != record.BreakerClosed {
			open = append(open, name+"="+st.String())
		}
	}
	if len(open) > 0 {
		s += "  breakers: " + strings.Join(open, ",")
	}
	if p.ScrapeError != "" {
		s += "  metrics: " + p.ScrapeError
	}
	if len(p.Unsent) > 0 {
		s += "  unsent: " + strings.Join(p.Unsent, "; ")
	}
	return s
}
